"""Managed objects of the simulator: the service layer (sessions, PropertyCollector, views,
inventory folders, tasks) and the host layer (HostSystem, HostNetworkSystem,
HostVirtualNicManager).

A managed object class declares ``WSDL`` (wire type name), ``PYTYPE`` (pyVmomi type),
properties as ``p_<name>(self)`` methods returning pyVmomi values, methods as
``m_<WsdlName>(self, ctx, **params)`` and the set ``WRITES`` of methods that change state.
Host networking truth lives in ``HostModel`` as plain dicts of pyVmomi specs; the
``NetworkInfo`` a client reads is rebuilt from it on every read (computedPolicy included).
Behaviour the references only infer is marked [INF].
"""

from __future__ import annotations

import copy
import hashlib
import datetime
import ipaddress
import itertools
import time
from typing import Any, Callable, Dict, List, Optional, Set, Tuple

from pyVmomi import VmomiSupport, vim, vmodl

PC = vmodl.query.PropertyCollector
NIC_TYPES_80 = ("vmotion", "faultToleranceLogging", "vSphereReplication", "vSphereReplicationNFC", "management", "vsan",
                "vSphereProvisioning", "vsanWitness", "vSphereBackupNFC", "nvmeTcp", "nvmeRdma", "ptp")
NETSTACKS = ("defaultTcpipStack", "vmotion", "vSphereProvisioning")
DEDICATED = {"vmotion": "vmotion", "vSphereProvisioning": "vSphereProvisioning"}
NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def invalid(prop: str, msg: str = "") -> vmodl.fault.InvalidArgument:
    return vmodl.fault.InvalidArgument(invalidProperty=prop, msg=msg or None)


class MO:
    """Base managed object."""

    WSDL = "ManagedObject"
    PYTYPE: Any = None
    WRITES: frozenset = frozenset()

    def __init__(self, sim: Any, moid: str) -> None:
        self.sim = sim
        self.moid = moid

    @property
    def ref(self) -> Any:
        return self.PYTYPE(self.moid)

    def prop(self, name: str) -> Any:
        getter = getattr(self, "p_" + name, None)
        if getter is None:
            raise vmodl.query.InvalidProperty(name=name)
        return getter()

    def part(self, name: str, member: str) -> Any:
        """``name.member`` built without the rest of ``name`` (None: build ``name`` whole)."""
        return None

    def has_prop(self, name: str) -> bool:
        return hasattr(self, "p_" + name)

    def prop_names(self) -> List[str]:
        return [n[2:] for n in dir(self) if n.startswith("p_")]


# ---------------------------------------------------------------------------------------
# Service layer
# ---------------------------------------------------------------------------------------


class ServiceInstance(MO):
    WSDL, PYTYPE = "ServiceInstance", vim.ServiceInstance

    def content(self) -> Any:
        sim = self.sim
        about = sim.about()
        extra = {name: mo.ref for name, mo in sim.content_extras.items()}
        return vim.ServiceInstanceContent(
            rootFolder=sim.root.ref, propertyCollector=sim.pc.ref, viewManager=sim.view_manager.ref,
            sessionManager=sim.session_manager.ref, about=about, taskManager=None, **extra)

    def p_content(self) -> Any:
        return self.content()

    def m_RetrieveServiceContent(self, ctx: Any) -> Any:
        return self.content()

    def m_CurrentTime(self, ctx: Any) -> Any:
        return datetime.datetime.now(datetime.timezone.utc)


class SessionManager(MO):
    WSDL, PYTYPE = "SessionManager", vim.SessionManager

    def __init__(self, sim: Any, moid: str) -> None:
        super().__init__(sim, moid)
        self.user_sessions: Dict[str, Any] = {}

    def m_Login(self, ctx: Any, userName: str, password: str, locale: Optional[str] = None) -> Any:
        if (userName, password) != self.sim.credentials:
            raise vim.fault.InvalidLogin()
        key = ctx.new_session(userName)
        now = datetime.datetime.now(datetime.timezone.utc)
        session = vim.UserSession(key=key, userName=userName, fullName=userName, loginTime=now, lastActiveTime=now,
                                  locale=locale or "en", messageLocale=locale or "en", extensionSession=False,
                                  ipAddress="127.0.0.1", userAgent="pyVmomi", callCount=0)
        self.user_sessions[key] = session
        return session

    def m_Logout(self, ctx: Any) -> None:
        self.user_sessions.pop(ctx.session_key, None)
        ctx.end_session()

    def m_SessionIsActive(self, ctx: Any, sessionID: str, userName: str) -> bool:
        session = self.user_sessions.get(sessionID)
        return session is not None and session.userName == userName and sessionID in self.sim.sessions

    def p_currentSession(self) -> Any:
        """The caller's own session (the property differs per session, as on a real server)."""
        return self.user_sessions.get(self.sim.current_session)

    def p_sessionList(self) -> Any:
        return [s for k, s in self.user_sessions.items() if k in self.sim.sessions]

    def p_defaultLocale(self) -> str:
        return "en"

    def p_supportedLocaleList(self) -> Any:
        return ["en"]


class Folder(MO):
    WSDL, PYTYPE = "Folder", vim.Folder
    WRITES = frozenset({"CreateDVS_Task"})

    def __init__(self, sim: Any, moid: str, name: str, parent: Optional[MO] = None) -> None:
        super().__init__(sim, moid)
        self.name, self.parent, self.children = name, parent, []  # type: Tuple[str, Optional[MO], List[MO]]

    def p_name(self) -> str:
        return self.name

    def p_parent(self) -> Any:
        return self.parent.ref if self.parent else None

    def entities(self) -> List[MO]:
        """The children, and what the hosts bring: a datacenter's standard networks (networks.py) and
        datastores (host_services.py)."""
        return list(self.children) + [n for fn in _FOLDER_EXTRAS for n in fn(self)]

    def p_childEntity(self) -> Any:
        return vim.ManagedEntity.Array([c.ref for c in self.entities()])

    def p_overallStatus(self) -> str:
        return "green"

    def m_CreateDVS_Task(self, ctx: Any, spec: Any) -> Any:
        if not _DVS_CREATOR:
            raise vmodl.fault.NotSupported(msg="distributed switches need a vCenter inventory")
        return _DVS_CREATOR[0](self, spec)


class Datacenter(MO):
    WSDL, PYTYPE = "Datacenter", vim.Datacenter

    def __init__(self, sim: Any, moid: str, name: str, parent: MO, host_folder: Folder, network_folder: Optional[Folder] = None) -> None:
        super().__init__(sim, moid)
        self.name, self.parent, self.host_folder, self.network_folder = name, parent, host_folder, network_folder
        self.datastore_folder: Optional[Folder] = None  # made with the first host's datastore

    def p_name(self) -> str:
        return self.name

    def p_parent(self) -> Any:
        return self.parent.ref

    def p_hostFolder(self) -> Any:
        return self.host_folder.ref

    def p_networkFolder(self) -> Any:
        return self.network_folder.ref if self.network_folder else None

    def p_network(self) -> Any:
        """The datacenter's networks: every vim.Network in its network folder (standard port groups and dvPortgroups)."""
        return _of_kind(self.network_folder, vim.Network)

    def p_configStatus(self) -> str:
        return "green"

    def p_overallStatus(self) -> str:
        return "green"

    def p_datastore(self) -> Any:
        return _of_kind(self.datastore_folder, vim.Datastore)

    def p_datastoreFolder(self) -> Any:
        return self.datastore_folder.ref if self.datastore_folder else None


def _of_kind(folder: Optional[Folder], kind: Any) -> Any:
    """The ``kind`` objects in ``folder`` (none without the folder), as a ``kind`` array."""
    return kind.Array([c.ref for c in (folder.entities() if folder else []) if issubclass(c.PYTYPE, kind)])


def _unique(refs: Any, array: Any) -> Any:
    """``refs`` without repeats, in first-seen order, as ``array``."""
    seen: Dict[str, Any] = {}
    for ref in refs:
        seen.setdefault(ref._moId, ref)
    return array(list(seen.values()))


