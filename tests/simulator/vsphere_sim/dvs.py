"""VMware distributed switches as vCenter 8 serves them (vsphere-api.md §7): the switch with its
uplink names, enhanced LACP (``lacpGroupConfig``), dvPortgroups whose ``defaultPortConfig``
inherits from the switch, host members with their pnic → uplink-port backing, each member's
``HostProxySwitch`` (with ``hostLag``) in ``config.network.proxySwitch``, and vmks on a
dvPortgroup. Reconfigure methods return tasks; a failure is the task's error (``WaitForTask``
raises it) and changes nothing.

The host layer finds the switches in the registry and asks them through ``host_model.HostSwitch``:
a member's proxy switch, the pnics they take, the port of a vmk (``AddVirtualNic`` with a
``distributedVirtualPort``) and its teaming for the iSCSI compliance checks (an active LAG counts
as several uplinks, §5.4).
"""

from __future__ import annotations

import copy
import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pyVmomi import SoapAdapter, vim, vmodl

from . import dvs_policy as policy
from .base import MO, NOW
from .host import Folder, HostSystem
from .host_model import HostModel, detached_teaming
from .service import new_task
from .soap import method_info
from .state import Simulator, declared, register_state_section, to_xml

VDS = vim.dvs.VmwareDistributedVirtualSwitch
MAX_LAGS = 64
MAX_LAG_PORTS = 32
PROXY_PORTS = 512
LAG_ALGORITHMS = tuple(VDS.LacpLoadBalanceAlgorithm.values)


@dataclass
class Lag:
    key: str
    name: str
    mode: str
    uplink_num: int
    algorithm: str
    timeout_mode: str = "slow"

    def port_names(self) -> list[str]:
        return ["%s-%d" % (self.name, i) for i in range(self.uplink_num)]


@dataclass
class SwitchState:
    """Everything a reconfigure may change (deep-copied for all-or-nothing updates)."""

    name: str
    uplinks: list[str]
    default: Any
    mtu: int = 1500
    lacp_api: str = "multipleLag"
    multicast: str = "legacyFiltering"
    lags: list[Lag] = field(default_factory=list)
    members: dict[str, dict[str, str]] = field(default_factory=dict)  # host name -> {pnic: uplink port name}
    ports: dict[tuple[str, str], str] = field(default_factory=dict)  # (host name, uplink port name) -> port key
    version: int = 1
    next_port: int = 0
    next_lag: int = 0

    def lag_names(self) -> list[str]:
        return [lag.name for lag in self.lags]

    def port_names(self) -> list[str]:
        return list(self.uplinks) + [n for lag in self.lags for n in lag.port_names()]

    def allocate_ports(self, host: str) -> None:
        for name in self.port_names():
            if (host, name) not in self.ports:
                self.ports[(host, name)] = str(self.next_port)
                self.next_port += 1

    def drop_ports(self, keep: Callable[[str, str], bool]) -> None:
        for host, name in [k for k in self.ports if not keep(*k)]:
            del self.ports[(host, name)]
            pnics = self.members.get(host, {})
            for pnic in [p for p, port in pnics.items() if port == name]:
                del pnics[pnic]  # a pnic on a port that goes away is released [INF]


def task_fault(name: str, fault: vmodl.MethodFault) -> vmodl.MethodFault:
    """A task fails only with a fault its method declares (or a vmodl.RuntimeFault), as the
    dispatcher enforces for plain methods; anything else is a simulator bug."""
    if declared(method_info(name), fault):
        return fault
    print("vsphere_sim bug: %s failed with undeclared %s" % (name, fault._wsdlName), file=sys.stderr)
    return vmodl.fault.SystemError(reason="simulator raised an undeclared fault %s" % fault._wsdlName)


def dvs_fault(text: str) -> vim.fault.DvsFault:
    return vim.fault.DvsFault(msg=text)


def _uuid(seed: str) -> str:
    raw = hashlib.sha256(seed.encode()).hexdigest()[:32]
    pairs = [raw[i:i + 2] for i in range(0, 32, 2)]
    return " ".join(pairs[:8]) + "-" + " ".join(pairs[8:])


def switches(sim: Simulator) -> list[DistributedSwitch]:
    return [mo for mo in sim.of_type(VDS) if isinstance(mo, DistributedSwitch)]


def _host_mo(sim: Simulator, name: str) -> HostSystem | None:
    return next((mo for mo in sim.of_type(vim.HostSystem) if isinstance(mo, HostSystem) and mo.model.name == name), None)


class _TaskObject(MO):
    """A managed object whose changes run all-or-nothing and answer with a finished Task."""

    def _task(self, name: str, change: Callable[[], Any]) -> Any:
        snap = self._snapshot()
        try:
            result = change()
        except vmodl.MethodFault as fault:
            self._restore(snap)
            return new_task(self.sim, name, self, error=task_fault(name, fault)).ref
        self.sim.changed()
        return new_task(self.sim, name, self, result=result).ref

    def _snapshot(self) -> Any:
        raise NotImplementedError

    def _restore(self, snap: Any) -> None:
        raise NotImplementedError


# ---------------------------------------------------------------------------------------
# The switch
# ---------------------------------------------------------------------------------------


