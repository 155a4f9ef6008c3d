# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validator's XH rules (cross-host), and the family's rows of the rule table.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Finding,
    Vmk,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import (
    CROSS_HOST,
    ERROR,
    WARNING,
    Case,
    Rule,
    finding,
    logical_networks,
    name_list,
    pg_obj,
    vmk_obj,
)


def xh1_duplicate_ip_across_hosts(cases: Sequence[Case]) -> Iterator[Finding]:
    """One IPv4 address on vmks of more than one host in scope (planned and observed)."""
    owners: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for case in cases:
        for vmk in case.after.vmks.values():
            if not vmk.ip.dhcp and vmk.ip.address:
                owners[vmk.ip.address].append((case.host, vmk.device))
    for address, where in sorted(owners.items()):
        if len({h for h, _d in where}) < 2:
            continue
        for host, device in sorted(where):
            others = ", ".join("%s/%s" % (h, d) for h, d in sorted(where) if h != host)
            yield finding("XH-1", host, "vmk:%s" % device, "%s is also assigned on %s" % (address, others),
                          "give %s on %s a unique address (ip.address, or ip.addresses in cluster mode)"
                          % (device, host))


def _deviations(members: Sequence[tuple[Case, Vmk]], value: Callable[[Case, Vmk], Any]
                ) -> Iterator[tuple[Case, Vmk, Any, Any, list[str]]]:
    """(case, vmk, its value, the reference value, hosts with the reference) for every member
    that differs from the network's reference: the most common value, on a tie the value of the
    first host by name. Members whose value is None (e.g. DHCP) are not compared."""
    valued = [(c, v, value(c, v)) for c, v in members]
    valued = [(c, v, x) for c, v, x in valued if x is not None]
    counts: dict[Any, int] = defaultdict(int)
    for _c, _v, x in valued:
        counts[x] += 1
    if len({c.host for c, _v, _x in valued}) < 2 or len(counts) < 2:
        return
    order = [x for _c, _v, x in valued]
    reference = max(counts, key=lambda x: (counts[x], -order.index(x)))
    peers = [c.host for c, _v, x in valued if x == reference]
    for case, vmk, x in valued:
        if x != reference:
            yield case, vmk, x, reference, peers


def _net_obj(vmk: Vmk) -> str:
    return "%s [network:%s]" % (vmk_obj(vmk), vmk.portgroup)


def xh2_subnet_per_network(cases: Sequence[Case]) -> Iterator[Finding]:
    """The vmks of one logical network (port group name) are in different subnets on different hosts."""
    for name, members in logical_networks(cases).items():
        for case, vmk, net, ref, peers in _deviations(members, lambda c, v: v.ip.network):
            yield finding("XH-2", case.host, _net_obj(vmk),
                          "%s of %s is in %s; network %s is in %s on %s"
                          % (vmk.ip.address, vmk.device, net, name, ref, ", ".join(peers)),
                          "give %s on %s an ip.address and ip.netmask in %s (ip.addresses in cluster mode)"
                          % (vmk.device, case.host, ref))


def xh3_vlan_per_network(cases: Sequence[Case]) -> Iterator[Finding]:
    """The vmks of one logical network (port group name) are on different VLAN IDs on different hosts."""
    def vlan(case: Case, vmk: Vmk) -> int | None:
        pg = case.after.portgroups.get(vmk.portgroup)
        return pg.vlan if pg is not None else None
    for name, members in logical_networks(cases).items():
        for case, vmk, found, ref, peers in _deviations(members, vlan):
            pg = case.after.portgroups[vmk.portgroup]
            yield finding("XH-3", case.host, "%s [%s]" % (pg_obj(pg), vmk_obj(vmk)),
                          "port group %s is on VLAN %d; on %s it is on VLAN %d" % (name, found, ", ".join(peers), ref),
                          "set vlan: %d on port group %s of %s" % (ref, name, case.host))


