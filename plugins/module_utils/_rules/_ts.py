# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validator's TS rules (teaming-spec integrity), and the family's rows of the rule table.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Finding,
    Host,
    is_set,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import (
    ERROR,
    HOST,
    WARNING,
    Case,
    Rule,
    declared_teamings,
    finding,
    name_list,
    pg_obj,
    sw_obj,
    teams,
    vmks_carried,
)


def ts1_order_has_duplicates(case: Case) -> Iterator[Finding]:
    """A NIC appears more than once across the active and standby lists the plan writes."""
    for obj, spec, _uplinks in declared_teamings(case):
        if not is_set(spec.active):
            continue
        active, standby = tuple(spec.active), tuple(spec.standby) if is_set(spec.standby) else ()
        names = active + standby
        for nic in sorted({n for n in names if names.count(n) > 1}):
            where = "teaming.standby" if nic in standby else "teaming.active"
            yield finding("TS-1", case.host, obj,
                          "%s is listed more than once: active=%s standby=%s" % (nic, name_list(active), name_list(standby)),
                          "list %s once: remove it from %s" % (nic, where))


def ts2_order_name_not_uplink(case: Case) -> Iterator[Finding]:
    """A failover order names a NIC its switch does not own in R, or a bridge gets a NIC the host lacks."""
    r = case.after
    for obj, team, sw, own in teams(r):
        if sw is None or not own or team.active is None:
            continue
        order = tuple(team.active) + tuple(team.standby or ())
        missing = [n for n in order if n not in sw.uplinks]
        if missing:
            yield finding("TS-2", case.host, obj,
                          "teaming order names %s, not an uplink of %s (uplinks %s)"
                          % (name_list(missing), sw.name, name_list(sw.uplinks)),
                          "use only %s in teaming.active/teaming.standby, or add %s to uplinks of %s first"
                          % (name_list(sw.uplinks), name_list(missing), sw.name))
    for sw_spec in case.desired.vswitches:
        if sw_spec.state != "present" or not is_set(sw_spec.uplinks):
            continue
        unknown = [n for n in sw_spec.uplinks if n not in case.observed.pnics]
        if unknown:
            yield finding("TS-2", case.host, sw_obj(sw_spec.name),
                          "uplinks %s include %s, which this host does not have (NICs %s)"
                          % (name_list(sw_spec.uplinks), name_list(unknown), name_list(sorted(case.observed.pnics))),
                          "remove %s from uplinks" % name_list(unknown))
        for nic, owner in sorted(_owners(case.after, sw_spec.name, sw_spec.uplinks).items()):
            yield finding("TS-2", case.host, sw_obj(sw_spec.name),
                          "uplinks %s include %s, which %s already owns (ESXi refuses a NIC in two switches with "
                          "ResourceInUse)" % (name_list(sw_spec.uplinks), nic, owner),
                          "remove %s from uplinks of %s, or take it off %s first" % (nic, sw_spec.name, owner))


def _owners(r: Host, switch: str, nics: Sequence[str]) -> dict[str, str]:
    """NIC -> the other switch that has it in R: a standard switch, or a distributed switch
    (with the uplink port it backs)."""
    out: dict[str, str] = {}
    for nic in nics:
        other = next((sw.name for sw in r.vswitches.values() if sw.name != switch and nic in sw.uplinks), None)
        if other is not None:
            out[nic] = "standard switch %s" % other
            continue
        for dvs in r.dv_switches.values():
            port = next((u for u, pnics in dvs.uplinks.items() if nic in pnics and u not in dvs.lags), None)
            port = port or next((u for u, pnics in dvs.uplinks.items() if nic in pnics), None)
            if port is not None:
                out[nic] = "distributed switch %s (%s)" % (dvs.name, port)
                break
    return out


def ts3_order_incomplete(case: Case) -> Iterator[Finding]:
    """A declared unused list must equal uplinks - active - standby (unused is derived, never sent)."""
    for obj, spec, uplinks in declared_teamings(case):
        if not is_set(spec.unused) or not is_set(spec.active):
            continue
        listed = set(spec.active) | set(spec.standby if is_set(spec.standby) else ())
        derived = [n for n in uplinks if n not in listed]
        if sorted(spec.unused) != sorted(derived):
            yield finding("TS-3", case.host, obj,
                          "teaming.unused %s, but uplinks %s - active - standby = %s"
                          % (name_list(spec.unused), name_list(uplinks), name_list(derived)),
                          "set teaming.unused to %s, or list the other NICs in teaming.active/teaming.standby"
                          % name_list(derived))