class DistributedSwitch(_TaskObject):
    WSDL, PYTYPE = "VmwareDistributedVirtualSwitch", vim.dvs.VmwareDistributedVirtualSwitch
    WRITES = frozenset({"ReconfigureDvs_Task", "UpdateDVSLacpGroupConfig_Task", "CreateDVPortgroup_Task", "AddDVPortgroup_Task",
                        "Destroy_Task"})

    def __init__(self, sim: Simulator, moid: str, name: str, folder: Folder, uplinks: list[str], version: str = "8.0.3") -> None:
        super().__init__(sim, moid)
        self.folder, self.product_version = folder, version
        self.uuid = _uuid(moid + name)
        self.state = SwitchState(name=name, uplinks=list(uplinks), default=policy.default_port_setting(uplinks))
        self.portgroups: list[DistributedPortgroup] = []
        self.uplink_pg = self._new_portgroup("%s-DVUplinks-%s" % (name, moid.split("-")[-1]), uplink=True)
        # vCenter gives the uplink portgroup a VLAN trunk of every VLAN
        self.uplink_pg.own = VDS.VmwarePortConfigPolicy(vlan=VDS.TrunkVlanSpec(inherited=False, vlanId=[vim.NumericRange(start=0, end=4094)]))

    @property
    def name(self) -> str:
        return self.state.name

    def _snapshot(self) -> Any:
        return copy.deepcopy(self.state), [(pg, pg._snapshot()) for pg in self.portgroups]  # pylint: disable=protected-access

    def _restore(self, snap: Any) -> None:
        self.state = snap[0]
        kept = [pg for pg, _saved in snap[1]]
        for pg in [p for p in self.portgroups if p not in kept]:
            self._forget(pg)
        for pg, saved in snap[1]:
            pg._restore(saved)  # pylint: disable=protected-access

    def _new_portgroup(self, name: str, uplink: bool = False) -> DistributedPortgroup:
        pg = DistributedPortgroup(self.sim, self.sim.next_id("dvportgroup"), name, self, uplink)
        self.sim.register(pg)
        self.portgroups.append(pg)
        self.folder.children.append(pg)
        return pg

    def user_portgroups(self) -> list[DistributedPortgroup]:
        return [pg for pg in self.portgroups if not pg.uplink]

    def lag(self, name: str) -> Lag | None:
        return next((lag for lag in self.state.lags if lag.name == name), None)

    # -- read side -------------------------------------------------------------------------
    def p_name(self) -> str:
        return self.name

    def p_uuid(self) -> str:
        return self.uuid

    def p_parent(self) -> Any:
        return self.folder.ref

    def p_overallStatus(self) -> str:
        return "green"

    def p_portgroup(self) -> Any:
        return vim.dvs.DistributedVirtualPortgroup.Array([pg.ref for pg in self.portgroups])

    def p_config(self) -> Any:
        st = self.state
        return VDS.ConfigInfo(
            uuid=self.uuid, name=st.name, numStandalonePorts=0, numPorts=self._num_ports(), maxPorts=2147483647,
            uplinkPortPolicy=vim.DistributedVirtualSwitch.NameArrayUplinkPortPolicy(uplinkPortName=list(st.uplinks)),
            uplinkPortgroup=[self.uplink_pg.ref], defaultPortConfig=copy.deepcopy(st.default),
            host=[self._member(h) for h in st.members], productInfo=self._product(), configVersion=str(st.version),
            policy=vim.DistributedVirtualSwitch.SwitchPolicy(autoPreInstallAllowed=False, autoUpgradeAllowed=False, partialUpgradeAllowed=False),
            contact=vim.DistributedVirtualSwitch.ContactInfo(), createTime=NOW, networkResourceManagementEnabled=True,
            defaultProxySwitchMaxNumPorts=PROXY_PORTS, networkResourceControlVersion="version3", maxMtu=st.mtu,
            linkDiscoveryProtocolConfig=vim.host.LinkDiscoveryProtocolConfig(protocol="cdp", operation="listen"),
            lacpGroupConfig=[self._lag_config(lag) for lag in st.lags], lacpApiVersion=st.lacp_api, multicastFilteringMode=st.multicast,
            # NetFlow off and health checks off: what a new vCenter 8 switch reports
            ipfixConfig=VDS.IpfixConfig(collectorIpAddress="", collectorPort=0, observationDomainId=0, activeFlowTimeout=60,
                                        idleFlowTimeout=15, samplingRate=0, internalFlowsOnly=False),
            healthCheckConfig=[VDS.VlanMtuHealthCheckConfig(enable=False, interval=1),
                               VDS.TeamingHealthCheckConfig(enable=False, interval=1)])

    def p_summary(self) -> Any:
        return vim.DistributedVirtualSwitch.Summary(
            name=self.name, uuid=self.uuid, numPorts=self._num_ports(), productInfo=self._product(), numHosts=len(self.state.members),
            hostMember=[mo.ref for mo in (_host_mo(self.sim, h) for h in self.state.members) if mo is not None],
            portgroupName=[pg.name for pg in self.portgroups])

    def p_capability(self) -> Any:
        return vim.DistributedVirtualSwitch.Capability(
            dvsOperationSupported=True, dvPortGroupOperationSupported=True, dvPortOperationSupported=True,
            featuresSupported=VDS.FeatureCapability(
                networkResourceManagementSupported=True, vmDirectPathGen2Supported=False, nicTeamingPolicy=list(policy.TEAMING_POLICIES),
                lldpSupported=True, ipfixSupported=True,
                lacpCapability=VDS.LacpFeatureCapability(lacpSupported=True, multiLacpGroupSupported=True, lacpFastModeSupported=True)))

    def _num_ports(self) -> int:
        return len(self.state.ports) + sum(pg.num_ports for pg in self.user_portgroups())

    def _product(self) -> Any:
        return vim.dvs.ProductSpec(name="DVS", vendor="VMware, Inc.", version=self.product_version, build="24026615")

    def _lag_config(self, lag: Lag) -> Any:
        names = set(lag.port_names())
        return VDS.LacpGroupConfig(key=lag.key, name=lag.name, mode=lag.mode, uplinkNum=lag.uplink_num, loadbalanceAlgorithm=lag.algorithm,
                                   vlan=VDS.LagVlanConfig(), ipfix=VDS.LagIpfixConfig(ipfixEnabled=False), uplinkName=lag.port_names(),
                                   uplinkPortKey=sorted((k for (h, n), k in self.state.ports.items() if n in names), key=int),
                                   timeoutMode=lag.timeout_mode)

    def _member(self, host: str) -> Any:
        mo = _host_mo(self.sim, host)
        return vim.dvs.HostMember(
            config=vim.dvs.HostMember.ConfigInfo(host=mo.ref if mo else None, maxProxySwitchPorts=PROXY_PORTS, backing=self.backing(host)),
            productInfo=self._product(), status="up", runtimeState=vim.dvs.HostMember.RuntimeState(currentMaxProxySwitchPorts=PROXY_PORTS),
            uplinkPortKey=[k for (h, n), k in self.state.ports.items() if h == host and n in self.state.uplinks])

    def backing(self, host: str) -> Any:
        pnics = self.state.members.get(host, {})
        return vim.dvs.HostMember.PnicBacking(pnicSpec=[
            vim.dvs.HostMember.PnicSpec(pnicDevice=pnic, uplinkPortKey=self.state.ports[(host, port)], uplinkPortgroupKey=self.uplink_pg.moid)
            for pnic, port in sorted(pnics.items())])

    def proxy_switch(self, host: str) -> Any:
        st = self.state
        uplink_ports = [vim.KeyValue(key=k, value=n) for (h, n), k in st.ports.items() if h == host]
        lags = [vim.host.HostProxySwitch.HostLagConfig(lagKey=lag.key, lagName=lag.name, uplinkPort=[
            vim.KeyValue(key=st.ports[(host, n)], value=n) for n in lag.port_names()]) for lag in st.lags]
        used = sum(1 for v in self.sim.hosts[host].vnics.values() if _connection(v) is not None and _connection(v).switchUuid == self.uuid)
        return vim.host.HostProxySwitch(
            dvsUuid=self.uuid, dvsName=st.name, key=self.uuid, numPorts=PROXY_PORTS, configNumPorts=PROXY_PORTS,
            numPortsAvailable=PROXY_PORTS - len(uplink_ports) - used, uplinkPort=uplink_ports, mtu=st.mtu,
            pnic=["key-vim.host.PhysicalNic-%s" % p for p in sorted(st.members[host])],
            spec=vim.host.HostProxySwitch.Specification(backing=self.backing(host)), hostLag=lags, networkReservationSupported=True)

    # -- ports -------------------------------------------------------------------------------
    # -- the host side (host_model.HostSwitch) -------------------------------------------------
    def proxy_switch_of(self, host: HostModel) -> Any | None:
        return self.proxy_switch(host.name) if host.name in self.state.members else None

    def uses_pnic(self, host: HostModel, pnic: str) -> bool:
        return pnic in self.state.members.get(host.name, {})

    def connect_vmk(self, host: HostModel, conn: Any) -> Any:
        """AddVirtualNic with a distributedVirtualPort: the port a new vmk gets on a dvPortgroup."""
        if host.name not in self.state.members:
            raise vim.fault.HostConfigFault(msg="%s is not a member of %s" % (host.name, self.name))  # [INF]
        pg = next((p for p in self.user_portgroups() if p.moid == conn.portgroupKey), None)
        if pg is None:
            raise vmodl.fault.InvalidArgument(invalidProperty="nic.distributedVirtualPort.portgroupKey")  # [INF]
        st = self.state
        key = str(st.next_port)
        st.next_port += 1
        return vim.dvs.PortConnection(switchUuid=self.uuid, portgroupKey=pg.moid, portKey=key, connectionCookie=1000 + int(key))

    def edit_proxy_switch(self, host: HostModel, backing: Any) -> None:
        if host.name not in self.state.members:
            raise vim.fault.NotFound(msg="%s is not a member of %s" % (host.name, self.name))
        if backing is None:
            return
        try:
            self.state.members[host.name] = self._pnics_from_backing(host.name, backing, check_owner=False)
        except vim.fault.ResourceNotAvailable as fault:
            raise vim.fault.HostConfigFault(msg=fault.msg) from None  # UpdateNetworkConfig declares no ResourceNotAvailable [INF]

    def member_pnics(self, host: HostModel) -> dict[str, str] | None:
        pnics = self.state.members.get(host.name)
        return dict(pnics) if pnics is not None else None

    def restore_member_pnics(self, host: HostModel, pnics: dict[str, str] | None) -> None:
        if pnics is not None:
            self.state.members[host.name] = pnics

    def vmk_teaming(self, host: HostModel, conn: Any) -> dict[str, Any]:
        """Effective teaming of a vmk on a dvPortgroup, in host pnics: dvUplink names map through the
        member's pnic backing; a LAG maps to the pnics on its ports and sets ``lag``."""
        pg = next((p for p in self.portgroups if p.moid == conn.portgroupKey), None)
        if pg is None:
            return detached_teaming(conn, self.name)
        pnics = self.state.members.get(host.name, {})
        team = pg.resolved().uplinkTeamingPolicy
        order = team.uplinkPortOrder

        def to_pnics(names: list[str]) -> list[str]:
            out = []
            for name in names:
                lag = self.lag(name)
                ports = lag.port_names() if lag else [name]
                out += sorted(p for p, port in pnics.items() if port in ports)
            return out

        active, standby = list(order.activeUplinkPort or []), list(order.standbyUplinkPort or [])
        # ``lag``: an active LAG, which counts as several uplinks whatever its pnics (§5.4); a LAG in
        # standby is a standby uplink through its pnics like any other.
        return dict(detached_teaming(conn, self.name), portgroup=pg.name, policy=team.policy.value, active=to_pnics(active),
                    standby=to_pnics(standby), bridge=sorted(pnics), lag=any(self.lag(n) is not None for n in active))

    def ports(self) -> list[Any]:
        """Every port with a key: the members' uplink ports (uplink portgroup) and the vmks' ports."""
        st, out = self.state, []
        for (host, name), key in sorted(st.ports.items(), key=lambda kv: int(kv[1])):
            mo = _host_mo(self.sim, host)
            out.append(self._port(key, self.uplink_pg, mo, name, None, None))
        for host in st.members:
            mo = _host_mo(self.sim, host)
            for device in self.vmks_on(host):
                conn = _connection(self.sim.hosts[host].vnics[device])
                pg = next((p for p in self.portgroups if p.moid == conn.portgroupKey), None)
                if pg is not None:
                    out.append(self._port(conn.portKey, pg, mo, None, device, conn.connectionCookie))
        return out

    def _port(self, key: str, pg: DistributedPortgroup, host: HostSystem | None, name: str | None, vmk: str | None,
              cookie: int | None) -> Any:
        connectee = vim.dvs.PortConnectee(connectedEntity=host.ref, nicKey=vmk, type="hostVmkVnic") if vmk and host else None
        return vim.dvs.DistributedVirtualPort(
            key=key, config=vim.dvs.DistributedVirtualPort.ConfigInfo(name=name, setting=pg.resolved(), configVersion="1"),
            dvsUuid=self.uuid, portgroupKey=pg.moid, proxyHost=host.ref if host else None, connectee=connectee, conflict=False,
            connectionCookie=cookie, lastStatusChange=NOW)

    def m_FetchDVPorts(self, ctx: Any, criteria: Any = None) -> Any:
        """Ports matching ``criteria`` (portKey, portgroupKey with ``inside``, uplinkPort, host, connected, active)."""
        ports = self.ports()
        if criteria is None:
            return ports
        hosts = {h._moId for h in criteria.host or []}
        groups = set(criteria.portgroupKey or [])
        inside = criteria.inside is not False
        backed = {self.state.ports[(h, n)] for h, pnics in self.state.members.items() for n in pnics.values()}

        def keep(port: Any) -> bool:
            uplink = port.portgroupKey == self.uplink_pg.moid
            attached = port.connectee is not None or port.key in backed  # a vmk, or a pnic on an uplink port
            return ((not criteria.portKey or port.key in criteria.portKey)
                    and (not groups or (port.portgroupKey in groups) == inside)
                    and (criteria.uplinkPort is None or criteria.uplinkPort == uplink)
                    and (not hosts or (port.proxyHost is not None and port.proxyHost._moId in hosts))
                    and (criteria.connected is None or criteria.connected == attached)
                    and (criteria.active is None or criteria.active == attached))
        return [p for p in ports if keep(p)]

    def m_FetchDVPortKeys(self, ctx: Any, criteria: Any = None) -> Any:
        return [p.key for p in self.m_FetchDVPorts(ctx, criteria)]

    # -- ReconfigureDvs_Task -----------------------------------------------------------------
    def m_ReconfigureDvs_Task(self, ctx: Any, spec: Any) -> Any:
        return self._task("ReconfigureDvs_Task", lambda: self.reconfigure(spec))

    def reconfigure(self, spec: Any) -> None:
        st = self.state
        if spec.configVersion != str(st.version):
            raise vim.fault.ConcurrentAccess(msg="configVersion %s is not the current %d" % (spec.configVersion, st.version))
        if spec.name is not None and spec.name != st.name:
            self._rename(spec.name)
        if spec.uplinkPortPolicy is not None:
            self._set_uplinks(list(getattr(spec.uplinkPortPolicy, "uplinkPortName", None) or []))
        # a plain DistributedVirtualSwitch.ConfigSpec has none of the VMware switch's settings
        mtu, multicast = getattr(spec, "maxMtu", None), getattr(spec, "multicastFilteringMode", None)
        if mtu is not None:
            if not 1280 <= mtu <= 9000:
                raise vmodl.fault.InvalidArgument(invalidProperty="spec.maxMtu")
            st.mtu = mtu
        if getattr(spec, "lacpApiVersion", None) is not None:
            self._set_lacp_api(spec.lacpApiVersion)
        if multicast is not None:
            if multicast not in VDS.MulticastFilteringMode.values:
                raise vmodl.fault.InvalidArgument(invalidProperty="spec.multicastFilteringMode")
            st.multicast = multicast
        if spec.defaultPortConfig is not None:
            st.default = policy.merge_complete(st.default, spec.defaultPortConfig)
            self._check_teaming(st.default, "spec.defaultPortConfig")
        for member in spec.host or []:
            self._member_change(member)
        self.check_portgroups()
        st.version += 1

    def _rename(self, name: str) -> None:
        if not name or len(name) > 80:
            raise vim.fault.InvalidName(name=name)
        if any(sw is not self and sw.name == name for sw in switches(self.sim)):
            raise vim.fault.DuplicateName(name=name, object=self.ref)
        self.state.name = name

    def _set_uplinks(self, names: list[str]) -> None:
        """Uplink names are positional: renaming keeps the ports and renames orders; a shorter
        list drops the last ports, their pnics and their places in teaming orders [INF]."""
        st = self.state
        if not names or len(set(names)) != len(names) or set(names) & set(st.lag_names()):
            raise vmodl.fault.InvalidArgument(invalidProperty="spec.uplinkPortPolicy.uplinkPortName")
        renamed = dict(zip(st.uplinks, names, strict=False))
        dropped = set(st.uplinks) - set(renamed)
        st.drop_ports(lambda h, n: n not in dropped)  # before renaming: a new name may reuse a dropped one
        self._rename_ports(renamed)
        self._rename_in_orders(renamed, dropped)
        st.uplinks = names
        st.drop_ports(lambda h, n: n in st.port_names())
        for host in st.members:
            st.allocate_ports(host)

    def _rename_in_orders(self, renamed: dict[str, str], dropped: set) -> None:
        settings = [self.state.default] + [pg.own for pg in self.portgroups if pg.own is not None]
        for setting in settings:
            team = setting.uplinkTeamingPolicy
            order = team.uplinkPortOrder if team is not None else None
            if order is not None:
                order.activeUplinkPort = [renamed.get(n, n) for n in order.activeUplinkPort or [] if n not in dropped]
                order.standbyUplinkPort = [renamed.get(n, n) for n in order.standbyUplinkPort or [] if n not in dropped]

    def _set_lacp_api(self, version: str) -> None:
        if version not in ("singleLag", "multipleLag"):
            raise vmodl.fault.InvalidArgument(invalidProperty="spec.lacpApiVersion")
        if version == "singleLag" and self.state.lags:
            # Going back to basic LACP needs the LAGs gone first; the fault type is not documented [INF]
            raise dvs_fault("remove the link aggregation groups before changing lacpApiVersion to singleLag")
        self.state.lacp_api = version

    def _member_change(self, member: Any) -> None:
        mo = self.sim.find(member.host) if member.host is not None else None
        if not isinstance(mo, HostSystem):
            raise vim.fault.NotFound(msg="host %s not found" % getattr(member.host, "_moId", member.host))
        host, st = mo.model.name, self.state
        if member.operation == "add":
            if host in st.members:
                raise vim.fault.AlreadyExists(name=host)
            st.members[host] = {}
            st.allocate_ports(host)
        elif member.operation in ("edit", "remove"):
            if host not in st.members:
                raise vim.fault.NotFound(msg="%s is not a member of %s" % (host, st.name))
            if member.operation == "remove":
                if self.vmks_on(host):
                    raise vim.fault.ResourceInUse(type=vim.DistributedVirtualSwitch, name=st.name,
                                                  msg="%s has VMkernel NICs on %s" % (host, st.name))
                del st.members[host]
                st.drop_ports(lambda h, n: h != host)
                return
        else:
            raise vmodl.fault.InvalidArgument(invalidProperty="spec.host.operation")
        if member.backing is not None:
            st.members[host] = self._pnics_from_backing(host, member.backing)

    def _pnics_from_backing(self, host: str, backing: Any, check_owner: bool = True) -> dict[str, str]:
        """The backing is the member's complete pnic set; an unset uplinkPortKey takes the first free dvUplink.
        ``check_owner`` False: the caller checks that no other switch uses the pnics (after its other changes)."""
        model, st = self.sim.hosts[host], self.state
        by_key = {k: n for (h, n), k in st.ports.items() if h == host}
        pnics: dict[str, str] = {}
        for spec in getattr(backing, "pnicSpec", None) or []:
            if spec.pnicDevice not in model.pnics:
                raise vim.fault.NotFound(msg="physical NIC %s not found on %s" % (spec.pnicDevice, host))
            owner = pnic_owner(self.sim, model, spec.pnicDevice, ignore=self) if check_owner else None
            if owner is not None:
                raise vim.fault.ResourceInUse(type=vim.host.PhysicalNic, name=spec.pnicDevice,
                                              msg="%s is already used by %s" % (spec.pnicDevice, owner))
            if spec.uplinkPortKey:
                port = by_key.get(spec.uplinkPortKey)
                if port is None:
                    raise vmodl.fault.InvalidArgument(invalidProperty="pnicSpec.uplinkPortKey", msg="no uplink port %s on %s" % (spec.uplinkPortKey, host))
            else:
                port = next((n for n in st.uplinks if n not in pnics.values()), None)
                if port is None:
                    raise vim.fault.ResourceNotAvailable(msg="no free uplink port on %s" % host)
            if port in pnics.values() or spec.pnicDevice in pnics:
                raise vmodl.fault.InvalidArgument(invalidProperty="pnicSpec", msg="%s or %s given twice" % (spec.pnicDevice, port))
            pnics[spec.pnicDevice] = port
        return pnics

    def vmks_on(self, host: str, portgroup: str | None = None) -> list[str]:
        out = []
        for device, vnic in self.sim.hosts[host].vnics.items():
            conn = _connection(vnic)
            if conn is not None and conn.switchUuid == self.uuid and portgroup in (None, conn.portgroupKey):
                out.append(device)
        return out

    def _check_teaming(self, setting: Any, prop: str) -> None:
        errors = policy.teaming_errors(setting, self.state.uplinks, self.state.lag_names())
        if errors:
            raise vmodl.fault.InvalidArgument(invalidProperty=prop + ".uplinkTeamingPolicy", msg="; ".join(errors))  # type [INF]

    def check_portgroups(self) -> None:
        """Every dvPortgroup's resolved teaming must stay valid after a switch-level change."""
        for pg in self.user_portgroups():
            self._check_teaming(pg.resolved(), "defaultPortConfig")

    # -- LACP --------------------------------------------------------------------------------
    def m_UpdateDVSLacpGroupConfig_Task(self, ctx: Any, lacpGroupSpec: list[Any]) -> Any:
        return self._task("UpdateDVSLacpGroupConfig_Task", lambda: self.update_lags(lacpGroupSpec))

    def update_lags(self, specs: list[Any]) -> None:
        st = self.state
        if st.lacp_api != "multipleLag":
            conflict = vim.fault.ConflictingConfiguration.Config(entity=self.ref, propertyPath="config.lacpApiVersion")
            raise vim.fault.ConflictingConfiguration(msg="LAGs need lacpApiVersion multipleLag (enhanced LACP)", configInConflict=[conflict])
        for spec in specs:
            config = spec.lacpGroupConfig
            if config is None:
                raise vmodl.fault.InvalidArgument(invalidProperty="lacpGroupSpec.lacpGroupConfig")
            {"add": self._add_lag, "edit": self._edit_lag, "remove": self._remove_lag}.get(spec.operation, _bad_operation)(config)
        st.version += 1

    def _add_lag(self, config: Any) -> None:
        st = self.state
        if len(st.lags) >= MAX_LAGS:
            raise dvs_fault("a distributed switch has at most %d LAGs" % MAX_LAGS)
        self._check_lag_name(config.name, None)
        st.next_lag += 1
        lag = Lag(key="lag-%d" % st.next_lag, name=config.name, mode="", uplink_num=0, algorithm="srcDestIpTcpUdpPortVlan")
        self._set_lag(lag, config, adding=True)
        st.lags.append(lag)
        for host in st.members:
            st.allocate_ports(host)

    def _edit_lag(self, config: Any) -> None:
        lag = self._lag_by_key(config.key)
        if config.name is not None and config.name != lag.name:
            self._check_lag_name(config.name, lag)
            old = lag.port_names()
            renamed = {lag.name: config.name}
            lag.name = config.name
            renamed.update(zip(old, lag.port_names(), strict=True))
            self._rename_ports(renamed)
            self._rename_in_orders(renamed, set())
        self._set_lag(lag, config, adding=False)
        st = self.state
        st.drop_ports(lambda h, n: n in st.port_names())
        for host in st.members:
            st.allocate_ports(host)

    def _rename_ports(self, renamed: dict[str, str]) -> None:
        st = self.state
        st.ports = {(h, renamed.get(n, n)): k for (h, n), k in st.ports.items()}
        for pnics in st.members.values():
            for pnic, port in list(pnics.items()):
                pnics[pnic] = renamed.get(port, port)

    def _remove_lag(self, config: Any) -> None:
        lag = self._lag_by_key(config.key)
        users = [pg.name for pg in self.user_portgroups() if lag.name in _order_names(pg.resolved())]
        if lag.name in _order_names(self.state.default):
            users.append(self.name)
        if users:
            raise dvs_fault("LAG %s is in the teaming order of %s" % (lag.name, ", ".join(users)))  # fault type [INF]
        st = self.state
        st.lags.remove(lag)
        st.drop_ports(lambda h, n: n in st.port_names())

    def _lag_by_key(self, key: str | None) -> Lag:
        lag = next((lag for lag in self.state.lags if lag.key == key), None)
        if lag is None:
            raise dvs_fault("no LAG with key %s" % key)  # edit/remove need the key (§7.1) [INF fault type]
        return lag

    def _check_lag_name(self, name: str | None, current: Lag | None) -> None:
        if not name:
            raise vmodl.fault.InvalidArgument(invalidProperty="lacpGroupConfig.name")
        if any(lag is not current and lag.name == name for lag in self.state.lags) or name in self.state.uplinks:
            raise dvs_fault("a LAG or uplink named %s already exists on %s" % (name, self.name))

    @staticmethod
    def _set_lag(lag: Lag, config: Any, adding: bool) -> None:
        mode = config.mode if config.mode is not None else (None if adding else lag.mode)
        if mode not in ("active", "passive"):
            raise vmodl.fault.InvalidArgument(invalidProperty="lacpGroupConfig.mode")
        num = config.uplinkNum if config.uplinkNum is not None else (None if adding else lag.uplink_num)
        if not isinstance(num, int) or not 1 <= num <= MAX_LAG_PORTS:
            raise vmodl.fault.InvalidArgument(invalidProperty="lacpGroupConfig.uplinkNum")
        algorithm = config.loadbalanceAlgorithm or lag.algorithm
        if algorithm not in LAG_ALGORITHMS:
            raise vmodl.fault.InvalidArgument(invalidProperty="lacpGroupConfig.loadbalanceAlgorithm")
        timeout = getattr(config, "timeoutMode", None) or lag.timeout_mode
        if timeout not in ("fast", "slow"):
            raise vmodl.fault.InvalidArgument(invalidProperty="lacpGroupConfig.timeoutMode")
        lag.mode, lag.uplink_num, lag.algorithm, lag.timeout_mode = mode, num, algorithm, timeout

    # -- portgroups and destroy ------------------------------------------------------------
    def m_CreateDVPortgroup_Task(self, ctx: Any, spec: Any) -> Any:
        return self._task("CreateDVPortgroup_Task", lambda: self.create_portgroup(spec).ref)

    def m_AddDVPortgroup_Task(self, ctx: Any, spec: list[Any]) -> Any:
        def add_all() -> None:
            for one in spec:
                self.create_portgroup(one)
        return self._task("AddDVPortgroup_Task", add_all)

    def create_portgroup(self, spec: Any) -> DistributedPortgroup:
        self._check_pg_name(spec.name, None)
        pg = self._new_portgroup(spec.name)
        try:
            pg.configure(spec)
        except vmodl.MethodFault:
            self._forget(pg)
            raise
        return pg

    def _check_pg_name(self, name: str | None, current: DistributedPortgroup | None) -> None:
        if not name or len(name) > 80:
            raise vim.fault.InvalidName(name=name or "")
        if any(pg is not current and pg.name == name for pg in self.portgroups):
            raise vim.fault.DuplicateName(name=name, object=self.ref)

    def _forget(self, pg: DistributedPortgroup) -> None:
        self.portgroups.remove(pg)
        self.folder.children.remove(pg)
        self.sim.unregister(pg)

    def m_Destroy_Task(self, ctx: Any) -> Any:
        return self._task("Destroy_Task", self.destroy)

    def destroy(self) -> None:
        users = [h for h in self.state.members if self.vmks_on(h)]
        if users:
            raise vim.fault.ResourceInUse(type=vim.DistributedVirtualSwitch, name=self.name, msg="VMkernel NICs on %s" % ", ".join(users))
        for pg in list(self.portgroups):
            self._forget(pg)
        self.folder.children.remove(self)
        self.sim.unregister(self)


