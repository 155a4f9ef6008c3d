# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validator's MH rules (one vmk per subnet per netstack), and the family's rows of the rule table.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Finding,
    Host,
    Vmk,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import (
    ERROR,
    HOST,
    WARNING,
    Case,
    Rule,
    declared_purposes,
    finding,
    iscsi_shaped,
    replicas_of,
    tags,
    vmk_obj,
)


def mh1_exempt_vmotion(case: Case, members: Sequence[Vmk]) -> bool:
    """All vMotion-tagged: a multi-NIC vMotion set (MV rules apply).

    A vmk this task declares ``purpose: replica`` never gets the exemption (PR-2), tagged or
    not, unless it is declared ``shared_with_vmotion``: then it may sit in the vMotion subnet
    untagged and PR-7 checks that it is the lowest-numbered vmk there."""
    replicas = {vmk.device: spec.shared_with_vmotion for spec, vmk in replicas_of(case)}
    if any(not replicas[v.device] for v in members if v.device in replicas):
        return False
    rest = [v for v in members if v.device not in replicas]
    return bool(rest) and all("vmotion" in tags(v) for v in rest)


def mh1_exempt_iscsi(case: Case, members: Sequence[Vmk]) -> bool:
    """Every member is declared ``purpose: iscsi`` in this task or, when unmanaged here, is
    iSCSI-shaped (port binding; PB rules apply)."""
    purposes = declared_purposes(case)
    return all(case.after.bound_to(v.device) is not None
               or (purposes.get(v.device) == "iscsi" if v.device in purposes else iscsi_shaped(case, v))
               for v in members)


MH1_EXEMPTIONS: tuple[tuple[str, Callable[[Case, Sequence[Vmk]], bool]], ...] = (
    ("vmotion-set", mh1_exempt_vmotion),
    ("iscsi-binding", mh1_exempt_iscsi),
)
"""Hooks that may exempt a same-subnet group from MH-1; later issues add binding-aware ones."""


def _subnet_groups(host: Host) -> dict[tuple[str, ipaddress.IPv4Network], list[Vmk]]:
    groups: dict[tuple[str, ipaddress.IPv4Network], list[Vmk]] = defaultdict(list)
    for vmk in sorted(host.vmks.values(), key=lambda v: v.number):
        net = vmk.ip.network
        if net is not None:
            groups[(vmk.netstack, net)].append(vmk)
    return groups


def _changed_vmks(case: Case) -> set[str]:
    """vmks that are new or re-addressed/moved in R."""
    return {d for d, v in case.after.vmks.items() if case.observed.vmks.get(d) != v}


def mh1_one_vmk_per_subnet(case: Case) -> Iterator[Finding]:
    """More than one vmk in one subnet on one netstack, unless an MH1_EXEMPTIONS hook applies."""
    changed = _changed_vmks(case)
    for (stack, net), members in sorted(_subnet_groups(case.after).items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
        if len(members) < 2 or any(hook(case, members) for _name, hook in MH1_EXEMPTIONS):
            continue
        culprit = next((v for v in reversed(members) if v.device in changed), members[-1])
        listing = ", ".join("%s (%s)" % (v.device, v.ip.address) for v in members)
        yield finding("MH-1", case.host, vmk_obj(culprit),
                      "%s share subnet %s on netstack %s" % (listing, net, stack),
                      "give %s an ip.address in its own subnet, or another netstack" % culprit.device)


def mh2_duplicate_ip(case: Case) -> Iterator[Finding]:
    """Two vmks of one host with the same IPv4 address in R."""
    by_ip: dict[str, list[Vmk]] = defaultdict(list)
    for vmk in sorted(case.after.vmks.values(), key=lambda v: v.number):
        if not vmk.ip.dhcp and vmk.ip.address:
            by_ip[vmk.ip.address].append(vmk)
    changed = _changed_vmks(case)
    for address, members in sorted(by_ip.items()):
        if len(members) < 2:
            continue
        culprit = next((v for v in reversed(members) if v.device in changed), members[-1])
        yield finding("MH-2", case.host, vmk_obj(culprit),
                      "%s is the address of %s" % (address, ", ".join(v.device for v in members)),
                      "give %s another ip.address" % culprit.device)


def mh3_overlapping_subnets(case: Case) -> Iterator[Finding]:
    """Two vmks on one netstack with different but overlapping subnets."""
    vmks = sorted((v for v in case.after.vmks.values() if v.ip.network is not None), key=lambda v: v.number)
    for i, first in enumerate(vmks):
        for second in vmks[i + 1:]:
            a, b = first.ip.network, second.ip.network
            if a is None or b is None or first.netstack != second.netstack or a == b or not a.overlaps(b):
                continue
            yield finding("MH-3", case.host, vmk_obj(second),
                          "%s (%s) overlaps %s (%s) on netstack %s" % (second.device, b, first.device, a, first.netstack),
                          "give %s an ip.netmask/ip.address whose subnet does not overlap %s" % (second.device, a))


RULES: tuple[Rule, ...] = (
    Rule("MH-1", ERROR, HOST, mh1_one_vmk_per_subnet,
         "KB 2010877 / Broadcom 318546; vSphere 8 Networking GUID-D4191320; article \"Using FVP in multi-NIC vMotion environments\""),
    Rule("MH-2", ERROR, HOST, mh2_duplicate_ip, "KB 2010877 / Broadcom 318546 (derived)"),
    Rule("MH-3", WARNING, HOST, mh3_overlapping_subnets, "derived from KB 2010877 / Broadcom 318546"),
)
