"""The Simulator: object registry, sessions, dispatch with declared-fault enforcement, stats,
fault injection and --state persistence. One RLock serialises every SOAP call.

This module imports no managed-object module: they import it (``sim: Simulator``) and register
their objects, and their ``--state`` sections, with it."""

from __future__ import annotations

import json
import os
import secrets
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from pyVmomi import SoapAdapter, VmomiSupport, vim, vmodl

from .soap import MethodInfo, check_params, method_info

if TYPE_CHECKING:  # types only: these modules import this one
    from .base import MO
    from .host_model import HostModel

NEWEST = VmomiSupport.versionMap["vim25/8.0.3.0"]
_M = TypeVar("_M", bound="MO")
_V = TypeVar("_V")

UNAUTHENTICATED = frozenset({"RetrieveServiceContent", "Login", "CurrentTime"})
READS = ("Retrieve", "ContinueRetrieve", "Fetch", "Query", "WaitForUpdates", "CheckForUpdates")
"""Methods whose names start with these only read the state: only they are served from the memo."""
STATE_FORMAT = "vsphere_sim-state-1"
HOSTS = "hosts"  # the section saved at the top level of the file; the others go under "sections"
# --state sections: key -> (dump(sim) -> JSON-able, load(sim, data))
_STATE_SECTIONS: dict[str, tuple[Callable[[Simulator], Any], Callable[[Simulator, Any], None]]] = {}


def register_state_section(key: str, dump: Callable[[Simulator], Any], load: Callable[[Simulator, Any], None]) -> None:
    _STATE_SECTIONS[key] = (dump, load)


class DropConnection(Exception):
    """Fault injection asked to close the connection without answering."""


class ControlError(ValueError):
    """A bad /_sim control request (answered with HTTP 400)."""


def declared(info: MethodInfo, fault: vmodl.MethodFault) -> bool:
    """True when ``fault`` may come from this method: declared in pyVmomi's type info, or a
    vmodl.RuntimeFault (which any method may raise). Fetch may also raise InvalidProperty."""
    if isinstance(fault, vmodl.RuntimeFault):
        return True
    if info.wsdl_name == "Fetch" and isinstance(fault, vmodl.query.InvalidProperty):
        return True
    return any(isinstance(fault, VmomiSupport.GetVmodlType(name)) for name in info.faults)


class CallContext:
    """Per-request view of the caller's session."""

    def __init__(self, sim: Simulator, session_key: str | None, version: Any = None) -> None:
        self.sim, self.session_key = sim, session_key or ""
        self.version = version or NEWEST
        self.new_cookie: str | None = None

    @property
    def authenticated(self) -> bool:
        return self.session_key in self.sim.sessions

    def new_session(self, user: str) -> str:
        key = secrets.token_hex(20)
        self.sim.sessions[key] = user
        self.session_key = self.new_cookie = key
        return key

    def end_session(self) -> None:
        self.sim.sessions.pop(self.session_key, None)


class Memo:
    """Values computed from the state in one state generation (``Simulator.generation``), and the
    XML their serialisation gave (``soap.serialize_response``). A change starts a new Memo, so a
    value is never served across a write; the Memo keeps every value alive, so ``id`` identifies it."""

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.values: dict[tuple[Any, ...], Any] = {}
        self.ids: set[int] = set()  # id() of every data object and array in ``values``
        self.xml: dict[tuple[Any, ...], str] = {}