def _bad_operation(config: Any) -> None:
    raise vmodl.fault.InvalidArgument(invalidProperty="lacpGroupSpec.operation")


def _order_names(setting: Any) -> list[str]:
    team = setting.uplinkTeamingPolicy
    order = team.uplinkPortOrder if team is not None else None
    return list(order.activeUplinkPort or []) + list(order.standbyUplinkPort or []) if order is not None else []


# ---------------------------------------------------------------------------------------
# dvPortgroups
# ---------------------------------------------------------------------------------------


class DistributedPortgroup(_TaskObject):
    WSDL, PYTYPE = "DistributedVirtualPortgroup", vim.dvs.DistributedVirtualPortgroup
    WRITES = frozenset({"ReconfigureDVPortgroup_Task", "Destroy_Task"})

    def __init__(self, sim: Simulator, moid: str, name: str, switch: DistributedSwitch, uplink: bool) -> None:
        super().__init__(sim, moid)
        self.name, self.switch, self.uplink = name, switch, uplink
        self.own: Any = None  # the overrides of the switch's defaultPortConfig
        self.version = 1
        self.num_ports, self.binding, self.description = 8, "earlyBinding", None  # type: Tuple[int, str, Optional[str]]
        self.auto_expand = True  # what a dvPortgroup created without autoExpand reports [INF]

    def _snapshot(self) -> Any:
        return copy.deepcopy((self.name, self.own, self.version, self.num_ports, self.binding, self.description, self.auto_expand))

    def _restore(self, snap: Any) -> None:
        self.name, self.own, self.version, self.num_ports, self.binding, self.description, self.auto_expand = snap

    def resolved(self) -> Any:
        return policy.resolve(self.own, self.switch.state.default)

    def p_name(self) -> str:
        return self.name

    def p_key(self) -> str:
        return self.moid

    def p_parent(self) -> Any:
        return self.switch.folder.ref

    def p_overallStatus(self) -> str:
        return "green"

    def p_host(self) -> Any:
        return vim.HostSystem.Array([mo.ref for mo in (_host_mo(self.sim, h) for h in self.switch.state.members) if mo is not None])

    def p_config(self) -> Any:
        return vim.dvs.DistributedVirtualPortgroup.ConfigInfo(
            key=self.moid, name=self.name, numPorts=self.num_ports, distributedVirtualSwitch=self.switch.ref, defaultPortConfig=self.resolved(),
            description=self.description, type=self.binding, backingType="standard", configVersion=str(self.version), autoExpand=self.auto_expand,
            uplink=self.uplink, portNameFormat=None,
            policy=VDS.VMwarePortgroupPolicy(blockOverrideAllowed=True, shapingOverrideAllowed=False, vendorConfigOverrideAllowed=False,
                                             livePortMovingAllowed=False, portConfigResetAtDisconnect=True, vlanOverrideAllowed=False,
                                             uplinkTeamingOverrideAllowed=False, securityPolicyOverrideAllowed=False, ipfixOverrideAllowed=False,
                                             macManagementOverrideAllowed=False, networkResourcePoolOverrideAllowed=False,
                                             trafficFilterOverrideAllowed=False))

    def m_ReconfigureDVPortgroup_Task(self, ctx: Any, spec: Any) -> Any:
        return self._task("ReconfigureDVPortgroup_Task", lambda: self.reconfigure(spec))

    def reconfigure(self, spec: Any) -> None:
        if spec.configVersion is None:
            raise vmodl.fault.InvalidArgument(invalidProperty="spec.configVersion")  # required when updating [DOC]; fault type [INF]
        if spec.configVersion != str(self.version):
            raise vim.fault.ConcurrentAccess(msg="configVersion %s is not the current %d" % (spec.configVersion, self.version))
        if spec.name is not None and spec.name != self.name:
            self.switch._check_pg_name(spec.name, self)  # pylint: disable=protected-access
        self.configure(spec)
        self.version += 1

    def configure(self, spec: Any) -> None:
        if spec.name is not None:
            self.name = spec.name
        if spec.numPorts is not None:
            if spec.numPorts < 0:
                raise vmodl.fault.InvalidArgument(invalidProperty="spec.numPorts")
            self.num_ports = spec.numPorts
        if spec.type is not None:
            if spec.type not in ("earlyBinding", "ephemeral", "lateBinding"):
                raise vmodl.fault.InvalidArgument(invalidProperty="spec.type")
            self.binding = spec.type
        if spec.description is not None:
            self.description = spec.description
        if spec.autoExpand is not None:
            self.auto_expand = spec.autoExpand
        if spec.defaultPortConfig is not None:
            self.own = policy.apply(self.own, spec.defaultPortConfig)
            resolved = self.resolved()
            vlan = resolved.vlan
            if isinstance(vlan, VDS.VlanIdSpec) and not 0 <= (vlan.vlanId or 0) <= 4094:
                raise vmodl.fault.InvalidArgument(invalidProperty="spec.defaultPortConfig.vlan.vlanId")
            if not self.uplink:
                self.switch._check_teaming(resolved, "spec.defaultPortConfig")  # pylint: disable=protected-access

    def m_Destroy_Task(self, ctx: Any) -> Any:
        return self._task("Destroy_Task", self.destroy)

    def destroy(self) -> None:
        if self.uplink:
            raise vim.fault.InvalidState(msg="the uplink portgroup goes with its switch")  # [INF]
        users = [(h, d) for h in self.switch.state.members for d in self.switch.vmks_on(h, self.moid)]
        if users:
            raise vim.fault.ResourceInUse(type=vim.dvs.DistributedVirtualPortgroup, name=self.name,
                                          msg="in use by %s" % ", ".join("%s %s" % u for u in users))
        self.switch._forget(self)  # pylint: disable=protected-access


