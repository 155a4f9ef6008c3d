# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""pyVmomi data objects -> the model: one host's PropertyCollector answer -> ``_model.Host``.

Private to this collection. Imports pyVmomi (guarded in ``_client``) for ``isinstance`` checks only; every
function is pure over data objects and unit-tested without a server. ``_reader`` does the reading.

- Unset teaming leaves stay None (inherited); the failover order is kept as one unit.
- Distributed switches: teaming in the switch's uplink / LAG names, each host keeps the dvPortgroups of the
  switches it is a member of, with its pnics behind each uplink name.
- iSCSI: adapters with their bindings (as ``QueryBoundVnics`` returned them), send/static targets with their
  options (own and inherited) and, when the SCSI topology was read, which portals have a live path.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    NETSTACK_FROM_API,
    POLICY_FROM_API,
    Binding,
    Chap,
    DvPortgroup,
    DvSwitch,
    Host,
    Ip,
    IscsiAdapter,
    IscsiTarget,
    Pnic,
    PortGroup,
    Teaming,
    Vmk,
    VSwitch,
    target_key,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._profiles import OptionDef

try:
    from pyVmomi import vim
except ImportError:  # pragma: no cover - the module wrapper reports the missing library
    pass


def failure_detection_from_api(criteria: Any) -> str | None:
    if criteria is None or criteria.checkBeacon is None:
        return None
    return "beacon_probing" if criteria.checkBeacon else "link_status"


def teaming_from_api(nt: Any) -> Teaming:
    """HostNicTeamingPolicy -> Teaming; unset leaves stay None (inherited), nicOrder as a unit."""
    if nt is None:
        return Teaming()
    order = nt.nicOrder
    return Teaming(
        policy=POLICY_FROM_API.get(nt.policy, nt.policy) if nt.policy else None,
        active=tuple(order.activeNic or ()) if order is not None else None,
        standby=tuple(order.standbyNic or ()) if order is not None else None,
        failback=None if nt.rollingOrder is None else not nt.rollingOrder,
        notify_switches=nt.notifySwitches,
        failure_detection=failure_detection_from_api(nt.failureCriteria),
    )


def _policy_teaming(policy: Any) -> Any:
    return policy.nicTeaming if policy is not None else None


def vswitch_from_api(vs: Any) -> VSwitch:
    spec = vs.spec
    bridge = spec.bridge if spec is not None else None
    nics = tuple(getattr(bridge, "nicDevice", None) or ())
    beacon = getattr(bridge, "beacon", None)
    return VSwitch(
        name=vs.name,
        uplinks=nics,
        mtu=vs.mtu or (spec.mtu if spec is not None else None) or 1500,
        num_ports=(spec.numPorts if spec is not None else None) or vs.numPorts or 128,
        teaming=teaming_from_api(_policy_teaming(spec.policy if spec is not None else None)),
        beacon_interval=beacon.interval if beacon is not None else None,
    )


def portgroup_from_api(pg: Any, switches: Mapping[str, VSwitch]) -> PortGroup:
    spec = pg.spec
    override = teaming_from_api(_policy_teaming(spec.policy))
    computed = _policy_teaming(pg.computedPolicy)
    if computed is not None:
        effective = teaming_from_api(computed)
    else:
        base = switches[spec.vswitchName].teaming if spec.vswitchName in switches else Teaming()
        effective = override.merged_over(base)
    return PortGroup(
        name=spec.name,
        vswitch=spec.vswitchName,
        vlan=spec.vlanId or 0,
        override=override,
        effective=effective,
        vm_ports=sum(1 for p in (pg.port or []) if p.type != "host"),
    )


def services_from_api(vnic_info: Any) -> tuple[frozenset[str], dict[str, set[str]]]:
    """(nic types the host offers, device -> selected nic types) from virtualNicManagerInfo."""
    offered: set[str] = set()
    selected: dict[str, set[str]] = {}
    for cfg in (getattr(vnic_info, "netConfig", None) or []):
        offered.add(cfg.nicType)
        keys = set(cfg.selectedVnic or [])
        for cand in cfg.candidateVnic or []:
            if cand.key in keys:
                selected.setdefault(cand.device, set()).add(cfg.nicType)
    return frozenset(offered), selected