class Cluster(MO):
    WSDL, PYTYPE = "ClusterComputeResource", vim.ClusterComputeResource

    def __init__(self, sim: Any, moid: str, name: str, parent: MO) -> None:
        super().__init__(sim, moid)
        self.name, self.parent, self.hosts = name, parent, []  # type: Tuple[str, MO, List[HostSystem]]

    def p_name(self) -> str:
        return self.name

    def p_parent(self) -> Any:
        return self.parent.ref

    def p_host(self) -> Any:
        return vim.HostSystem.Array([h.ref for h in self.hosts])

    def p_overallStatus(self) -> str:
        return "green"

    def p_configStatus(self) -> str:
        return "green"

    def p_datastore(self) -> Any:
        return _unique((ref for h in self.hosts for ref in h.p_datastore()), vim.Datastore.Array)

    def p_network(self) -> Any:
        return _unique((ref for h in self.hosts for ref in h.p_network()), vim.Network.Array)

    def p_configurationEx(self) -> Any:
        """What a new vCenter 8 cluster reports: HA and DRS off, swap files with the VM [INF]."""
        return vim.cluster.ConfigInfoEx(
            vmSwapPlacement="vmDirectory", spbmEnabled=True, defaultHardwareVersionKey=None,
            dasConfig=vim.cluster.DasConfigInfo(enabled=False, vmMonitoring="vmMonitoringDisabled", hostMonitoring="enabled",
                                                vmComponentProtecting="disabled", admissionControlEnabled=True,
                                                hBDatastoreCandidatePolicy="allFeasibleDsWithUserPreference"),
            drsConfig=vim.cluster.DrsConfigInfo(enabled=False, enableVmBehaviorOverrides=True, defaultVmBehavior="fullyAutomated",
                                                vmotionRate=3, scaleDescendantsShares="disabled"),
            dpmConfigInfo=vim.cluster.DpmConfigInfo(enabled=False, defaultDpmBehavior="automated", hostPowerActionRate=3))


class ComputeResource(Cluster):
    """The standalone-host wrapper vCenter and ESXi put around a HostSystem."""

    WSDL, PYTYPE = "ComputeResource", vim.ComputeResource


class Task(MO):
    WSDL, PYTYPE = "Task", vim.Task

    def __init__(self, sim: Any, moid: str, name: str, entity: MO, result: Any = None, error: Any = None) -> None:
        super().__init__(sim, moid)
        state = vim.TaskInfo.State.error if error is not None else vim.TaskInfo.State.success
        self.info = vim.TaskInfo(key=moid, task=self.ref, descriptionId=name, entity=entity.ref,
                                 entityName=getattr(entity, "name", entity.moid), state=state, cancelled=False,
                                 cancelable=False, result=result, queueTime=NOW, startTime=NOW, completeTime=NOW,
                                 eventChainId=int(moid.split("-")[-1]), reason=vim.TaskReasonUser(userName="sim"),
                                 error=error)

    def p_info(self) -> Any:
        return self.info


class ContainerView(MO):
    WSDL, PYTYPE = "ContainerView", vim.view.ContainerView

    def __init__(self, sim: Any, moid: str, container: MO, types: List[Any], recursive: bool) -> None:
        super().__init__(sim, moid)
        self.container, self.types, self.recursive = container, types, recursive

    def p_view(self) -> Any:
        found = [mo.ref for mo in self.sim.descendants(self.container, self.recursive)
                 if not self.types or any(issubclass(mo.PYTYPE, t) for t in self.types)]
        return vim.ManagedObject.Array(found)

    def p_container(self) -> Any:
        return self.container.ref

    def p_type(self) -> Any:
        return self.types

    def p_recursive(self) -> bool:
        return self.recursive

    def m_DestroyView(self, ctx: Any) -> None:
        self.sim.unregister(self)


class ViewManager(MO):
    WSDL, PYTYPE = "ViewManager", vim.view.ViewManager

    def m_CreateContainerView(self, ctx: Any, container: Any, type: Any = None, recursive: bool = False) -> Any:  # noqa: A002
        target = self.sim.lookup(container)
        view = ContainerView(self.sim, self.sim.next_id("session[%s]view" % ctx.session_key[:8]), target, list(type or []), recursive)
        self.sim.register(view)
        return view.ref


class PropertyFilter(MO):
    """A session's filter: its spec, and what WaitForUpdates last reported of it
    (moid -> (ref, path -> (repr, value)))."""

    WSDL, PYTYPE = "PropertyFilter", vmodl.query.PropertyCollector.Filter

    def __init__(self, sim: Any, moid: str, spec: Any, session: str = "") -> None:
        super().__init__(sim, moid)
        self.spec, self.session = spec, session
        self.reported: Optional[Dict[str, Tuple[Any, Dict[str, Tuple[str, Any]]]]] = None  # None: nothing reported yet

    def p_spec(self) -> Any:
        return self.spec

    def m_DestroyPropertyFilter(self, ctx: Any) -> None:
        self.sim.unregister(self)


