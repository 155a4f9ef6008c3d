"""SOAP codec for the simulator, built on pyVmomi's own (de)serializer.

A request body is parsed as one data object of a synthetic type whose members are ``_this``
plus the method's parameters, so pyVmomi itself handles arrays, ``xsi:type``, MoRefs, enums and
faults. Responses and faults are written with ``SoapSerializer`` for the negotiated version.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from xml.parsers import expat

from pyVmomi import SoapAdapter, VmomiSupport, vmodl

if TYPE_CHECKING:  # types only: state imports this module
    from .state import Memo

NS_VIM = "urn:vim25"


@dataclass(frozen=True)
class MethodInfo:
    """The parts of pyVmomi's method info the server needs (also used for ``Fetch``)."""

    wsdl_name: str
    params: tuple[Any, ...]
    result: Any
    result_flags: int
    version: Any
    faults: tuple[str, ...]
    is_task: bool


FETCH = MethodInfo("Fetch", (VmomiSupport.Object(name="prop", type=str, version="vmodl.version.version0", flags=0),),
                   object, 0, "vmodl.version.version0", (), False)

_REQUEST_TYPES: dict[str, type] = {}


class SoapRequestError(Exception):
    """The request is not a SOAP call we can parse (maps to InvalidRequest)."""


def method_info(wsdl_name: str) -> MethodInfo:
    """Method info by WSDL name; unknown names raise KeyError (-> MethodNotFound)."""
    if wsdl_name == "Fetch":
        return FETCH
    info = VmomiSupport.GetWsdlMethod(NS_VIM, wsdl_name).info
    return MethodInfo(info.wsdlName, tuple(info.params), info.result, info.resultFlags, info.version,
                      tuple(info.faults or ()), bool(info.isTask))


def _request_type(info: MethodInfo) -> type:
    cached = _REQUEST_TYPES.get(info.wsdl_name)
    if cached is None:
        members = [VmomiSupport.Object(name="_this", type=VmomiSupport.ManagedObject, version=info.version, flags=0)]
        members += list(info.params)
        attrs = {"_wsdlName": "Req" + info.wsdl_name, "_version": info.version,
                 "_propList": members, "_propInfo": {m.name: m for m in members}}
        cached = type(attrs["_wsdlName"], (VmomiSupport.DataObject,), attrs)
        _REQUEST_TYPES[info.wsdl_name] = cached
    return cached


class _EnvelopeHandler(SoapAdapter.ExpatDeserializerNSHandlers):
    """Walks Envelope/Body and hands the method element to pyVmomi's SoapDeserializer."""

    def __init__(self, parser: Any, version: Any) -> None:
        SoapAdapter.ExpatDeserializerNSHandlers.__init__(self)
        self.parser = parser
        self.version = version
        self.depth = 0
        self.in_body = False
        self.info: MethodInfo | None = None
        self.deserializer: SoapAdapter.SoapDeserializer | None = None

    def StartElementHandler(self, tag: str, attr: dict[str, str]) -> None:  # noqa: N802 (expat API)
        ns, name = (tag.split(SoapAdapter.NS_SEP, 1) + [""])[:2] if SoapAdapter.NS_SEP in tag else ("", tag)
        if self.depth == 2 and self.in_body and self.info is None:
            try:
                self.info = method_info(name)
            except KeyError:
                raise LookupError(name) from None
            self.deserializer = SoapAdapter.SoapDeserializer(version=self.version)
            self.deserializer.Deserialize(self.parser, _request_type(self.info), False, self.nsMap)
            self.deserializer.StartElementHandler(tag, attr)
            return
        self.depth += 1
        if self.depth == 2 and ns == SoapAdapter.XMLNS_SOAPENV and name == "Body":
            self.in_body = True

    def EndElementHandler(self, tag: str) -> None:  # noqa: N802 (expat API)
        self.depth -= 1

    def CharacterDataHandler(self, data: str) -> None:  # noqa: N802 (expat API)
        return None