# ---------------------------------------------------------------------------------------
# Host helpers: a vmk's connection, the switch that uses a pnic
# ---------------------------------------------------------------------------------------


def _connection(vnic: Any) -> Any | None:
    return vnic.spec.distributedVirtualPort


def pnic_owner(sim: Simulator, host: HostModel, pnic: str, ignore: DistributedSwitch | None = None) -> str | None:
    """The vSwitch or distributed switch that already uses ``pnic`` on ``host``, if any."""
    for name, spec in host.vswitches.items():
        if spec.bridge is not None and pnic in (spec.bridge.nicDevice or []):
            return name
    for sw in switches(sim):
        if sw is not ignore and sw.uses_pnic(host, pnic):
            return sw.name
    return None


# ---------------------------------------------------------------------------------------
# Inventory helpers and --state persistence
# ---------------------------------------------------------------------------------------


def new_switch(sim: Simulator, folder: Folder, name: str, uplinks: list[str]) -> DistributedSwitch:
    """A switch as CreateDVS_Task would leave it (inventory only): no hosts, no LAGs, its uplink portgroup."""
    if not name or len(name) > 80:
        raise vim.fault.InvalidName(name=name)
    if any(sw.name == name for sw in switches(sim)):
        raise vim.fault.DuplicateName(name=name, object=folder.ref)
    if not uplinks or len(set(uplinks)) != len(uplinks):
        raise vmodl.fault.InvalidArgument(invalidProperty="uplinkPortPolicy.uplinkPortName")
    switch = DistributedSwitch(sim, sim.next_id("dvs"), name, folder, uplinks)
    sim.register(switch)
    folder.children.append(switch)
    return switch


