"""No internal crash reaches a client: every method pyVmomi declares for every object a client can
reach is called with malformed arguments (an unknown ``_this``, no arguments, one argument of the
wrong type or naming an unknown object, and well-typed placeholder values with only the required
fields set). Each answer must be a success or a fault the method declares or a vmodl.RuntimeFault -
never ``SystemError``, the simulator's internal error, and never a dropped connection."""

from __future__ import annotations

import datetime
import http.client
import ssl
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import VmomiSupport, vim, vmodl

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.simtools import DEMO, ESXI, SimProcess, credentials

PC = vmodl.query.PropertyCollector
XSI = "http://www.w3.org/2001/XMLSchema-instance"
UNKNOWN = "sweep-unknown-1"
ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="%s"><soapenv:Body><%%s xmlns="urn:vim25">'
            '<_this type="%%s">%%s</_this>%%s</%%s></soapenv:Body></soapenv:Envelope>' % XSI)


@pytest.fixture(scope="module", params=[DEMO, ESXI], ids=["vcenter", "esxi"])
def sweep_sim(request: Any) -> Iterator[SimProcess]:
    with SimProcess(request.param, max_wait=1) as proc:  # its own simulator: the sweep changes what it can
        yield proc


@pytest.fixture(scope="module")
def sweep_si(sweep_sim: SimProcess) -> Iterator[Any]:
    user, pwd = credentials(sweep_sim.inventory)
    si = SmartConnect(host="127.0.0.1", port=sweep_sim.port, user=user, pwd=pwd,
                      sslContext=ssl.create_default_context(cafile=sweep_sim.ca_file))
    yield si
    try:
        Disconnect(si)
    except (vmodl.MethodFault, OSError):
        pass


def reachable(si: Any) -> list[Any]:
    """Every managed object a client can reach from the ServiceContent by reading properties, plus a
    task, a property filter and a container view of its own."""
    content = si.content
    view = content.viewManager.CreateContainerView(content.rootFolder, [], True)
    pc = content.propertyCollector
    filt = pc.CreateFilter(PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=content.rootFolder)],
                                         propSet=[PC.PropertySpec(type=vim.Folder, pathSet=["name"])]), partialUpdates=False)
    task = next(o for o in view.view if isinstance(o, vim.HostSystem)).ReconfigureHostForDAS_Task()
    seen: dict[str, Any] = {}
    todo = list(_refs(content)) + [view, filt, task]
    while todo:
        ref = todo.pop()
        if ref._moId in seen:
            continue
        seen[ref._moId] = ref
        spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=ref)], propSet=[PC.PropertySpec(type=type(ref), all=True)])
        for obj in pc.RetrieveContents([spec]):
            for prop in obj.propSet:
                todo += [r for r in _refs(prop.val) if r._moId not in seen]
    return list(seen.values())


def _refs(value: Any) -> Iterator[Any]:
    if isinstance(value, VmomiSupport.ManagedObject):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)
    elif isinstance(value, VmomiSupport.DataObject):
        for prop in value._GetPropertyList():
            yield from _refs(getattr(value, prop.name))


def methods(ref: Any) -> list[Any]:
    return sorted({info.wsdlName: info for info in type(ref)._methodInfo.values()}.values(), key=lambda i: i.wsdlName)


def required(info: Any) -> bool:
    return any(not p.flags & VmomiSupport.F_OPTIONAL for p in info.params)


def verdict(info: Any, fault: Any | None) -> str | None:
    """None when acceptable, else why not."""
    if fault is None:
        return None
    if isinstance(fault, vmodl.fault.SystemError):
        return "SystemError (%s)" % (fault.reason or fault.msg)
    if isinstance(fault, vmodl.RuntimeFault) or any(isinstance(fault, VmomiSupport.GetVmodlType(n)) for n in info.faults or ()):
        return None
    return "undeclared %s" % type(fault).__name__


class Raw:
    """Hand-written SOAP calls (pyVmomi's client refuses to send malformed arguments)."""

    def __init__(self, sim: SimProcess, si: Any) -> None:
        self.sim, self.cookie = sim, si._stub.cookie
        self.context = ssl.create_default_context(cafile=sim.ca_file)

    def call(self, info: Any, this_type: str, this_id: str, body: str) -> tuple[Any | None, str | None]:
        """(fault or None, transport error or None)."""
        xml = ENVELOPE % (info.wsdlName, this_type, this_id, body, info.wsdlName)
        conn = http.client.HTTPSConnection("127.0.0.1", self.sim.port, context=self.context, timeout=20)
        try:
            conn.request("POST", "/sdk", xml.encode("utf-8"), {"Cookie": self.cookie, "SOAPAction": "urn:vim25/8.0.3.0",
                                                               "Content-Type": "text/xml; charset=utf-8"})
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as err:
            return None, "transport: %r" % err
        finally:
            conn.close()
        if resp.status == 200:
            return None, None
        detail = ET.fromstring(data).find(".//detail")
        if detail is None or not len(detail):
            return None, "HTTP %d without a fault detail" % resp.status
        name = detail[0].get("{%s}type" % XSI) or detail[0].tag.split("}")[-1][:-len("Fault")]
        return VmomiSupport.GetWsdlType("urn:vim25", name.split(":")[-1])(), None


