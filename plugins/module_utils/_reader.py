# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Observed state: one PropertyCollector round trip for every selected host -> ``_model.Host``.

Private to this collection. Imports pyVmomi (guarded in ``_client``).

Invariants
- Exactly one ``RetrievePropertiesEx`` per run (plus ``ContinueRetrievePropertiesEx`` only when
  the server pages), traversing from the root folder; never a per-property ``Fetch``: no
  attribute of a managed-object reference is ever read here, only ``_moId``.
- The pure model gets concrete values; the pyVmomi objects the applier needs (manager
  references, each vSwitch's and port group's original spec) live in ``RawHost`` only.
- Distributed switches come in the same round trip (Datacenter -> networkFolder): every
  VMware distributed switch and dvPortgroup is read, and each host keeps the dvPortgroups of
  the switches it is a member of (its ``config.network.proxySwitch``), with their teaming in
  the switch's uplink / LAG names and this host's pnics behind each name.
- Fail closed (rule SF-9): a selected host whose network state is missing from the answer is
  an error, never an empty host. A host whose iSCSI state could not be read
  (``config.storageDevice`` absent from the answer, or ``QueryBoundVnics`` failing for an
  adapter) is read with ``Host.iscsi_known = False`` and the reasons in ``Host.iscsi_unread``;
  the validator then refuses (SF-9) every plan that touches iSCSI or a vmk that might be bound.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._client import Session, guarded
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import FabricError, NotFoundError, StateReadError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._from_api import distributed_from_api, host_from_api, iscsi_from_api
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Host,
    IscsiAdapter,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._parallel import each

try:
    from pyVmomi import vim, vmodl
except ImportError:  # pragma: no cover - the module wrapper reports the missing library
    pass

HOST_PROPS: tuple[str, ...] = (
    "name",
    "config.product",
    "config.network",
    "config.virtualNicManagerInfo",
    "configManager.networkSystem",
    "configManager.virtualNicManager",
    "configManager.storageSystem",
    "configManager.iscsiManager",
    "config.storageDevice.hostBusAdapter",
    "config.storageDevice.softwareInternetScsiEnabled",
    "config.storageDevice.scsiTopology",
)
"""Every host property the pipeline needs, read in the one round trip, and nothing it does not convert
(pinned by test_reader). The iSCSI adapters come with it so that every module (not only the iSCSI ones)
sees which vmks are bound (SF-3)."""
STORAGE_PROPS: tuple[str, ...] = ("config.storageDevice",)
CLUSTER_PROPS: tuple[str, ...] = ("name", "host")
DVS_PROPS: tuple[str, ...] = ("name", "uuid", "config.uplinkPortPolicy", "config.defaultPortConfig", "config.maxMtu")
VMWARE_DVS_PROPS: tuple[str, ...] = ("config.lacpGroupConfig",)
"""Only VMware distributed switches have LACP groups (a path a type lacks would fail the read)."""
DV_PORTGROUP_PROPS: tuple[str, ...] = ("key", "name", "config.distributedVirtualSwitch", "config.defaultPortConfig",
                                       "config.uplink", "config.configVersion")
REQUIRED_PROPS: tuple[str, ...] = ("config.network", "config.virtualNicManagerInfo",
                                   "configManager.networkSystem", "configManager.virtualNicManager")
_LIST_LIMIT = 20


@dataclass(frozen=True)
class Selection:
    """Which hosts a run manages: one named host, or every host of a cluster."""

    esxi_hostname: str | None = None
    cluster: str | None = None

    @property
    def cluster_mode(self) -> bool:
        return self.cluster is not None


@dataclass
class RawHost:
    """What the applier needs from pyVmomi for one host; never part of the pure model."""

    name: str
    ref: Any  # vim.HostSystem
    network_system: Any  # vim.host.NetworkSystem
    vnic_manager: Any  # vim.host.VirtualNicManager
    storage_system: Any = None
    iscsi_manager: Any = None
    vswitch_specs: dict[str, Any] = field(default_factory=dict)  # name -> HostVirtualSwitchSpec
    portgroup_specs: dict[str, Any] = field(default_factory=dict)  # name -> HostPortGroupSpec
    vnic_specs: dict[str, Any] = field(default_factory=dict)  # device -> HostVirtualNicSpec
    proxy_switches: dict[str, Any] = field(default_factory=dict)  # distributed switch uuid -> HostProxySwitch
    storage_device: Any = None  # HostStorageDeviceInfo, when read
    software_enabled: bool = False
    hbas: dict[str, Any] = field(default_factory=dict)  # device -> HostInternetScsiHba (targets for the applier)