class PropertyCollector(MO):
    """RetrievePropertiesEx with traversal, paging; CreateFilter + WaitForUpdates(Ex) as needed by WaitForTask."""

    WSDL, PYTYPE = "PropertyCollector", vmodl.query.PropertyCollector

    def __init__(self, sim: Any, moid: str) -> None:
        super().__init__(sim, moid)
        self.pages: Dict[str, List[Any]] = {}
        self.filters: Dict[str, PropertyFilter] = {}
        self.versions: Dict[str, int] = {}  # session key -> the last data version it was given
        self.cancels: Dict[str, int] = {}  # session key -> CancelWaitForUpdates calls (ends that session's waits)

    # -- retrieval ---------------------------------------------------------------------
    def _objects(self, spec: Any, gone_ok: bool = False) -> List[MO]:
        """The objects ``spec`` selects. A start object that no longer exists is a fault, or with
        ``gone_ok`` (a filter's updates: the object leaves) just not there."""
        named = {}
        for ospec in spec.objectSet:
            for sel in ospec.selectSet or []:
                self._collect_names(sel, named)
        seen: Dict[str, MO] = {}
        for ospec in spec.objectSet:
            if gone_ok and self.sim.find(ospec.obj) is None:
                continue
            start = self.sim.lookup(ospec.obj)
            if not ospec.skip:
                seen.setdefault(start.moid, start)
            self._traverse(start, list(ospec.selectSet or []), named, seen, set())
        return list(seen.values())

    def _collect_names(self, sel: Any, named: Dict[str, Any]) -> None:
        if isinstance(sel, PC.TraversalSpec):
            if sel.name and sel.name not in named:
                named[sel.name] = sel
                for child in sel.selectSet or []:
                    self._collect_names(child, named)

    def _traverse(self, mo: MO, selects: List[Any], named: Dict[str, Any], seen: Dict[str, MO], visited: Set[Tuple[str, str]]) -> None:
        for sel in selects:
            spec = sel if isinstance(sel, PC.TraversalSpec) else named.get(sel.name)
            if spec is None:
                raise invalid("selectSet", "unknown selection spec %s" % sel.name)
            key = (mo.moid, spec.name or id(spec))
            if key in visited or not issubclass(mo.PYTYPE, spec.type) or not mo.has_prop(spec.path):
                continue
            visited.add(key)
            value = mo.prop(spec.path)
            refs = value if isinstance(value, list) else [value] if value is not None else []
            for ref in refs:
                child = self.sim.find(ref)
                if child is None:
                    continue
                if not spec.skip:
                    seen.setdefault(child.moid, child)
                self._traverse(child, list(spec.selectSet or []), named, seen, visited)

    def _content(self, mo: MO, propsets: List[Any]) -> Optional[Any]:
        wanted: List[str] = []
        matched = False
        for ps in propsets:
            if issubclass(mo.PYTYPE, ps.type):
                matched = True
                wanted += mo.prop_names() if ps.all else list(ps.pathSet or [])
        if not matched:
            return None
        props, missing = [], []
        for path in dict.fromkeys(wanted):
            try:
                value = self.sim.read_path(mo, path)
            except vmodl.query.InvalidProperty:
                missing.append(PC.MissingProperty(path=path, fault=vmodl.query.InvalidProperty(name=path)))
                continue
            if value is not None:
                props.append(vmodl.DynamicProperty(name=path, val=value))
        return PC.ObjectContent(obj=mo.ref, propSet=props, missingSet=missing)

    def retrieve(self, specs: List[Any]) -> List[Any]:
        out: List[Any] = []
        for spec in specs:
            for mo in self._objects(spec):
                content = self._content(mo, list(spec.propSet))
                if content is not None:
                    out.append(content)
        return out

    def m_RetrieveProperties(self, ctx: Any, specSet: List[Any]) -> Any:
        return self.retrieve(specSet)

    def m_RetrievePropertiesEx(self, ctx: Any, specSet: List[Any], options: Any) -> Any:
        objects = self.retrieve(specSet)
        if not objects:
            return None
        return self._page(objects, options.maxObjects if options else None)

    def _page(self, objects: List[Any], max_objects: Optional[int]) -> Any:
        if max_objects and len(objects) > max_objects:
            token = self.sim.next_id("token")
            self.pages[token] = objects[max_objects:]
            return PC.RetrieveResult(objects=objects[:max_objects], token=token)
        return PC.RetrieveResult(objects=objects)

    def m_ContinueRetrievePropertiesEx(self, ctx: Any, token: str) -> Any:
        rest = self.pages.pop(token, None)
        if rest is None:
            raise invalid("token")
        return self._page(rest, 100)

    def m_CancelRetrievePropertiesEx(self, ctx: Any, token: str) -> None:
        self.pages.pop(token, None)

    # -- updates -----------------------------------------------------------------------
    def m_CreateFilter(self, ctx: Any, spec: Any, partialUpdates: bool) -> Any:
        filt = PropertyFilter(self.sim, self.sim.next_id("session[%s]filter" % ctx.session_key[:8]), spec, ctx.session_key)
        self.sim.register(filt)
        self.filters[filt.moid] = filt
        return filt.ref

    def _updates(self, ctx: Any, version: Optional[str]) -> Optional[Any]:
        """What changed in this session's filters since they were last reported, as vCenter does
        it: ``enter`` for an object first seen (every property), ``modify`` with the changed
        properties, ``leave`` for an object no longer matched. None when nothing changed.

        ``version`` is "" / None (report everything again) or a version this session was given;
        anything else is InvalidCollectorVersion. The data version counts per session."""
        given = self.versions.get(ctx.session_key, 0)
        if version and (not version.isdigit() or int(version) > given):
            raise vmodl.query.InvalidCollectorVersion()
        sets = []
        for filt in list(self.filters.values()):
            if self.sim.find(filt.ref) is None or filt.session not in self.sim.sessions:
                self.filters.pop(filt.moid, None)
                continue
            if filt.session != ctx.session_key:
                continue
            before = filt.reported if version and filt.reported is not None else {}
            now: Dict[str, Tuple[Any, Dict[str, Tuple[str, Any]]]] = {}
            updates = []
            for mo in self._objects(filt.spec, gone_ok=True):
                content = self._content(mo, list(filt.spec.propSet))
                if content is None:
                    continue
                props = {p.name: (repr(p.val), p.val) for p in content.propSet}
                now[mo.moid] = (mo.ref, props)
                if mo.moid not in before:
                    changes = [PC.Change(name=n, op="assign", val=v) for n, (_r, v) in props.items()]
                    updates.append(PC.ObjectUpdate(kind="enter", obj=mo.ref, changeSet=changes))
                    continue
                old = before[mo.moid][1]
                changes = [PC.Change(name=n, op="assign", val=v) for n, (r, v) in props.items() if old.get(n, ("",))[0] != r]
                changes += [PC.Change(name=n, op="remove") for n in old if n not in props]
                if changes:
                    updates.append(PC.ObjectUpdate(kind="modify", obj=mo.ref, changeSet=changes))
            updates += [PC.ObjectUpdate(kind="leave", obj=ref) for moid, (ref, _p) in before.items() if moid not in now]
            filt.reported = now
            if updates:
                sets.append(PC.FilterUpdate(filter=filt.ref, objectSet=updates))
        if not sets:
            return None
        self.versions[ctx.session_key] = given + 1
        return PC.UpdateSet(version=str(given + 1), filterSet=sets)

    def _wait(self, ctx: Any, version: Optional[str], max_wait: Optional[int]) -> Optional[Any]:
        """The session's updates since ``version``, waiting for a change (released lock) for at most
        ``max_wait`` seconds (None: until a change), bounded by the server's idle limit. None when
        the time ran out; RequestCanceled when CancelWaitForUpdates ended the wait."""
        sim = self.sim
        limit = sim.max_wait if max_wait is None else min(max_wait, sim.max_wait)
        deadline = time.monotonic() + limit
        canceled = self.cancels.get(ctx.session_key, 0)
        while True:
            generation = sim.generation
            sim.current_session = ctx.session_key  # other calls ran while this one waited
            update = self._updates(ctx, version)
            if update is not None:
                return update
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            sim.updated.wait_for(lambda seen=generation: sim.generation != seen or self.cancels.get(ctx.session_key, 0) != canceled,
                                 remaining)
            if self.cancels.get(ctx.session_key, 0) != canceled:
                raise vmodl.fault.RequestCanceled(msg="WaitForUpdates canceled by CancelWaitForUpdates")

    def m_WaitForUpdatesEx(self, ctx: Any, version: Optional[str] = None, options: Any = None) -> Any:
        """Blocks until a change or ``options.maxWaitSeconds`` (0: return at once), then None."""
        max_wait = options.maxWaitSeconds if options is not None else None
        if max_wait is not None and max_wait < 0:
            raise invalid("options.maxWaitSeconds")
        return self._wait(ctx, version, max_wait)

    def m_WaitForUpdates(self, ctx: Any, version: Optional[str] = None) -> Any:
        """Blocks until a change. A real server blocks without limit; here the wait ends at the
        server's idle limit with an update set that changes nothing (the same version, no filters)."""
        update = self._wait(ctx, version, None)
        if update is None:
            update = PC.UpdateSet(version=str(self.versions.get(ctx.session_key, 0)), filterSet=[])
        return update

    def m_CancelWaitForUpdates(self, ctx: Any) -> None:
        self.cancels[ctx.session_key] = self.cancels.get(ctx.session_key, 0) + 1
        self.sim.updated.notify_all()

    def m_CheckForUpdates(self, ctx: Any, version: Optional[str] = None) -> Any:
        return self._updates(ctx, version)


# ---------------------------------------------------------------------------------------
# Host layer
# ---------------------------------------------------------------------------------------


class HostModel:
    """One host's live networking truth (pyVmomi specs in dicts) and the hooks other parts use."""

    def __init__(self, sim: Any, name: str, version: str) -> None:
        self.sim, self.name, self.version = sim, name, version
        self.pnics: Dict[str, Tuple[int, str, str]] = {}  # device -> (link speed Mb/s, driver, mac)
        self.vswitches: Dict[str, Any] = {}  # name -> HostVirtualSwitchSpec
        self.portgroups: Dict[str, Any] = {}  # name -> HostPortGroupSpec
        self.vnics: Dict[str, Any] = {}  # device -> HostVirtualNic (portgroup, spec, mac)
        self.selected: Dict[str, Set[str]] = {t: set() for t in self.nic_types()}
        self.storage: Any = None  # storage.StorageSystem, set when it is built
        self.iscsi: Any = None  # iscsi.IscsiManager, set when it is built
        self.vnic_removal_guards: List[Callable[["HostModel", str], None]] = []
        self.datastores: List[Any] = []  # host_services.Datastore objects the host mounts
        self.services: Any = None  # host_services.HostServices
        self.datacenter: Any = None
        self.route = vim.host.IpRouteConfig(defaultGateway="192.168.10.1")  # the default stack's default route
        self.dns = vim.host.DnsConfig(dhcp=False, hostName=name.split(".")[0], domainName=".".join(name.split(".")[1:]),
                                      address=[], searchDomain=[".".join(name.split(".")[1:])] if "." in name else [])
        self.network_change_listeners: List[Callable[["HostModel"], None]] = []

    def nic_types(self) -> Tuple[str, ...]:
        return NIC_TYPES_80 if self.version >= "8" else NIC_TYPES_80[:8]

    # -- snapshots for all-or-nothing updates -----------------------------------------------
    def snapshot(self) -> Tuple[Any, ...]:
        return copy.deepcopy((self.vswitches, self.portgroups, self.vnics, self.selected, self.dns, self.route))

    def restore(self, snap: Tuple[Any, ...]) -> None:
        self.vswitches, self.portgroups, self.vnics, self.selected, self.dns, self.route = snap


def _bridge(spec: Any) -> List[str]:
    return list(spec.bridge.nicDevice) if spec.bridge is not None else []


def default_switch_policy(bridge: List[str]) -> Any:
    """A new vSwitch without spec.policy gets what ESXi gives vSwitch0 (vsphere-api.md §3.5) [INF]."""
    return vim.host.NetworkPolicy(
        security=vim.host.NetworkPolicy.SecurityPolicy(allowPromiscuous=False, macChanges=True, forgedTransmits=True),
        nicTeaming=vim.host.NetworkPolicy.NicTeamingPolicy(
            policy="loadbalance_srcid", reversePolicy=True, notifySwitches=True, rollingOrder=False,
            failureCriteria=vim.host.NetworkPolicy.NicFailureCriteria(
                checkSpeed="minimum", speed=10, checkDuplex=False, fullDuplex=False, checkErrorPercent=False, percentage=0,
                checkBeacon=False),
            nicOrder=vim.host.NetworkPolicy.NicOrderPolicy(activeNic=list(bridge), standbyNic=[])),
        offloadPolicy=vim.host.NetOffloadCapabilities(csumOffload=True, tcpSegmentation=True, zeroCopyXmit=True),
        shapingPolicy=vim.host.NetworkPolicy.TrafficShapingPolicy(enabled=False))


def _empty_pg_policy() -> Any:
    """What hosts return for a port group that overrides nothing: empty sub-objects (§3.4)."""
    return vim.host.NetworkPolicy(security=vim.host.NetworkPolicy.SecurityPolicy(),
                                  nicTeaming=vim.host.NetworkPolicy.NicTeamingPolicy(
                                      failureCriteria=vim.host.NetworkPolicy.NicFailureCriteria()),
                                  offloadPolicy=vim.host.NetOffloadCapabilities(),
                                  shapingPolicy=vim.host.NetworkPolicy.TrafficShapingPolicy())