def parse_request(body: bytes, version: Any) -> tuple[MethodInfo, Any, dict[str, Any]]:
    """(method info, _this MoRef, params by name). LookupError(name) for an unknown method."""
    parser = expat.ParserCreate(namespace_separator=SoapAdapter.NS_SEP)
    handler = _EnvelopeHandler(parser, version)
    SoapAdapter.SetHandlers(parser, SoapAdapter.GetHandlers(handler))
    try:
        parser.Parse(body, True)
    except expat.ExpatError as err:
        raise SoapRequestError("malformed XML: %s" % err) from None
    except (TypeError, ValueError, AttributeError, KeyError) as err:  # pyVmomi's deserializer on a value of the wrong type
        raise SoapRequestError("cannot deserialize the request: %s" % err) from None
    if handler.info is None or handler.deserializer is None:
        raise SoapRequestError("no method element in the SOAP body")
    req = handler.deserializer.GetResult()
    if req._this is None:
        raise SoapRequestError("%s names no _this object" % handler.info.wsdl_name)
    params = {p.name: getattr(req, p.name) for p in handler.info.params}
    return handler.info, req._this, params


def check_params(info: MethodInfo, params: dict[str, Any], version: Any) -> None:
    """What vpxd's deserializer refuses before any handler runs: a required parameter or
    data-object property missing (at the negotiated version), a value of the wrong type, an
    unknown enum value. Raises InvalidRequest naming the path."""
    for param in info.params:
        _check(param.type, param.flags, params.get(param.name), param.name, version)


def _check(decl: Any, flags: int, value: Any, path: str, version: Any) -> None:
    if value is None or (isinstance(value, list) and not value):
        if not flags & VmomiSupport.F_OPTIONAL and decl is not object:
            raise vmodl.fault.InvalidRequest(msg="Required property %s is missing" % path)
        return
    if decl is object:
        return
    if issubclass(decl, list):
        if not isinstance(value, list):
            raise _wrong(path, decl, value)
        for i, item in enumerate(value):
            _check(decl.Item, VmomiSupport.F_OPTIONAL, item, "%s[%d]" % (path, i), version)
        if any(item is None for item in value):
            raise vmodl.fault.InvalidRequest(msg="%s holds an unset element" % path)
        return
    if issubclass(decl, VmomiSupport.Enum):
        if value not in decl.values:
            raise vmodl.fault.InvalidRequest(msg="%s: %r is not a value of %s" % (path, value, decl.__name__))
        return
    if not isinstance(value, decl) or (decl is not bool and isinstance(value, bool) and not issubclass(decl, bool)):
        raise _wrong(path, decl, value)
    if isinstance(value, VmomiSupport.DataObject):
        for name, prop_type, flags in _members(type(value), version):
            member = getattr(value, name)
            if member is not None or not flags & VmomiSupport.F_OPTIONAL:
                _check(prop_type, flags, member, path + "." + name, version)


_MEMBERS: dict[tuple[Any, Any], tuple[tuple[str, Any, int], ...]] = {}


def _members(cls: Any, version: Any) -> tuple[tuple[str, Any, int], ...]:
    """A data type's properties that exist at ``version`` (cached: this runs on every request)."""
    key = (cls, version)
    cached = _MEMBERS.get(key)
    if cached is None:
        cached = tuple((p.name, p.type, p.flags) for p in cls._GetPropertyList() if VmomiSupport.IsChildVersion(version, p.version))
        _MEMBERS[key] = cached
    return cached


def _wrong(path: str, decl: Any, value: Any) -> vmodl.fault.InvalidRequest:
    return vmodl.fault.InvalidRequest(msg="%s: expected %s, got %s" % (path, getattr(decl, "__name__", decl), type(value).__name__))


def _envelope(inner: str) -> bytes:
    return (SoapAdapter.XML_HEADER + "\n" + SoapAdapter.SOAP_START + inner + SoapAdapter.SOAP_END).encode("utf-8")


