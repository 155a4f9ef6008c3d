# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Builders for real pyVmomi data objects shaped like an ESXi host's answer (no server)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pyVmomi import vim, vmodl

NetPolicy = vim.host.NetworkPolicy


def teaming(policy: str | None = None, active: Sequence[str] | None = None, standby: Sequence[str] = (),
            rolling: bool | None = None, notify: bool | None = None, beacon: bool | None = None,
            reverse: bool | None = None) -> Any:
    order = NetPolicy.NicOrderPolicy(activeNic=list(active), standbyNic=list(standby)) if active is not None else None
    return NetPolicy.NicTeamingPolicy(
        policy=policy, nicOrder=order, rollingOrder=rolling, notifySwitches=notify, reversePolicy=reverse,
        failureCriteria=NetPolicy.NicFailureCriteria(checkBeacon=beacon, checkSpeed="minimum" if beacon is not None else None,
                                                     speed=10 if beacon is not None else None))


def policy(nic_teaming: Any = None, security: bool = False) -> Any:
    sec = NetPolicy.SecurityPolicy(allowPromiscuous=False, macChanges=True, forgedTransmits=True) if security \
        else NetPolicy.SecurityPolicy()
    return vim.host.NetworkPolicy(security=sec, nicTeaming=nic_teaming or NetPolicy.NicTeamingPolicy(
        failureCriteria=NetPolicy.NicFailureCriteria()), offloadPolicy=vim.host.NetOffloadCapabilities(),
        shapingPolicy=NetPolicy.TrafficShapingPolicy())


def vswitch(name: str, nics: Sequence[str], mtu: int = 1500, beacon: bool = True, **team: Any) -> Any:
    bridge = vim.host.VirtualSwitch.BondBridge(
        nicDevice=list(nics), beacon=vim.host.VirtualSwitch.BeaconConfig(interval=1) if beacon else None)
    team.setdefault("policy", "loadbalance_srcid")
    team.setdefault("active", list(nics))
    team.setdefault("rolling", False)
    team.setdefault("notify", True)
    team.setdefault("beacon", False)
    team.setdefault("reverse", True)
    spec = vim.host.VirtualSwitch.Specification(numPorts=128, mtu=mtu, bridge=bridge,
                                                policy=policy(teaming(**team), security=True))
    return vim.host.VirtualSwitch(name=name, key="key-vim.host.VirtualSwitch-" + name, numPorts=1536, mtu=mtu,
                                  spec=spec, pnic=["key-vim.host.PhysicalNic-" + n for n in nics])


def portgroup(name: str, sw: Any, vlan: int = 0, override: Any = None, vmk_ports: int = 0, vm_ports: int = 0,
              security: bool = False) -> Any:
    spec = vim.host.PortGroup.Specification(name=name, vlanId=vlan, vswitchName=sw.name,
                                            policy=policy(override, security=security))
    base = sw.spec.policy.nicTeaming
    ov = override or NetPolicy.NicTeamingPolicy()
    computed = NetPolicy.NicTeamingPolicy(
        policy=ov.policy or base.policy,
        nicOrder=ov.nicOrder or base.nicOrder,
        rollingOrder=base.rollingOrder if ov.rollingOrder is None else ov.rollingOrder,
        notifySwitches=base.notifySwitches if ov.notifySwitches is None else ov.notifySwitches,
        reversePolicy=base.reversePolicy,
        failureCriteria=NetPolicy.NicFailureCriteria(
            checkBeacon=base.failureCriteria.checkBeacon if ov.failureCriteria is None
            or ov.failureCriteria.checkBeacon is None else ov.failureCriteria.checkBeacon))
    ports = [vim.host.PortGroup.Port(key="p%d" % i, type="host") for i in range(vmk_ports)]
    ports += [vim.host.PortGroup.Port(key="v%d" % i, type="virtualMachine") for i in range(vm_ports)]
    return vim.host.PortGroup(key="key-vim.host.PortGroup-" + name, spec=spec, port=ports,
                              computedPolicy=vim.host.NetworkPolicy(nicTeaming=computed),
                              vswitch="key-vim.host.VirtualSwitch-" + sw.name)