@dataclass
class RawNetwork:
    """The distributed switches and dvPortgroups of the read, for the switch-wide writes."""

    switches: dict[str, Any] = field(default_factory=dict)  # switch name -> DistributedVirtualSwitch MoRef
    uuids: dict[str, str] = field(default_factory=dict)  # switch name -> uuid
    portgroups: dict[str, tuple[Any, str]] = field(default_factory=dict)  # key -> (dvPortgroup MoRef, configVersion)


@dataclass
class Observation:
    """One consistent read: per selected host (keyed by the name the task used) model + raw."""

    hosts: dict[str, Host]
    raw: dict[str, RawHost]
    network: RawNetwork = field(default_factory=RawNetwork)


# ---------------------------------------------------------------------------------------
# The one round trip
# ---------------------------------------------------------------------------------------


def filter_spec(root_folder: Any, host_props: Sequence[str]) -> Any:
    """Folder -> childEntity (recursive), Datacenter -> hostFolder and networkFolder,
    ComputeResource -> host, reading ``host_props`` of every host. The network folders hold the
    distributed switches and dvPortgroups."""
    TS = vmodl.query.PropertyCollector.TraversalSpec
    SS = vmodl.query.PropertyCollector.SelectionSpec
    to_folder = SS(name="folder")
    folder = TS(name="folder", type=vim.Folder, path="childEntity", skip=False,
                selectSet=[to_folder, SS(name="datacenter"), SS(name="datacenterNetwork"), SS(name="compute")])
    datacenter = TS(name="datacenter", type=vim.Datacenter, path="hostFolder", skip=False, selectSet=[to_folder])
    network = TS(name="datacenterNetwork", type=vim.Datacenter, path="networkFolder", skip=False, selectSet=[to_folder])
    compute = TS(name="compute", type=vim.ComputeResource, path="host", skip=False)
    PS = vmodl.query.PropertyCollector.PropertySpec
    return vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(obj=root_folder, skip=True,
                                                            selectSet=[folder, datacenter, network, compute])],
        propSet=[PS(type=vim.ClusterComputeResource, pathSet=list(CLUSTER_PROPS)),
                 PS(type=vim.HostSystem, pathSet=list(host_props)),
                 PS(type=vim.DistributedVirtualSwitch, pathSet=list(DVS_PROPS)),
                 PS(type=vim.dvs.VmwareDistributedVirtualSwitch, pathSet=list(VMWARE_DVS_PROPS)),
                 PS(type=vim.dvs.DistributedVirtualPortgroup, pathSet=list(DV_PORTGROUP_PROPS))],
        reportMissingObjectsInResults=False,
    )


def retrieve(session: Session, spec: Any, error: type[FabricError] = StateReadError) -> list[Any]:
    """RetrievePropertiesEx, following the paging token if the server pages; a fault is ``error``."""
    pc = session.content.propertyCollector
    options = vmodl.query.PropertyCollector.RetrieveOptions()
    where = session.endpoint
    result = guarded(where, "RetrievePropertiesEx", pc.RetrievePropertiesEx, specSet=[spec], options=options,
                     error=error)
    objects: list[Any] = []
    while result is not None:
        objects.extend(result.objects or [])
        if not result.token:
            break
        result = guarded(where, "ContinueRetrievePropertiesEx", pc.ContinueRetrievePropertiesEx,
                         token=result.token, error=error)
    return objects


def props_of(session: Session, refs: Sequence[Any], kind: Any, paths: Sequence[str],
             error: type[FabricError] = StateReadError) -> dict[str, dict[str, Any]]:
    """Targeted read of some objects of one managed type: one RetrievePropertiesEx for all of
    them. moid -> {path: value} (an object the server did not return is absent)."""
    PC = vmodl.query.PropertyCollector
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=r, skip=False) for r in refs],
                         propSet=[PC.PropertySpec(type=kind, pathSet=list(paths))])
    return {oc.obj._moId: {p.name: p.val for p in oc.propSet or []} for oc in retrieve(session, spec, error)}


