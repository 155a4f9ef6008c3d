# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validator's MTU rules (VMkernel and switch MTU), and the family's rows of the rule table.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Finding,
    Vmk,
    is_set,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import (
    ERROR,
    HOST,
    MULTIPATHING_ARTICLE,
    WARNING,
    Case,
    Rule,
    finding,
    managed,
    spec_obj,
    sw_obj,
    tags,
    vmk_obj,
)

JUMBO_ROLES = ("iscsi", "vmotion", "replica")
MAX_MTU = 9000


def mtu1_vmk_above_switch(case: Case) -> Iterator[Finding]:
    """A vmk's MTU in R exceeds its vSwitch's MTU in R (a vmk on a dvPortgroup: its distributed
    switch's maximum MTU)."""
    o, r = case.observed, case.after
    for vmk in r.vmks.values():
        dv = r.dv_portgroup_of(vmk)
        dvs = r.dv_switches.get(dv.dvs) if dv is not None else None
        sw = r.vswitches.get(vmk.vswitch)
        limit = dvs.max_mtu if dvs is not None else sw.mtu if sw is not None else None
        if limit is None or vmk.mtu <= limit or vmk.mtu > MAX_MTU:
            continue  # above 9000 is MTU-3's finding
        before = o.vmks.get(vmk.device)
        if vmk.device in o.management_vmks and before is not None and before.mtu != vmk.mtu:
            continue  # SF-1 refuses any MTU change of a management vmk
        if dvs is not None:
            yield finding("MTU-1", case.host, "%s [dvswitch:%s]" % (vmk_obj(vmk), dvs.name),
                          "vmk mtu %d is above the mtu %d of distributed switch %s" % (vmk.mtu, dvs.max_mtu, dvs.name),
                          "set mtu: %d (or less) on %s, or raise the MTU of %s in vCenter first"
                          % (dvs.max_mtu, vmk.device, dvs.name))
            continue
        if sw is None:
            continue
        yield finding("MTU-1", case.host, "%s [%s]" % (vmk_obj(vmk), sw_obj(sw.name)),
                      "vmk mtu %d is above the mtu %d of %s" % (vmk.mtu, sw.mtu, sw.name),
                      "set mtu: %d (or less) on %s, or set mtu: %d on %s first"
                      % (sw.mtu, vmk.device, vmk.mtu, sw.name))


def _mtu_groups(case: Case) -> Iterator[tuple[str, list[Vmk]]]:
    r = case.after
    by_stack: dict[str, list[Vmk]] = defaultdict(list)
    for vmk in r.vmks.values():
        if "vmotion" in tags(vmk):
            by_stack[vmk.netstack].append(vmk)
    for stack, members in sorted(by_stack.items()):
        yield "vMotion set on netstack %s" % stack, members
    iscsi = [vmk for spec, vmk in managed(case) if spec.purpose == "iscsi" and vmk is not None]
    yield "iSCSI vmks", iscsi


def mtu2_set_mtu_mismatch(case: Case) -> Iterator[Finding]:
    """Members of one vMotion set (or the iSCSI vmks of the task) have different MTUs in R."""
    for label, members in _mtu_groups(case):
        mtus = {v.mtu for v in members}
        if len(members) < 2 or len(mtus) < 2:
            continue
        top = max(mtus)
        listing = ", ".join("%s (mtu %d)" % (v.device, v.mtu) for v in sorted(members, key=lambda v: v.number))
        for vmk in sorted((v for v in members if v.mtu != top), key=lambda v: v.number):
            yield finding("MTU-2", case.host, vmk_obj(vmk), "%s has different MTUs: %s" % (label, listing),
                          "set mtu: %d on %s (one MTU for the whole set)" % (top, vmk.device))


def mtu3_above_max(case: Case) -> Iterator[Finding]:
    """A declared vmk or vSwitch MTU above 9000."""
    for sw_spec in case.desired.vswitches:
        if is_set(sw_spec.mtu) and sw_spec.mtu > MAX_MTU:
            yield finding("MTU-3", case.host, sw_obj(sw_spec.name), "mtu %d is above ESXi's maximum 9000" % sw_spec.mtu,
                          "set mtu: 9000 or less")
    for spec in case.desired.vmks:
        if spec.state == "present" and is_set(spec.mtu) and spec.mtu > MAX_MTU:
            yield finding("MTU-3", case.host, spec_obj(case, spec), "mtu %d is above ESXi's maximum 9000" % spec.mtu,
                          "set mtu: 9000 or less")


def mtu4_jumbo_path(case: Case) -> Iterator[Finding]:
    """An iSCSI, vMotion or replica vmk with jumbo frames: the path must carry them end to end."""
    for spec, vmk in managed(case):
        if vmk is None or spec.purpose not in JUMBO_ROLES or vmk.mtu <= 1500:
            continue
        yield finding("MTU-4", case.host, vmk_obj(vmk),
                      "%s vmk with mtu %d; the host cannot see the physical path" % (spec.purpose, vmk.mtu),
                      "test every peer/target: vmkping -I %s -d -s %d <address>, or set mtu: 1500"
                      % (vmk.device, vmk.mtu - 28))


RULES: tuple[Rule, ...] = (
    Rule("MTU-3", ERROR, HOST, mtu3_above_max, "vSphere Storage, jumbo frames", step=1),
    Rule("MTU-1", ERROR, HOST, mtu1_vmk_above_switch, "vSphere Storage, Using Jumbo Frames with iSCSI"),
    Rule("MTU-2", ERROR, HOST, mtu2_set_mtu_mismatch, "vSphere Storage, Using Jumbo Frames with iSCSI (derived)"),
    Rule("MTU-4", WARNING, HOST, mtu4_jumbo_path, "vSphere Storage, jumbo frames; " + MULTIPATHING_ARTICLE),
)