def port_setting(vlan: int | None = None, policy_name: str | None = None, active: list[str] | None = None,
                 standby: list[str] | None = None, failback: bool | None = None, notify: bool | None = None) -> Any:
    """A partial VMwareDVSPortSetting overriding only what is given (as a client would send it)."""
    setting = VDS.VmwarePortConfigPolicy()
    if vlan is not None:
        setting.vlan = VDS.VlanIdSpec(inherited=False, vlanId=vlan)
    team = VDS.UplinkPortTeamingPolicy(inherited=False)
    if policy_name is not None:
        team.policy = vim.StringPolicy(inherited=False, value=policy_name)
    if active is not None or standby is not None:
        team.uplinkPortOrder = VDS.UplinkPortOrderPolicy(inherited=False, activeUplinkPort=list(active or []), standbyUplinkPort=list(standby or []))
    if failback is not None:
        team.rollingOrder = vim.BoolPolicy(inherited=False, value=not failback)
    if notify is not None:
        team.notifySwitches = vim.BoolPolicy(inherited=False, value=notify)
    if any(getattr(team, n) is not None for n in ("policy", "uplinkPortOrder", "rollingOrder", "notifySwitches")):
        setting.uplinkTeamingPolicy = team
    return setting


def member_spec(sim: Simulator, switch: DistributedSwitch, host: str, pnics: dict[str, str], operation: str) -> Any:
    """A host member spec; ``pnics`` maps vmnicN to an uplink port name (dvUplink1, lag1-0)."""
    mo = _host_mo(sim, host)
    specs = []
    for pnic, port in sorted(pnics.items()):
        key = switch.state.ports.get((host, port))
        if key is None:
            raise vmodl.fault.InvalidArgument(invalidProperty="pnicSpec.uplinkPortKey",
                                              msg="%s has no uplink port %s (ports: %s)" % (switch.name, port, ", ".join(switch.state.port_names())))
        specs.append(vim.dvs.HostMember.PnicSpec(pnicDevice=pnic, uplinkPortKey=key, uplinkPortgroupKey=switch.uplink_pg.moid))
    return vim.dvs.HostMember.ConfigSpec(operation=operation, host=mo.ref if mo else vim.HostSystem(host),
                                         backing=vim.dvs.HostMember.PnicBacking(pnicSpec=specs) if operation != "add" or specs else None)