def _probe(name: str, raw: RawHost, props: Mapping[str, Any]) -> RawHost:
    """``raw`` with the iSCSI adapters of a targeted read (what ``read_bindings`` queries)."""
    return RawHost(name=name, ref=raw.ref, network_system=raw.network_system, vnic_manager=raw.vnic_manager,
                   iscsi_manager=raw.iscsi_manager,
                   hbas={h.device: h for h in props.get("config.storageDevice.hostBusAdapter") or []
                         if isinstance(h, vim.host.InternetScsiHba)},
                   software_enabled=bool(props.get("config.storageDevice.softwareInternetScsiEnabled")))


@dataclass
class _Inventory:
    clusters: dict[str, list[str]] = field(default_factory=dict)  # cluster name -> host moIds
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)  # moId -> {prop: value}
    refs: dict[str, Any] = field(default_factory=dict)  # moId -> HostSystem MoRef
    missing: dict[str, list[str]] = field(default_factory=dict)  # moId -> missing property paths
    switches: dict[str, dict[str, Any]] = field(default_factory=dict)  # DVS moId -> {prop: value}
    dv_portgroups: dict[str, dict[str, Any]] = field(default_factory=dict)  # dvPortgroup moId -> {prop: value}
    network_refs: dict[str, Any] = field(default_factory=dict)  # DVS / dvPortgroup moId -> MoRef


def index(objects: Iterable[Any]) -> _Inventory:
    """Split the ObjectContents into clusters and hosts (only ``_moId`` of a MoRef is used)."""
    inv = _Inventory()
    for oc in objects:
        props = {dp.name: dp.val for dp in (oc.propSet or [])}
        if isinstance(oc.obj, vim.ClusterComputeResource):
            inv.clusters[props.get("name", oc.obj._moId)] = [h._moId for h in (props.get("host") or [])]
        elif isinstance(oc.obj, vim.HostSystem):
            inv.hosts[oc.obj._moId] = props
            inv.refs[oc.obj._moId] = oc.obj
            inv.missing[oc.obj._moId] = [m.path for m in (oc.missingSet or [])]
        elif isinstance(oc.obj, vim.DistributedVirtualSwitch):
            inv.switches[oc.obj._moId] = props
            inv.network_refs[oc.obj._moId] = oc.obj
        elif isinstance(oc.obj, vim.dvs.DistributedVirtualPortgroup):
            inv.dv_portgroups[oc.obj._moId] = props
            inv.network_refs[oc.obj._moId] = oc.obj
    return inv


def raw_network(inv: _Inventory) -> RawNetwork:
    """The MoRefs the switch-wide writes need (``CreateDVPortgroup_Task``, ``ReconfigureDVPortgroup_Task``)."""
    out = RawNetwork()
    for moid, props in inv.switches.items():
        name = props.get("name") or moid
        out.switches[name] = inv.network_refs[moid]
        out.uuids[name] = props.get("uuid") or ""
    for moid, props in inv.dv_portgroups.items():
        out.portgroups[props.get("key") or moid] = (inv.network_refs[moid], props.get("config.configVersion") or "")
    return out


