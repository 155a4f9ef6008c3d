# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validator's MV rules (multi-NIC vMotion), and the family's rows of the rule table.

A vMotion set is VM(h, s): the vMotion-tagged vmks of a host on one netstack in R, when
there are two or more (a vmk on the ``vmotion`` netstack counts as tagged). Whether a vmk
is a vMotion vmk is read from R (its tags), not from the task, so a vmk created by an
earlier ``vmknic`` task joins the set the same way as one of ``vmotion_multinic``.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable, Iterator

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    DvPortgroup,
    Finding,
    Vmk,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import (
    ERROR,
    HOST,
    NO_LACP_ARTICLE,
    PNIC_NAME,
    WARNING,
    Case,
    Rule,
    by_number,
    dvpg_obj,
    finding,
    lags_of,
    name_list,
    port_of,
    tags,
    vmk_obj,
    vmotion_by_stack,
    vmotion_sets,
)


def _listing(vmks: Iterable[Vmk]) -> str:
    return ", ".join(v.device for v in by_number(vmks))


def mv1_one_portgroup_per_vmk(case: Case) -> Iterator[Finding]:
    """Two members of a vMotion set are attached to the same port group (or dvPortgroup) in R."""
    r = case.after
    for stack, members in sorted(vmotion_sets(r).items()):
        by_pg: dict[tuple[str, str], list[Vmk]] = defaultdict(list)
        for vmk in members:
            if vmk.portgroup or vmk.dv_portgroup:
                by_pg[("dv", vmk.dv_portgroup) if vmk.dv_portgroup else ("", vmk.portgroup)].append(vmk)
        for (_kind, name), vmks in sorted(by_pg.items()):
            if len(vmks) < 2:
                continue
            port = port_of(r, vmks[0])
            shown = port.name if port is not None else name
            yield finding("MV-1", case.host, port.where if port is not None else "portgroup:?/%s" % name,
                          "vMotion vmks %s (netstack %s) share port group %s" % (_listing(vmks), stack, shown),
                          "give each vMotion vmk its own port group (vmotion_multinic creates one per uplink: "
                          "portgroups or portgroup_prefix)")


def mv2_one_active_some_standby(case: Case) -> Iterator[Finding]:
    """A vMotion set member's port group lacks an order with one active and at least one standby
    uplink (on a dvPortgroup: uplinks with a NIC of this host behind them)."""
    r = case.after
    for _stack, members in sorted(vmotion_sets(r).items()):
        for vmk in members:
            port = port_of(r, vmk)
            if port is None:
                continue
            active, standby = tuple(port.eff.active or ()), tuple(port.eff.standby or ())
            if not port.ordered:
                found = "%s has no failover-order override (inherits active %s standby %s from %s)" % (
                    port.name, name_list(active), name_list(standby), port.switch)
            elif len(active) != 1 or not standby:
                found = "%s overrides active=%s standby=%s" % (port.name, name_list(active), name_list(standby))
            elif port.nicless:
                found = "%s orders active=%s standby=%s, but %s has no NIC of this host behind it" % (
                    port.name, name_list(active), name_list(standby), name_list(port.nicless))
            else:
                continue
            fix = ("connect a NIC of this host to %s on %s, or list uplinks that have one" % (name_list(port.nicless), port.switch)
                   if port.nicless and len(active) == 1 and standby else
                   "set teaming.active to one NIC and teaming.standby to another on %s (vmotion_multinic "
                   "derives active/standby from uplinks)" % port.name)
            yield finding("MV-2", case.host, port.obj, found, fix)


def mv3_distinct_active_uplinks(case: Case) -> Iterator[Finding]:
    """The active uplinks of a vMotion set are not pairwise distinct."""
    r = case.after
    for _stack, members in sorted(vmotion_sets(r).items()):
        first: dict[str, Vmk] = {}
        for vmk in members:
            port = port_of(r, vmk)
            if port is None:
                continue
            for nic in port.eff.active or ():
                if nic not in first:
                    first[nic] = vmk
                    continue
                yield finding("MV-3", case.host, port.obj,
                              "%s and %s are both active on %s" % (first[nic].device, vmk.device, nic),
                              "give %s (port group %s) an active NIC that no other vMotion vmk uses: list distinct "
                              "NICs in uplinks, or set teaming.active" % (vmk.device, port.name))


