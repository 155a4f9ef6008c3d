"""One host's networking truth (``HostModel``: pyVmomi specs in dicts) and what is derived from it on
every read: the effective policies (computedPolicy resolved leaf by leaf), ``NetworkInfo``,
``NetworkConfig`` and ``VirtualNicManagerInfo``.

Distributed switches are found in the simulator's registry by type and asked through the
``HostSwitch`` protocol (``dvs.DistributedSwitch`` implements it): the host's proxy switches, which
pnics they take, the port a vmk gets on a dvPortgroup and that vmk's effective teaming.
Behaviour the references only infer is marked [INF].
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable
from typing import Any, Protocol, cast

from pyVmomi import VmomiSupport, vim

from .base import clone
from .state import Simulator

NIC_TYPES_80 = ("vmotion", "faultToleranceLogging", "vSphereReplication", "vSphereReplicationNFC", "management", "vsan",
                "vSphereProvisioning", "vsanWitness", "vSphereBackupNFC", "nvmeTcp", "nvmeRdma", "ptp")
NETSTACKS = ("defaultTcpipStack", "vmotion", "vSphereProvisioning")
DEDICATED = {"vmotion": "vmotion", "vSphereProvisioning": "vSphereProvisioning"}


class HostModel:
    """One host's live networking truth (pyVmomi specs in dicts) and the objects that serve it."""

    def __init__(self, sim: Simulator, name: str, version: str) -> None:
        self.sim, self.name, self.version = sim, name, version
        self.pnics: dict[str, tuple[int, str, str]] = {}  # device -> (link speed Mb/s, driver, mac)
        self.vswitches: dict[str, Any] = {}  # name -> HostVirtualSwitchSpec
        self.portgroups: dict[str, Any] = {}  # name -> HostPortGroupSpec
        self.vnics: dict[str, Any] = {}  # device -> HostVirtualNic (portgroup, spec, mac)
        self.selected: dict[str, set[str]] = {t: set() for t in self.nic_types()}
        self.storage: Any = None  # storage.StorageSystem, set when it is built
        self.iscsi: Any = None  # iscsi.IscsiManager, set when it is built
        self.vnic_removal_guards: list[Callable[[HostModel, str], None]] = []
        self.datastores: list[Any] = []  # host_services.Datastore objects the host mounts
        self.services: Any = None  # host_services.HostServices
        self.datacenter: Any = None
        self.route = vim.host.IpRouteConfig(defaultGateway="192.168.10.1")  # the default stack's default route
        self.dns = vim.host.DnsConfig(dhcp=False, hostName=name.split(".")[0], domainName=".".join(name.split(".")[1:]),
                                      address=[], searchDomain=[".".join(name.split(".")[1:])] if "." in name else [])

    def nic_types(self) -> tuple[str, ...]:
        return NIC_TYPES_80 if self.version >= "8" else NIC_TYPES_80[:8]

    # -- snapshots for all-or-nothing updates -----------------------------------------------
    def snapshot(self) -> tuple[Any, ...]:
        """The host's networking and its pnic backing on every distributed switch it is a member of."""
        members = [(sw, sw.member_pnics(self)) for sw in distributed_switches(self.sim)]
        return copy.deepcopy((self.vswitches, self.portgroups, self.vnics, self.selected, self.dns, self.route)), members

    def restore(self, snap: tuple[Any, ...]) -> None:
        own, members = snap
        self.vswitches, self.portgroups, self.vnics, self.selected, self.dns, self.route = own
        for sw, pnics in members:
            sw.restore_member_pnics(self, pnics)


def bridge_nics(spec: Any) -> list[str]:
    return list(spec.bridge.nicDevice) if spec.bridge is not None else []


def default_switch_policy(bridge: list[str]) -> Any:
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


def empty_pg_policy() -> Any:
    """What hosts return for a port group that overrides nothing: empty sub-objects (§3.4)."""
    return vim.host.NetworkPolicy(security=vim.host.NetworkPolicy.SecurityPolicy(),
                                  nicTeaming=vim.host.NetworkPolicy.NicTeamingPolicy(
                                      failureCriteria=vim.host.NetworkPolicy.NicFailureCriteria()),
                                  offloadPolicy=vim.host.NetOffloadCapabilities(),
                                  shapingPolicy=vim.host.NetworkPolicy.TrafficShapingPolicy())


def merge(override: Any, base: Any) -> Any:
    """Leaf-by-leaf merge of a (partial) data object over a complete one; nicOrder as a unit."""
    if override is None:
        return clone(base)
    if base is None:
        return clone(override)
    out = clone(base)
    for prop in base._GetPropertyList():
        mine = getattr(override, prop.name, None)
        if mine is None or (isinstance(mine, list) and not mine and prop.name not in ("activeNic", "standbyNic")):
            continue
        if prop.name == "nicOrder" or not isinstance(mine, VmomiSupport.DataObject):
            setattr(out, prop.name, clone(mine))
        else:
            setattr(out, prop.name, merge(mine, getattr(base, prop.name)))
    return out


