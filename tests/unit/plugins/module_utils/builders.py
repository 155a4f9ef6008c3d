# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Observed-host builders for the pure-layer unit tests (no pyVmomi, no simulator).

``demo_host()`` is an ESXi 8 host: vmnic0-3 at 10 Gb, vSwitch0 on vmnic0+vmnic1 (mtu 1500) with
"Management Network" (vmk0, 192.168.10.11/24, management, override active vmnic0 standby vmnic1)
and "VM Network"; the nic types an 8.0 host offers. The ``with_*`` helpers return a new host.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Binding,
    Desired,
    DvPortgroup,
    DvPortgroupSpec,
    DvSwitch,
    DvSwitchSpec,
    Flags,
    Host,
    Ip,
    IpSpec,
    IscsiAdapter,
    IscsiSpec,
    IscsiTarget,
    Pnic,
    PortGroup,
    Teaming,
    TeamingSpec,
    Vmk,
    VmkSpec,
    VSwitch,
    VSwitchSpec,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import overlay
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._profiles import ESXI_OPTION_DEFS

H = "esx01.lab.local"

NIC_TYPES_80: frozenset[str] = frozenset((
    "faultToleranceLogging", "management", "nvmeRdma", "nvmeTcp", "ptp", "vSphereBackupNFC",
    "vSphereProvisioning", "vSphereReplication", "vSphereReplicationNFC", "vmotion", "vsan", "vsanWitness",
))

SWITCH_TEAMING = Teaming(policy="srcid", active=("vmnic0", "vmnic1"), standby=(), failback=True,
                         notify_switches=True, failure_detection="link_status")
NO_OVERRIDE = Teaming()
MGMT_OVERRIDE = Teaming(policy="failover_explicit", active=("vmnic0",), standby=("vmnic1",), failback=True,
                        notify_switches=True, failure_detection="link_status")


def pnics(count: int = 4, speed: int = 10000) -> dict:
    return {"vmnic%d" % i: Pnic("vmnic%d" % i, speed, "00:50:56:00:00:%02x" % i) for i in range(count)}


def host_index(name: str) -> int:
    """``esx02.lab.local`` -> 2 (1 when the name has no number): addresses differ per host."""
    digits = "".join(c for c in name.split(".")[0] if c.isdigit())
    return int(digits) if digits else 1


def demo_host(name: str = H) -> Host:
    """The ESXi 8 demo host described in the module docstring (vmk0 at 192.168.10.1N for esx0N)."""
    sw0 = VSwitch("vSwitch0", ("vmnic0", "vmnic1"), mtu=1500, teaming=SWITCH_TEAMING, beacon_interval=1)
    mgmt = PortGroup("Management Network", "vSwitch0", 0, override=MGMT_OVERRIDE,
                     effective=MGMT_OVERRIDE.merged_over(SWITCH_TEAMING))
    vmnet = PortGroup("VM Network", "vSwitch0", 0, effective=SWITCH_TEAMING, vm_ports=2)
    vmk0 = Vmk("vmk0", "Management Network", "vSwitch0", Ip(address="192.168.10.%d" % (10 + host_index(name)), netmask="255.255.255.0"),
               services=frozenset({"management"}), mac="00:50:56:aa:00:00")
    return Host(name=name, version="8.0.2", pnics=pnics(),
                vswitches={"vSwitch0": sw0},
                portgroups={mgmt.name: mgmt, vmnet.name: vmnet},
                vmks={"vmk0": vmk0}, nic_types=NIC_TYPES_80)


def with_vswitch(host: Host, name: str = "vSwitch1", uplinks: tuple[str, ...] = ("vmnic2", "vmnic3"),
                 mtu: int = 9000, teaming: Teaming | None = None, beacon_interval: int | None = None) -> Host:
    """``host`` plus a vSwitch (default teaming: srcid, every uplink active)."""
    team = teaming or Teaming(policy="srcid", active=tuple(uplinks), standby=(), failback=True,
                              notify_switches=True, failure_detection="link_status")
    sw = VSwitch(name, tuple(uplinks), mtu=mtu, teaming=team, beacon_interval=beacon_interval)
    portgroups = {k: _refresh(v, sw) if v.vswitch == name else v for k, v in host.portgroups.items()}
    return dataclasses.replace(host, vswitches=dict(host.vswitches, **{name: sw}), portgroups=portgroups)


def _refresh(pg: PortGroup, sw: VSwitch) -> PortGroup:
    return dataclasses.replace(pg, effective=pg.override.merged_over(sw.teaming))


def with_portgroup(host: Host, name: str, vswitch: str = "vSwitch1", vlan: int = 0,
                   override: Teaming = NO_OVERRIDE, vm_ports: int = 0) -> Host:
    """``host`` plus a port group whose effective teaming is resolved against its vSwitch."""
    pg = PortGroup(name, vswitch, vlan, override=override,
                   effective=override.merged_over(host.vswitches[vswitch].teaming), vm_ports=vm_ports)
    return dataclasses.replace(host, portgroups=dict(host.portgroups, **{name: pg}))