def ts4_no_active_uplink(case: Case) -> Iterator[Finding]:
    """A port-group override that carries a vmk has an empty active list."""
    r = case.after
    for pg in r.portgroups.values():
        vmks = vmks_carried(r, pg.name)
        if pg.override.active is None or pg.override.active or not vmks:
            continue
        yield finding("TS-4", case.host, pg_obj(pg),
                      "override active=[] standby=%s on the port group of %s"
                      % (name_list(pg.override.standby or ()), ", ".join(vmks)),
                      "give teaming.active at least one uplink, or set allow_no_active_uplink: true")


def ts5_beacon_probing(case: Case) -> Iterator[Finding]:
    """Beacon probing needs a bridge beacon configuration (error) and 3+ uplinks in the team (warning)."""
    for obj, team, sw, own in teams(case.after):
        if sw is None or not own or team.failure_detection != "beacon_probing":
            continue
        members = set(team.active or ()) | set(team.standby or ())
        if sw.beacon_interval is None:
            yield finding("TS-5", case.host, obj,
                          "failure_detection beacon_probing, but %s has no beacon configuration" % sw.name,
                          "set teaming.failure_detection: link_status (the vSwitch has no beacon interval)")
        elif len(members) < 3:
            yield finding("TS-5", case.host, obj,
                          "beacon_probing with %d uplink(s) %s in active+standby" % (len(members), name_list(sorted(members))),
                          "use teaming.failure_detection: link_status, or team three or more uplinks",
                          severity=WARNING)


def ts6_loadbased_on_vss(case: Case) -> Iterator[Finding]:
    """Route based on physical NIC load exists only on distributed switches."""
    for obj, spec, _uplinks in declared_teamings(case):
        if spec.policy == "loadbased":
            yield finding("TS-6", case.host, obj, "teaming.policy loadbased on a standard switch",
                          "use teaming.policy srcid, srcmac, iphash or failover_explicit")


def ts7_inherit_and_value(case: Case) -> Iterator[Finding]:
    """A teaming field is given both ``inherit`` and an explicit value."""
    for obj, spec, _uplinks in declared_teamings(case):
        for name in spec.conflicts:
            yield finding("TS-7", case.host, obj,
                          "teaming.%s is both in teaming.inherit and given a value" % name,
                          "remove %s from teaming.inherit, or remove teaming.%s"
                          % (name, "active/standby/unused" if name == "order" else name))


RULES: tuple[Rule, ...] = (
    Rule("TS-1", ERROR, HOST, ts1_order_has_duplicates, "vSphere API HostNicOrderPolicy; community.vmware #1432; DSC #282",
         step=1),
    Rule("TS-3", ERROR, HOST, ts3_order_incomplete, "community.vmware #1432; DSC #282 / PR #296; vmware/pyvmomi #222",
         step=1),
    Rule("TS-6", ERROR, HOST, ts6_loadbased_on_vss, "blog post on LACP and IPMP link aggregation (2013-03-30); vSphere API NicTeamingPolicyMode",
         step=1),
    Rule("TS-7", ERROR, HOST, ts7_inherit_and_value, "DSC Inherit* flags; Terraform #2355 / PR #2377", step=1),
    Rule("TS-2", ERROR, HOST, ts2_order_name_not_uplink,
         "vSphere API HostNicOrderPolicy, UpdateVirtualSwitch (ResourceInUse: a NIC another switch owns); "
         "Terraform provider vSwitch diff check (PR #256)"),
    Rule("TS-4", ERROR, HOST, ts4_no_active_uplink, "community.vmware #934", flag="allow_no_active_uplink"),
    Rule("TS-5", ERROR, HOST, ts5_beacon_probing,
         "blog post on LACP and IPMP link aggregation (2013-03-30); vSphere API HostVirtualSwitchBondBridge"),
)