def ip_from_api(ip: Any) -> Ip:
    if ip is None:
        return Ip()
    if ip.dhcp:
        return Ip(dhcp=True)
    return Ip(address=ip.ipAddress or None, netmask=ip.subnetMask or None)


def _gateway(spec: Any) -> str | None:
    route = getattr(spec, "ipRouteSpec", None)
    config = getattr(route, "ipRouteConfig", None)
    return getattr(config, "defaultGateway", None) or None


def vmk_from_api(vnic: Any, portgroups: Mapping[str, PortGroup], services: Mapping[str, set[str]]) -> Vmk:
    spec = vnic.spec
    pg_name = vnic.portgroup or ""
    conn = getattr(spec, "distributedVirtualPort", None)
    stack = spec.netStackInstanceKey or "defaultTcpipStack"
    return Vmk(
        device=vnic.device,
        portgroup=pg_name,
        vswitch=portgroups[pg_name].vswitch if pg_name in portgroups else "",
        ip=ip_from_api(spec.ip),
        mtu=spec.mtu or 1500,
        netstack=NETSTACK_FROM_API.get(stack, stack),
        services=frozenset(services.get(vnic.device, ())),
        mac=spec.mac or "",
        gateway=_gateway(spec),
        dv_portgroup=(conn.portgroupKey or "") if conn is not None and not pg_name else "",
    )


# ---------------------------------------------------------------------------------------
# Distributed switches
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DvSwitchInfo:
    """One distributed switch as the reader needs it: uplink names, LAG names, its dvPortgroups
    (``DvPortgroup`` without the host's pnics; ``for_host`` adds them)."""

    name: str
    uuid: str
    uplinks: tuple[str, ...] = ()
    lags: tuple[str, ...] = ()
    portgroups: tuple[DvPortgroup, ...] = ()
    max_mtu: int = 1500
    teaming: Teaming = Teaming()  # the switch's default port teaming


def _inherited_value(policy: Any) -> Any:
    """The value of an InheritablePolicy (StringPolicy, BoolPolicy), None when unset."""
    return getattr(policy, "value", None) if policy is not None else None


def dv_teaming_from_api(team: Any, base: Any = None, own: bool = False) -> Teaming:
    """VmwareUplinkPortTeamingPolicy -> Teaming in uplink / LAG names; a leaf the port group does
    not carry is taken from ``base`` (the switch default). ``own``: only the leaves the policy sets
    itself (``inherited`` false); an inherited leaf is None."""
    def leaf(name: str) -> Any:
        for source in (team,) if own else (team, base):
            value = getattr(source, name, None) if source is not None else None
            if value is not None and not (own and getattr(value, "inherited", False)):
                return value
        return None
    policy = _inherited_value(leaf("policy"))
    order = leaf("uplinkPortOrder")
    rolling = _inherited_value(leaf("rollingOrder"))
    criteria = leaf("failureCriteria")
    check = getattr(criteria, "checkBeacon", None) if criteria is not None else None
    beacon = None if check is None or (own and getattr(check, "inherited", False)) else _inherited_value(check)
    return Teaming(
        policy=POLICY_FROM_API.get(policy, policy) if policy else None,
        active=tuple(order.activeUplinkPort or ()) if order is not None else None,
        standby=tuple(order.standbyUplinkPort or ()) if order is not None else None,
        failback=None if rolling is None else not rolling,
        notify_switches=_inherited_value(leaf("notifySwitches")),
        failure_detection=None if beacon is None else ("beacon_probing" if beacon else "link_status"),
    )


def dv_vlan_from_api(setting: Any) -> int:
    """A dvPortgroup's VLAN: the VLAN ID, 4095 for a trunk, the secondary ID of a private VLAN."""
    vlan = getattr(setting, "vlan", None)
    if isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.VlanIdSpec):
        return vlan.vlanId or 0
    if isinstance(vlan, vim.dvs.VmwareDistributedVirtualSwitch.TrunkVlanSpec):
        return 4095
    return getattr(vlan, "pvlanId", None) or 0