def _merge(override: Any, base: Any) -> Any:
    """Leaf-by-leaf merge of a (partial) data object over a complete one; nicOrder as a unit."""
    if override is None:
        return copy.deepcopy(base)
    if base is None:
        return copy.deepcopy(override)
    out = copy.deepcopy(base)
    for prop in base._GetPropertyList():
        mine = getattr(override, prop.name, None)
        if mine is None or (isinstance(mine, list) and not mine and prop.name not in ("activeNic", "standbyNic")):
            continue
        if prop.name == "nicOrder" or not isinstance(mine, VmomiSupport.DataObject):
            setattr(out, prop.name, copy.deepcopy(mine))
        else:
            setattr(out, prop.name, _merge(mine, getattr(base, prop.name)))
    return out


def computed_policy(host: HostModel, pg: Any) -> Any:
    sw = host.vswitches[pg.vswitchName]
    return _merge(pg.policy, sw.policy)


def effective_teaming(host: HostModel, device: str) -> Dict[str, Any]:
    """Effective teaming of a vmk on a vSS port group (for the iSCSI compliance checks)."""
    vnic = host.vnics[device]
    if vnic.spec.distributedVirtualPort is not None and _DVS_TEAMING:
        return _DVS_TEAMING[0](host, device)
    pg = host.portgroups[vnic.portgroup]
    policy = computed_policy(host, pg)
    order = policy.nicTeaming.nicOrder
    return {"switch": pg.vswitchName, "policy": policy.nicTeaming.policy, "active": list(order.activeNic or []),
            "standby": list(order.standbyNic or []), "bridge": _bridge(host.vswitches[pg.vswitchName]), "portgroup": pg.name}


_DVS_TEAMING: List[Callable[[HostModel, str], Dict[str, Any]]] = []
_FOLDER_EXTRAS: List[Callable[[Folder], List[MO]]] = []  # networks.py, host_services.py: networks and datastores
_HOST_NETWORKS: List[Callable[["HostSystem"], List[MO]]] = []  # networks.py: a host's vim.Network objects
_DVS_CREATOR: List[Callable[[Folder, Any], Any]] = []  # dvs.py: CreateDVS_Task on a network folder
_HOST_DATASTORES: List[Callable[["HostSystem"], List[MO]]] = []  # host_services.py: local and LUN datastores


def register_host_datastores(fn: Callable[["HostSystem"], List[MO]]) -> None:
    _HOST_DATASTORES[:] = [fn]


def register_folder_extras(fn: Callable[[Folder], List[MO]]) -> None:
    """``fn(folder)`` -> objects a folder holds beyond its children (derived from the hosts: networks, datastores)."""
    if fn not in _FOLDER_EXTRAS:
        _FOLDER_EXTRAS.append(fn)


def register_host_networks(fn: Callable[["HostSystem"], List[MO]]) -> None:
    _HOST_NETWORKS[:] = [fn]


def register_dvs_creator(fn: Callable[[Folder, Any], Any]) -> None:
    _DVS_CREATOR[:] = [fn]


_DVS_CONNECTOR: List[Callable[[HostModel, Any], Any]] = []
_PROXY_SWITCHES: List[Callable[[HostModel], List[Any]]] = []
_PNIC_OWNERS: List[Callable[[HostModel, str], Optional[str]]] = []


def register_proxy_switch_provider(fn: Callable[[HostModel], List[Any]]) -> None:
    """``fn(host)`` -> the host's ``HostProxySwitch`` list (``config.network.proxySwitch``)."""
    _PROXY_SWITCHES[:] = [fn]


def register_pnic_owner(fn: Callable[[HostModel, str], Optional[str]]) -> None:
    """``fn(host, pnic)`` -> the name of a non-vSS switch using ``pnic``, or None."""
    _PNIC_OWNERS[:] = [fn]


def other_pnic_owner(host: HostModel, pnic: str) -> Optional[str]:
    return next((owner for owner in (fn(host, pnic) for fn in _PNIC_OWNERS) if owner), None)


def register_dvs_teaming_resolver(fn: Callable[[HostModel, str], Dict[str, Any]]) -> None:
    _DVS_TEAMING[:] = [fn]


def register_dvs_port_connector(fn: Callable[[HostModel, Any], Any]) -> None:
    _DVS_CONNECTOR[:] = [fn]


class HostSystem(MO):
    WSDL, PYTYPE = "HostSystem", vim.HostSystem
    WRITES = frozenset({"ReconfigureHostForDAS_Task"})

    def __init__(self, sim: Any, moid: str, model: HostModel, parent: MO, managers: Dict[str, MO]) -> None:
        super().__init__(sim, moid)
        self.model, self.parent, self.managers = model, parent, managers
        self.name = model.name

    def p_name(self) -> str:
        return self.model.name

    def p_parent(self) -> Any:
        return self.parent.ref

    def p_configManager(self) -> Any:
        """ConfigManager with the managers the host has (the host services register theirs under their property name)."""
        m = self.managers
        return vim.host.ConfigManager(networkSystem=m["network"].ref, virtualNicManager=m["vnic"].ref,
                                      storageSystem=m["storage"].ref if "storage" in m else None,
                                      iscsiManager=m["iscsi"].ref if "iscsi" in m else None,
                                      **{k: mo.ref for k, mo in m.items() if k not in ("network", "vnic", "storage", "iscsi")})

    def p_overallStatus(self) -> str:
        return "green"

    def p_configStatus(self) -> str:
        return "green"

    def p_datastore(self) -> Any:
        return vim.Datastore.Array([ds.ref for fn in _HOST_DATASTORES for ds in fn(self)])

    def p_network(self) -> Any:
        """The networks the host is on: its VM port groups' vim.Network objects and the dvPortgroups of its switches."""
        return vim.Network.Array([n.ref for fn in _HOST_NETWORKS for n in fn(self)])

    def p_capability(self) -> Any:
        """HostCapability of an ESXi 8.0 host (what vSphere clients test before offering a feature) [INF]."""
        yes = ("recursiveResourcePoolsSupported", "cpuMemoryResourceConfigurationSupported", "rebootSupported", "shutdownSupported",
               "vmotionSupported", "standbySupported",
               "datastorePrincipalSupported", "sanSupported", "nfsSupported", "iscsiSupported", "vlanTaggingSupported",
               "nicTeamingSupported", "highGuestMemSupported", "maintenanceModeSupported", "suspendedRelocateSupported",
               "restrictedSnapshotRelocateSupported", "perVmSwapFiles", "localSwapDatastoreSupported", "unsharedSwapVMotionSupported",
               "backgroundSnapshotsSupported", "preAssignedPCIUnitNumbersSupported", "screenshotSupported", "scaledScreenshotSupported",
               "storageVMotionSupported", "vmotionWithStorageVMotionSupported", "hbrNicSelectionSupported", "vrNfcNicSelectionSupported",
               "ftSupported", "vmotionAcrossNetworkSupported", "ipmiSupported")
        cap = vim.host.Capability(maxSupportedVMs=1024, maxRunningVMs=1024, maxSupportedVcpus=768, maxRegisteredVMs=1024,
                                  maxNumDisksSVMotion=248, maxVirtualDiskDescVersionSupported=8, replayUnsupportedReason="cpuNotSupported")
        for prop in vim.host.Capability._GetPropertyList():
            if prop.type is bool and (prop.name in yes or not prop.flags & VmomiSupport.F_OPTIONAL):
                setattr(cap, prop.name, prop.name in yes)
        return cap

    def part(self, name: str, member: str) -> Any:
        """The parts of ``config`` clients read most, built alone (the whole ConfigInfo costs every part)."""
        if name != "config":
            return None
        if member == "network":
            return network_info(self.model)
        if member == "virtualNicManagerInfo":
            return vnic_manager_info(self.model)
        if member == "storageDevice":
            return self.model.storage.device_info() if self.model.storage else vim.host.StorageDeviceInfo()
        return None

    def p_config(self) -> Any:
        """HostConfigInfo; the services, advanced settings and clock come from the host's managers when it has them."""
        m = self.managers
        config = vim.host.ConfigInfo(host=self.ref, product=self.sim.about(self.model.version),
                                     network=network_info(self.model), virtualNicManagerInfo=vnic_manager_info(self.model),
                                     storageDevice=self.model.storage.device_info() if self.model.storage else vim.host.StorageDeviceInfo(),
                                     hyperThread=vim.host.CpuSchedulerSystem.HyperThreadScheduleInfo(available=True, active=True, config=True),
                                     adminDisabled=False)
        if "serviceSystem" in m:
            config.service = m["serviceSystem"].prop("serviceInfo")
        if "advancedOption" in m:
            config.option, config.optionDef = m["advancedOption"].prop("setting"), m["advancedOption"].prop("supportedOption")
        if "dateTimeSystem" in m:
            config.dateTimeInfo = m["dateTimeSystem"].prop("dateTimeInfo")
        datastores = [self.sim.find(ref) for ref in self.p_datastore()]
        config.fileSystemVolume = vim.host.FileSystemVolumeInfo(volumeTypeList=["VMFS", "NFS", "NFS41", "vsan", "VVOL", "VFFS", "OTHER", "PMEM"],
                                                                mountInfo=[vim.host.FileSystemMountInfo(
                                                                    mountInfo=ds.prop("host")[0].mountInfo, volume=ds.prop("info").vmfs)
                                                                    for ds in datastores if ds is not None])
        return config

    def p_runtime(self) -> Any:
        return vim.host.RuntimeInfo(connectionState="connected", powerState="poweredOn", standbyMode="none", inMaintenanceMode=False,
                                    inQuarantineMode=False, bootTime=NOW, hostMaxVirtualDiskCapacity=68169720922112,
                                    cryptoState="incapable",
                                    dasHostState=vim.cluster.DasFdmHostState(state="uninitialized") if self.sim.vcenter else None)

    def p_hardware(self) -> Any:
        return hardware_info(self.model)

    def p_summary(self) -> Any:
        return vim.host.Summary(host=self.ref, runtime=self.p_runtime(), config=vim.host.Summary.ConfigSummary(
            name=self.model.name, port=443, product=self.sim.about(self.model.version), vmotionEnabled=bool(self.model.selected["vmotion"]),
            faultToleranceEnabled=False), overallStatus="green", rebootRequired=False,
            quickStats=vim.host.Summary.QuickStats(overallCpuUsage=0, overallMemoryUsage=0, distributedCpuFairness=0,
                                                   distributedMemoryFairness=0, uptime=86400),
            hardware=hardware_summary(self.model), managementServerIp="127.0.0.1" if self.sim.vcenter else None)

    def m_ReconfigureHostForDAS_Task(self, ctx: Any) -> Any:
        """Completes at once: the simulator has no HA agent to reconfigure [INF]."""
        return self.sim.create_task("ReconfigureHostForDAS_Task", self).ref


