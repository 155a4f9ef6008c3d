# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validator's IP rules (IP hash and link aggregation), and the family's rows of the rule table.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Finding,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import (
    ERROR,
    HOST,
    PNIC_NAME,
    WARNING,
    Case,
    Rule,
    dvpg_obj,
    finding,
    name_list,
    pg_obj,
    sw_obj,
    teams,
    unused_of,
)


def ip1_iphash_all_active(case: Case) -> Iterator[Finding]:
    """IP hash with a standby NIC or an unused NIC: every uplink must be active."""
    for obj, team, sw, own in teams(case.after):
        if not own or team.policy != "iphash":
            continue
        standby, unused = tuple(team.standby or ()), unused_of(team, sw)
        if standby or unused:
            yield finding("IP-1", case.host, obj,
                          "policy iphash with standby %s, unused %s" % (name_list(standby), name_list(unused)),
                          "set teaming.active: %s and teaming.standby: [], or choose another teaming.policy"
                          % name_list(sw.uplinks if sw else ()))


def ip2_iphash_beacon(case: Case) -> Iterator[Finding]:
    """IP hash combined with beacon probing."""
    for obj, team, _sw, own in teams(case.after):
        if own and team.policy == "iphash" and team.failure_detection == "beacon_probing":
            yield finding("IP-2", case.host, obj, "policy iphash with failure_detection beacon_probing",
                          "set teaming.failure_detection: link_status")


def ip3_iphash_portgroup_override(case: Case) -> Iterator[Finding]:
    """IP hash is set once on the vSwitch: no port-group iphash override, no override under iphash."""
    r = case.after
    for pg in r.portgroups.values():
        sw = r.vswitches.get(pg.vswitch)
        if sw is None:
            continue
        if pg.override.policy == "iphash" and sw.teaming.policy != "iphash":
            yield finding("IP-3", case.host, pg_obj(pg),
                          "port group overrides policy to iphash; %s uses %s" % (sw.name, sw.teaming.policy),
                          "remove teaming.policy iphash (set IP hash on vSwitch %s for all port groups)" % sw.name)
        elif sw.teaming.policy == "iphash" and (pg.override.policy not in (None, "iphash")
                                                or pg.override.active is not None):
            yield finding("IP-3", case.host, pg_obj(pg),
                          "port group on iphash vSwitch %s overrides policy %s / order %s"
                          % (sw.name, pg.override.policy, name_list(pg.override.active or ())),
                          "set teaming.inherit: [policy, order] on this port group")


def ip4_lag_on_vss(case: Case) -> Iterator[Finding]:
    """A LAG (a name that is neither a host NIC nor NIC-like) in a standard switch's team."""
    pnics = case.observed.pnics
    for obj, team, sw, own in teams(case.after):
        names = list(team.active or ()) + list(team.standby or ()) if own else []
        if obj.startswith("vswitch:") and sw is not None:
            names += list(sw.uplinks)
        lags = sorted({n for n in names if n not in pnics and not PNIC_NAME.match(n)})
        if lags:
            yield finding("IP-4", case.host, obj,
                          "%s on a standard switch (LACP/LAGs exist only on distributed switches)" % name_list(lags),
                          "use host NICs %s instead of %s (static EtherChannel with teaming.policy iphash)"
                          % (name_list(sorted(pnics)), name_list(lags)))


def ip5_etherchannel_unconfirmed(case: Case) -> Iterator[Finding]:
    """Moving to IP hash or changing an IP-hash bridge needs the physical port channel to match."""
    o, r = case.observed, case.after
    for sw in r.vswitches.values():
        if sw.teaming.policy != "iphash":
            continue
        before = o.vswitches.get(sw.name)
        touched = before is None or before.teaming.policy != "iphash" or before.uplinks != sw.uplinks
        yield finding("IP-5", case.host, sw_obj(sw.name),
                      "policy iphash on uplinks %s%s" % (name_list(sw.uplinks), " (changed by this plan)" if touched else ""),
                      "configure a static port channel of exactly %s on the physical switch, then set "
                      "physical_etherchannel_confirmed: true" % name_list(sw.uplinks),
                      severity=None if touched else WARNING)
    for pg in r.portgroups.values():
        before_pg = o.portgroups.get(pg.name)
        if pg.override.policy == "iphash" and (before_pg is None or before_pg.override.policy != "iphash"):
            yield finding("IP-5", case.host, pg_obj(pg), "the plan sets policy iphash on the port group",
                          "configure the upstream static port channel, then set physical_etherchannel_confirmed: true")


def ip6_lag_portgroup_order(case: Case) -> Iterator[Finding]:
    """A dvPortgroup that uses a LAG: one active LAG, no standby (written ones and those with a vmk)."""
    o, r = case.observed, case.after
    carrying: dict[str, list[str]] = defaultdict(list)
    for vmk in sorted(r.vmks.values(), key=lambda v: v.number):
        if vmk.dv_portgroup:
            carrying[vmk.dv_portgroup].append(vmk.device)
    for key, dv in sorted(r.dv_portgroups.items()):
        written = o.dv_portgroups.get(key) != dv
        if not written and key not in carrying:
            continue  # not this collection's object: no vmk on it and the plan leaves it alone
        active, standby = tuple(dv.teaming.active or ()), tuple(dv.teaming.standby or ())
        lags = dv.lags_in(active + standby)
        if not lags or (len(active) == 1 and dv.lags_in(active) and not standby):
            continue
        order = "active %s, standby %s" % (name_list(active), name_list(standby))
        if written:
            change = ("give dvPortgroup %s either exactly one LAG as its only active entry and no standby, or no LAG "
                      "at all (uplinks)" % dv.name)
        else:
            change = ("in vCenter, set the failover order of dvPortgroup %s (%s) to active [%s], standby [], every "
                      "uplink and other LAG unused; or move %s to another port group"
                      % (dv.name, dv.dvs, lags[0], ", ".join(carrying[key])))
        yield finding("IP-6", case.host, dvpg_obj(dv), "%s uses LAG %s: a LAG must be the only active entry, with "
                      "no standby" % (order, name_list(lags)), change)


RULES: tuple[Rule, ...] = (
    Rule("IP-1", ERROR, HOST, ip1_iphash_all_active, "KB 1001938; vSphere 6.7 Networking, Route Based on IP Hash"),
    Rule("IP-2", ERROR, HOST, ip2_iphash_beacon, "KB 1001938; vSphere 6.7 Networking"),
    Rule("IP-3", ERROR, HOST, ip3_iphash_portgroup_override, "blog post on LACP and IPMP link aggregation (2013-03-30); KB 1001938"),
    Rule("IP-4", ERROR, HOST, ip4_lag_on_vss,
         "Broadcom 315347 (formerly KB 2051307); KB 1001938; blog post on LACP and IPMP link aggregation (2013-03-30)"),
    Rule("IP-6", ERROR, HOST, ip6_lag_portgroup_order,
         "vSphere Networking, LACP teaming and failover configuration for distributed port groups"),
    Rule("IP-5", ERROR, HOST, ip5_etherchannel_unconfirmed, "KB 1001938; blog post on LACP and IPMP link aggregation (2013-03-30)",
         flag="physical_etherchannel_confirmed", step=4),
)