def computed_policy(host: HostModel, pg: Any) -> Any:
    sw = host.vswitches[pg.vswitchName]
    return merge(pg.policy, sw.policy)


class HostSwitch(Protocol):
    """What the host layer asks of a distributed switch (implemented by ``dvs.DistributedSwitch``)."""

    uuid: str

    @property
    def name(self) -> str:
        """The switch's name."""

    def proxy_switch_of(self, host: HostModel) -> Any | None:
        """The host's ``HostProxySwitch`` of this switch; None when the host is not a member."""

    def uses_pnic(self, host: HostModel, pnic: str) -> bool:
        """True when the switch backs one of its uplink ports with ``pnic`` of ``host``."""

    def connect_vmk(self, host: HostModel, conn: Any) -> Any:
        """The ``PortConnection`` a vmk of ``host`` gets for ``conn`` (a switchUuid + portgroupKey)."""

    def vmk_teaming(self, host: HostModel, conn: Any) -> dict[str, Any]:
        """The effective teaming of a vmk on ``conn``, in host pnics (see ``effective_teaming``)."""

    def edit_proxy_switch(self, host: HostModel, backing: Any) -> None:
        """UpdateNetworkConfig's proxySwitch edit: ``backing`` is the member's complete pnic set; which
        switch owns a pnic is left to the caller, checked once the whole call is applied."""

    def member_pnics(self, host: HostModel) -> dict[str, str] | None:
        """A copy of the member's {pnic: uplink port name}; None when ``host`` is not a member."""

    def restore_member_pnics(self, host: HostModel, pnics: dict[str, str] | None) -> None:
        """Put back what ``member_pnics`` returned (rollback of a failed host change)."""


def distributed_switches(sim: Simulator) -> list[HostSwitch]:
    """The distributed switches in the registry."""
    return cast(list[HostSwitch], sim.of_type(vim.DistributedVirtualSwitch))


def switch_by_uuid(sim: Simulator, uuid: str | None) -> HostSwitch | None:
    return next((sw for sw in distributed_switches(sim) if sw.uuid == uuid), None)


def proxy_switches(host: HostModel) -> list[Any]:
    """``config.network.proxySwitch``: the host's proxy switch of each distributed switch it is a member of."""
    return [ps for ps in (sw.proxy_switch_of(host) for sw in distributed_switches(host.sim)) if ps is not None]


def pnic_owners(host: HostModel, pnic: str) -> list[str]:
    """Every vSwitch and distributed switch of ``host`` whose uplinks include ``pnic`` (at most one on a valid host)."""
    return ([n for n, s in host.vswitches.items() if pnic in bridge_nics(s)]
            + [sw.name for sw in distributed_switches(host.sim) if sw.uses_pnic(host, pnic)])


def other_pnic_owner(host: HostModel, pnic: str) -> str | None:
    """The name of a distributed switch using ``pnic`` of ``host`` (vSwitches check themselves), or None."""
    return next((sw.name for sw in distributed_switches(host.sim) if sw.uses_pnic(host, pnic)), None)


def detached_teaming(conn: Any, switch: str | None = None) -> dict[str, Any]:
    """The teaming of a vmk on a distributed port whose switch or portgroup is not found: no uplinks."""
    return {"switch": switch, "switch_uuid": conn.switchUuid, "portgroup": None, "portgroup_key": conn.portgroupKey,
            "port_key": conn.portKey, "lag": False, "policy": None, "active": [], "standby": [], "bridge": []}


def effective_teaming(host: HostModel, device: str) -> dict[str, Any]:
    """Effective teaming of a vmk (for the iSCSI compliance checks): on a vSS port group, or on a
    dvPortgroup as its switch resolves it (``lag``: an active LAG, several uplinks by definition).
    Shared until the next change: callers must not modify it."""
    return host.sim.memo(("teaming", host.name, device), lambda: _effective_teaming(host, device))


def _effective_teaming(host: HostModel, device: str) -> dict[str, Any]:
    vnic = host.vnics[device]
    conn = vnic.spec.distributedVirtualPort
    if conn is not None:
        switch = switch_by_uuid(host.sim, conn.switchUuid)
        return switch.vmk_teaming(host, conn) if switch is not None else detached_teaming(conn)
    pg = host.portgroups[vnic.portgroup]
    policy = computed_policy(host, pg)
    order = policy.nicTeaming.nicOrder
    return {"switch": pg.vswitchName, "policy": policy.nicTeaming.policy, "active": list(order.activeNic or []),
            "standby": list(order.standbyNic or []), "bridge": bridge_nics(host.vswitches[pg.vswitchName]), "portgroup": pg.name}


def pnic_pci(host: HostModel, device: str) -> str | None:
    """The PCI address a pnic reports (``PhysicalNic.pci``); a dependent hardware iSCSI adapter
    on that NIC function reports the same address as its ``HostHostBusAdapter.pci`` [INF]."""
    for i, name in enumerate(sorted(host.pnics)):
        if name == device:
            return "0000:00:%02d.0" % i
    return None