def wrong_values(param: Any) -> list[str]:
    """XML for one parameter with a value of the wrong kind, or naming an object that does not exist."""
    decl = param.type
    if decl is object:
        return []
    base = decl.Item if issubclass(decl, list) else decl
    name = param.name
    if issubclass(base, VmomiSupport.ManagedObject):
        out = ['<%s type="%s">%s</%s>' % (name, VmomiSupport.GetWsdlName(base), UNKNOWN, name)]
        if not issubclass(vmodl.query.PropertyCollector, base):
            out.append('<%s type="PropertyCollector">propertyCollector</%s>' % (name, name))
        return out
    key_value = '<%s xsi:type="KeyValue"><key>k</key><value>v</value></%s>' % (name, name)
    if issubclass(base, VmomiSupport.DataObject):
        return [] if issubclass(vim.KeyValue, base) else [key_value]
    if issubclass(base, str):
        return [key_value] + (['<%s>no-such-value</%s>' % (name, name)] if issubclass(base, VmomiSupport.Enum) else [])
    return ['<%s>not-a-value</%s>' % (name, name)]


def placeholder(decl: Any, depth: int = 0, every: bool = False) -> Any:
    """A well-typed value with only the required fields set (``every``: all fields, three levels
    deep), holding names that exist nowhere and zeros."""
    if decl is object:
        return "x"
    if issubclass(decl, list):
        item = placeholder(decl.Item, depth, every)
        return decl([item]) if item is not None else decl()
    if issubclass(decl, VmomiSupport.Enum):
        return decl.values[0]
    if issubclass(decl, VmomiSupport.ManagedObject):
        return decl(UNKNOWN)
    if issubclass(decl, VmomiSupport.DataObject):
        if depth > (3 if every else 6):
            return None
        obj = decl()
        for prop in decl._GetPropertyList():
            if prop.name not in ("dynamicType", "dynamicProperty") and (every or not prop.flags & VmomiSupport.F_OPTIONAL):
                setattr(obj, prop.name, placeholder(prop.type, depth + 1, every))
        return obj
    if decl is bool:
        return False
    if issubclass(decl, (int, float)):
        return decl(0)
    if decl is datetime.datetime:
        return datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    if decl is type:
        return vim.ManagedEntity
    if issubclass(decl, bytes):
        return decl(b"x")
    return decl("x")


def test_no_method_answers_malformed_arguments_with_an_internal_error(sweep_sim, sweep_si):
    raw = Raw(sweep_sim, sweep_si)
    problems, calls, served = [], 0, set()
    for ref in reachable(sweep_si):
        wsdl_type = VmomiSupport.GetWsdlName(type(ref))
        for info in methods(ref):
            where = "%s(%s).%s" % (wsdl_type, ref._moId, info.wsdlName)
            cases = [("unknown _this", UNKNOWN, "")]
            if required(info):
                cases.append(("no arguments", ref._moId, ""))
            cases += [("%s = %s" % (p.name, xml[:60]), ref._moId, xml) for p in info.params for xml in wrong_values(p)]
            for label, this_id, body in cases:
                fault, error = raw.call(info, wsdl_type, this_id, body)
                calls += 1
                why = error or verdict(info, fault)
                if why:
                    problems.append("%s with %s: %s" % (where, label, why))
                if label == "no arguments" and not isinstance(fault, vmodl.fault.MethodNotFound):
                    served.add(info.wsdlName)
            for every in (False, True) if required(info) and info.wsdlName in served else ():
                args = [placeholder(p.type, every=every) if every or not p.flags & VmomiSupport.F_OPTIONAL else None for p in info.params]
                label = "every field set" if every else "placeholders"
                calls += 1
                try:
                    sweep_si._stub.InvokeMethod(ref, info, args)
                    fault = None
                except vmodl.MethodFault as err:
                    fault = err
                except Exception as err:  # noqa: BLE001 - a transport failure is a finding too
                    problems.append("%s with %s: %r" % (where, label, err))
                    continue
                why = verdict(info, fault)
                if why:
                    problems.append("%s with %s: %s" % (where, label, why))
    assert calls > 800 and len(served) > 30, (calls, sorted(served))
    assert not problems, "\n".join(problems)
