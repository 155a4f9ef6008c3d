# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validator's PR rules (replica vmk), and the family's rows of the rule table.

Only vmks that THIS task declares ``purpose: replica`` are replica vmks; an observed vmk
outside the task never is. The role of other vmks (for messages only) is derived from R by
``role_of``: the task's declared purpose; else management (vmk0 or tagged); else vmotion
(vMotion-tagged, or on the vmotion netstack); else iscsi when iSCSI-shaped (one active
uplink, no standby, no tag); else other.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterator, Sequence

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Finding,
    Vmk,
    is_set,
    vmk_number,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import (
    CROSS_HOST,
    ERROR,
    HOST,
    WARNING,
    Case,
    Rule,
    by_number,
    declared_purposes,
    finding,
    iscsi_shaped,
    name_list,
    pg_obj,
    replicas_of,
    tags,
    vmk_obj,
)

REPLICA_OWN_SERVICES = frozenset({"vSphereReplication", "vSphereReplicationNFC"})
"""Tags that carry replica traffic itself (vSphere Replication): not "another service" (PR-5)."""


def role_of(case: Case, vmk: Vmk) -> str:
    """The role of a vmk for messages: declared purpose, else derived from R (see above)."""
    purposes = declared_purposes(case)
    if vmk.device in purposes and purposes[vmk.device] != "general":
        return purposes[vmk.device]
    if vmk.device in case.observed.management_vmks or "management" in vmk.services:
        return "management"
    if "vmotion" in tags(vmk):
        return "vmotion"
    if iscsi_shaped(case, vmk):
        return "iscsi"
    return "other"


def _shared_vmotion_peers(case: Case, rep: Vmk) -> list[Vmk]:
    """The vMotion-tagged vmks (other than ``rep``) in the replica's exact subnet and netstack."""
    net = rep.ip.network
    return [v for v in by_number(case.after.vmks.values())
            if v.device != rep.device and v.netstack == rep.netstack and net is not None
            and v.ip.network == net and "vmotion" in tags(v)]


def pr2_replica_own_subnet(case: Case) -> Iterator[Finding]:
    """Another vmk on the replica vmk's netstack shares or overlaps its subnet (no MH-1 exemption)."""
    r = case.after
    for spec, rep in replicas_of(case):
        net = rep.ip.network
        if net is None:
            continue
        shared = {v.device for v in _shared_vmotion_peers(case, rep)} if spec.shared_with_vmotion else set()
        for other in by_number(r.vmks.values()):
            other_net = other.ip.network
            if other.device == rep.device or other.netstack != rep.netstack or other_net is None \
                    or not other_net.overlaps(net) or other.device in shared:
                continue
            yield finding("PR-2", case.host, "%s [vmk:%s]" % (vmk_obj(rep), other.device),
                          "replica vmk %s (%s/%s) shares subnet %s with %s vmk %s (%s) on netstack %s"
                          % (rep.device, rep.ip.address, net.prefixlen, other_net, role_of(case, other),
                             other.device, other.ip.address, rep.netstack),
                          "give the replica its own non-routed subnet: an ip.address/ip.netmask that no other vmk "
                          "uses (with a dedicated vlan)")


def pr3_replica_vlan_isolated(case: Case) -> Iterator[Finding]:
    """The replica port group's VLAN is 4095 or used by another port group of the host; VLAN 0 warns."""
    r = case.after
    for spec, rep in replicas_of(case):
        pg = r.portgroups.get(rep.portgroup)
        if pg is None:
            continue
        exempt = {v.portgroup for v in _shared_vmotion_peers(case, rep)} if spec.shared_with_vmotion else set()
        others = [p for p in r.portgroups.values() if p.name != pg.name and p.name not in exempt]
        obj = "%s [%s]" % (pg_obj(pg), vmk_obj(rep))
        if pg.vlan == 4095:
            yield finding("PR-3", case.host, obj, "replica port group %s uses VLAN 4095 (all VLANs)" % pg.name,
                          "set vlan to a VLAN ID (1-4094) that no other port group uses")
        elif pg.vlan == 0:
            same_switch = sorted(p.name for p in others if p.vswitch == pg.vswitch)
            if same_switch:
                yield finding("PR-3", case.host, obj,
                              "replica port group %s is untagged (VLAN 0) on %s, which also carries %s"
                              % (pg.name, pg.vswitch, ", ".join(same_switch)),
                              "set vlan to a dedicated VLAN ID, or use a vSwitch whose uplinks carry nothing else",
                              severity=WARNING)
        else:
            clash = sorted(pg_obj(p) for p in others if p.vlan == pg.vlan)
            if clash:
                yield finding("PR-3", case.host, obj,
                              "replica port group %s uses VLAN %d, also used by %s" % (pg.name, pg.vlan, ", ".join(clash)),
                              "set vlan to a VLAN ID that no other port group of the host uses")