def with_vmk(host: Host, device: str, portgroup: str, address: str | None = None,
             netmask: str = "255.255.255.0", mtu: int = 1500, netstack: str = "default",
             services: Iterable[str] = (), vswitch: str | None = None, **pg_args: Any) -> Host:
    """``host`` plus a vmk (and its port group on ``vswitch`` when missing)."""
    if portgroup not in host.portgroups:
        host = with_portgroup(host, portgroup, vswitch or "vSwitch1", **pg_args)
    pg = host.portgroups[portgroup]
    ip = Ip(address=address, netmask=netmask) if address else Ip(dhcp=True)
    vmk = Vmk(device, portgroup, pg.vswitch, ip, mtu=mtu, netstack=netstack, services=frozenset(services))
    return dataclasses.replace(host, vmks=dict(host.vmks, **{device: vmk}))


DV_UPLINKS = {"dvUplink1": ("vmnic2",), "dvUplink2": ("vmnic3",), "lag1": ("vmnic4", "vmnic5")}


def with_dv_portgroup(host: Host, key: str, name: str, active: tuple[str, ...] = ("dvUplink1",),
                      standby: tuple[str, ...] = (), policy: str = "failover_explicit", vlan: int = 20,
                      dvs: str = "dvs-prod", lags: tuple[str, ...] = ("lag1",), uplinks: dict | None = None) -> Host:
    """``host`` plus a dvPortgroup of ``dvs`` (dvUplink1 -> vmnic2, dvUplink2 -> vmnic3, lag1 -> vmnic4+5)."""
    team = Teaming(policy=policy, active=tuple(active), standby=tuple(standby), failback=True, notify_switches=True,
                   failure_detection="link_status")
    dv = DvPortgroup(key, name, dvs, vlan, team, tuple(lags), dict(uplinks if uplinks is not None else DV_UPLINKS))
    return dataclasses.replace(host, dv_portgroups=dict(host.dv_portgroups, **{key: dv}))


def with_dv_switch(host: Host, name: str = "dvs-prod", max_mtu: int = 9000, policy: str = "srcid",
                   uplinks: dict | None = None, lags: tuple[str, ...] = ("lag1",)) -> Host:
    """``host`` as a member of distributed switch ``name`` (dvUplink1 -> vmnic2, dvUplink2 -> vmnic3, lag1)."""
    team = Teaming(policy=policy, active=("dvUplink1", "dvUplink2"), standby=(), failback=True, notify_switches=True,
                   failure_detection="link_status")
    sw = DvSwitch(name=name, uuid="uuid-" + name, max_mtu=max_mtu, teaming=team, lags=tuple(lags),
                  uplinks=dict(uplinks if uplinks is not None else DV_UPLINKS))
    return dataclasses.replace(host, dv_switches=dict(host.dv_switches, **{name: sw}))


def with_dv_vmk(host: Host, device: str, key: str, address: str | None = None, netmask: str = "255.255.255.0",
                services: Iterable[str] = (), **dv_args: Any) -> Host:
    """``host`` plus a vmk on dvPortgroup ``key`` (created with ``dv_args`` when missing)."""
    if key not in host.dv_portgroups:
        host = with_dv_portgroup(host, key, dv_args.pop("name", "dv-" + key), **dv_args)
    ip = Ip(address=address, netmask=netmask) if address else Ip(dhcp=True)
    vmk = Vmk(device, "", "", ip, services=frozenset(services), dv_portgroup=key)
    return dataclasses.replace(host, vmks=dict(host.vmks, **{device: vmk}))


def storage_host(name: str = H) -> Host:
    """demo_host + vSwitch1 (vmnic2, vmnic3, mtu 9000) + "Base-A" with vmk1 10.10.20.1N/24 pinned to vmnic2."""
    host = with_vswitch(demo_host(name))
    return with_vmk(host, "vmk1", "Base-A", "10.10.20.%d" % (10 + host_index(name)), vlan=20,
                    override=Teaming(active=("vmnic2",), standby=()))


def ipspec(address: str, netmask: str = "255.255.255.0") -> IpSpec:
    return IpSpec(address=address, netmask=netmask)


def vmk_spec(portgroup: str = "Storage-A", **kwargs: Any) -> VmkSpec:
    """A VmkSpec on vSwitch1 unless told otherwise; ``ip`` may be given as a string address."""
    kwargs.setdefault("vswitch", "vSwitch1")
    if isinstance(kwargs.get("ip"), str):
        kwargs["ip"] = ipspec(kwargs["ip"])
    if isinstance(kwargs.get("teaming"), dict):
        kwargs["teaming"] = team(**kwargs["teaming"])
    return VmkSpec(portgroup=portgroup, **kwargs)


def team(**kwargs: Any) -> TeamingSpec:
    """TeamingSpec with list values turned into tuples (standby () when active is given)."""
    for key in ("active", "standby", "unused"):
        if isinstance(kwargs.get(key), list):
            kwargs[key] = tuple(kwargs[key])
    if isinstance(kwargs.get("active"), tuple) and "standby" not in kwargs:
        kwargs["standby"] = ()
    return TeamingSpec(**kwargs)