def find_portgroup(sim: Simulator, name: str, within: Folder | None = None) -> DistributedPortgroup | None:
    return next((pg for sw in switches(sim) if within is None or sw.folder is within for pg in sw.user_portgroups() if pg.name == name), None)


def dump(sim: Simulator) -> dict[str, Any]:
    """JSON-able state of every distributed switch (for --state; hosts' vmks are saved with the hosts)."""
    out = {}
    for sw in switches(sim):
        st = sw.state
        out[sw.moid] = {
            "name": st.name, "uplinks": st.uplinks, "default": to_xml(st.default), "mtu": st.mtu, "lacp_api": st.lacp_api,
            "multicast": st.multicast,
            "lags": [[lag.key, lag.name, lag.mode, lag.uplink_num, lag.algorithm, lag.timeout_mode] for lag in st.lags],
            "members": st.members, "ports": [[h, n, k] for (h, n), k in st.ports.items()], "version": st.version,
            "next_port": st.next_port, "next_lag": st.next_lag,
            "portgroups": [{"moid": pg.moid, "name": pg.name, "uplink": pg.uplink, "own": to_xml(pg.own) if pg.own is not None else None,
                            "version": pg.version, "num_ports": pg.num_ports, "binding": pg.binding, "description": pg.description,
                            "auto_expand": pg.auto_expand}
                           for pg in sw.portgroups]}
    return out