class _Serializer(SoapAdapter.SoapSerializer):
    """pyVmomi's serializer, reusing the XML of values the simulator computed once in this state
    generation (``state.Memo``): a value read again before the next change costs no serialisation."""

    def __init__(self, writer: Any, version: Any, nsmap: dict[str, str], memo: Memo | None) -> None:
        super().__init__(writer, version, nsmap)
        self.memo = memo

    def _Serialize(self, val: Any, info: Any, defNS: str) -> None:  # noqa: N802,N803 (pyVmomi's names)
        memo = self.memo
        if memo is None or self.outermostAttrs or id(val) not in memo.ids:
            super()._Serialize(val, info, defNS)
            return
        key = (id(val), info.name, info.type, info.flags, info.version, defNS, self.version)
        text = memo.xml.get(key)
        if text is None:
            writer, self.writer = self.writer, io.StringIO()
            try:
                super()._Serialize(val, info, defNS)
                text = memo.xml[key] = self.writer.getvalue()
            finally:
                self.writer = writer
        self.writer.write(text)


def serialize_response(info: MethodInfo, result: Any, version: Any, memo: Memo | None = None) -> bytes:
    """``<MethodResponse xmlns="urn:vim25"><returnval>...`` for the negotiated version; values of
    ``memo`` (the state generation the result was computed in) reuse their XML."""
    out = io.StringIO()
    nsmap = dict(SoapAdapter.SOAP_NSMAP)
    nsmap[NS_VIM] = ""
    serializer = _Serializer(out, version, nsmap, memo)
    serializer.outermostAttrs = ""
    if result is not None:
        serializer.Serialize(result, VmomiSupport.Object(name="returnval", type=info.result, version=version, flags=info.result_flags))
    return _envelope('<%sResponse xmlns="%s">%s</%sResponse>' % (info.wsdl_name, NS_VIM, out.getvalue(), info.wsdl_name))


def serialize_fault(fault: vmodl.MethodFault, version: Any) -> bytes:
    """A ``soapenv:Fault`` with the fault's fields in ``<detail>`` (message only in faultstring)."""
    message = fault.msg or _default_message(fault)
    detail = io.StringIO()
    nsmap = dict(SoapAdapter.SOAP_NSMAP)
    nsmap[NS_VIM] = ""
    serializer = SoapAdapter.SoapSerializer(detail, version, nsmap)
    serializer.outermostAttrs = ""
    copy = VmomiSupport.Type(fault)()
    for prop in fault._GetPropertyList():
        setattr(copy, prop.name, getattr(fault, prop.name))
    copy.msg = None
    wsdl = fault._wsdlName
    serializer._SerializeDataObject(copy, VmomiSupport.Object(name=wsdl + "Fault", type=object, version=version, flags=0),
                                    ' xmlns="%s"' % NS_VIM, NS_VIM)
    body = ("<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>%s</faultstring>"
            "<detail>%s</detail></soapenv:Fault>" % (SoapAdapter.XmlEscape(message), detail.getvalue()))
    return _envelope(body)


_MESSAGES = {
    "NotFound": "The object or item referred to could not be found.",
    "ResourceInUse": "The resource '%(name)s' is in use.",
    "AlreadyExists": "The specified key, name, or identifier '%(name)s' already exists.",
    "InvalidArgument": "A specified parameter was not correct: %(invalidProperty)s",
    "HostConfigFault": "An error occurred during host configuration.",
    "InvalidLogin": "Cannot complete login due to an incorrect user name or password.",
    "NotAuthenticated": "The session is not authenticated.",
}


def _default_message(fault: vmodl.MethodFault) -> str:
    """hostd-like fault strings (vsphere-api.md §3.1) filled from the fault's fields."""
    template = _MESSAGES.get(fault._wsdlName)
    if template is None:
        return "%s fault" % fault._wsdlName
    values = {p.name: getattr(fault, p.name, "") or "" for p in fault._GetPropertyList()}
    return template % values