def desired(*specs: Any, host: str = H, **flags: bool) -> Desired:
    """A Desired of VmkSpecs, VSwitchSpecs, IscsiSpecs, DvPortgroupSpecs and DvSwitchSpecs (in any mix) with the named
    flags set."""
    return Desired(host=host, vswitches=tuple(s for s in specs if isinstance(s, VSwitchSpec)),
                   vmks=tuple(s for s in specs if isinstance(s, VmkSpec)), flags=Flags(**flags),
                   iscsi=tuple(s for s in specs if isinstance(s, IscsiSpec)),
                   dv_portgroups=tuple(s for s in specs if isinstance(s, DvPortgroupSpec)),
                   dv_switches=tuple(s for s in specs if isinstance(s, DvSwitchSpec)))


ARRAY_IQN = "iqn.2010-06.com.purestorage:flasharray.1a2b"


def iscsi_host(name: str = H, path: str = "active", bind: tuple[str, ...] = ("vmk1", "vmk2"),
               live: bool = True) -> Host:
    """storage_host + vmk2 on "Base-B" pinned to vmnic3 (same subnet), the software adapter vmhba64
    with ``bind`` bound (``path``), send target 10.10.20.100 and the two static targets it discovered."""
    host = with_vmk(storage_host(name), "vmk2", "Base-B", "10.10.20.%d" % (30 + host_index(name)), vlan=20,
                    override=Teaming(active=("vmnic3",), standby=()))
    defaults = {k: d.default for k, d in ESXI_OPTION_DEFS.items()}
    send = IscsiTarget("10.10.20.100", 3260, values=defaults)
    statics = {("10.10.20.%d" % n, 3260, ARRAY_IQN): IscsiTarget("10.10.20.%d" % n, 3260, ARRAY_IQN, "10.10.20.100:3260",
                                                                 values=defaults) for n in (100, 101)}
    adapter = IscsiAdapter("vmhba64", software=True, enabled=True, iqn="iqn.1998-01.com.vmware:esx01-1",
                           option_defs=dict(ESXI_OPTION_DEFS), values=defaults,
                           send_targets={("10.10.20.100", 3260, ""): send}, static_targets=statics,
                           bindings={d: Binding(d, path=path) for d in bind},
                           live_portals=frozenset({"10.10.20.100", "10.10.20.101"}) if live else frozenset())
    return dataclasses.replace(host, iscsi={"vmhba64": adapter})


def bare_iscsi_host(name: str = H) -> Host:
    """iscsi_host without bindings and targets (software iSCSI enabled, nothing configured)."""
    host = iscsi_host(name, bind=(), live=False)
    adapter = dataclasses.replace(host.iscsi["vmhba64"], send_targets={}, static_targets={})
    return dataclasses.replace(host, iscsi={"vmhba64": adapter})


FREE_UPLINKS = {"dvUplink1": (), "dvUplink2": (), "lag1": ("vmnic4", "vmnic5")}


def vss_fabric_on_dvs_member(name: str = H, path: str = "active") -> Host:
    """iscsi_host (vmk1 on Base-A -> vmnic2, vmk2 on Base-B -> vmnic3, both bound, ``path``) as a member of dvs-prod
    whose dvUplink1/2 have no NIC yet (lag1 on vmnic4+5), with dvPortgroups iSCSI-A-dv (active dvUplink1) and
    iSCSI-B-dv (active dvUplink2): the state before a vSS -> vDS migration."""
    host = with_dv_switch(iscsi_host(name, path=path), uplinks=FREE_UPLINKS)
    switch = host.dv_switches["dvs-prod"].teaming
    for key, pg_name, active in (("dvportgroup-21", "iSCSI-A-dv", "dvUplink1"), ("dvportgroup-22", "iSCSI-B-dv", "dvUplink2")):
        host = with_dv_portgroup(host, key, pg_name, uplinks=FREE_UPLINKS)
        own = Teaming(policy="failover_explicit", active=(active,), standby=())  # the rest inherited from the switch
        pg = dataclasses.replace(host.dv_portgroups[key], own=own, teaming=overlay(own, switch))
        host = dataclasses.replace(host, dv_portgroups=dict(host.dv_portgroups, **{key: pg}))
    return host


def migration_specs(crossed: bool = False) -> tuple[Any, ...]:
    """vmnic2 -> dvUplink1, vmnic3 -> dvUplink2 (``crossed``: the other way round), vmk1 -> iSCSI-A-dv and vmk2 ->
    iSCSI-B-dv by device."""
    first, second = ("vmnic3", "vmnic2") if crossed else ("vmnic2", "vmnic3")
    return (DvSwitchSpec("dvs-prod", {"dvUplink1": (first,), "dvUplink2": (second,)}),
            VmkSpec(portgroup="iSCSI-A-dv", dvswitch="dvs-prod", device="vmk1"),
            VmkSpec(portgroup="iSCSI-B-dv", dvswitch="dvs-prod", device="vmk2"))
