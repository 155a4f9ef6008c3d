# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connection to vCenter/ESXi: argspec, TLS context, one login per run, fault -> error mapping.

Private to this collection. One of the three module_utils that import pyVmomi (with
``_reader`` and ``_apply``); the import is guarded so that the pure layers and sanity's
import test work without it.

The answers of this collection's own connections are turned into pyVmomi objects by
``_FastDeserializer``: pyVmomi's own deserializer with the per-element lookups cached (see there).
"""

from __future__ import annotations

import http.client
import socket
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from ansible.module_utils.basic import env_fallback

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import (
    ApplyError,
    ArgumentError,
    ConnectionFailure,
    FabricError,
    TransientError,
)

try:
    from pyVim.connect import SmartStubAdapter
    from pyVmomi import SoapAdapter, VmomiSupport, vim, vmodl
except ImportError:  # reported by the module wrapper through missing_required_lib
    HAS_PYVMOMI = False
else:
    HAS_PYVMOMI = True

T = TypeVar("T")

CONNECTION_ARGSPEC: dict[str, dict[str, Any]] = {
    "hostname": {"type": "str", "required": True, "fallback": (env_fallback, ["VMWARE_HOST"])},
    "username": {"type": "str", "required": True, "fallback": (env_fallback, ["VMWARE_USER"])},
    "password": {"type": "str", "required": True, "no_log": True, "fallback": (env_fallback, ["VMWARE_PASSWORD"])},
    "port": {"type": "int", "default": 443, "fallback": (env_fallback, ["VMWARE_PORT"])},
    "validate_certs": {"type": "bool", "default": True, "fallback": (env_fallback, ["VMWARE_VALIDATE_CERTS"])},
    "ca_path": {"type": "path"},
    "proxy_host": {"type": "str", "fallback": (env_fallback, ["VMWARE_PROXY_HOST"])},
    "proxy_port": {"type": "int", "fallback": (env_fallback, ["VMWARE_PROXY_PORT"])},
}
"""Connection options; documented by the ``connection`` doc fragment (keep both in step)."""

# Transport failures that mean "the connection broke", not "the request was wrong".
_DROPPED = (http.client.RemoteDisconnected, ConnectionResetError, ConnectionAbortedError, BrokenPipeError)


@dataclass(frozen=True)
class Session:
    """A logged-in connection: the ServiceInstance, its content and what it talks to."""

    si: Any
    content: Any
    endpoint: str  # host:port, for messages
    parallel: int = 1  # how many hosts the per-host reads and writes serve at once (``parallel_hosts``)

    @property
    def is_vcenter(self) -> bool:
        return bool(self.content.about.apiType == "VirtualCenter")


def ssl_context(validate_certs: bool, ca_path: str | None) -> ssl.SSLContext:
    """Verify by default (system trust store, or ``ca_path``); ``validate_certs: false`` disables it."""
    if not validate_certs:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        return ctx
    try:
        return ssl.create_default_context(cafile=ca_path or None)
    except (OSError, ssl.SSLError) as err:
        raise ArgumentError("ca_path", "cannot load CA bundle %r: %s" % (ca_path, err)) from err


def connect(params: Mapping[str, Any]) -> Session:
    """Negotiate the API version, read the ServiceContent once and log in: one
    ``RetrieveServiceContent`` and one ``Login`` per run. Every failure is a ConnectionFailure."""
    host, port = params["hostname"], int(params.get("port") or 443)
    endpoint = "%s:%d" % (host, port)
    ctx = ssl_context(bool(params.get("validate_certs", True)), params.get("ca_path"))
    kwargs: dict[str, Any] = {}
    if params.get("proxy_host"):
        kwargs.update(httpProxyHost=params["proxy_host"], httpProxyPort=int(params.get("proxy_port") or 80))
    parallel = max(1, int(params.get("parallel_hosts") or 1))
    try:
        # the stub keeps one idle connection per host served at once, and one for the run's own calls
        stub = SmartStubAdapter(host=host, port=port, sslContext=ctx, poolSize=parallel + 1, **kwargs)
        fast_answers(stub)
        si = vim.ServiceInstance("ServiceInstance", stub)
        content = si.RetrieveContent()
        if content.sessionManager is None:  # an ESXi/vCenter always has one; anything else is not a VIM server
            raise ConnectionFailure("Cannot log in to %s: it offers no session manager" % endpoint, endpoint=endpoint)
        content.sessionManager.Login(params["username"], params["password"], None)
    except vim.fault.InvalidLogin as fault:
        raise ConnectionFailure("Cannot log in to %s as %r: incorrect user name or password (InvalidLogin)"
                                % (endpoint, params["username"]), endpoint=endpoint) from fault
    except vmodl.MethodFault as fault:
        raise ConnectionFailure("Login to %s failed: %s" % (endpoint, fault_text(fault)), endpoint=endpoint) from fault
    except ssl.SSLCertVerificationError as err:
        raise ConnectionFailure(
            "The TLS certificate of %s is not trusted (%s). Set ca_path to the CA bundle that signed it, "
            "or validate_certs: false to skip verification (not recommended)" % (endpoint, getattr(err, "verify_message", None) or err),
            endpoint=endpoint) from err
    except ssl.SSLError as err:
        raise ConnectionFailure("TLS handshake with %s failed: %s" % (endpoint, err), endpoint=endpoint) from err
    except socket.gaierror as err:
        raise ConnectionFailure("Cannot resolve %s: %s" % (host, err.strerror or err), endpoint=endpoint) from err
    except (OSError, http.client.HTTPException) as err:
        raise ConnectionFailure("Cannot reach %s: %s" % (endpoint, _os_text(err)), endpoint=endpoint) from err
    except Exception as err:  # pylint: disable=broad-exception-caught
        if type(err) is not Exception:  # pylint: disable=unidiomatic-typecheck
            raise  # a real bug keeps its type and traceback
        # pyVim's version negotiation raises a bare Exception ("... is down or is not a VIM server")
        raise ConnectionFailure("Cannot reach %s: %s" % (endpoint, err), endpoint=endpoint) from err
    return Session(si=si, content=content, endpoint=endpoint, parallel=parallel)


def _os_text(err: Exception) -> str:
    if isinstance(err, OSError) and err.strerror:
        return err.strerror
    return str(err) or type(err).__name__


def disconnect(s: Session) -> None:
    """Log out (with the ServiceContent read at login) and close the connections. Never raises."""
    try:
        s.content.sessionManager.Logout()
    except (vmodl.MethodFault, OSError, http.client.HTTPException):
        pass  # the session ends with the connection anyway; a failed logout must not hide the run's result
    try:
        s.si._stub.DropConnections()
    except (OSError, AttributeError):
        pass


@contextmanager
def session(params: Mapping[str, Any]) -> Iterator[Session]:
    """One login for the whole run, logged out in ``finally``."""
    s = connect(params)
    try:
        yield s
    finally:
        disconnect(s)


def fault_text(fault: Any) -> str:
    """``<message> (<FaultType>[: invalid property])`` for a vmodl.MethodFault."""
    name = getattr(fault, "_wsdlName", type(fault).__name__)
    message = getattr(fault, "msg", None) or ""
    if not message:
        message = "; ".join(m.message for m in (getattr(fault, "faultMessage", None) or []) if m.message)
    prop = getattr(fault, "invalidProperty", None)
    detail = "%s: %s" % (name, prop) if prop else name
    return "%s (%s)" % (message, detail) if message else detail


def guarded(where: str, call: str, fn: Callable[..., T], *args: Any,
            error: type[FabricError] = ApplyError, **kwargs: Any) -> T:
    """Run one API call; a fault becomes ``error`` (ApplyError) naming ``where``, the call and the fault.

    A dropped connection becomes a TransientError (safe to retry only for reads).
    """
    try:
        return fn(*args, **kwargs)
    except vmodl.MethodFault as fault:
        raise error("%s: %s failed: %s" % (where, call, fault_text(fault)),
                    host=where, call=call, fault=getattr(fault, "_wsdlName", type(fault).__name__)) from fault
    except _DROPPED as err:
        raise TransientError("%s: %s: connection dropped (%s)" % (where, call, _os_text(err)), host=where, call=call) from err
    except (OSError, http.client.HTTPException) as err:
        raise ConnectionFailure("%s: %s: %s" % (where, call, _os_text(err)), host=where, call=call) from err


# ---------------------------------------------------------------------------------------
# Faster answers
# ---------------------------------------------------------------------------------------
#
# pyVmomi turns an answer into objects with a SAX handler that, for every XML element, splits the tag,
# looks the field up through the class hierarchy, widens the type to the API version, walks a chain
# of issubclass tests, builds data objects through their generic constructor and type-checks every
# assignment. The read of 32 hosts is ~86,000 elements (~2.7 MB): that handler was most of a no-op
# run's time. _FastDeserializer is the same handler with those per-(class, tag) decisions computed
# once and cached; every element it does not recognise as plain (attributes such as xsi:type or a
# managed object reference, faults, dates, binary, type and method names, the top level) goes to
# pyVmomi's own code. Its objects serialize to the same XML as pyVmomi's (tested).

_MARK = "_vmkfabric_fast_answers"
_BOOLEAN = {"0": False, "false": False, "1": True, "true": True}


def fast_answers(stub: Any) -> None:
    """Deserialize the answers to ``stub`` with ``_FastDeserializer``; other stubs keep pyVmomi's."""
    setattr(stub, _MARK, True)
    current = SoapAdapter.SoapDeserializer
    if getattr(current, _MARK, False):
        return
    setattr(SoapAdapter, "SoapDeserializer", _dispatching(current))  # noqa: B010 - pyVmomi's module attribute