def mv4_mirrored_standby(case: Case) -> Iterator[Finding]:
    """A vMotion set member's standby list holds no active uplink of another member (not a flipped mirror)."""
    r = case.after
    for _stack, members in sorted(vmotion_sets(r).items()):
        ports = {v.device: port_of(r, v) for v in members}
        for vmk in members:
            port = ports[vmk.device]
            if port is None or not port.eff.standby:
                continue  # no standby at all is MV-2's finding
            others = {n for d, p in ports.items() if d != vmk.device and p is not None for n in (p.eff.active or ())}
            if not set(port.eff.standby) & others:
                yield finding("MV-4", case.host, port.obj,
                              "standby %s holds no active NIC of the other vMotion vmks (%s)"
                              % (name_list(port.eff.standby), name_list(sorted(others))),
                              "mirror the set: standby of %s = the active NIC of another member (vmotion_multinic "
                              "does this from uplinks)" % vmk.device)


def mv5_one_subnet(case: Case) -> Iterator[Finding]:
    """The members of a vMotion set do not all share one IPv4 subnet."""
    r = case.after
    for stack, members in sorted(vmotion_sets(r).items()):
        nets = [(v, v.ip.network) for v in members if v.ip.network is not None]
        counts: dict[ipaddress.IPv4Network, int] = defaultdict(int)
        for _v, net in nets:
            counts[net] += 1
        if len(counts) < 2:
            continue
        ref = max((net for _v, net in nets), key=lambda n: counts[n])  # most members; ties: lowest vmk's
        for vmk, net in nets:
            if net != ref:
                yield finding("MV-5", case.host, vmk_obj(vmk),
                              "%s is in %s, the vMotion set on netstack %s is in %s (%s)"
                              % (vmk.device, net, stack, ref, _listing(v for v, n in nets if n == ref)),
                              "give %s an address in %s (ip.addresses / ip.netmask)" % (vmk.device, ref))


def mv6_no_iphash_or_lag(case: Case) -> Iterator[Finding]:
    """A vMotion-tagged vmk (set or single) whose port group teams by IP hash or through a LAG."""
    r, pnics = case.after, case.observed.pnics
    for vmk in by_number(r.vmks.values()):
        if "vmotion" not in tags(vmk):
            continue
        dv = r.dv_portgroup_of(vmk)
        if dv is not None:
            yield from _mv6_distributed(case, vmk, dv)
            continue
        port = port_of(r, vmk)
        pg = r.portgroups.get(vmk.portgroup)
        if port is None or pg is None:
            continue
        obj, eff = port.obj, port.eff
        names = tuple(eff.active or ()) + tuple(eff.standby or ())
        lags = [n for n in names if n not in pnics and not PNIC_NAME.match(n)]
        if eff.policy == "iphash":
            where = "set on the port group" if pg.override.policy == "iphash" else "inherited from %s" % pg.vswitch
            yield finding("MV-6", case.host, obj, "vMotion vmk %s on %s teams by IP hash (%s)" % (vmk.device, pg.name, where),
                          "put the vMotion port groups on a vSwitch that does not use IP hash (vswitch), "
                          "or change teaming.policy of %s away from iphash" % pg.vswitch)
        elif lags:
            yield finding("MV-6", case.host, obj,
                          "vMotion vmk %s on %s teams through LAG %s" % (vmk.device, pg.name, name_list(lags)),
                          "use host NICs %s in uplinks / teaming.active, not a LAG" % name_list(sorted(pnics)))


def _mv6_distributed(case: Case, vmk: Vmk, dv: DvPortgroup) -> Iterator[Finding]:
    """MV-6 for a vMotion vmk on a distributed port group (IP hash, or a LAG in its order)."""
    lags = lags_of(case.after, vmk)
    obj = "%s [%s]" % (vmk_obj(vmk), dvpg_obj(dv))
    fix = ("in vCenter, give dvPortgroup %s one active uplink and one standby uplink (no LAG, no IP hash), or put "
           "the vMotion vmks on standard port groups (vmotion_multinic)" % dv.name)
    if lags:
        yield finding("MV-6", case.host, obj, "vMotion vmk %s on dvPortgroup %s (%s) teams through LAG %s"
                      % (vmk.device, dv.name, dv.dvs, name_list(lags)), fix)
    elif dv.teaming.policy == "iphash":
        yield finding("MV-6", case.host, obj, "vMotion vmk %s on dvPortgroup %s (%s) teams by IP hash"
                      % (vmk.device, dv.name, dv.dvs), fix)


