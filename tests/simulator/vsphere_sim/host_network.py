"""HostNetworkSystem (vSwitches, port groups, vmks, UpdateNetworkConfig, DNS and default route)
and HostVirtualNicManager (the services a vmk is selected for). The truth they change lives in
``host_model.HostModel``; every change is all-or-nothing. Inferred behaviour is marked [INF]."""

from __future__ import annotations

import copy
import ipaddress
from collections.abc import Callable
from typing import Any

from pyVmomi import vim, vmodl

from .base import MO, invalid
from .host_model import (
    NETSTACKS,
    HostModel,
    Vnic,
    bridge_nics,
    default_switch_policy,
    empty_pg_policy,
    is_candidate,
    merge,
    network_config,
    network_info,
    other_pnic_owner,
    pnic_owners,
    stack_of,
    switch_by_uuid,
    vnic_manager_info,
    vnics_on,
)
from .state import Simulator


class NetworkSystem(MO):
    WSDL, PYTYPE = "HostNetworkSystem", vim.host.NetworkSystem
    WRITES = frozenset({"AddVirtualSwitch", "UpdateVirtualSwitch", "RemoveVirtualSwitch", "AddPortGroup", "UpdatePortGroup",
                        "RemovePortGroup", "AddVirtualNic", "UpdateVirtualNic", "RemoveVirtualNic", "UpdateNetworkConfig",
                        "UpdateDnsConfig", "UpdateIpRouteConfig"})

    def __init__(self, sim: Simulator, moid: str, host: HostModel) -> None:
        super().__init__(sim, moid)
        self.host = host
        self.owners_at_end = False  # during UpdateNetworkConfig: which switch owns a pnic is checked at the end

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

    def m_QueryNetworkHint(self, ctx: Any, device: list[str] | None = None) -> Any:
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
        """Every item, then the pnic owners once, on the state at the end of the call: a pnic may leave a
        vSwitch bridge and join a proxy switch (or back) in one call whatever the order of the items [INF]."""
        self.owners_at_end = True
        try:
            result = self._apply_items(config, mode)
        finally:
            self.owners_at_end = False
        for pnic in sorted(self.host.pnics):
            owners = pnic_owners(self.host, pnic)
            if len(owners) > 1:
                raise vim.fault.ResourceInUse(type=vim.host.PhysicalNic, name=pnic, msg="%s would be used by %s" % (pnic, " and ".join(owners)))
        return result

    def _apply_items(self, config: Any, mode: str) -> Any:
        added: list[str] = []
        if mode == "replace":
            self._replace_prune(config)
        ops: dict[str, list[tuple[str, Any]]] = {op: [] for op in ("add", "edit", "remove")}
        for sw in config.vswitch or []:
            ops[_op(sw.changeOperation)].append(("vswitch", sw))
        for pg in config.portgroup or []:
            ops[_op(pg.changeOperation)].append(("portgroup", pg))
        for vn in config.vnic or []:
            ops[_op(vn.changeOperation)].append(("vnic", vn))
        for ps in config.proxySwitch or []:
            ops[_op(ps.changeOperation)].append(("proxySwitch", ps))
        for kind, item in ops["add"] + ops["edit"]:
            self._apply_one(kind, item, mode, added)
        for kind, item in sorted(ops["remove"], key=lambda ki: ("proxySwitch", "vnic", "portgroup", "vswitch").index(ki[0])):
            self._apply_one(kind, item, mode, added)
        if config.dnsConfig is not None:
            self.set_dns(config.dnsConfig)
        if config.ipRouteConfig is not None:
            self.set_route(config.ipRouteConfig)
        return vim.host.NetworkConfig.Result(vnicDevice=added)

    def _apply_one(self, kind: str, item: Any, mode: str, added: list[str]) -> None:
        op = _op(item.changeOperation) if mode == "modify" or item.changeOperation else "add"
        if kind == "proxySwitch":
            self.edit_proxy(item, op)
        elif kind == "vswitch":
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
        for item in list(config.vswitch or []) + list(config.portgroup or []) + list(config.vnic or []) + list(config.proxySwitch or []):
            item.changeOperation = "edit" if self._exists(item) else "add"

    def _exists(self, item: Any) -> bool:
        if isinstance(item, vim.host.VirtualSwitch.Config):
            return item.name in self.host.vswitches
        if isinstance(item, vim.host.PortGroup.Config):
            return item.spec.name in self.host.portgroups
        if isinstance(item, vim.host.HostProxySwitch.Config):
            switch = switch_by_uuid(self.sim, item.uuid)
            return switch is not None and switch.proxy_switch_of(self.host) is not None
        return item.device in self.host.vnics

    def edit_proxy(self, item: Any, op: str) -> None:
        """The pnics of the host's proxy switch (``spec.backing``: the complete set, as in a
        ReconfigureDvs_Task host member backing). A host joins or leaves a distributed switch only
        through vCenter, so add and remove are refused [INF]."""
        if op != "edit":
            raise vim.fault.HostConfigFault(msg="proxy switch %s: a host joins or leaves a distributed switch only through vCenter" % item.uuid)
        switch = switch_by_uuid(self.sim, item.uuid)
        if switch is None:
            raise vim.fault.NotFound(msg="distributed switch %s not found" % item.uuid)
        switch.edit_proxy_switch(self.host, item.spec.backing if item.spec is not None else None)

    # -- vSwitch -------------------------------------------------------------------------
    def _check_switch_spec(self, name: str, spec: Any, adding: bool = False) -> None:
        if len(name) > 32 or not name:
            raise invalid("vswitchName")
        if spec.mtu is not None and not 1280 <= spec.mtu <= 9000:
            raise invalid("spec.mtu")
        if spec.numPorts is not None and not 0 <= spec.numPorts <= 4088:
            raise invalid("spec.numPorts")
        bridge = bridge_nics(spec)
        if spec.bridge is not None and not isinstance(spec.bridge, vim.host.VirtualSwitch.BondBridge):
            raise vmodl.fault.NotSupported(msg="only BondBridge is supported on ESXi")
        for nic in bridge:
            if nic not in self.host.pnics:
                # AddVirtualSwitch declares no NotFound: an unknown NIC is a bad argument there [INF]
                if adding:
                    raise invalid("spec.bridge.nicDevice", "physical NIC %s not found" % nic)
                raise vim.fault.NotFound(msg="physical NIC %s not found" % nic)
            owner = next((n for n, s in self.host.vswitches.items() if n != name and nic in bridge_nics(s)), None) or other_pnic_owner(self.host, nic)
            if owner is not None and not self.owners_at_end:
                raise vim.fault.ResourceInUse(type=vim.host.PhysicalNic, name=nic, msg="%s is already used by %s" % (nic, owner))
        if spec.policy is not None:
            self._check_policy(spec.policy, bridge, "spec.policy", spec)

    def _check_policy(self, policy: Any, bridge: list[str], prop: str, switch_spec: Any) -> None:
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
        spec.policy = merge(spec.policy, default_switch_policy(bridge_nics(spec)))
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
            self._check_policy(spec.policy, bridge_nics(sw), "portgrp.policy", sw)

    def add_pg(self, spec: Any) -> None:
        if spec.name in self.host.portgroups:
            raise vim.fault.AlreadyExists(name=spec.name)
        self._check_pg(spec)
        stored = copy.deepcopy(spec)
        stored.policy = merge(stored.policy, empty_pg_policy()) if stored.policy is not None else empty_pg_policy()
        self.host.portgroups[spec.name] = stored

    def edit_pg(self, name: str, spec: Any) -> None:
        if name not in self.host.portgroups:
            raise vim.fault.NotFound(msg="port group %s not found" % name)
        if spec.name != name and spec.name in self.host.portgroups:
            raise vim.fault.AlreadyExists(name=spec.name)
        self._check_pg(spec)
        if spec.vswitchName != self.host.portgroups[name].vswitchName and vnics_on(self.host, name):
            raise vim.fault.HostConfigFault(msg="port group %s carries VMkernel NICs" % name)  # [INF]
        stored = copy.deepcopy(spec)  # full replacement (vsphere-api.md §3.1)
        stored.policy = merge(stored.policy, empty_pg_policy()) if stored.policy is not None else empty_pg_policy()
        del self.host.portgroups[name]
        self.host.portgroups[spec.name] = stored
        for vnic in vnics_on(self.host, name):
            vnic.portgroup = spec.name

    def remove_pg(self, name: str) -> None:
        if name not in self.host.portgroups:
            raise vim.fault.NotFound(msg="port group %s not found" % name)
        if vnics_on(self.host, name):
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

    def add_vnic(self, portgroup: str, spec: Any, device: str | None) -> str:
        spec = copy.deepcopy(spec)
        self._check_vnic_spec(spec)
        if spec.distributedVirtualPort is not None:
            spec.distributedVirtualPort = self._connect(spec.distributedVirtualPort)
            portgroup = ""
        else:
            if portgroup not in self.host.portgroups:
                raise invalid("portgroup", "port group %s not found" % portgroup)
            if vnics_on(self.host, portgroup):
                raise vim.fault.AlreadyExists(name=portgroup)
        device = self._allocate(device)
        spec.mtu = spec.mtu or 1500
        spec.netStackInstanceKey = spec.netStackInstanceKey or "defaultTcpipStack"
        spec.tsoEnabled = True if spec.tsoEnabled is None else spec.tsoEnabled
        spec.ip = spec.ip or vim.host.IpConfig(dhcp=True)
        mac = spec.mac or "00:50:56:6%s:%02x:%02x" % (self.moid[-1], len(self.host.name) % 256, int(device[3:]))
        spec.mac = mac
        spec.portgroup = portgroup or None
        self.host.vnics[device] = Vnic(portgroup, spec, mac)
        return device

    def _connect(self, conn: Any) -> Any:
        """The port a vmk gets on a dvPortgroup, from its switch (found in the registry)."""
        switch = switch_by_uuid(self.sim, conn.switchUuid)
        if switch is None:
            raise invalid("nic.distributedVirtualPort.switchUuid")  # [INF]
        return switch.connect_vmk(self.host, conn)

    def _allocate(self, device: str | None) -> str:
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
        if spec.netStackInstanceKey is not None and spec.netStackInstanceKey != stack_of(vnic):
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
            if vnics_on(self.host, spec.portgroup):  # UpdateVirtualNic declares no AlreadyExists [INF]
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


def _op(change_operation: str | None) -> str:
    if change_operation not in ("add", "edit", "remove"):
        raise invalid("changeOperation")
    return change_operation


# ---------------------------------------------------------------------------------------
# HostVirtualNicManager
# ---------------------------------------------------------------------------------------


class VirtualNicManager(MO):
    WSDL, PYTYPE = "HostVirtualNicManager", vim.host.VirtualNicManager
    WRITES = frozenset({"SelectVnicForNicType", "DeselectVnicForNicType"})

    def __init__(self, sim: Simulator, moid: str, host: HostModel) -> None:
        super().__init__(sim, moid)
        self.host = host

    def p_info(self) -> Any:
        return vnic_manager_info(self.host)

    def _check(self, nicType: str, device: str) -> None:
        if nicType not in self.host.nic_types():
            raise invalid("nicType")
        vnic = self.host.vnics.get(device)
        if vnic is None or not is_candidate(vnic, nicType):
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