def read(session: Session, selection: Selection, storage: bool = False) -> Observation:
    """Read every selected host and convert it to the model: the PropertyCollector cost follows the
    hosts in scope, not the inventory. On vCenter, one read of the inventory's shape (clusters and their
    hosts' names and references, the distributed switches and dvPortgroups), then one read of the full
    state of the selected hosts only; on ESXi (one host) a single read. Then ``QueryBoundVnics`` per
    usable iSCSI adapter, ``session.parallel`` hosts at a time."""
    paths = HOST_PROPS + (STORAGE_PROPS if storage else ())
    root = session.content.rootFolder
    if session.is_vcenter:
        inv = index(retrieve(session, filter_spec(root, ("name",))))
        chosen = select(inv, selection, session)
        full = index(retrieve(session, hosts_spec([inv.refs[moid] for _name, moid in chosen], paths)))
        inv.hosts.update(full.hosts)
        inv.missing.update(full.missing)
    else:
        inv = index(retrieve(session, filter_spec(root, paths)))
        chosen = select(inv, selection, session)
    network = distributed_from_api(inv.switches, inv.dv_portgroups)
    raw: dict[str, RawHost] = {}
    unread: dict[str, list[str]] = {}
    for name, moid in chosen:
        props = inv.hosts[moid]
        _require(name, props, inv.missing.get(moid, []))
        raw[name] = raw_from_api(name, inv.refs[moid], props)
        unread[name] = iscsi_unread(props, inv.missing.get(moid, []), raw[name])
    names = [name for name, _moid in chosen]
    bound = each(names, lambda n: read_bindings(session, raw[n], unread[n]), session.parallel)
    hosts = {name: host_from_api(name, inv.hosts[moid], bound[i], unread[name], network)
             for i, (name, moid) in enumerate(chosen)}
    return Observation(hosts=hosts, raw=raw, network=raw_network(inv))


def hosts_spec(refs: Sequence[Any], paths: Sequence[str]) -> Any:
    """``paths`` of exactly these hosts, no traversal."""
    PC = vmodl.query.PropertyCollector
    return PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=r, skip=False) for r in refs],
                         propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=list(paths))],
                         reportMissingObjectsInResults=False)


def iscsi_unread(props: Mapping[str, Any], missing: list[str], raw: RawHost) -> list[str]:
    """What of the host's iSCSI state the answer lacks ([] = complete).

    ``softwareInternetScsiEnabled`` is a required field of ``HostStorageDeviceInfo``: when the
    answer holds no value for it, ``config.storageDevice`` itself was not served.
    """
    out = ["%s (missing: %s)" % (p, p) for p in ISCSI_PROPS if p in missing]
    if not out and props.get("config.storageDevice.softwareInternetScsiEnabled") is None:
        out.append("config.storageDevice (not in the PropertyCollector answer)")
    if raw.hbas and raw.iscsi_manager is None:
        out.append("configManager.iscsiManager (the bound vmks of %s cannot be queried)" % ", ".join(sorted(raw.hbas)))
    return out


ISCSI_PROPS: tuple[str, ...] = (
    "config.network.pnic",
    "config.storageDevice.hostBusAdapter",
    "config.storageDevice.softwareInternetScsiEnabled",
    "config.storageDevice.scsiTopology",
)


def read_iscsi(session: Session, raws: Mapping[str, RawHost],
               known: Mapping[str, Mapping[str, IscsiAdapter]] | None = None) -> dict[str, dict[str, IscsiAdapter]]:
    """Targeted read-back of the iSCSI state of some hosts: one RetrievePropertiesEx for all of
    them, then ``QueryBoundVnics`` per usable adapter (``session.parallel`` hosts at a time).
    ``known``: hosts whose bound sets the run did not change, with their adapters as read at the
    start; their bindings are taken from there instead of being queried again. host name -> adapters."""
    if not raws:
        return {}
    known = known or {}
    by_moid = props_of(session, [r.ref for r in raws.values()], vim.HostSystem, ISCSI_PROPS)
    probes: dict[str, RawHost] = {}
    for name, raw in raws.items():
        props = by_moid.get(raw.ref._moId)
        if props is None:
            raise StateReadError("%s: could not read the iSCSI state back after the change" % name, host=name)
        probes[name] = _probe(name, raw, props)
    names = list(raws)
    bound = each(names, lambda n: {} if n in known else read_bindings(session, probes[n]), session.parallel)
    out = {}
    for i, name in enumerate(names):
        adapters = iscsi_from_api(by_moid[raws[name].ref._moId], bound[i])
        if name in known:
            adapters = {d: dataclasses.replace(a, bindings=known[name][d].bindings) if d in known[name] else a
                        for d, a in adapters.items()}
        out[name] = adapters
    return out


