# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validator's MG rules (migration between a standard and a distributed switch), and the family's rows of
the rule table.

A vmk that moves between a standard port group and a dvPortgroup is migrated in place (same device, IP,
bindings and tags). Bound iSCSI vmks move one path at a time: each step moves one vmk and the physical NICs it
needs (``Plan.stages``), and the host is read back before the next. These rules refuse migrations that cannot
be done that way.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.
"""

from __future__ import annotations

from collections.abc import Iterator

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import Finding, migrated
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import active_standby, moved_paths
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import (
    ERROR,
    HOST,
    Case,
    Rule,
    finding,
    name_list,
    unbound_by_plan,
    vmk_obj,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._pb import bound_obj, pg_label

MIGRATE_GUIDE = "vSphere Networking, Migrate VMkernel Adapters to a vSphere Distributed Switch"


def _bound_during(case: Case) -> list[tuple[str, str]]:
    """(adapter, vmk) bound in O and not unbound by the plan: the paths the network steps run under."""
    unbound = unbound_by_plan(case)
    return [(device, vmk) for device, adapter in sorted(case.observed.iscsi.items()) for vmk in adapter.bindings
            if (device, vmk) not in unbound and vmk in case.observed.vmks]


def mg1_step_breaks_a_path(case: Case) -> Iterator[Finding]:
    """A step of a migration leaves a bound vmk with other than one active and no standby uplink."""
    bound = _bound_during(case)
    for number, stage in enumerate(case.plan.stages, 1):
        moved = "%s%s" % (stage.vmk, " with %s" % ", ".join(stage.pnics) if stage.pnics else " (no NIC moves with it)")
        for adapter, device in bound:
            vmk = stage.state.vmks.get(device)
            if vmk is None:
                continue
            active, standby = active_standby(stage.state, vmk)
            if len(active) == 1 and not standby:
                continue
            yield finding("MG-1", case.host, bound_obj(stage.state, vmk, adapter),
                          "step %d of the migration (moving %s) leaves bound %s on %s with active uplinks %s and "
                          "standby %s: its path to storage would fail" % (
                              number, moved, device, pg_label(stage.state, vmk), name_list(active), name_list(standby)),
                          "put behind the uplink each bound vmk's dvPortgroup makes active the NIC that vmk uses "
                          "today (dv_switches uplinks), so every path moves with its own NIC; or unbind %s first" % device)


def mg2_migrates_the_last_path(case: Case) -> Iterator[Finding]:
    """A migration moves a bound vmk that carries the host's last active path to storage."""
    for adapter, device in moved_paths(case.observed, case.after):
        binding = case.observed.iscsi[adapter].bindings[device]
        if binding.path != "lastActive":
            continue
        down = [d for d, b in case.observed.iscsi[adapter].bindings.items() if d != device and b.path != "active"]
        yield finding("MG-2", case.host, bound_obj(case.observed, case.observed.vmks[device], adapter),
                      "the plan migrates %s, which carries the last active path to storage (pathStatus lastActive%s): "
                      "while it moves the host has no path" % (
                          device, "; %s has no active path" % ", ".join(down) if down else ""),
                      "bring the other path back first (%s), then migrate; or set allow_path_disruption: true "
                      "(host_fabric) to accept the outage" % (", ".join(down) or "bind a second vmk"))


def mg3_migrates_management(case: Case) -> Iterator[Finding]:
    """A migration moves a management vmk (vmk0 or one tagged management)."""
    o, r = case.observed, case.after
    for device in sorted(o.management_vmks):
        after = r.vmks.get(device)
        if after is None or not migrated(o.vmks[device], after):
            continue
        yield finding("MG-3", case.host, vmk_obj(o.vmks[device]),
                      "the plan migrates management vmk %s from %s to %s" % (
                          device, pg_label(o, o.vmks[device]), pg_label(r, after)),
                      "migrate it by hand (vCenter rolls a lost management connection back), or set "
                      "allow_management_path_change: true")


RULES: tuple[Rule, ...] = (
    Rule("MG-1", ERROR, HOST, mg1_step_breaks_a_path,
         "KB 2038869; %s; vSphere API IscsiPortInfo.complianceStatus" % MIGRATE_GUIDE, step=4),
    Rule("MG-2", ERROR, HOST, mg2_migrates_the_last_path,
         "vSphere API IscsiPortInfo.pathStatus (lastActive); %s" % MIGRATE_GUIDE, flag="allow_path_disruption", step=4),
    Rule("MG-3", ERROR, HOST, mg3_migrates_management,
         "%s; vSphere Networking, vSphere Networking Rollback" % MIGRATE_GUIDE, flag="allow_management_path_change",
         step=4),
)