def distributed_from_api(switches: Mapping[str, Mapping[str, Any]],
                         portgroups: Mapping[str, Mapping[str, Any]]) -> dict[str, DvSwitchInfo]:
    """The distributed switches (by uuid) with their non-uplink dvPortgroups, from the
    ObjectContent properties of the one round trip (switch moId / dvPortgroup moId -> props)."""
    by_switch: dict[str, list[DvPortgroup]] = {}
    defaults = {moid: props.get("config.defaultPortConfig") for moid, props in switches.items()}
    for moid, props in sorted(portgroups.items()):
        switch_ref = props.get("config.distributedVirtualSwitch")
        owner = getattr(switch_ref, "_moId", None)
        if owner is None or props.get("config.uplink") or owner not in switches:
            continue
        setting = props.get("config.defaultPortConfig")
        base = getattr(defaults.get(owner), "uplinkTeamingPolicy", None)
        sw_name = switches[owner].get("name") or owner
        by_switch.setdefault(owner, []).append(DvPortgroup(
            key=props.get("key") or moid, name=props.get("name") or moid, dvs=sw_name,
            vlan=dv_vlan_from_api(setting) if setting is not None else dv_vlan_from_api(defaults.get(owner)),
            teaming=dv_teaming_from_api(getattr(setting, "uplinkTeamingPolicy", None), base),
            own=dv_teaming_from_api(getattr(setting, "uplinkTeamingPolicy", None), own=True)))
    out: dict[str, DvSwitchInfo] = {}
    for moid, props in switches.items():
        uuid = props.get("uuid")
        if not uuid:
            continue
        lags = tuple(g.name for g in props.get("config.lacpGroupConfig") or [] if g.name)
        uplinks = tuple(getattr(props.get("config.uplinkPortPolicy"), "uplinkPortName", None) or ())
        pgs = tuple(dataclasses.replace(pg, lags=lags) for pg in by_switch.get(moid, []))
        team = dv_teaming_from_api(getattr(props.get("config.defaultPortConfig"), "uplinkTeamingPolicy", None))
        out[uuid] = DvSwitchInfo(name=props.get("name") or moid, uuid=uuid, uplinks=uplinks, lags=lags, portgroups=pgs,
                                 max_mtu=props.get("config.maxMtu") or 1500, teaming=team)
    return out


def proxy_uplinks(proxy: Any, switch: DvSwitchInfo) -> dict[str, tuple[str, ...]]:
    """Uplink and LAG name -> this host's pnics behind it, from one ``HostProxySwitch``: the
    backing maps pnic -> uplink port key, ``uplinkPort`` port key -> uplink name, and
    ``hostLag`` a LAG to its port keys."""
    names = {kv.key: kv.value for kv in proxy.uplinkPort or []}
    backing = getattr(getattr(proxy, "spec", None), "backing", None)
    pnic_of = {p.uplinkPortKey: p.pnicDevice for p in getattr(backing, "pnicSpec", None) or [] if p.uplinkPortKey}
    out: dict[str, tuple[str, ...]] = {}
    for uplink in switch.uplinks:
        out[uplink] = tuple(sorted(pnic_of[k] for k, n in names.items() if n == uplink and k in pnic_of))
    for lag in proxy.hostLag or []:
        keys = {kv.key for kv in lag.uplinkPort or []}
        out[lag.lagName] = tuple(sorted(pnic_of[k] for k in keys if k in pnic_of))
    for lag_name in switch.lags:
        out.setdefault(lag_name, ())
    return out


def dv_portgroups_for_host(net: Any, network: Mapping[str, DvSwitchInfo]) -> dict[str, DvPortgroup]:
    """key -> DvPortgroup (with this host's pnics) of every distributed switch the host is a member of."""
    out: dict[str, DvPortgroup] = {}
    for _proxy, switch, uplinks in _memberships(net, network):
        for pg in switch.portgroups:
            out[pg.key] = dataclasses.replace(pg, uplinks=uplinks)
    return out


def dv_switches_for_host(net: Any, network: Mapping[str, DvSwitchInfo]) -> dict[str, DvSwitch]:
    """name -> DvSwitch (with this host's pnics behind each uplink) of every switch the host is a member of."""
    return {switch.name: DvSwitch(name=switch.name, uuid=switch.uuid, max_mtu=switch.max_mtu, teaming=switch.teaming,
                                  lags=switch.lags, uplinks=uplinks)
            for _proxy, switch, uplinks in _memberships(net, network)}


def _memberships(net: Any, network: Mapping[str, DvSwitchInfo]) -> Iterator[tuple[Any, DvSwitchInfo, dict[str, tuple[str, ...]]]]:
    """(proxy switch, switch, uplink/LAG name -> pnics) of every read switch the host is a member of."""
    for proxy in getattr(net, "proxySwitch", None) or []:
        switch = network.get(proxy.dvsUuid)
        if switch is not None:
            yield proxy, switch, proxy_uplinks(proxy, switch)


