# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validator's PB rules (software iSCSI port binding), and the family's rows of the rule table.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterator, Sequence

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    DvPortgroup,
    Finding,
    Host,
    IscsiAdapter,
    Vmk,
    is_set,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import active_standby
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import (
    ERROR,
    HOST,
    MULTIPATHING_ARTICLE,
    NO_LACP_ARTICLE,
    WARNING,
    Case,
    Port,
    Rule,
    bound_sets,
    counted,
    dvpg_obj,
    effective_of,
    finding,
    hba_obj,
    lags_of,
    managed,
    name_list,
    pg_obj,
    port_of,
    target_obj,
    vmk_obj,
)


def bound_obj(host: Host, vmk: Vmk, adapter: str) -> str:
    """``portgroup:vSwitch1/iSCSI-A [vmk1 -> hba:vmhba64]`` (the port group carries the teaming);
    ``dvportgroup:dvs-prod/iSCSI-B [...]`` for a vmk on a distributed port group."""
    pg = host.portgroups.get(vmk.portgroup)
    dv = host.dv_portgroup_of(vmk)
    where = pg_obj(pg) if pg else dvpg_obj(dv) if dv else vmk_obj(vmk)
    return "%s [%s -> hba:%s]" % (where, vmk.device, adapter)


def _dv_unread(host: Host, vmk: Vmk) -> bool:
    """vmk sits on a distributed port whose port group was not read (no vCenter): unknown teaming."""
    return bool(vmk.dv_portgroup) and host.dv_portgroup_of(vmk) is None


def _dv_fix(dv: DvPortgroup) -> str:
    """The change for a bound vmk's distributed port group (this collection does not write DVS teaming)."""
    others = [n for n in dv.uplinks if n not in dv.lags]
    example = others[0] if others else "<one uplink>"
    policy = " and load balancing failover_explicit" if dv.teaming.policy == "iphash" else ""
    return ("in vCenter, give dvPortgroup %s (%s) the failover order active [%s], standby [], every other uplink "
            "and LAG unused%s; or bind a vmk on a port group with one active uplink (bindings)"
            % (dv.name, dv.dvs, example, policy))


def policy_of(host: Host, vmk: Vmk) -> str | None:
    """eff(pg(v)).policy, on a standard or a distributed port group."""
    dv = host.dv_portgroup_of(vmk)
    return dv.teaming.policy if dv is not None else effective_of(host, vmk)[0].policy


def pg_label(host: Host, vmk: Vmk) -> str:
    """``port group iSCSI-A`` or ``dvPortgroup dvpg-prod-lacp on dvs-prod`` (for messages)."""
    dv = host.dv_portgroup_of(vmk)
    return "dvPortgroup %s on %s" % (dv.name, dv.dvs) if dv is not None else "port group %s" % vmk.portgroup


def pb1_bound_vmk_one_active(case: Case) -> Iterator[Finding]:
    """A bound vmk whose port group does not have exactly one active uplink."""
    r = case.after
    for adapter, members in bound_sets(r):
        for vmk in members:
            dv = r.dv_portgroup_of(vmk)
            if _dv_unread(r, vmk):
                yield finding("PB-1", case.host, bound_obj(r, vmk, adapter.device),
                              "%s is on distributed port group %s, whose teaming could not be read"
                              % (vmk.device, vmk.dv_portgroup),
                              "connect through vCenter so the dvPortgroup's failover order can be checked, or bind "
                              "a vmk on a standard port group with one active uplink")
                continue
            active, _standby = active_standby(r, vmk)
            if dv is not None:
                if len(active) != 1 and not dv.lags_in(tuple(dv.teaming.active or ())):  # an active LAG: PB-9
                    yield finding("PB-1", case.host, bound_obj(r, vmk, adapter.device),
                                  "active uplinks %s (host NICs %s): a bound vmk needs exactly one"
                                  % (name_list(dv.teaming.active or ()), name_list(active)), _dv_fix(dv))
                continue
            if len(active) != 1:
                sw = effective_of(r, vmk)[1]
                others = [n for n in (sw.uplinks if sw else ()) if n not in active[:1]]
                yield finding("PB-1", case.host, bound_obj(r, vmk, adapter.device),
                              "active uplinks %s: a bound vmk needs exactly one" % name_list(active),
                              "set teaming.active: [%s] and teaming.unused: %s on port group %s"
                              % (active[0] if active else "<one uplink>", name_list(others[1:] if not active else others),
                                 vmk.portgroup))