def network_info(host: HostModel) -> Any:
    """``config.network`` (shared until the next change: callers must not modify it)."""
    return host.sim.memo(("network_info", host.name), lambda: _network_info(host))


def _network_info(host: HostModel) -> Any:
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
            pnic=["key-vim.host.PhysicalNic-%s" % n for n in bridge_nics(spec)], spec=clone(spec)))
    portgroups = []
    for pg in host.portgroups.values():
        ports = [vim.host.PortGroup.Port(key="key-vim.host.PortGroup.Port-%d" % (100 + v.key_no), mac=[v.mac], type="host")
                 for v in vnics_on(host, pg.name)]
        portgroups.append(vim.host.PortGroup(key="key-vim.host.PortGroup-%s" % pg.name, vswitch="key-vim.host.VirtualSwitch-%s" % pg.vswitchName,
                                             port=ports, spec=clone(pg), computedPolicy=computed_policy(host, pg)))
    vnics = [vim.host.VirtualNic(device=d, key="key-vim.host.VirtualNic-%s" % d, portgroup=v.portgroup, spec=vnic_spec(host, d),
                                 port="key-vim.host.PortGroup.Port-%d" % (100 + v.key_no) if v.portgroup else None)
             for d, v in sorted(host.vnics.items(), key=lambda kv: int(kv[0][3:]))]
    route = clone(host.route)
    # the default stack carries the host's DNS and default route; the dedicated stacks have their own (empty) ones
    stacks = [vim.host.NetStackInstance(key=k, name=k, dnsConfig=clone(host.dns) if k == NETSTACKS[0] else EMPTY_DNS,
                                        ipRouteConfig=clone(route) if k == NETSTACKS[0] else vim.host.IpRouteConfig(),
                                        requestedMaxNumberOfConnections=11000, congestionControlAlgorithm="newreno", ipV6Enabled=False)
              for k in NETSTACKS]
    return vim.host.NetworkInfo(vswitch=switches, portgroup=portgroups, pnic=pnics, vnic=vnics, netStackInstance=stacks,
                                proxySwitch=proxy_switches(host), dnsConfig=clone(host.dns),
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


class Vnic:
    """A vmk: its port group name ('' on a DVS port), spec, MAC and a stable port number."""

    _numbers = itertools.count(1)

    def __init__(self, portgroup: str, spec: Any, mac: str) -> None:
        self.portgroup, self.spec, self.mac = portgroup, spec, mac
        self.key_no = next(self._numbers)

    def __deepcopy__(self, memo: dict[int, Any]) -> Vnic:
        copied = Vnic.__new__(Vnic)
        copied.portgroup, copied.spec, copied.mac, copied.key_no = self.portgroup, copy.deepcopy(self.spec, memo), self.mac, self.key_no
        return copied


def vnics_on(host: HostModel, pgname: str) -> list[Vnic]:
    return [v for v in host.vnics.values() if v.portgroup == pgname]


def vnic_spec(host: HostModel, device: str) -> Any:
    """A copy of a vmk's spec, shared by every entry that reports it (``config.network`` and each
    nic type of ``virtualNicManagerInfo``), so its XML is written once per state generation."""
    return host.sim.memo(("vnic spec", host.name, device), lambda: clone(host.vnics[device].spec))


def vnic_manager_info(host: HostModel) -> Any:
    """``config.virtualNicManagerInfo`` (shared until the next change: callers must not modify it)."""
    return host.sim.memo(("vnic_manager_info", host.name), lambda: _vnic_manager_info(host))


def _vnic_manager_info(host: HostModel) -> Any:
    configs = []
    for nic_type in host.nic_types():
        candidates = [d for d, v in sorted(host.vnics.items()) if is_candidate(v, nic_type)]
        configs.append(vim.host.VirtualNicManager.NetConfig(
            nicType=nic_type, multiSelectAllowed=True,
            candidateVnic=[vim.host.VirtualNic(device=d, key="%s.key-vim.host.VirtualNic-%s" % (nic_type, d), portgroup=host.vnics[d].portgroup,
                                               spec=vnic_spec(host, d)) for d in candidates],
            selectedVnic=["%s.key-vim.host.VirtualNic-%s" % (nic_type, d) for d in sorted(selected_of(host, nic_type))]))
    return vim.host.VirtualNicManagerInfo(netConfig=configs)


def stack_of(vnic: Vnic) -> str:
    return vnic.spec.netStackInstanceKey or "defaultTcpipStack"


def is_candidate(vnic: Vnic, nic_type: str) -> bool:
    """defaultTcpipStack vmks qualify for every type; a dedicated stack only for its own [INF]."""
    stack = stack_of(vnic)
    return stack == "defaultTcpipStack" or DEDICATED.get(stack) == nic_type


def selected_of(host: HostModel, nic_type: str) -> set[str]:
    implied = {d for d, v in host.vnics.items() if DEDICATED.get(stack_of(v)) == nic_type}
    return (host.selected.get(nic_type, set()) & set(host.vnics)) | implied