# ---------------------------------------------------------------------------------------
# Building NetworkInfo from the truth
# ---------------------------------------------------------------------------------------


# A fixed, plausible server for every simulated host: what clients read next to the NICs [INF].
CPU = {"vendor": "intel", "model": "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", "mhz": 2000, "packages": 2, "cores": 64, "threads": 128}
MEMORY = 512 * 1024 ** 3
NIC_PCI_NAME = ("Intel(R)", "Ethernet Controller E810-XXV for SFP")


def hardware_summary(host: HostModel) -> Any:
    return vim.host.Summary.HardwareSummary(
        vendor="VMware, Inc.", model="Simulated ESXi host", uuid=_host_uuid(host), memorySize=MEMORY, cpuModel=CPU["model"],
        cpuMhz=CPU["mhz"], numCpuPkgs=CPU["packages"], numCpuCores=CPU["cores"], numCpuThreads=CPU["threads"],
        numNics=len(host.pnics), numHBAs=len(host.storage.adapters) if host.storage else 0)


def hardware_info(host: HostModel) -> Any:
    """HostHardwareInfo: the system, CPU and memory of ``hardware_summary`` and one PCI device per pnic
    (the ``pci`` address its PhysicalNic reports, so clients can name the adapter)."""
    pci = [vim.host.PciDevice(id=pnic_pci(host, d), classId=0x0200, bus=0, slot=i, function=0, vendorId=-32634, subVendorId=-32634,
                              vendorName=NIC_PCI_NAME[0], deviceId=5433, subDeviceId=2, parentBridge="0000:00:00.0",
                              deviceName=NIC_PCI_NAME[1])
           for i, d in enumerate(sorted(host.pnics))]
    return vim.host.HardwareInfo(
        systemInfo=vim.host.SystemInfo(vendor="VMware, Inc.", model="Simulated ESXi host", uuid=_host_uuid(host)),
        cpuInfo=vim.host.CpuInfo(numCpuPackages=CPU["packages"], numCpuCores=CPU["cores"], numCpuThreads=CPU["threads"],
                                 hz=CPU["mhz"] * 1000000),
        cpuPkg=[vim.host.CpuPackage(index=n, vendor=CPU["vendor"], hz=CPU["mhz"] * 1000000, busHz=100000000,
                                    description=CPU["model"],
                                    threadId=list(range(n * CPU["threads"] // CPU["packages"], (n + 1) * CPU["threads"] // CPU["packages"])))
                for n in range(CPU["packages"])],
        memorySize=MEMORY, smcPresent=False, pciDevice=pci,
        biosInfo=vim.host.BIOSInfo(biosVersion="VMW201.00V.21805430.B64.2305221830", releaseDate=datetime.datetime(2023, 5, 22, tzinfo=datetime.timezone.utc),
                                   vendor="VMware, Inc.", firmwareType="UEFI"))


def _host_uuid(host: HostModel) -> str:
    digest = hashlib.sha256(host.name.encode()).hexdigest()
    return "%s-%s-%s-%s-%s" % (digest[:8], digest[8:12], digest[12:16], digest[16:20], digest[20:32])


def pnic_pci(host: HostModel, device: str) -> Optional[str]:
    """The PCI address a pnic reports (``PhysicalNic.pci``); a dependent hardware iSCSI adapter
    on that NIC function reports the same address as its ``HostHostBusAdapter.pci`` [INF]."""
    for i, name in enumerate(sorted(host.pnics)):
        if name == device:
            return "0000:00:%02d.0" % i
    return None


def network_info(host: HostModel) -> Any:
    pnics = [vim.host.PhysicalNic(device=d, key="key-vim.host.PhysicalNic-%s" % d, driver=drv, mac=mac, pci=pnic_pci(host, d),
                                  linkSpeed=vim.host.PhysicalNic.LinkSpeedDuplex(speedMb=speed, duplex=True) if speed else None,
                                  wakeOnLanSupported=False, spec=_pnic_spec(speed), autoNegotiateSupported=False,
                                  validLinkSpecification=[vim.host.PhysicalNic.LinkSpeedDuplex(speedMb=speed or 10000, duplex=True)])
             for i, (d, (speed, drv, mac)) in enumerate(sorted(host.pnics.items()))]
    switches = []
    for name, spec in host.vswitches.items():
        pgs = [pg for pg in host.portgroups.values() if pg.vswitchName == name]
        switches.append(vim.host.VirtualSwitch(
            name=name, key="key-vim.host.VirtualSwitch-%s" % name, numPorts=1536, numPortsAvailable=1536 - 4 * len(pgs),
            mtu=spec.mtu or 1500, portgroup=["key-vim.host.PortGroup-%s" % pg.name for pg in pgs],
            pnic=["key-vim.host.PhysicalNic-%s" % n for n in _bridge(spec)], spec=copy.deepcopy(spec)))
    portgroups = []
    for pg in host.portgroups.values():
        ports = [vim.host.PortGroup.Port(key="key-vim.host.PortGroup.Port-%d" % (100 + v.key_no), mac=[v.mac], type="host")
                 for v in _vnics_on(host, pg.name)]
        portgroups.append(vim.host.PortGroup(key="key-vim.host.PortGroup-%s" % pg.name, vswitch="key-vim.host.VirtualSwitch-%s" % pg.vswitchName,
                                             port=ports, spec=copy.deepcopy(pg), computedPolicy=computed_policy(host, pg)))
    vnics = [vim.host.VirtualNic(device=d, key="key-vim.host.VirtualNic-%s" % d, portgroup=v.portgroup, spec=copy.deepcopy(v.spec),
                                 port="key-vim.host.PortGroup.Port-%d" % (100 + v.key_no) if v.portgroup else None)
             for d, v in sorted(host.vnics.items(), key=lambda kv: int(kv[0][3:]))]
    route = copy.deepcopy(host.route)
    # the default stack carries the host's DNS and default route; the dedicated stacks have their own (empty) ones
    stacks = [vim.host.NetStackInstance(key=k, name=k, dnsConfig=copy.deepcopy(host.dns) if k == NETSTACKS[0] else EMPTY_DNS,
                                        ipRouteConfig=copy.deepcopy(route) if k == NETSTACKS[0] else vim.host.IpRouteConfig(),
                                        requestedMaxNumberOfConnections=11000, congestionControlAlgorithm="newreno", ipV6Enabled=False)
              for k in NETSTACKS]
    return vim.host.NetworkInfo(vswitch=switches, portgroup=portgroups, pnic=pnics, vnic=vnics, netStackInstance=stacks,
                                proxySwitch=[ps for fn in _PROXY_SWITCHES for ps in fn(host)], dnsConfig=copy.deepcopy(host.dns),
                                ipRouteConfig=route, atBootIpV6Enabled=False, ipV6Enabled=False)


EMPTY_DNS = vim.host.DnsConfig(dhcp=False, hostName="", domainName="")


def _pnic_spec(speed: int) -> Any:
    return vim.host.PhysicalNic.Specification(ip=vim.host.IpConfig(dhcp=False),
                                              linkSpeed=vim.host.PhysicalNic.LinkSpeedDuplex(speedMb=speed, duplex=True) if speed else None)


def network_config(host: HostModel) -> Any:
    """networkConfig as ESXi derives it from networkInfo: every switch, port group, pnic, vmk and
    netstack in config form, with the DNS and route configuration (valid UpdateNetworkConfig input)."""
    info = network_info(host)
    return vim.host.NetworkConfig(
        vswitch=[vim.host.VirtualSwitch.Config(changeOperation="edit", name=s.name, spec=s.spec) for s in info.vswitch],
        proxySwitch=[vim.host.HostProxySwitch.Config(changeOperation="edit", uuid=p.dvsUuid, spec=p.spec) for p in info.proxySwitch],
        portgroup=[vim.host.PortGroup.Config(changeOperation="edit", spec=p.spec) for p in info.portgroup],
        pnic=[vim.host.PhysicalNic.Config(device=p.device, spec=p.spec) for p in info.pnic],
        vnic=[vim.host.VirtualNic.Config(changeOperation="edit", device=v.device, portgroup=v.portgroup, spec=v.spec) for v in info.vnic],
        dnsConfig=info.dnsConfig, ipRouteConfig=info.ipRouteConfig, ipV6Enabled=info.ipV6Enabled,
        netStackSpec=[vim.host.NetworkConfig.NetStackSpec(netStackInstance=n, operation="edit") for n in info.netStackInstance])


class _Vnic:
    """A vmk: its port group name ('' on a DVS port), spec, MAC and a stable port number."""

    _numbers = itertools.count(1)

    def __init__(self, portgroup: str, spec: Any, mac: str) -> None:
        self.portgroup, self.spec, self.mac = portgroup, spec, mac
        self.key_no = next(self._numbers)

    def __deepcopy__(self, memo: Dict[int, Any]) -> "_Vnic":
        clone = _Vnic.__new__(_Vnic)
        clone.portgroup, clone.spec, clone.mac, clone.key_no = self.portgroup, copy.deepcopy(self.spec, memo), self.mac, self.key_no
        return clone


def _vnics_on(host: HostModel, pgname: str) -> List[_Vnic]:
    return [v for v in host.vnics.values() if v.portgroup == pgname]


def vnic_manager_info(host: HostModel) -> Any:
    configs = []
    for nic_type in host.nic_types():
        candidates = [d for d, v in sorted(host.vnics.items()) if _candidate(v, nic_type)]
        configs.append(vim.host.VirtualNicManager.NetConfig(
            nicType=nic_type, multiSelectAllowed=True,
            candidateVnic=[vim.host.VirtualNic(device=d, key="%s.key-vim.host.VirtualNic-%s" % (nic_type, d), portgroup=host.vnics[d].portgroup,
                                               spec=copy.deepcopy(host.vnics[d].spec)) for d in candidates],
            selectedVnic=["%s.key-vim.host.VirtualNic-%s" % (nic_type, d) for d in sorted(_selected(host, nic_type))]))
    return vim.host.VirtualNicManagerInfo(netConfig=configs)


def _stack(vnic: _Vnic) -> str:
    return vnic.spec.netStackInstanceKey or "defaultTcpipStack"


def _candidate(vnic: _Vnic, nic_type: str) -> bool:
    """defaultTcpipStack vmks qualify for every type; a dedicated stack only for its own [INF]."""
    stack = _stack(vnic)
    return stack == "defaultTcpipStack" or DEDICATED.get(stack) == nic_type


def _selected(host: HostModel, nic_type: str) -> Set[str]:
    implied = {d for d, v in host.vnics.items() if DEDICATED.get(_stack(v)) == nic_type}
    return (host.selected.get(nic_type, set()) & set(host.vnics)) | implied


# ---------------------------------------------------------------------------------------
# HostNetworkSystem
# ---------------------------------------------------------------------------------------


class NetworkSystem(MO):
    WSDL, PYTYPE = "HostNetworkSystem", vim.host.NetworkSystem
    WRITES = frozenset({"AddVirtualSwitch", "UpdateVirtualSwitch", "RemoveVirtualSwitch", "AddPortGroup", "UpdatePortGroup",
                        "RemovePortGroup", "AddVirtualNic", "UpdateVirtualNic", "RemoveVirtualNic", "UpdateNetworkConfig",
                        "UpdateDnsConfig", "UpdateIpRouteConfig"})

    def __init__(self, sim: Any, moid: str, host: HostModel) -> None:
        super().__init__(sim, moid)
        self.host = host

    def p_networkInfo(self) -> Any:
        return network_info(self.host)

    def p_networkConfig(self) -> Any:
        return network_config(self.host)

    def p_capabilities(self) -> Any:
        return vim.host.NetCapabilities(canSetPhysicalNicLinkSpeed=True, supportsNicTeaming=True,
                                        nicTeamingPolicy=["loadbalance_ip", "loadbalance_srcmac", "loadbalance_srcid", "failover_explicit"],
                                        supportsVlan=True, usesServiceConsoleNic=False, supportsNetworkHints=True,
                                        maxPortGroupsPerVswitch=512, vswitchConfigSupported=True, vnicConfigSupported=True,
                                        ipRouteConfigSupported=True, dnsConfigSupported=True, dhcpOnVnicSupported=True,
                                        ipV6Supported=True)

    def p_offloadCapabilities(self) -> Any:
        return vim.host.NetOffloadCapabilities(csumOffload=True, tcpSegmentation=True, zeroCopyXmit=True)

    def p_dnsConfig(self) -> Any:
        return copy.deepcopy(self.host.dns)

    def m_UpdateDnsConfig(self, ctx: Any, config: Any) -> None:
        """The host's DNS (the default netstack's): with DHCP the vmk it comes from must exist."""
        self._atomic(lambda: self.set_dns(config))

    def set_dns(self, config: Any) -> None:
        if config.dhcp and config.virtualNicDevice not in self.host.vnics:
            raise vim.fault.NotFound(msg="virtual NIC %s not found" % config.virtualNicDevice)
        if not config.hostName or len(config.hostName) > 63:
            raise invalid("config.hostName")
        for address in config.address or []:
            try:
                ipaddress.ip_address(address)
            except ValueError:
                raise invalid("config.address") from None
        self.host.dns = copy.deepcopy(config)

    def p_ipRouteConfig(self) -> Any:
        return copy.deepcopy(self.host.route)

    def m_UpdateIpRouteConfig(self, ctx: Any, config: Any) -> None:
        """The default stack's IPv4 gateway (and the vmk it leaves through); IPv6 is off on these hosts."""
        self._atomic(lambda: self.set_route(config))

    def set_route(self, config: Any) -> None:
        if config.ipV6DefaultGateway:
            raise vim.fault.InvalidState(msg="IPv6 is not enabled on %s" % self.host.name)  # [INF]
        if config.gatewayDevice and config.gatewayDevice not in self.host.vnics:
            raise vim.fault.HostConfigFault(msg="virtual NIC %s not found" % config.gatewayDevice)
        try:
            ipaddress.IPv4Address(config.defaultGateway or "")
        except ValueError:
            raise invalid("config.defaultGateway") from None
        self.host.route = copy.deepcopy(config)

    # -- transactional wrapper -----------------------------------------------------------
    def _atomic(self, change: Callable[[], Any]) -> Any:
        snap = self.host.snapshot()
        try:
            result = change()
        except BaseException:
            self.host.restore(snap)
            raise
        for listener in self.host.network_change_listeners:
            listener(self.host)
        self.sim.changed()
        return result

    # -- single-object methods -----------------------------------------------------------
    def m_AddVirtualSwitch(self, ctx: Any, vswitchName: str, spec: Any = None) -> None:
        self._atomic(lambda: self.add_switch(vswitchName, spec))

    def m_UpdateVirtualSwitch(self, ctx: Any, vswitchName: str, spec: Any) -> None:
        self._atomic(lambda: self.edit_switch(vswitchName, spec))

    def m_RemoveVirtualSwitch(self, ctx: Any, vswitchName: str) -> None:
        self._atomic(lambda: self.remove_switch(vswitchName))

    def m_AddPortGroup(self, ctx: Any, portgrp: Any) -> None:
        self._atomic(lambda: self.add_pg(portgrp))

    def m_UpdatePortGroup(self, ctx: Any, pgName: str, portgrp: Any) -> None:
        self._atomic(lambda: self.edit_pg(pgName, portgrp))

    def m_RemovePortGroup(self, ctx: Any, pgName: str) -> None:
        self._atomic(lambda: self.remove_pg(pgName))

    def m_AddVirtualNic(self, ctx: Any, portgroup: str, nic: Any) -> str:
        return self._atomic(lambda: self.add_vnic(portgroup, nic, None))

    def m_UpdateVirtualNic(self, ctx: Any, device: str, nic: Any) -> None:
        self._atomic(lambda: self.edit_vnic(device, nic))

    def m_RemoveVirtualNic(self, ctx: Any, device: str) -> None:
        self._atomic(lambda: self.remove_vnic(device))

    def m_QueryNetworkHint(self, ctx: Any, device: Optional[List[str]] = None) -> Any:
        """What the NICs observed on the wire: the simulated upstream switches send no CDP or LLDP and
        the host has seen no traffic to learn subnets from, so every hint is empty [INF]."""
        names = list(device) if device else sorted(self.host.pnics)
        unknown = [d for d in names if d not in self.host.pnics]
        if unknown:
            raise vim.fault.NotFound(msg="physical NIC %s not found" % ", ".join(unknown))
        return [vim.host.PhysicalNic.NetworkHint(device=d, subnet=[]) for d in names]

    def m_RefreshNetworkSystem(self, ctx: Any) -> None:
        return None

    def m_UpdateNetworkConfig(self, ctx: Any, config: Any, changeMode: str) -> Any:
        if changeMode not in ("modify", "replace"):
            raise invalid("changeMode")
        return self._atomic(lambda: self.apply_config(config, changeMode))

    # -- UpdateNetworkConfig ---------------------------------------------------------------
    def apply_config(self, config: Any, mode: str) -> Any:
        added: List[str] = []
        if mode == "replace":
            self._replace_prune(config)
        ops = {op: [] for op in ("add", "edit", "remove")}  # type: Dict[str, List[Tuple[str, Any]]]
        for sw in config.vswitch or []:
            ops[_op(sw.changeOperation)].append(("vswitch", sw))
        for pg in config.portgroup or []:
            ops[_op(pg.changeOperation)].append(("portgroup", pg))
        for vn in config.vnic or []:
            ops[_op(vn.changeOperation)].append(("vnic", vn))
        for kind, item in ops["add"] + ops["edit"]:
            self._apply_one(kind, item, mode, added)
        for kind, item in sorted(ops["remove"], key=lambda ki: ("vnic", "portgroup", "vswitch").index(ki[0])):
            self._apply_one(kind, item, mode, added)
        if config.dnsConfig is not None:
            self.set_dns(config.dnsConfig)
        if config.ipRouteConfig is not None:
            self.set_route(config.ipRouteConfig)
        return vim.host.NetworkConfig.Result(vnicDevice=added)

    def _apply_one(self, kind: str, item: Any, mode: str, added: List[str]) -> None:
        op = _op(item.changeOperation) if mode == "modify" or item.changeOperation else "add"
        if kind == "vswitch":
            {"add": lambda: self.add_switch(item.name, item.spec), "edit": lambda: self.edit_switch(item.name, item.spec),
             "remove": lambda: self.remove_switch(item.name)}[op]()
        elif kind == "portgroup":
            {"add": lambda: self.add_pg(item.spec), "edit": lambda: self.edit_pg(item.spec.name, item.spec),
             "remove": lambda: self.remove_pg(item.spec.name)}[op]()
        elif op == "add":
            added.append(self.add_vnic(item.portgroup, item.spec, item.device))
        elif op == "edit":
            self.edit_vnic(item.device, item.spec)
        else:
            self.remove_vnic(item.device)

    def _replace_prune(self, config: Any) -> None:
        """changeMode replace: objects not listed are destroyed (pnics excepted)."""
        keep_vnics = {v.device for v in config.vnic or []}
        for device in [d for d in self.host.vnics if d not in keep_vnics]:
            self.remove_vnic(device)
        keep_pgs = {p.spec.name for p in config.portgroup or []}
        for name in [n for n in self.host.portgroups if n not in keep_pgs]:
            self.remove_pg(name)
        keep_sw = {s.name for s in config.vswitch or []}
        for name in [n for n in self.host.vswitches if n not in keep_sw]:
            self.remove_switch(name)
        for item in list(config.vswitch or []) + list(config.portgroup or []) + list(config.vnic or []):
            item.changeOperation = "edit" if self._exists(item) else "add"

    def _exists(self, item: Any) -> bool:
        if isinstance(item, vim.host.VirtualSwitch.Config):
            return item.name in self.host.vswitches
        if isinstance(item, vim.host.PortGroup.Config):
            return item.spec.name in self.host.portgroups
        return item.device in self.host.vnics

    # -- vSwitch -------------------------------------------------------------------------
    def _check_switch_spec(self, name: str, spec: Any, adding: bool = False) -> None:
        if len(name) > 32 or not name:
            raise invalid("vswitchName")
        if spec.mtu is not None and not 1280 <= spec.mtu <= 9000:
            raise invalid("spec.mtu")
        if spec.numPorts is not None and not 0 <= spec.numPorts <= 4088:
            raise invalid("spec.numPorts")
        bridge = _bridge(spec)
        if spec.bridge is not None and not isinstance(spec.bridge, vim.host.VirtualSwitch.BondBridge):
            raise vmodl.fault.NotSupported(msg="only BondBridge is supported on ESXi")
        for nic in bridge:
            if nic not in self.host.pnics:
                # AddVirtualSwitch declares no NotFound: an unknown NIC is a bad argument there [INF]
                if adding:
                    raise invalid("spec.bridge.nicDevice", "physical NIC %s not found" % nic)
                raise vim.fault.NotFound(msg="physical NIC %s not found" % nic)
            owner = next((n for n, s in self.host.vswitches.items() if n != name and nic in _bridge(s)), None) or other_pnic_owner(self.host, nic)
            if owner is not None:
                raise vim.fault.ResourceInUse(type=vim.host.PhysicalNic, name=nic, msg="%s is already used by %s" % (nic, owner))
        if spec.policy is not None:
            self._check_policy(spec.policy, bridge, "spec.policy", spec)

    def _check_policy(self, policy: Any, bridge: List[str], prop: str, switch_spec: Any) -> None:
        team = policy.nicTeaming
        if team is None:
            return
        if team.policy is not None and team.policy not in ("loadbalance_ip", "loadbalance_srcmac", "loadbalance_srcid", "failover_explicit"):
            raise invalid(prop + ".nicTeaming.policy")
        order = team.nicOrder
        if order is not None:
            active, standby = list(order.activeNic or []), list(order.standbyNic or [])
            names = active + standby
            if len(names) != len(set(names)):
                raise invalid(prop + ".nicTeaming.nicOrder")
            if any(n not in bridge for n in names):
                raise invalid(prop + ".nicTeaming.nicOrder")
        crit = team.failureCriteria
        if crit is not None and crit.checkBeacon and (switch_spec.bridge is None or switch_spec.bridge.beacon is None):
            # [INF] the fault type for beacon probing without a bridge beacon is not documented
            raise vim.fault.HostConfigFault(msg="Beacon probing needs a beacon configuration on the vSwitch bridge")

    def add_switch(self, name: str, spec: Any) -> None:
        if name in self.host.vswitches:
            raise vim.fault.AlreadyExists(name=name)
        spec = copy.deepcopy(spec) if spec is not None else vim.host.VirtualSwitch.Specification(numPorts=128)
        self._check_switch_spec(name, spec, adding=True)
        # A vSwitch policy is never partial when read: unset leaves get ESXi's defaults [INF]
        spec.policy = _merge(spec.policy, default_switch_policy(_bridge(spec)))
        spec.mtu = spec.mtu or 1500
        self.host.vswitches[name] = spec

    def edit_switch(self, name: str, spec: Any) -> None:
        old = self.host.vswitches.get(name)
        if old is None:
            raise vim.fault.NotFound(msg="vSwitch %s not found" % name)
        spec = copy.deepcopy(spec)
        self._check_switch_spec(name, spec)
        if spec.policy is None:  # unset on update = unchanged
            spec.policy = old.policy
        spec.mtu = spec.mtu or old.mtu
        # A NIC removed from the bridge stays in stored port-group orders (vsphere-api.md §3.1) [INF]
        self.host.vswitches[name] = spec

    def remove_switch(self, name: str) -> None:
        if name not in self.host.vswitches:
            raise vim.fault.NotFound(msg="vSwitch %s not found" % name)
        if any(self.host.portgroups[v.portgroup].vswitchName == name for v in self.host.vnics.values() if v.portgroup):
            raise vim.fault.ResourceInUse(type=vim.host.VirtualSwitch, name=name)
        for pg in [p for p, s in self.host.portgroups.items() if s.vswitchName == name]:
            del self.host.portgroups[pg]
        del self.host.vswitches[name]

    # -- port groups ---------------------------------------------------------------------
    def _check_pg(self, spec: Any) -> None:
        if spec.name is None or spec.vswitchName is None or spec.vlanId is None:
            raise invalid("portgrp")
        if spec.vswitchName not in self.host.vswitches:
            raise vim.fault.NotFound(msg="vSwitch %s not found" % spec.vswitchName)
        if not 0 <= spec.vlanId <= 4095:
            raise invalid("portgrp.vlanId")
        sw = self.host.vswitches[spec.vswitchName]
        if spec.policy is not None:
            self._check_policy(spec.policy, _bridge(sw), "portgrp.policy", sw)

    def add_pg(self, spec: Any) -> None:
        if spec.name in self.host.portgroups:
            raise vim.fault.AlreadyExists(name=spec.name)
        self._check_pg(spec)
        stored = copy.deepcopy(spec)
        stored.policy = _merge(stored.policy, _empty_pg_policy()) if stored.policy is not None else _empty_pg_policy()
        self.host.portgroups[spec.name] = stored

    def edit_pg(self, name: str, spec: Any) -> None:
        if name not in self.host.portgroups:
            raise vim.fault.NotFound(msg="port group %s not found" % name)
        if spec.name != name and spec.name in self.host.portgroups:
            raise vim.fault.AlreadyExists(name=spec.name)
        self._check_pg(spec)
        if spec.vswitchName != self.host.portgroups[name].vswitchName and _vnics_on(self.host, name):
            raise vim.fault.HostConfigFault(msg="port group %s carries VMkernel NICs" % name)  # [INF]
        stored = copy.deepcopy(spec)  # full replacement (vsphere-api.md §3.1)
        stored.policy = _merge(stored.policy, _empty_pg_policy()) if stored.policy is not None else _empty_pg_policy()
        del self.host.portgroups[name]
        self.host.portgroups[spec.name] = stored
        for vnic in _vnics_on(self.host, name):
            vnic.portgroup = spec.name

    def remove_pg(self, name: str) -> None:
        if name not in self.host.portgroups:
            raise vim.fault.NotFound(msg="port group %s not found" % name)
        if _vnics_on(self.host, name):
            raise vim.fault.ResourceInUse(type=vim.host.PortGroup, name=name)
        del self.host.portgroups[name]

    # -- vmks ----------------------------------------------------------------------------
    def _check_vnic_spec(self, spec: Any, prop: str = "nic") -> None:
        if spec.mtu is not None and not 1280 <= spec.mtu <= 9000:
            raise invalid(prop + ".mtu")
        ip = spec.ip
        if ip is not None and not ip.dhcp and ip.ipAddress:
            try:
                ipaddress.IPv4Interface("%s/%s" % (ip.ipAddress, ip.subnetMask))
            except ValueError:
                raise invalid(prop + ".ip") from None
        if spec.netStackInstanceKey is not None and spec.netStackInstanceKey not in NETSTACKS:
            raise invalid(prop + ".netStackInstanceKey")

    def add_vnic(self, portgroup: str, spec: Any, device: Optional[str]) -> str:
        spec = copy.deepcopy(spec)
        self._check_vnic_spec(spec)
        if spec.distributedVirtualPort is not None:
            spec.distributedVirtualPort = self._connect(spec.distributedVirtualPort)
            portgroup = ""
        else:
            if portgroup not in self.host.portgroups:
                raise invalid("portgroup", "port group %s not found" % portgroup)
            if _vnics_on(self.host, portgroup):
                raise vim.fault.AlreadyExists(name=portgroup)
        device = self._allocate(device)
        spec.mtu = spec.mtu or 1500
        spec.netStackInstanceKey = spec.netStackInstanceKey or "defaultTcpipStack"
        spec.tsoEnabled = True if spec.tsoEnabled is None else spec.tsoEnabled
        spec.ip = spec.ip or vim.host.IpConfig(dhcp=True)
        mac = spec.mac or "00:50:56:6%s:%02x:%02x" % (self.moid[-1], len(self.host.name) % 256, int(device[3:]))
        spec.mac = mac
        spec.portgroup = portgroup or None
        self.host.vnics[device] = _Vnic(portgroup, spec, mac)
        return device

    def _connect(self, conn: Any) -> Any:
        """The port a vmk gets on a dvPortgroup (the connector registered by dvs.py)."""
        if not _DVS_CONNECTOR:
            raise invalid("nic.distributedVirtualPort.switchUuid", "distributed virtual switch %s not found" % conn.switchUuid)
        return _DVS_CONNECTOR[0](self.host, conn)

    def _allocate(self, device: Optional[str]) -> str:
        """Lowest free vmkN like ESXi; a requested name is honoured when free [INF]."""
        if device:
            if device in self.host.vnics:
                raise vim.fault.AlreadyExists(name=device)
            if not device.startswith("vmk") or not device[3:].isdigit():
                raise invalid("device")
            return device
        n = 0
        while "vmk%d" % n in self.host.vnics:
            n += 1
        return "vmk%d" % n

    def edit_vnic(self, device: str, spec: Any) -> None:
        vnic = self.host.vnics.get(device)
        if vnic is None:
            raise vim.fault.NotFound(msg="virtual NIC %s not found" % device)
        self._check_vnic_spec(spec)
        if spec.netStackInstanceKey is not None and spec.netStackInstanceKey != _stack(vnic):
            raise vim.fault.HostConfigFault(msg="The TCP/IP stack of %s cannot be changed" % device)  # [INF]
        conn, current = spec.distributedVirtualPort, vnic.spec.distributedVirtualPort
        if conn is not None:
            # Migration to (or between) dvPortgroups: a new port unless switch and portgroup stay
            if current is None or (conn.switchUuid, conn.portgroupKey) != (current.switchUuid, current.portgroupKey):
                vnic.spec.distributedVirtualPort = self._connect(conn)
                vnic.portgroup = ""
        elif spec.portgroup and spec.portgroup != vnic.portgroup:
            if spec.portgroup not in self.host.portgroups:
                raise invalid("nic.portgroup")
            if _vnics_on(self.host, spec.portgroup):  # UpdateVirtualNic declares no AlreadyExists [INF]
                raise vim.fault.HostConfigFault(msg="port group %s already has a VMkernel NIC" % spec.portgroup)
            vnic.portgroup = spec.portgroup
            vnic.spec.distributedVirtualPort = None  # back from a dvPortgroup to a standard port group
        for prop in ("ip", "mtu", "mac", "tsoEnabled", "ipRouteSpec"):
            value = getattr(spec, prop, None)
            if value is not None:
                setattr(vnic.spec, prop, copy.deepcopy(value))
        vnic.spec.portgroup = vnic.portgroup or None

    def remove_vnic(self, device: str) -> None:
        if device not in self.host.vnics:
            raise vim.fault.NotFound(msg="virtual NIC %s not found" % device)
        for guard in self.host.vnic_removal_guards:
            guard(self.host, device)
        del self.host.vnics[device]
        for devices in self.host.selected.values():
            devices.discard(device)


def _op(change_operation: Optional[str]) -> str:
    if change_operation not in ("add", "edit", "remove"):
        raise invalid("changeOperation")
    return change_operation


# ---------------------------------------------------------------------------------------
# HostVirtualNicManager
# ---------------------------------------------------------------------------------------


class VirtualNicManager(MO):
    WSDL, PYTYPE = "HostVirtualNicManager", vim.host.VirtualNicManager
    WRITES = frozenset({"SelectVnicForNicType", "DeselectVnicForNicType"})

    def __init__(self, sim: Any, moid: str, host: HostModel) -> None:
        super().__init__(sim, moid)
        self.host = host

    def p_info(self) -> Any:
        return vnic_manager_info(self.host)

    def _check(self, nicType: str, device: str) -> None:
        if nicType not in self.host.nic_types():
            raise invalid("nicType")
        vnic = self.host.vnics.get(device)
        if vnic is None or not _candidate(vnic, nicType):
            raise invalid("device")

    def m_QueryNetConfig(self, ctx: Any, nicType: str) -> Any:
        if nicType not in self.host.nic_types():
            raise invalid("nicType")
        return next(c for c in vnic_manager_info(self.host).netConfig if c.nicType == nicType)

    def m_SelectVnicForNicType(self, ctx: Any, nicType: str, device: str) -> None:
        self._check(nicType, device)
        self.host.selected.setdefault(nicType, set()).add(device)
        self.sim.changed()

    def m_DeselectVnicForNicType(self, ctx: Any, nicType: str, device: str) -> None:
        self._check(nicType, device)
        if device not in self.host.selected.get(nicType, set()):
            raise invalid("device", "%s is not selected for %s" % (device, nicType))
        self.host.selected[nicType].discard(device)
        self.sim.changed()