class Simulator:
    def __init__(self, credentials: tuple, state_file: str | None = None, latency_ms: int = 0) -> None:
        self.lock = threading.RLock()
        self.credentials = credentials
        self.state_file, self.latency_ms = state_file, latency_ms
        self.objects: dict[str, MO] = {}
        self._by_type: dict[Any, dict[str, MO]] = {}  # PYTYPE -> moid -> object, in registration order
        self.sessions: dict[str, str] = {}
        self.calls: Counter = Counter()
        self.writes = 0
        self.faults: list[dict[str, Any]] = []
        self.hosts: dict[str, HostModel] = {}
        self.storage_arrays: list[dict[str, Any]] = []  # {"name", "portals": [(address, port)], "targets": [iqn]}
        self.vcenter = True
        self._ids: Counter = Counter()
        self._dirty = False
        self.last_request = time.monotonic()
        self.root: Any = None
        self.pc: Any = None
        self.view_manager: Any = None
        self.session_manager: Any = None
        self.service_instance: Any = None
        # WaitForUpdates(Ex): ``generation`` counts changes; a waiter sleeps on ``updated`` (which
        # releases the lock) until it moves, for at most ``max_wait`` seconds (the server's idle limit)
        self.generation = 0
        self.updated = threading.Condition(self.lock)
        self.max_wait = 300
        self.current_session = ""  # the caller of the call being served (properties that differ per session)
        self.content_extras: dict[str, MO] = {}  # further ServiceContent managers: property name -> object
        self.derived: dict[Any, Any] = {}  # objects that follow the hosts (standard networks, LUN datastores), by key
        self._memo = Memo(0)
        self._memo_on = False  # True only while a method that reads (READS) is served

    # -- registry -----------------------------------------------------------------------
    def next_id(self, prefix: str) -> str:
        self._ids[prefix] += 1
        return "%s-%d" % (prefix, self._ids[prefix])

    def bump_id(self, prefix: str, used: int) -> None:
        """Make next_id(prefix) skip past ``used`` (after restoring saved objects)."""
        self._ids[prefix] = max(self._ids[prefix], used)

    def register(self, mo: _M) -> _M:
        replaced = self.objects.get(mo.moid)
        if replaced is not None:
            self._by_type[replaced.PYTYPE].pop(mo.moid, None)
        self.objects[mo.moid] = mo
        self._by_type.setdefault(mo.PYTYPE, {})[mo.moid] = mo
        return mo

    def unregister(self, mo: MO) -> None:
        gone = self.objects.pop(mo.moid, None)
        if gone is not None:
            del self._by_type[gone.PYTYPE][mo.moid]

    def of_type(self, kind: Any) -> list[MO]:
        """The registered objects of pyVmomi type ``kind`` or a subtype, in registration order per type."""
        return [mo for pytype, found in self._by_type.items() if issubclass(pytype, kind) for mo in found.values()]

    def find(self, ref: Any) -> MO | None:
        mo = self.objects.get(getattr(ref, "_moId", None))
        if mo is None or not issubclass(mo.PYTYPE, type(ref)) and not issubclass(type(ref), mo.PYTYPE):
            return None
        return mo

    def lookup(self, ref: Any) -> MO:
        mo = self.find(ref)
        if mo is None:
            text = "The object '%s' has already been deleted or has not been completely created" % getattr(ref, "_moId", ref)
            raise vmodl.fault.ManagedObjectNotFound(obj=ref, msg=text)
        return mo

    def descendants(self, container: MO, recursive: bool) -> list[MO]:
        """Inventory objects below ``container`` (folders, datacenters, clusters, hosts)."""
        out: list[MO] = []
        for child in container.inventory_children():
            out.append(child)
            if recursive:
                out.extend(self.descendants(child, True))
        return out

    def about(self, version: str = "8.0.3") -> Any:
        vc = self.vcenter and version == "8.0.3"
        return vim.AboutInfo(name="VMware vCenter Server" if vc else "VMware ESXi", fullName="vsphere_sim %s" % version,
                             vendor="VMware, Inc.", version=version, build="24022515", osType="linux-x64" if vc else "vmnix-x86",
                             productLineId="vpx" if vc else "embeddedEsx", apiType="VirtualCenter" if vc else "HostAgent",
                             apiVersion="8.0.3.0", instanceUuid="00000000-0000-0000-0000-000000000001", licenseProductName="VMware VirtualCenter Server")

    def changed(self) -> None:
        self._dirty = True
        self.generation += 1

    # -- memo of computed values ----------------------------------------------------------
    def memo(self, key: tuple[Any, ...], build: Callable[[], _V]) -> _V:
        """``build()``, computed once per state generation while a reading method is served
        (any other method, or code outside a call, always builds: it may be half-way through a
        change). Callers must not modify what they get: it is shared until the next change."""
        if not self._memo_on:
            return build()
        memo = self._memo
        if memo.generation != self.generation:
            memo = self._memo = Memo(self.generation)
        try:
            return memo.values[key]
        except KeyError:
            pass
        value = memo.values[key] = build()
        if isinstance(value, (VmomiSupport.DataObject, list)):
            memo.ids.add(id(value))
        return value

    def current_memo(self) -> Memo:
        """The memo of the current generation (what a response may reuse serialised XML from)."""
        return self._memo

    # -- property paths -----------------------------------------------------------------
    def read_path(self, mo: MO, path: str) -> Any:
        """``config.network`` style paths; lists come back as their declared array type. Only what
        the path names is built (``MO.part``), once per state generation when the object's
        properties follow the saved state (``MO.STATE_PROPS``)."""
        if mo.STATE_PROPS:
            return self.memo(("path", mo.moid, path), lambda: self._read_path(mo, path))
        return self._read_path(mo, path)

    def _read_path(self, mo: MO, path: str) -> Any:
        first, *rest = path.split(".")
        owner_type: Any = type(mo.ref)
        decl = VmomiSupport.GetPropertyInfo(owner_type, first).type if _has_prop(owner_type, first) else None
        part = mo.part(first, rest[0]) if rest else None  # a member built alone (HostSystem.config.network)
        if part is not None:
            decl = VmomiSupport.GetPropertyInfo(decl, rest[0]).type
            value, rest = part, rest[1:]
        else:
            value = mo.cached_prop(first)
        for name in rest:
            if value is None:
                return None
            if not isinstance(value, VmomiSupport.DataObject) or not _has_prop(type(value), name):
                raise vmodl.query.InvalidProperty(name=path)
            decl = VmomiSupport.GetPropertyInfo(type(value), name).type
            value = getattr(value, name)
        if type(value) is list and decl is not None:  # pylint: disable=unidiomatic-typecheck
            value = decl(value)
        return value

    # -- dispatch -----------------------------------------------------------------------
    def dispatch(self, ctx: CallContext, info: MethodInfo, this: Any, params: dict[str, Any]) -> Any:
        self.last_request = time.monotonic()
        injected = self._injection(info.wsdl_name, this)
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000.0)
        if injected.get("latency_ms"):
            time.sleep(injected["latency_ms"] / 1000.0)
        with self.lock:
            generation = self.generation
            self._memo_on = False  # a waiting WaitForUpdates left it on; a test mutation below must not use the memo
            self.calls[info.wsdl_name] += 1
            if injected.get("action") == "drop":
                raise DropConnection()
            if injected.get("action") == "mutate":
                self._mutate(injected["mutate"])
            if injected.get("fault") is not None:
                raise injected["fault"]
            if info.wsdl_name not in UNAUTHENTICATED and not ctx.authenticated:
                raise vim.fault.NotAuthenticated(object=this, privilegeId="System.View")
            self.current_session = ctx.session_key
            try:
                result = self._invoke(ctx, info, this, params)
            except vmodl.MethodFault as fault:
                if not declared(info, fault):
                    print("vsphere_sim bug: %s raised undeclared %s" % (info.wsdl_name, fault._wsdlName), file=sys.stderr)
                    raise vmodl.fault.SystemError(reason="simulator raised an undeclared fault %s" % fault._wsdlName) from None
                raise
            finally:
                self._persist_if_dirty()
                if self.generation != generation:
                    self.updated.notify_all()
            return result

    def _invoke(self, ctx: CallContext, info: MethodInfo, this: Any, params: dict[str, Any]) -> Any:
        self._memo_on = info.wsdl_name.startswith(READS)
        try:
            return self._invoke_method(ctx, info, this, params)
        finally:
            self._memo_on = False

    def _invoke_method(self, ctx: CallContext, info: MethodInfo, this: Any, params: dict[str, Any]) -> Any:
        mo = self.lookup(this)
        method = getattr(mo, "m_" + info.wsdl_name, None)
        if method is None and info.wsdl_name != "Fetch":
            raise vmodl.fault.MethodNotFound(receiver=this, method=info.wsdl_name)
        check_params(info, params, ctx.version)
        if info.wsdl_name == "Fetch":
            value = mo.cached_prop(params["prop"])
            if type(value) is list:  # pylint: disable=unidiomatic-typecheck
                value = VmomiSupport.GetPropertyInfo(type(mo.ref), params["prop"]).type(value)
            return value
        before = self._dirty
        self._dirty = False
        try:
            result = method(ctx, **params)
        except BaseException:
            self._dirty = before
            raise
        if info.wsdl_name in mo.WRITES and self._dirty:
            self.writes += 1
        self._dirty = self._dirty or before
        return result

    def _persist_if_dirty(self) -> None:
        if self._dirty and self.state_file:
            self.save(self.state_file)
        self._dirty = False

    # -- stats & faults -----------------------------------------------------------------
    def stats(self) -> dict[str, Any]:
        with self.lock:
            return {"calls": dict(self.calls), "writes": self.writes, "total": sum(self.calls.values())}

    def reset_stats(self) -> None:
        with self.lock:
            self.calls.clear()
            self.writes = 0

    def arm(self, spec: dict[str, Any]) -> None:
        """Validate and arm one fault-injection entry (ControlError on bad input)."""
        method = spec.get("method")
        if not isinstance(method, str):
            raise ControlError("'method' (a WSDL method name) is required")
        try:
            info = method_info(method)
        except KeyError:
            raise ControlError("unknown method %r" % method) from None
        entry: dict[str, Any] = {"method": method, "seen": 0}
        if "host" in spec and spec.get("action") != "mutate":
            if spec["host"] not in self.hosts:
                raise ControlError("'host' must name a host of the inventory")
            entry["on_host"] = spec["host"]  # only that host's calls count (hosts written in parallel)
        if "latency_ms" in spec:
            if not isinstance(spec["latency_ms"], int) or spec["latency_ms"] < 0:
                raise ControlError("'latency_ms' must be a non-negative integer")
            entry["latency_ms"] = spec["latency_ms"]
        else:
            nth = spec.get("nth", 1)
            if not isinstance(nth, int) or nth < 1:
                raise ControlError("'nth' must be a positive integer")
            entry["nth"] = nth
            if spec.get("action") == "drop":
                entry["action"] = "drop"
            elif spec.get("action") == "mutate":
                entry["action"], entry["mutate"] = "mutate", self._mutation(spec)
            elif "fault" in spec:
                entry["fault"] = self._fault(info, spec["fault"], spec.get("message"))
            else:
                raise ControlError("give 'fault', 'action': 'drop', 'action': 'mutate' or 'latency_ms'")
        with self.lock:
            self.faults.append(entry)

    def _fault(self, info: MethodInfo, name: Any, message: Any) -> vmodl.MethodFault:
        fault_type = None
        for ns in ("vim.fault.", "vmodl.fault.", "vim.", ""):
            try:
                fault_type = VmomiSupport.GetVmodlType(ns + str(name)) if ns else VmomiSupport.GetWsdlType("urn:vim25", str(name))
                break
            except (AttributeError, KeyError):
                continue
        if fault_type is None or not issubclass(fault_type, vmodl.MethodFault):
            raise ControlError("unknown fault %r" % name)
        fault = fault_type(msg=message if isinstance(message, str) else None)
        if not declared(info, fault):
            raise ControlError("%s is not declared for %s (declared: %s; any vmodl.RuntimeFault is allowed)"
                               % (name, info.wsdl_name, ", ".join(info.faults) or "none"))
        return fault

    def _mutation(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Test-only: another client's change, made just before the armed call is served (so a
        test can change the host between a module's read and its first write, deterministically).
        ``{"host": H, "portgroup": P, "vlan": N}`` sets a port group's VLAN;
        ``{"host": H, "bind": vmk, "adapter": vmhbaN}`` binds a vmk (ESXi's checks apply)."""
        host = spec.get("host")
        if host not in self.hosts:
            raise ControlError("'host' must name a host of the inventory")
        if "portgroup" in spec:
            if spec["portgroup"] not in self.hosts[host].portgroups or not isinstance(spec.get("vlan"), int):
                raise ControlError("'portgroup' must name a port group of %s and 'vlan' be an integer" % host)
            return {"host": host, "portgroup": spec["portgroup"], "vlan": spec["vlan"]}
        if "bind" in spec:
            if not isinstance(spec.get("adapter"), str):
                raise ControlError("'bind' needs 'adapter'")
            return {"host": host, "bind": str(spec["bind"]), "adapter": spec["adapter"]}
        raise ControlError("a mutation gives 'portgroup' + 'vlan' or 'bind' + 'adapter'")

    def _mutate(self, change: dict[str, Any]) -> None:
        """Apply a mutation (not counted in the stats: it stands for another client's call)."""
        host = self.hosts[change["host"]]
        if "portgroup" in change:
            host.portgroups[change["portgroup"]].vlanId = change["vlan"]
        else:
            host.iscsi.m_BindVnic(None, change["adapter"], change["bind"])
        self.changed()

    def disarm(self) -> None:
        with self.lock:
            self.faults.clear()

    def _injection(self, method: str, this: Any) -> dict[str, Any]:
        with self.lock:
            for entry in self.faults:
                if entry["method"] != method:
                    continue
                if "on_host" in entry and self._host_of(this) != entry["on_host"]:
                    continue
                if "latency_ms" in entry:
                    return {"latency_ms": entry["latency_ms"]}
                entry["seen"] += 1
                if entry["seen"] == entry["nth"]:
                    return {k: v for k, v in entry.items() if k in ("action", "fault", "mutate")}
        return {}

    def _host_of(self, this: Any) -> str | None:
        """The name of the host whose manager (or HostSystem) ``this`` is, else None."""
        mo = self.objects.get(getattr(this, "_moId", None))
        host = getattr(mo, "host", None)
        return getattr(host, "name", None) if host is not None else getattr(mo, "name", None)

    # -- persistence ----------------------------------------------------------------------
    def save(self, path: str) -> None:
        sections = {key: dump(self) for key, (dump, _load) in _STATE_SECTIONS.items()}
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"format": STATE_FORMAT, HOSTS: sections.pop(HOSTS, {}), "sections": sections}, fh, indent=1, sort_keys=True)
        os.replace(tmp, path)

    def load(self, path: str) -> None:
        """The hosts first, then the other sections."""
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
        for key, saved in [(HOSTS, data.get(HOSTS, {}))] + list(data.get("sections", {}).items()):
            if key in _STATE_SECTIONS:
                _STATE_SECTIONS[key][1](self, saved)


def _has_prop(cls: Any, name: str) -> bool:
    try:
        VmomiSupport.GetPropertyInfo(cls, name)
        return True
    except AttributeError:
        return False


def to_xml(obj: Any) -> str:
    """pyVmomi XML at the newest API version (the default version would drop newer fields such as
    HostVirtualNicSpec.mtu and distributedVirtualPort)."""
    text = SoapAdapter.Serialize(obj, version=VmomiSupport.versionMap["vim25/8.0.3.0"])
    return text.decode("utf-8") if isinstance(text, bytes) else text


def from_xml(text: str, cls: Any) -> Any:
    return SoapAdapter.Deserialize(text, cls)