def pb2_bound_vmk_no_standby(case: Case) -> Iterator[Finding]:
    """A bound vmk whose port group lists a standby uplink (non-compliant even while active is up)."""
    r = case.after
    for adapter, members in bound_sets(r):
        for vmk in members:
            active, standby = active_standby(r, vmk)
            dv = r.dv_portgroup_of(vmk)
            if standby and dv is not None:
                yield finding("PB-2", case.host, bound_obj(r, vmk, adapter.device),
                              "failover order active=%s standby=%s (host NICs %s / %s)"
                              % (name_list(dv.teaming.active or ()), name_list(dv.teaming.standby or ()), name_list(active),
                                 name_list(standby)), _dv_fix(dv))
            elif standby:
                yield finding("PB-2", case.host, bound_obj(r, vmk, adapter.device),
                              "failover order active=%s standby=%s" % (name_list(active), name_list(standby)),
                              "set teaming.standby: [] and list %s under teaming.unused on port group %s"
                              % (", ".join(standby), vmk.portgroup))


def pb3_bound_order_inherited(case: Case) -> Iterator[Finding]:
    """A bound vmk whose port group inherits the switch order (a NIC added later breaks it)."""
    r = case.after
    for adapter, members in bound_sets(r):
        for vmk in members:
            pg = r.portgroups.get(vmk.portgroup)
            if pg is not None and pg.override.active is None:
                yield finding("PB-3", case.host, bound_obj(r, vmk, adapter.device),
                              "port group %s inherits the failover order of %s" % (pg.name, pg.vswitch),
                              "declare teaming.active (one uplink) and teaming.unused (the others) on %s" % pg.name)


def pb4_fewer_than_two_paths(case: Case) -> Iterator[Finding]:
    """Fewer than two distinct active uplinks among an adapter's bound vmks."""
    r = case.after
    for adapter, members in bound_sets(r):
        uplinks = {active_standby(r, v)[0][:1] for v in members}
        if len({u for u in uplinks if u}) < 2:
            yield finding("PB-4", case.host, hba_obj(adapter.device),
                          "%s bound (%s) on %d distinct NIC(s)" % (counted(len(members), "vmk"),
                                                                   ", ".join(v.device for v in members),
                                                                   len({u for u in uplinks if u})),
                          "bind a second vmk whose active uplink is a different NIC")


def pb5_shared_active_uplink(case: Case) -> Iterator[Finding]:
    """Two bound vmks of one adapter on the same active uplink."""
    r = case.after
    for adapter, members in bound_sets(r):
        by_nic: dict[str, list[str]] = defaultdict(list)
        for vmk in members:
            active = active_standby(r, vmk)[0]
            if len(active) == 1:
                by_nic[active[0]].append(vmk.device)
        for nic, devices in sorted(by_nic.items()):
            if len(devices) > 1:
                yield finding("PB-5", case.host, hba_obj(adapter.device),
                              "%s all use active uplink %s" % (", ".join(devices), nic),
                              "give each bound vmk's port group a different teaming.active uplink")