def pr4_replica_no_gateway(case: Case) -> Iterator[Finding]:
    """The replica vmk has a per-vmk gateway override (declared by the task, or on the host).

    Netstack default gateways and static routes are not part of the observed state yet, so the
    other two conditions of the catalog are not checked here."""
    for spec, rep in replicas_of(case):
        if is_set(spec.gateway):
            yield finding("PR-4", case.host, vmk_obj(rep),
                          "the task sets gateway %s on replica vmk %s" % (spec.gateway, rep.device),
                          "remove gateway: the replica network is non-routed, peers are reached in its own subnet")
        elif rep.gateway:
            yield finding("PR-4", case.host, vmk_obj(rep),
                          "replica vmk %s has a gateway override %s on the host" % (rep.device, rep.gateway),
                          "remove the gateway override of %s on the host (this collection does not write gateways); "
                          "the replica network is non-routed" % rep.device)


def pr5_replica_no_services(case: Case) -> Iterator[Finding]:
    """The replica vmk carries a service tag other than the replication tags."""
    for spec, rep in replicas_of(case):
        extra = set(tags(rep)) - REPLICA_OWN_SERVICES
        if spec.shared_with_vmotion:
            extra.discard("vmotion")  # sharing the vMotion vmk is PR-6's warning
        if extra:
            yield finding("PR-5", case.host, vmk_obj(rep),
                          "replica vmk %s carries %s" % (rep.device, name_list(sorted(extra))),
                          "set services: [] (or only %s) so nothing competes with replica traffic"
                          % ", ".join(sorted(REPLICA_OWN_SERVICES)))


def pr6_replica_shares_vmotion(case: Case) -> Iterator[Finding]:
    """The task sets ``shared_with_vmotion``: replica traffic rides the vMotion network."""
    for spec, rep in replicas_of(case):
        if spec.shared_with_vmotion:
            yield finding("PR-6", case.host, vmk_obj(rep),
                          "shared_with_vmotion: replica vmk %s uses the vMotion network %s"
                          % (rep.device, rep.ip.network),
                          "when a VLAN can be provided, give the replica its own subnet and vlan and set "
                          "shared_with_vmotion: false")


def pr1_one_replica_vmk_per_host(cases: Sequence[Case]) -> Iterator[Finding]:
    """A host in the scope of a replica network has zero or more than one replica vmk in R."""
    having = {c.host: by_number(vmk for _s, vmk in replicas_of(c)) for c in cases}
    with_one = sorted(h for h, vmks in having.items() if vmks)
    if not with_one:
        return
    for case in cases:
        devices = sorted({v.device for v in having[case.host]}, key=vmk_number)
        if len(devices) == 1:
            continue
        if not devices:
            yield finding("PR-1", case.host, "network:replica",
                          "no replica vmk, while %s have one" % ", ".join(with_one),
                          "declare the replica vmk for this host too (portgroup, ip.addresses entry)")
        else:
            yield finding("PR-1", case.host, "network:replica", "replica vmks %s: the peers use one" % ", ".join(devices),
                          "declare exactly one replica vmk for this host (remove the others from the task)")