def software_adapters(session: Session, raws: Mapping[str, RawHost]) -> dict[str, str | None]:
    """The software iSCSI adapter of each host (None if it has none), e.g. just after this run
    enabled software iSCSI: one RetrievePropertiesEx for all of them. host name -> device."""
    if not raws:
        return {}
    by_moid = props_of(session, [r.ref for r in raws.values()], vim.HostSystem, ("config.storageDevice.hostBusAdapter",))
    out: dict[str, str | None] = {}
    for name, raw in raws.items():
        hbas = by_moid.get(raw.ref._moId, {}).get("config.storageDevice.hostBusAdapter") or []
        out[name] = next((h.device for h in hbas if isinstance(h, vim.host.InternetScsiHba) and h.isSoftwareBased), None)
    return out


RECHECK_PROPS: tuple[str, ...] = ("config.network", "config.virtualNicManagerInfo")
"""What the check before the first write (rule SF-10) re-reads of every host about to be written."""


def reread(session: Session, obs: Observation, hosts: Mapping[str, bool]) -> dict[str, Host]:
    """The state of the hosts about to be written, read again just before the first write
    (rule SF-10): one RetrievePropertiesEx for all of them (``config.network``, the service
    tags, and the iSCSI adapters when any host's flag is true), then ``QueryBoundVnics`` per
    usable adapter of each host whose flag is true. host name -> Host (compare with ``obs``)."""
    if not hosts:
        return {}
    storage = tuple(p for p in ISCSI_PROPS if p.startswith("config.storageDevice."))
    paths = RECHECK_PROPS + (storage if any(hosts.values()) else ())
    by_moid = props_of(session, [obs.raw[h].ref for h in hosts], vim.HostSystem, paths)
    props: dict[str, Mapping[str, Any]] = {}
    for name in hosts:
        found = by_moid.get(obs.raw[name].ref._moId)
        if found is None or found.get("config.network") is None:
            raise StateReadError("%s: could not read the host again before the first write; nothing was changed" % name,
                                 host=name)
        props[name] = found
    names = list(hosts)

    def bound(name: str) -> dict[str, list[Any]]:
        return read_bindings(session, _probe(name, obs.raw[name], props[name])) if hosts[name] else {}
    found_bound = each(names, bound, session.parallel)
    return {name: host_from_api(name, props[name], found_bound[i]) for i, name in enumerate(names)}


def read_bindings(session: Session, raw: RawHost, unread: list[str] | None = None) -> dict[str, list[Any]]:
    """``QueryBoundVnics`` of every usable iSCSI adapter of one host (adapter -> IscsiPortInfo[]).

    A disabled software adapter has no bindings that carry I/O and is not queried; a host
    without iSCSI adapters costs no call at all. A fault raises ``StateReadError``, or, when
    ``unread`` is given, is appended there (the adapter is then left out of the answer) and the
    other adapters are still queried. A dropped connection always raises.
    """
    out: dict[str, list[Any]] = {}
    if raw.iscsi_manager is None:
        return out
    for device, hba in sorted(raw.hbas.items()):
        if hba.isSoftwareBased and not raw.software_enabled:
            continue
        try:
            out[device] = list(guarded(raw.name, "QueryBoundVnics", raw.iscsi_manager.QueryBoundVnics,
                                       iScsiHbaName=device, error=StateReadError) or [])
        except StateReadError as err:
            if unread is None:
                raise
            unread.append("the bound vmks of %s (QueryBoundVnics failed: %s)" % (device, err.details.get("fault", "fault")))
    return out


def _require(name: str, props: Mapping[str, Any], missing: list[str]) -> None:
    absent = [p for p in REQUIRED_PROPS if props.get(p) is None]
    if absent:
        raise StateReadError("%s: could not read %s%s (is the host connected?); nothing was changed"
                             % (name, ", ".join(absent), " (missing: %s)" % ", ".join(missing) if missing else ""),
                             host=name)


# ---------------------------------------------------------------------------------------
# Selection
# ---------------------------------------------------------------------------------------


def _listing(names: Iterable[str]) -> str:
    ordered = sorted(names)
    if not ordered:
        return "none"
    more = len(ordered) - _LIST_LIMIT
    return ", ".join(ordered[:_LIST_LIMIT]) + (" and %d more" % more if more > 0 else "")