def _new_vmotion_members(case: Case) -> list[Vmk]:
    """vMotion-tagged vmks of R that were not vMotion-tagged on the same netstack in O."""
    o = case.observed
    out = []
    for vmk in by_number(case.after.vmks.values()):
        before = o.vmks.get(vmk.device)
        if "vmotion" in tags(vmk) and (before is None or "vmotion" not in tags(before)
                                       or before.netstack != vmk.netstack):
            out.append(vmk)
    return out


def _stacks_text(by_stack: dict[str, list[Vmk]]) -> str:
    return "; ".join("netstack %s: %s" % (s, _listing(m)) for s, m in sorted(by_stack.items()))


def mv7_set_spans_netstacks(case: Case) -> Iterator[Finding]:
    """vMotion-tagged vmks of one host sit on more than one netstack (state the plan did not create)."""
    by_stack = vmotion_by_stack(case.after)
    if len(by_stack) < 2 or _new_vmotion_members(case):
        return  # nothing mixed, or the plan adds to the mix: MV-8's error
    yield finding("MV-7", case.host, "network:vmotion",
                  "vMotion vmks on more than one netstack (%s); ESXi uses only the vmotion netstack then"
                  % _stacks_text(by_stack),
                  "move the vMotion vmks to one netstack: vmotion_multinic netstack, or remove the vMotion "
                  "service (services) from the default-stack vmks")


def mv8_planned_set_spans_netstacks(case: Case) -> Iterator[Finding]:
    """The plan adds a vMotion vmk on one netstack while the host has vMotion vmks on another.

    Error (the catalog's MV-7 is a warning for state that already exists): once a vmk exists on
    the ``vmotion`` netstack, ESXi disables vMotion on default-stack vmks (NS-3), so a set that
    spans both stacks silently runs on part of its NICs, or the new vmks carry nothing. The
    plan that creates the span is refused instead: one host, one netstack for vMotion.
    """
    by_stack = vmotion_by_stack(case.after)
    if len(by_stack) < 2:
        return
    for vmk in _new_vmotion_members(case):
        others = sorted(s for s in by_stack if s != vmk.netstack)
        yield finding("MV-8", case.host, vmk_obj(vmk),
                      "the plan adds vMotion vmk %s on netstack %s while %s; a host uses one netstack for vMotion"
                      % (vmk.device, vmk.netstack, _stacks_text({s: by_stack[s] for s in others})),
                      "set netstack: %s (where the existing vMotion vmks are), or first remove the vMotion vmks "
                      "of netstack %s (state: absent, or drop vmotion from services)" % (others[0], ", ".join(others)))


RULES: tuple[Rule, ...] = (
    Rule("MV-1", ERROR, HOST, mv1_one_portgroup_per_vmk,
         "KB 2007467 (as quoted in article \"Using FVP in multi-NIC vMotion environments\"; KB text not reviewed directly)"),
    Rule("MV-2", ERROR, HOST, mv2_one_active_some_standby,
         "KB 2007467 (via article \"Using FVP in multi-NIC vMotion environments\"); " + NO_LACP_ARTICLE),
    Rule("MV-3", ERROR, HOST, mv3_distinct_active_uplinks, "KB 2007467 (via article \"Using FVP in multi-NIC vMotion environments\")"),
    Rule("MV-4", WARNING, HOST, mv4_mirrored_standby, "article \"Using FVP in multi-NIC vMotion environments\"; community.vmware #1242"),
    Rule("MV-5", ERROR, HOST, mv5_one_subnet, "KB 2007467 (quoted in article \"Using FVP in multi-NIC vMotion environments\")"),
    Rule("MV-6", ERROR, HOST, mv6_no_iphash_or_lag, NO_LACP_ARTICLE + "; follows from MV-2 and IP-1"),
    Rule("MV-7", WARNING, HOST, mv7_set_spans_netstacks, "vSphere 8 Networking, TCP/IP stacks"),
    Rule("MV-8", ERROR, HOST, mv8_planned_set_spans_netstacks,
         "vSphere 8 Networking, TCP/IP stacks (see NS-3, MV-7); design policy: never vMotion vmks on both netstacks of one host"),
)