def pr7_shared_replica_lowest_vmk(cases: Sequence[Case]) -> Iterator[Finding]:
    """With ``shared_with_vmotion``, the replica vmk is not the lowest-numbered vmk of the vMotion subnet on every host."""
    nets: dict[str, ipaddress.IPv4Network] = {}
    for case in cases:
        for spec, rep in replicas_of(case):
            net = rep.ip.network
            if not spec.shared_with_vmotion or net is None:
                continue
            peers = _shared_vmotion_peers(case, rep)
            if not peers and "vmotion" not in tags(rep):
                yield finding("PR-7", case.host, vmk_obj(rep),
                              "shared_with_vmotion is set, but no vMotion vmk is in %s on netstack %s" % (net, rep.netstack),
                              "give the replica an ip.address in the vMotion subnet, or set shared_with_vmotion: false")
                continue
            nets[case.host] = net
            in_subnet = [v for v in case.after.vmks.values() if v.netstack == rep.netstack and v.ip.network == net]
            lowest = min(in_subnet, key=lambda v: v.number)
            if lowest.device != rep.device:
                yield finding("PR-7", case.host, "%s [vmk:%s]" % (vmk_obj(rep), lowest.device),
                              "replica vmk %s is not the lowest-numbered vmk of vMotion subnet %s: %s (%s) is, and "
                              "ESXi sends and answers from the lowest" % (rep.device, net, lowest.device, lowest.portgroup),
                              "set portgroup: %s so the replica uses %s, or set shared_with_vmotion: false and give the "
                              "replica its own subnet and vlan" % (lowest.portgroup, lowest.device))
    counts: dict[ipaddress.IPv4Network, int] = defaultdict(int)
    for net in nets.values():
        counts[net] += 1
    if len(counts) < 2:
        return
    ref = max(sorted(counts, key=str), key=lambda n: counts[n])
    for host, net in sorted(nets.items()):
        if net != ref:
            yield finding("PR-7", host, "network:replica",
                          "the replica shares vMotion network %s here, %s on %s" % (
                              net, ref, ", ".join(h for h, n in sorted(nets.items()) if n == ref)),
                          "give this host's replica an ip.addresses entry in %s, like the other hosts" % ref)


def pr8_replica_subnet_changed(case: Case) -> Iterator[Finding]:
    """The plan adds or removes a vmk, or removes the vMotion tag, in a subnet carrying replica traffic."""
    o, r = case.observed, case.after
    carrying = [(rep.device, rep.netstack, rep.ip.network) for _s, rep in replicas_of(case)
                if rep.device in o.vmks and rep.ip.network is not None]  # a new replica carries nothing yet
    if not carrying:
        return
    skip = {d for d, _s, _n in carrying}
    for device in sorted(set(o.vmks) | set(r.vmks), key=vmk_number):
        before, after = o.vmks.get(device), r.vmks.get(device)
        if device in skip:
            continue
        if before is None and after is not None:
            what, vmk = "adds", after
        elif after is None and before is not None:
            what, vmk = "removes", before
        elif before is not None and after is not None and "vmotion" in tags(before) and "vmotion" not in tags(after):
            what, vmk = "removes the vMotion tag of", before
        else:
            continue
        net = vmk.ip.network
        for rep_device, stack, rep_net in carrying:
            if vmk.netstack == stack and net is not None and rep_net is not None and net.overlaps(rep_net):
                yield finding("PR-8", case.host, "%s [vmk:%s]" % (vmk_obj(vmk), rep_device),
                              "the plan %s %s in %s, which carries replica traffic of %s"
                              % (what, vmk.device, rep_net, rep_device),
                              "plan a host restart after this change (the routing interface of %s may not change "
                              "until then), or leave %s out of the task" % (rep_net, vmk.device))


RULES: tuple[Rule, ...] = (
    Rule("PR-2", ERROR, HOST, pr2_replica_own_subnet, "article \"Using FVP in multi-NIC vMotion environments\"; KB 2010877 / Broadcom 318546"),
    Rule("PR-3", ERROR, HOST, pr3_replica_vlan_isolated, "article \"Using FVP in multi-NIC vMotion environments\" (dedicated VLAN)"),
    Rule("PR-4", ERROR, HOST, pr4_replica_no_gateway, "article \"Using FVP in multi-NIC vMotion environments\" (isolated, non-routable network)"),
    Rule("PR-5", WARNING, HOST, pr5_replica_no_services,
         "article \"Using FVP in multi-NIC vMotion environments\" (only replica traffic on that network)"),
    Rule("PR-6", WARNING, HOST, pr6_replica_shares_vmotion, "article \"Using FVP in multi-NIC vMotion environments\""),
    Rule("PR-1", ERROR, CROSS_HOST, pr1_one_replica_vmk_per_host, "article \"Using FVP in multi-NIC vMotion environments\"", step=3),
    Rule("PR-7", ERROR, CROSS_HOST, pr7_shared_replica_lowest_vmk, "article \"Using FVP in multi-NIC vMotion environments\"", step=3),
    Rule("PR-8", WARNING, HOST, pr8_replica_subnet_changed, "article \"Using FVP in multi-NIC vMotion environments\"", step=4),
)