def _dispatching(base: Any) -> Any:
    """``SoapAdapter.SoapDeserializer`` (called as ``SoapDeserializer(stub)`` only) that builds a
    _FastDeserializer for a marked stub and pyVmomi's ``base`` for any other."""
    fast = _fast_deserializer(base)

    def build(stub: Any = None, version: Any = None) -> Any:
        return (fast if getattr(stub, _MARK, False) else base)(stub, version)
    setattr(build, _MARK, True)
    return build


def _fast_deserializer(base: Any) -> Any:
    DataObject, ManagedObject = VmomiSupport.DataObject, VmomiSupport.ManagedObject
    plans: dict[Any, dict[type, dict[str, Any]]] = {}  # API version -> parent class -> tag -> plan
    slow = (type, VmomiSupport.ManagedMethod, VmomiSupport.binary, VmomiSupport.datetime)

    def factory(cls: Any) -> Callable[[], Any]:
        """``cls()`` for a data object: its default fields copied from one instance built once."""
        if issubclass(cls, list) or cls.__init__ is not DataObject.__init__:
            return cast(Callable[[], Any], cls)
        template = cls().__dict__
        lists = tuple((k, type(v)) for k, v in template.items() if isinstance(v, list))
        static = {k: v for k, v in template.items() if not isinstance(v, list)}
        new = object.__new__

        def make() -> Any:
            obj = new(cls)
            fields = obj.__dict__
            fields.update(static)
            for name, kind in lists:
                fields[name] = kind()
            return obj
        return make

    def converter(cls: Any) -> Callable[[str], Any] | None:
        """Text -> value as pyVmomi's EndElementHandler converts it; None: left to pyVmomi."""
        if cls is str:
            return str
        if cls is bool:
            return lambda text: _BOOLEAN[text.lower()]
        if cls in slow or issubclass(cls, ManagedObject):
            return None
        if issubclass(cls, VmomiSupport.Enum):
            return lambda text: getattr(cls, text)
        return cast(Callable[[str], Any], cls)

    class _FastDeserializer(base):
        """pyVmomi's SoapDeserializer; a plain element (no attributes, inside a data object or an
        array, not a fault) takes a cached plan: (make the value, convert its text, field, array field)."""

        def Deserialize(self, *args: Any, **kwargs: Any) -> Any:
            self._plans = plans.setdefault(self.version, {})
            self._fast: list[Any] = []
            return base.Deserialize(self, *args, **kwargs)

        def StartElementHandler(self, tag: str, attr: Any) -> None:
            stack = self.stack
            if not attr and stack:
                top = stack[-1]
                by_tag = self._plans.get(type(top))
                if by_tag is None:
                    by_tag = self._plans[type(top)] = {}
                plan = by_tag.get(tag, False)
                if plan is False:
                    plan = by_tag[tag] = self._plan(top, tag)
                if plan is not None:
                    self.data = ""
                    stack.append(plan[0]())
                    self._fast.append(plan)
                    return
            base.StartElementHandler(self, tag, attr)
            self._fast.append(None)

        def _plan(self, top: Any, tag: str) -> Any:
            name, is_list = None, False
            kind: Any
            if isinstance(top, list):
                kind = cast(Any, top).Item
            elif isinstance(top, DataObject) and not isinstance(top, Exception):
                try:
                    info = top._GetPropertyInfo(self.SplitTag(tag)[1])
                except AttributeError:
                    return None  # pyVmomi raises it
                kind, name, is_list = info.type, info.name, issubclass(info.type, list)
            else:
                return None
            if issubclass(kind, list):
                kind = kind.Item
            if self.version:
                kind = VmomiSupport.GetCompatibleType(kind, self.version)
            if issubclass(kind, (ManagedObject, Exception)):
                return None
            if issubclass(kind, (DataObject, list)):
                return (factory(kind), None, name, is_list)
            convert = converter(kind)
            return None if convert is None else ((lambda: kind), convert, name, is_list)

        def EndElementHandler(self, tag: str) -> None:
            plan = self._fast.pop() if self._fast else None
            if plan is None:
                base.EndElementHandler(self, tag)
                return
            stack = self.stack
            if plan[1] is None:
                value = stack.pop()
            else:
                try:
                    value = plan[1](self.data)
                except (KeyError, AttributeError, ValueError, TypeError):
                    base.EndElementHandler(self, tag)  # raises as pyVmomi does
                    return
                stack.pop()
            top = stack[-1]
            if plan[2] is None:
                top.append(value)
            elif plan[3] and not isinstance(value, list):
                getattr(top, plan[2]).append(value)
            else:
                object.__setattr__(top, plan[2], value)  # the type is the field's own: no check needed

    return _FastDeserializer