def pb6_one_subnet_one_switch(case: Case) -> Iterator[Finding]:
    """Bound vmks of one adapter in different subnets, VLANs or switches."""
    r = case.after
    for adapter, members in bound_sets(r):
        first = members[0]
        first_port = port_of(r, first)
        for vmk in members[1:]:
            port = port_of(r, vmk)
            diffs = []
            if vmk.ip.network != first.ip.network:
                diffs.append("subnet %s vs %s" % (vmk.ip.network, first.ip.network))
            if port is not None and first_port is not None and port.vlan != first_port.vlan:
                diffs.append("vlan %d vs %d" % (port.vlan, first_port.vlan))
            switch, first_switch = _switch_of(vmk, port), _switch_of(first, first_port)
            if switch != first_switch:
                diffs.append("%s vs %s" % (switch, first_switch))
            if diffs:
                yield finding("PB-6", case.host, bound_obj(r, vmk, adapter.device),
                              "%s differs from bound %s: %s" % (vmk.device, first.device, "; ".join(diffs)),
                              "put every vmk bound to %s in one subnet, VLAN and switch (one vSwitch or one "
                              "distributed switch: change %s's ip/vlan/vswitch, or do not bind it)"
                              % (adapter.device, vmk.device))


def _switch_of(vmk: Vmk, port: Port | None) -> str:
    """sw(v) for messages: ``vSwitch vSwitch1`` or ``distributed switch dvs-prod``."""
    if port is None:
        return "distributed port group %s (not read)" % vmk.dv_portgroup if vmk.dv_portgroup else "vSwitch %s" % vmk.vswitch
    return ("distributed switch %s" if port.distributed else "vSwitch %s") % port.switch


def _off_subnet(adapter: IscsiAdapter, members: Sequence[Vmk]) -> list[tuple[str, list[Vmk]]]:
    out = []
    for portal in adapter.portals():
        address = ipaddress.IPv4Address(portal)
        outside = [v for v in members if v.ip.network is not None and address not in v.ip.network]
        if outside:
            out.append((portal, outside))
    return out


def pb7_portal_outside_subnet(case: Case) -> Iterator[Finding]:
    """A target portal outside the subnet of a bound vmk (routed port binding)."""
    r = case.after
    for adapter, members in bound_sets(r):
        for portal, outside in _off_subnet(adapter, members):
            nets = sorted({str(v.ip.network) for v in outside})
            yield finding("PB-7", case.host, target_obj(adapter.device, portal),
                          "portal %s is outside %s of bound %s" % (portal, ", ".join(nets),
                                                                   ", ".join(v.device for v in outside)),
                          "use a portal in %s, or set allow_routed_port_binding: true (see PB-8)" % ", ".join(nets))


def pb8_routed_binding_preconditions(case: Case) -> Iterator[Finding]:
    """Routed binding opted in, but a bound vmk has no gateway override to reach off-subnet portals."""
    if not case.desired.flags.allow_routed_port_binding:
        return
    r = case.after
    for adapter, members in bound_sets(r):
        for portal, outside in _off_subnet(adapter, members):
            for vmk in outside:
                if not vmk.gateway:
                    yield finding("PB-8", case.host, bound_obj(r, vmk, adapter.device),
                                  "%s reaches portal %s only through a route, and has no gateway override"
                                  % (vmk.device, portal),
                                  "give %s a per-vmk default gateway in its own subnet, or use a portal in %s"
                                  % (vmk.device, vmk.ip.network))


def pb9_bound_vmk_iphash(case: Case) -> Iterator[Finding]:
    """A bound vmk on IP-hash teaming or a LAG (vSS or dvPortgroup): the uplink is chosen per flow."""
    r = case.after
    for adapter, members in bound_sets(r):
        for vmk in members:
            dv = r.dv_portgroup_of(vmk)
            lags = lags_of(r, vmk)
            if dv is not None and (lags or dv.teaming.policy == "iphash"):
                how = ("teams through LAG %s (host NICs %s)" % (", ".join(lags), name_list(dv.pnics_of(lags))) if lags
                       else "uses IP-hash teaming (route based on IP hash)")
                yield finding("PB-9", case.host, bound_obj(r, vmk, adapter.device),
                              "%s: %s; port binding needs one fixed NIC per vmk" % (pg_label(r, vmk), how),
                              _dv_fix(dv))
            elif dv is None and policy_of(r, vmk) == "iphash":
                yield finding("PB-9", case.host, bound_obj(r, vmk, adapter.device),
                              "port group %s uses IP-hash teaming (route based on IP hash)" % vmk.portgroup,
                              "give %s teaming.policy: failover_explicit with one active uplink, or move it to a "
                              "vSwitch without IP hash / link aggregation" % vmk.portgroup)
            elif dv is None and lags:
                yield finding("PB-9", case.host, bound_obj(r, vmk, adapter.device),
                              "port group %s teams through LAG %s" % (vmk.portgroup, ", ".join(lags)),
                              "give %s teaming.active one host NIC (%s) and teaming.unused the others"
                              % (vmk.portgroup, name_list(sorted(r.pnics))))