def vnic(device: str, pg: str, address: str | None = "10.0.0.10", netmask: str = "255.255.255.0", mtu: int = 1500,
         stack: str = "defaultTcpipStack", gateway: str | None = None) -> Any:
    ip = vim.host.IpConfig(dhcp=False, ipAddress=address, subnetMask=netmask) if address \
        else vim.host.IpConfig(dhcp=True)
    route = None
    if gateway:
        route = vim.host.VirtualNic.IpRouteSpec(ipRouteConfig=vim.host.IpRouteConfig(defaultGateway=gateway))
    spec = vim.host.VirtualNic.Specification(ip=ip, mtu=mtu, netStackInstanceKey=stack, mac="00:50:56:00:00:0%s"
                                             % device[-1], ipRouteSpec=route)
    return vim.host.VirtualNic(device=device, key="key-vim.host.VirtualNic-" + device, portgroup=pg, spec=spec)


def vnic_manager_info(selected: dict[str, list[str]], devices: Sequence[str],
                      types: Sequence[str] = ("management", "vmotion", "vSphereProvisioning", "vSphereReplication",
                                              "vSphereReplicationNFC", "faultToleranceLogging", "vsan",
                                              "vsanWitness")) -> Any:
    configs = []
    for t in types:
        cands = [vim.host.VirtualNic(device=d, key="%s.key-vim.host.VirtualNic-%s" % (t, d)) for d in devices]
        sel = ["%s.key-vim.host.VirtualNic-%s" % (t, d) for d in selected.get(t, [])]
        configs.append(vim.host.VirtualNicManager.NetConfig(nicType=t, multiSelectAllowed=True,
                                                            candidateVnic=cands, selectedVnic=sel))
    return vim.host.VirtualNicManagerInfo(netConfig=configs)


def standard_host() -> dict[str, Any]:
    """esx01-like: vSwitch0 (vmnic0, vmnic1) with Management Network/vmk0 and VM Network;
    vSwitch1 (vmnic2, vmnic3, MTU 9000) with iSCSI-A/vmk1 overriding active=[vmnic2]."""
    sw0 = vswitch("vSwitch0", ["vmnic0", "vmnic1"])
    sw1 = vswitch("vSwitch1", ["vmnic2", "vmnic3"], mtu=9000, beacon=False)
    mgmt = portgroup("Management Network", sw0, override=teaming(policy="loadbalance_srcid", active=["vmnic0"],
                                                                 standby=["vmnic1"], rolling=False, notify=True,
                                                                 beacon=False), vmk_ports=1)
    vmnet = portgroup("VM Network", sw0, vm_ports=2)
    iscsi = portgroup("iSCSI-A", sw1, vlan=20, override=teaming(active=["vmnic2"]), vmk_ports=1, security=True)
    vmk0 = vnic("vmk0", "Management Network", "192.168.1.11", gateway="192.168.1.1")
    vmk1 = vnic("vmk1", "iSCSI-A", "10.10.20.11", mtu=9000)
    pnics = [vim.host.PhysicalNic(device="vmnic%d" % i, key="key-vim.host.PhysicalNic-vmnic%d" % i,
                                  mac="00:11:22:33:44:5%d" % i,
                                  linkSpeed=vim.host.PhysicalNic.LinkSpeedDuplex(speedMb=10000, duplex=True))
             for i in range(4)]
    stacks = [vim.host.NetStackInstance(key=k) for k in ("defaultTcpipStack", "vmotion", "vSphereProvisioning")]
    net = vim.host.NetworkInfo(vswitch=[sw0, sw1], portgroup=[mgmt, vmnet, iscsi], vnic=[vmk0, vmk1], pnic=pnics,
                               netStackInstance=stacks)
    return {
        "name": "esx01.lab.local",
        "config.product": vim.AboutInfo(version="8.0.3", build="24022510", apiType="HostAgent"),
        "config.network": net,
        "config.virtualNicManagerInfo": vnic_manager_info({"management": ["vmk0"]}, ["vmk0", "vmk1"]),
        "configManager.networkSystem": vim.host.NetworkSystem("networkSystem-1"),
        "configManager.virtualNicManager": vim.host.VirtualNicManager("ha-vnic-mgr-1"),
        "configManager.storageSystem": vim.host.StorageSystem("storageSystem-1"),
        "configManager.iscsiManager": vim.host.IscsiManager("iscsiManager-1"),
        "config.storageDevice.softwareInternetScsiEnabled": False,
    }


VDS = vim.dvs.VmwareDistributedVirtualSwitch
DVS_UUID = "50 1a 2b 3c 4d 5e 6f 70-81 92 a3 b4 c5 d6 e7 f8"