def load(sim: Simulator, data: dict[str, Any]) -> None:
    """Restore switches saved by ``dump`` onto the ones the inventory built (matched by moId)."""
    for sw in switches(sim):
        saved = data.get(sw.moid)
        if saved is None:
            continue
        st = sw.state
        st.name, st.uplinks, st.mtu, st.lacp_api = saved["name"], list(saved["uplinks"]), saved["mtu"], saved["lacp_api"]
        st.multicast = saved.get("multicast", "legacyFiltering")
        st.default = SoapAdapter.Deserialize(saved["default"], VDS.VmwarePortConfigPolicy)
        st.lags = [Lag(*row) for row in saved["lags"]]
        st.members = {h: dict(p) for h, p in saved["members"].items()}
        st.ports = {(h, n): k for h, n, k in saved["ports"]}
        st.version, st.next_port, st.next_lag = saved["version"], saved["next_port"], saved["next_lag"]
        for pg in list(sw.portgroups):
            sw._forget(pg)  # pylint: disable=protected-access
        for row in saved["portgroups"]:
            pg = DistributedPortgroup(sim, row["moid"], row["name"], sw, row["uplink"])
            pg.own = SoapAdapter.Deserialize(row["own"], VDS.VmwarePortConfigPolicy) if row["own"] else None
            pg.version, pg.num_ports, pg.binding, pg.description = row["version"], row["num_ports"], row["binding"], row["description"]
            pg.auto_expand = row.get("auto_expand", True)
            sim.register(pg)
            sw.portgroups.append(pg)
            sw.folder.children.append(pg)
            if pg.uplink:
                sw.uplink_pg = pg
            sim.bump_id("dvportgroup", int(row["moid"].split("-")[-1]))