def pb10_dependent_adapter_own_uplink(case: Case) -> Iterator[Finding]:
    """A vmk bound to a dependent hardware adapter whose active uplink is not the adapter's NIC."""
    r = case.after
    for adapter, members in bound_sets(r):
        if adapter.software or not adapter.pnics:
            continue  # an unknown NIC of a dependent adapter is SF-9, never a pass
        for vmk in members:
            active = active_standby(r, vmk)[0]
            if len(active) == 1 and active[0] not in adapter.pnics:
                yield finding("PB-10", case.host, bound_obj(r, vmk, adapter.device),
                              "active uplink %s is not %s, the NIC of dependent adapter %s"
                              % (active[0], " or ".join(adapter.pnics), adapter.device),
                              "set teaming.active: [%s] (the other uplinks unused) on port group %s, or bind %s to "
                              "the software adapter instead (omit adapter)" % (adapter.pnics[0], vmk.portgroup, vmk.device))


def pb11_adapter_named(case: Case) -> Iterator[Finding]:
    """The task's adapter is not an iSCSI adapter of the host (or does not support binding)."""
    r = case.after
    for spec in case.desired.iscsi:
        if is_set(spec.adapter):
            adapter = r.iscsi.get(spec.adapter)
            if adapter is None:
                yield finding("PB-11", case.host, hba_obj(spec.adapter),
                              "%s is not an iSCSI adapter of this host (iSCSI adapters: %s)"
                              % (spec.adapter, ", ".join(sorted(r.iscsi)) or "none"),
                              "set adapter to one of the host's iSCSI adapters, or omit it for the software adapter")
                continue
        else:
            adapter = r.software_adapter
            if adapter is None or not adapter.enabled:
                yield finding("PB-11", case.host, "hba:software",
                              "software iSCSI is not enabled on this host",
                              "enable it first: vmkfabric.vsphere.iscsi_adapter with software_iscsi: enabled")
                continue
        if is_set(spec.bindings) and spec.bindings and adapter.binding_support == "notsupported":
            yield finding("PB-11", case.host, hba_obj(adapter.device),
                          "%s does not support network port binding" % adapter.device,
                          "remove bindings for %s (it reaches targets without port binding)" % adapter.device)


def pb12_host_reports_noncompliant(case: Case) -> Iterator[Finding]:
    """The host reports a bound vmk non-compliant and the plan does not change its teaming."""
    o, r = case.observed, case.after
    for device, adapter in sorted(o.iscsi.items()):
        after = r.iscsi.get(device)
        for vmk, binding in adapter.bindings.items():
            if not binding.compliance or after is None or vmk not in after.bindings or vmk not in r.vmks:
                continue
            if vmk in o.vmks and active_standby(o, o.vmks[vmk]) == active_standby(r, r.vmks[vmk]):
                yield finding("PB-12", case.host, bound_obj(r, r.vmks[vmk], device),
                              "the host reports %s non-compliant: %s" % (vmk, ", ".join(binding.compliance)),
                              "fix the teaming of port group %s (one active uplink, the others unused) with "
                              "vmkfabric.vsphere.vmknic" % r.vmks[vmk].portgroup)