# ---------------------------------------------------------------------------------------
# iSCSI
# ---------------------------------------------------------------------------------------


def option_defs_from_api(defs: Any) -> dict[str, OptionDef]:
    out: dict[str, OptionDef] = {}
    for d in defs or []:
        t = d.optionType
        readonly = bool(getattr(t, "valueIsReadonly", False))
        if isinstance(t, vim.option.BoolOption):
            out[d.key] = OptionDef(d.key, "bool", None, None, t.defaultValue, readonly)
        elif isinstance(t, (vim.option.IntOption, vim.option.LongOption)):
            out[d.key] = OptionDef(d.key, "int", t.min, t.max, t.defaultValue, readonly)
    return out


def _options(values: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """(effective, own) from HostInternetScsiHbaParamValue[]; own = isInherited not true."""
    effective: dict[str, Any] = {}
    own: dict[str, Any] = {}
    for v in values or []:
        effective[v.key] = v.value
        if v.isInherited is False:
            own[v.key] = v.value
    return effective, own


def chap_from_api(auth: Any, mutual: bool = False, target: bool = False) -> Chap:
    """One CHAP direction of ``authenticationProperties`` (no secret: ESXi never returns it). On a
    target an unset ``chapInherited`` / ``mutualChapInherited`` counts as inherited."""
    prefix = "mutualChap" if mutual else "chap"
    if auth is None:
        return Chap(inherited=target)
    level = getattr(auth, prefix + "AuthenticationType", None) or "chapProhibited"
    inherited = getattr(auth, prefix + "Inherited", None)
    return Chap(type=level[len("chap"):].lower(), name=getattr(auth, prefix + "Name", None) or "",
                inherited=target and inherited is not False)


def target_from_api(t: Any, static: bool) -> IscsiTarget:
    values, own = _options(t.advancedOptions)
    parent = getattr(t, "parent", None) or ""
    discovered = static and getattr(t, "discoveryMethod", None) == "sendTargetMethod" and ":" in parent
    auth = getattr(t, "authenticationProperties", None)
    return IscsiTarget(address=t.address, port=t.port or 3260, iqn=(t.iScsiName or "") if static else "",
                       discovered_from=parent if discovered else "", values=values, own=own,
                       chap=chap_from_api(auth, target=True), mutual_chap=chap_from_api(auth, mutual=True, target=True))


def _live_portals(topology: Any) -> dict[str, frozenset[str]]:
    """adapter key -> addresses of targets with at least one LUN in ``scsiTopology``."""
    out: dict[str, set[str]] = {}
    for adapter in getattr(topology, "adapter", None) or []:
        for target in adapter.target or []:
            if not target.lun:
                continue
            for address in getattr(target.transport, "address", None) or []:
                out.setdefault(adapter.adapter, set()).add(address.rsplit(":", 1)[0])
    return {k: frozenset(v) for k, v in out.items()}


def binding_from_api(port: Any) -> Binding:
    reasons = getattr(port.complianceStatus, "reason", None) or []
    return Binding(vmk=port.vnicDevice, path=port.pathStatus or "notUsed",
                   compliance=tuple(getattr(r, "_wsdlName", type(r).__name__) for r in reasons),
                   pnic=port.pnicDevice or "")


def adapter_from_api(hba: Any, enabled: bool, bound: list[Any], live: frozenset[str] | None) -> IscsiAdapter:
    defs = option_defs_from_api(hba.supportedAdvancedOptions)
    values, own = _options(hba.advancedOptions)
    for v in hba.advancedOptions or []:
        # ESXi leaves isInherited unset at adapter level: a value other than the default was set there.
        if v.isInherited is None and v.key in defs and v.value != defs[v.key].default:
            own[v.key] = v.value
    sends = [target_from_api(t, False) for t in hba.configuredSendTarget or []]
    statics = [target_from_api(t, True) for t in hba.configuredStaticTarget or []]
    bindings = {b.vmk: b for b in (binding_from_api(p) for p in bound) if b.vmk}
    if live is None:
        # No storage topology: a target counts as live when any bound vmk carries paths (fail safe).
        carrying = any(b.path in ("active", "lastActive") for b in bindings.values())
        live = frozenset(t.address for t in sends + statics) if carrying else frozenset()
    return IscsiAdapter(
        device=hba.device, software=bool(hba.isSoftwareBased), enabled=enabled if hba.isSoftwareBased else True,
        iqn=hba.iScsiName or "", alias=hba.iScsiAlias or "", binding_support=hba.networkBindingSupport or "optional",
        option_defs=defs, values=values, own=own,
        send_targets={target_key(t): t for t in sends}, static_targets={target_key(t): t for t in statics},
        bindings=bindings, live_portals=live, chap=chap_from_api(getattr(hba, "authenticationProperties", None)),
        mutual_chap=chap_from_api(getattr(hba, "authenticationProperties", None), mutual=True))


def _network_pnics(props: Mapping[str, Any]) -> list[Any]:
    net = props.get("config.network")
    if net is not None:
        return list(net.pnic or [])
    return list(props.get("config.network.pnic") or [])


def dependent_pnics(hba: Any, pnics: Iterable[Any]) -> tuple[str, ...]:
    """The NIC function(s) of a dependent hardware iSCSI adapter: the pnics whose
    ``PhysicalNic.pci`` is the adapter's ``HostHostBusAdapter.pci`` (the vSphere API has no direct
    pnic field on the adapter). () for the software adapter, or when no PCI address matches
    (the adapter's pnic is then unknown, rule SF-9). **[unverified]** on hardware."""
    pci = getattr(hba, "pci", None)
    if hba.isSoftwareBased or not pci:
        return ()
    return tuple(sorted(p.device for p in pnics if getattr(p, "pci", None) == pci))


def iscsi_from_api(props: Mapping[str, Any], bound: Mapping[str, list[Any]]) -> dict[str, IscsiAdapter]:
    enabled = bool(props.get("config.storageDevice.softwareInternetScsiEnabled"))
    live = _live_portals(props.get("config.storageDevice.scsiTopology"))
    topology = props.get("config.storageDevice.scsiTopology") is not None and bool(live)
    pnics = _network_pnics(props)
    out: dict[str, IscsiAdapter] = {}
    for hba in props.get("config.storageDevice.hostBusAdapter") or []:
        if isinstance(hba, vim.host.InternetScsiHba):
            key = hba.key or hba.device
            adapter = adapter_from_api(hba, enabled, bound.get(hba.device, []),
                                       live.get(key, frozenset()) if topology else None)
            out[hba.device] = dataclasses.replace(adapter, pnics=dependent_pnics(hba, pnics))
    return out


def host_from_api(name: str, props: Mapping[str, Any], bound: Mapping[str, list[Any]] | None = None,
                  unread: Iterable[str] = (), network: Mapping[str, DvSwitchInfo] | None = None) -> Host:
    """One host's properties (as returned by the PropertyCollector) -> the canonical Host.
    ``unread``: the iSCSI state that could not be read (``iscsi_known`` is then False);
    ``network``: the distributed switches read in the same round trip (uuid -> switch)."""
    net = props["config.network"]
    switches = {vs.name: vswitch_from_api(vs) for vs in (net.vswitch or [])}
    portgroups = {pg.spec.name: portgroup_from_api(pg, switches) for pg in (net.portgroup or [])}
    offered, selected = services_from_api(props.get("config.virtualNicManagerInfo"))
    vmks = {v.device: vmk_from_api(v, portgroups, selected) for v in (net.vnic or [])}
    pnics = {p.device: Pnic(device=p.device, link_speed=p.linkSpeed.speedMb if p.linkSpeed else 0, mac=p.mac or "")
             for p in (net.pnic or [])}
    product = props.get("config.product")
    stacks = frozenset(NETSTACK_FROM_API.get(s.key, s.key) for s in (net.netStackInstance or []) if s.key)
    extra: dict[str, Any] = {"netstacks": stacks} if stacks else {}
    unread = tuple(unread)
    if unread:
        extra.update(iscsi_known=False, iscsi_unread=unread)
    return Host(name=name, version=getattr(product, "version", "") or "", pnics=pnics, vswitches=switches,
                portgroups=portgroups, vmks=vmks, nic_types=offered, iscsi=iscsi_from_api(props, bound or {}),
                dv_portgroups=dv_portgroups_for_host(net, network or {}),
                dv_switches=dv_switches_for_host(net, network or {}), **extra)