def create_dvs_task(folder: Folder, spec: Any) -> Any:
    """CreateDVS_Task of a datacenter's network folder (``networks.NetworkFolder``): a new switch configured
    by ``spec.configSpec`` (uplink names, default four dvUplinks [INF]) at ``spec.productInfo.version``."""
    sim = folder.sim
    result: list[Any] = []

    def create() -> Any:
        config = spec.configSpec
        if config.name is None:
            raise vim.fault.InvalidName(name="")
        uplinks = list(getattr(config.uplinkPortPolicy, "uplinkPortName", None) or ["dvUplink%d" % i for i in range(1, 5)])
        version = spec.productInfo.version if spec.productInfo is not None and spec.productInfo.version else "8.0.3"
        switch = new_switch(sim, folder, config.name, uplinks)
        switch.product_version = version
        result.append(switch)
        rest = copy.copy(config)
        rest.name, rest.uplinkPortPolicy, rest.configVersion = None, None, str(switch.state.version)
        switch.reconfigure(rest)
        return switch.ref

    try:
        ref = create()
    except vmodl.MethodFault as fault:
        for switch in result:  # all or nothing: a switch whose configuration failed is not left behind
            switch.destroy()
        return new_task(sim, "CreateDVS_Task", folder, error=task_fault("CreateDVS_Task", fault)).ref
    sim.changed()
    return new_task(sim, "CreateDVS_Task", folder, result=ref).ref


register_state_section("distributed_switches", dump, load)