def pb13_bound_vmk_default_stack(case: Case) -> Iterator[Finding]:
    """A bound vmk not on the default TCP/IP stack."""
    r = case.after
    for adapter, members in bound_sets(r):
        for vmk in members:
            if vmk.netstack != "default":
                yield finding("PB-13", case.host, bound_obj(r, vmk, adapter.device),
                              "%s is on netstack %s" % (vmk.device, vmk.netstack),
                              "bind only vmks on the default netstack (create the iSCSI vmk with netstack: default)")


def pb14_iscsi_vmk_unbound(case: Case) -> Iterator[Finding]:
    """A vmk this task declares ``purpose: iscsi`` is not bound to any adapter in R."""
    r = case.after
    for spec, vmk in managed(case):
        if spec.purpose == "iscsi" and vmk is not None and r.bound_to(vmk.device) is None:
            yield finding("PB-14", case.host, vmk_obj(vmk),
                          "%s (purpose: iscsi) is not bound to an iSCSI adapter" % vmk.device,
                          "bind it with vmkfabric.vsphere.iscsi_adapter (bindings: [%s, ...])" % vmk.device)


RULES: tuple[Rule, ...] = (
    Rule("PB-1", ERROR, HOST, pb1_bound_vmk_one_active,
         "KB 2038869; vSphere 6.5 Storage, bound-adapter guidelines; " + MULTIPATHING_ARTICLE),
    Rule("PB-2", ERROR, HOST, pb2_bound_vmk_no_standby,
         "KB 2038869; VMware vSphere blog \"NIC Teaming & iSCSI Binding\" (2011-12); " + MULTIPATHING_ARTICLE),
    Rule("PB-3", WARNING, HOST, pb3_bound_order_inherited, MULTIPATHING_ARTICLE),
    Rule("PB-4", WARNING, HOST, pb4_fewer_than_two_paths,
         MULTIPATHING_ARTICLE + "; vSphere 7.0 Storage, multiple network adapters for iSCSI"),
    Rule("PB-5", WARNING, HOST, pb5_shared_active_uplink, "vSphere 6.5 Storage, bound-adapter guidelines (1:1 mapping)"),
    Rule("PB-6", ERROR, HOST, pb6_one_subnet_one_switch,
         "KB 2038869; vSphere 6.5 Storage; vSphere 7.0 Storage (separate switches need separate subnets)"),
    Rule("PB-7", ERROR, HOST, pb7_portal_outside_subnet, "KB 2038869; vSphere 6.5 Storage; Pure SAN guidelines",
         flag="allow_routed_port_binding"),
    Rule("PB-8", ERROR, HOST, pb8_routed_binding_preconditions,
         "vSphere 6.5 Networking (override default gateway for this adapter); Broadcom KB 323116"),
    Rule("PB-9", ERROR, HOST, pb9_bound_vmk_iphash,
         "KB 2038869; KB 2051307 / Broadcom 315347; vSphere 6.5 Networking (LACP and port binding); " +
         NO_LACP_ARTICLE),
    Rule("PB-10", ERROR, HOST, pb10_dependent_adapter_own_uplink,
         "vSphere API IscsiManager.BindVnic faults (IscsiFaultVnicHasWrongUplink)"),
    Rule("PB-11", ERROR, HOST, pb11_adapter_named, "community.vmware PR #2443; vSphere API HostInternetScsiHba"),
    Rule("PB-12", ERROR, HOST, pb12_host_reports_noncompliant,
         "vSphere API IscsiManager.QueryBoundVnics, IscsiPortInfo.complianceStatus; " + MULTIPATHING_ARTICLE),
    Rule("PB-13", ERROR, HOST, pb13_bound_vmk_default_stack, "vSphere API IscsiManager.QueryCandidateNics"),
    Rule("PB-14", WARNING, HOST, pb14_iscsi_vmk_unbound,
         "design policy: a vmk declared purpose: iscsi carries iSCSI only when bound; " +
         MULTIPATHING_ARTICLE),
)