def xh4_mtu_per_network(cases: Sequence[Case]) -> Iterator[Finding]:
    """The vmks of one logical network (port group name) have different MTUs on different hosts."""
    for name, members in logical_networks(cases).items():
        for case, vmk, found, ref, peers in _deviations(members, lambda c, v: v.mtu):
            yield finding("XH-4", case.host, _net_obj(vmk),
                          "%s has mtu %d; network %s has mtu %d on %s" % (vmk.device, found, name, ref, ", ".join(peers)),
                          "set mtu: %d on %s of %s (one MTU per network, end to end)" % (ref, vmk.device, case.host))


def _send_target_signature(adapter: Any) -> tuple[tuple[str, ...], dict[str, tuple[tuple[str, Any], ...]]]:
    portals = tuple(sorted(t.portal for t in adapter.send_targets.values()))
    params = {t.portal: tuple(sorted(t.values.items())) for t in adapter.send_targets.values()}
    return portals, params


def xh5_array_settings_per_host(cases: Sequence[Case]) -> Iterator[Finding]:
    """Hosts using the same array have different send-target lists or send-target parameters.

    An array is a send-target address in common; a host is reported when it deviates from the
    most common setting among them (ties: the first host by name)."""
    users: dict[str, list[tuple[Case, Any]]] = defaultdict(list)
    for case in sorted(cases, key=lambda c: c.host):
        for adapter in case.after.iscsi.values():
            for address in sorted({t.address for t in adapter.send_targets.values()}):
                users[address].append((case, adapter))
    reported: set[tuple[str, str]] = set()
    for address, members in sorted(users.items()):
        if len(members) < 2:
            continue
        rows = [(case, adapter) + _send_target_signature(adapter) for case, adapter in members]
        ref_list = _most_common([row[2] for row in rows])
        peers = [row[0].host for row in rows if row[2] == ref_list]
        values = [row[3] for row in rows if row[2] == ref_list]
        refs = {portal: _most_common([v.get(portal) for v in values]) for portal in ref_list}
        for case, adapter, portals, params in rows:
            if (case.host, adapter.device) in reported:
                continue
            if portals != ref_list:
                reported.add((case.host, adapter.device))
                yield finding("XH-5", case.host, "hba:%s" % adapter.device,
                              "send targets %s; hosts using array %s have %s on %s"
                              % (name_list(portals), address, name_list(ref_list), ", ".join(peers)),
                              "give %s the same send_targets as %s" % (case.host, peers[0]))
                continue
            for portal in portals:
                ref = refs[portal]
                if params.get(portal) != ref:
                    reported.add((case.host, adapter.device))
                    diff = sorted({k for k, _v in set(params[portal]) ^ set(ref or ())})
                    yield finding("XH-5", case.host, "target:%s/%s" % (adapter.device, portal),
                                  "send target %s differs in %s from the other hosts using it"
                                  % (portal, ", ".join(diff)),
                                  "give send target %s the same profile/options on every host" % portal)
                    break


def _most_common(values: list[Any]) -> Any:
    """The value most of ``values`` have; on a tie, the one that comes first."""
    return max(values, key=lambda x: (values.count(x), -values.index(x)))


RULES: tuple[Rule, ...] = (
    Rule("XH-1", ERROR, CROSS_HOST, xh1_duplicate_ip_across_hosts, "derived; KB 2010877 / Broadcom 318546", step=3),
    Rule("XH-2", ERROR, CROSS_HOST, xh2_subnet_per_network,
         "KB 2007467 (via article \"Using FVP in multi-NIC vMotion environments\"); KB 2038869", step=3),
    Rule("XH-3", ERROR, CROSS_HOST, xh3_vlan_per_network, "KB 2038869 (one broadcast domain); derived", step=3),
    Rule("XH-4", WARNING, CROSS_HOST, xh4_mtu_per_network, "vSphere Storage, jumbo frames (derived)", step=3),
    Rule("XH-5", WARNING, CROSS_HOST, xh5_array_settings_per_host,
         "derived; Pure Set-ClusterPfaiSCSI (cluster-wide application)", step=3),
)