def dv_teaming(policy: str | None = None, active: Sequence[str] | None = None, standby: Sequence[str] = (),
               rolling: bool | None = None) -> Any:
    """A VmwareUplinkPortTeamingPolicy as vCenter returns it (every leaf an InheritablePolicy)."""
    return VDS.UplinkPortTeamingPolicy(
        inherited=False,
        policy=vim.StringPolicy(inherited=False, value=policy) if policy else None,
        uplinkPortOrder=VDS.UplinkPortOrderPolicy(inherited=False, activeUplinkPort=list(active),
                                                  standbyUplinkPort=list(standby)) if active is not None else None,
        rollingOrder=vim.BoolPolicy(inherited=False, value=rolling) if rolling is not None else None,
        notifySwitches=vim.BoolPolicy(inherited=False, value=True),
        failureCriteria=VDS.FailureCriteria(checkBeacon=vim.BoolPolicy(inherited=False, value=False)))


def dv_switch(lags: Sequence[str] = ("lag1",)) -> dict[str, Any]:
    """Properties of dvs-prod: dvUplink1/2, LAGs ``lags``, default order active dvUplink1+2, srcid."""
    default = VDS.VmwarePortConfigPolicy(vlan=VDS.VlanIdSpec(inherited=False, vlanId=0),
                                         uplinkTeamingPolicy=dv_teaming("loadbalance_srcid", ["dvUplink1", "dvUplink2"],
                                                                        rolling=False))
    return {"name": "dvs-prod", "uuid": DVS_UUID,
            "config.uplinkPortPolicy": vim.DistributedVirtualSwitch.NameArrayUplinkPortPolicy(
                uplinkPortName=["dvUplink1", "dvUplink2"]),
            "config.defaultPortConfig": default,
            "config.lacpGroupConfig": VDS.LacpGroupConfig.Array([
                VDS.LacpGroupConfig(key="lag-%d" % i, name=n, mode="active", uplinkNum=2) for i, n in enumerate(lags)])}


def dv_portgroup(key: str, name: str, vlan: Any = 0, team: Any = None, uplink: bool = False,
                 switch: str = "dvs-1") -> dict[str, Any]:
    """Properties of a dvPortgroup of switch moId ``switch``; ``vlan`` an int or a VlanSpec; ``team`` None inherits."""
    vlan_spec = VDS.VlanIdSpec(inherited=False, vlanId=vlan) if isinstance(vlan, int) else vlan
    return {"key": key, "name": name, "config.distributedVirtualSwitch": vim.dvs.VmwareDistributedVirtualSwitch(switch),
            "config.uplink": uplink,
            "config.defaultPortConfig": VDS.VmwarePortConfigPolicy(vlan=vlan_spec, uplinkTeamingPolicy=team)}


def proxy_switch(pnics: dict[str, str], lag_ports: dict[str, Sequence[str]]) -> Any:
    """This host's HostProxySwitch of dvs-prod: ``pnics`` pnic -> uplink port name (dvUplink1,
    lag1-0); ``lag_ports`` LAG name -> its port names. Port keys are numbered in name order."""
    names = sorted(set(pnics.values()) | {"dvUplink1", "dvUplink2"} | {p for ports in lag_ports.values() for p in ports})
    key = {n: str(100 + i) for i, n in enumerate(names)}
    backing = vim.dvs.HostMember.PnicBacking(pnicSpec=[
        vim.dvs.HostMember.PnicSpec(pnicDevice=p, uplinkPortKey=key[n]) for p, n in sorted(pnics.items())])
    return vim.host.HostProxySwitch(
        dvsUuid=DVS_UUID, dvsName="dvs-prod", key=DVS_UUID, uplinkPort=[vim.KeyValue(key=key[n], value=n) for n in names],
        spec=vim.host.HostProxySwitch.Specification(backing=backing),
        hostLag=[vim.host.HostProxySwitch.HostLagConfig(lagKey="lag-%d" % i, lagName=lag, uplinkPort=[
            vim.KeyValue(key=key[n], value=n) for n in ports]) for i, (lag, ports) in enumerate(sorted(lag_ports.items()))])


def dv_vnic(device: str, portgroup_key: str, address: str = "10.10.20.50") -> Any:
    """A vmk on a distributed port (``portgroup`` "")."""
    v = vnic(device, "", address)
    v.spec.distributedVirtualPort = vim.dvs.PortConnection(switchUuid=DVS_UUID, portgroupKey=portgroup_key,
                                                           portKey="7", connectionCookie=1007)
    return v


def object_content(obj: Any, props: dict[str, Any], missing: Sequence[str] = ()) -> Any:
    return vmodl.query.PropertyCollector.ObjectContent(
        obj=obj, propSet=[vmodl.DynamicProperty(name=k, val=v) for k, v in props.items()],
        missingSet=[vmodl.query.PropertyCollector.MissingProperty(path=p, fault=vmodl.fault.SystemError(reason="x"))
                    for p in missing])