def select(inv: _Inventory, selection: Selection, session: Session) -> list[tuple[str, str]]:
    """(name used in results, host moId) for every selected host, sorted by name."""
    by_name = {props.get("name", moid): moid for moid, props in inv.hosts.items()}
    if selection.cluster_mode:
        return _select_cluster(inv, str(selection.cluster), session.endpoint)
    wanted = str(selection.esxi_hostname)
    if wanted in by_name:
        return [(wanted, by_name[wanted])]
    folded = {n.lower(): moid for n, moid in by_name.items()}
    if wanted.lower() in folded:
        return [(wanted, folded[wanted.lower()])]
    if not session.is_vcenter and len(by_name) == 1:
        # Connected straight to ESXi: its only HostSystem is the host the task named only if the
        # name is one of the host's own (its name, DNS name, an address, or the address the task
        # connected to). Results stay keyed by the task's name.
        moid = next(iter(by_name.values()))
        names = host_names(inv.hosts[moid], session.endpoint.rpartition(":")[0])
        if _answers_to(wanted.lower(), names):
            return [(wanted, moid)]
        raise NotFoundError("esxi_hostname %r is not the ESXi host at %s, which is %s (names and addresses: %s); nothing "
                            "was changed: connect to that host's own address, or through vCenter"
                            % (wanted, session.endpoint, next(iter(by_name)), ", ".join(sorted(names))), host=wanted)
    raise NotFoundError("Host %r not found on %s; hosts: %s" % (wanted, session.endpoint, _listing(by_name)),
                        host=wanted)


def host_names(props: Mapping[str, Any], endpoint_host: str) -> set[str]:
    """Lower-cased names a standalone host answers to: the endpoint the task connected to, its
    inventory name, its DNS host name (short and with the domain) and its vmk addresses."""
    names = {endpoint_host.lower(), str(props.get("name", "")).lower()}
    net = props.get("config.network")
    dns = getattr(net, "dnsConfig", None)
    if dns is not None and dns.hostName:
        names.add(dns.hostName.lower())
        if dns.domainName:
            names.add(("%s.%s" % (dns.hostName, dns.domainName)).lower())
    for vnic in getattr(net, "vnic", None) or ():
        ip = getattr(getattr(vnic, "spec", None), "ip", None)
        if ip is not None and ip.ipAddress:
            names.add(ip.ipAddress.lower())
    names.discard("")
    return names


def _answers_to(wanted: str, names: set[str]) -> bool:
    """``wanted`` is one of ``names``, or an FQDN whose host label is a short name among them
    (connected to ``esx01``, the task may name ``esx01.lab.local``)."""
    if wanted in names:
        return True
    short = {n for n in names if "." not in n}
    return not _is_address(wanted) and wanted.split(".")[0] in short


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _select_cluster(inv: _Inventory, cluster: str, endpoint: str) -> list[tuple[str, str]]:
    if cluster not in inv.clusters:
        raise NotFoundError("Cluster %r not found on %s; clusters: %s" % (cluster, endpoint, _listing(inv.clusters)),
                            cluster=cluster)
    members = [(inv.hosts.get(m, {}).get("name", m), m) for m in inv.clusters[cluster] if m in inv.hosts]
    if not members:
        raise NotFoundError("Cluster %r on %s has no hosts" % (cluster, endpoint), cluster=cluster)
    return sorted(members)


def raw_from_api(name: str, ref: Any, props: Mapping[str, Any]) -> RawHost:
    net = props["config.network"]
    return RawHost(
        name=name,
        ref=ref,
        network_system=props["configManager.networkSystem"],
        vnic_manager=props["configManager.virtualNicManager"],
        storage_system=props.get("configManager.storageSystem"),
        iscsi_manager=props.get("configManager.iscsiManager"),
        vswitch_specs={vs.name: vs.spec for vs in (net.vswitch or [])},
        portgroup_specs={pg.spec.name: pg.spec for pg in (net.portgroup or [])},
        vnic_specs={v.device: v.spec for v in (net.vnic or [])},
        proxy_switches={p.dvsUuid: p for p in (getattr(net, "proxySwitch", None) or [])},
        storage_device=props.get("config.storageDevice"),
        hbas={h.device: h for h in props.get("config.storageDevice.hostBusAdapter") or []
              if isinstance(h, vim.host.InternetScsiHba)},
        software_enabled=bool(props.get("config.storageDevice.softwareInternetScsiEnabled")),
    )
