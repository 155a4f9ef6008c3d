# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure plan validator: the rules of docs/rules.md as one function per rule ID, in one table.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.

Invariants
- ``validate`` runs EVERY rule of ``RULES`` on every host (host-scoped rules) and on all hosts
  together (cross-host rules), and returns every finding sorted by ``Finding.sort_key``
  (host, rule ID, object). It never stops at the first finding.
- A rule function yields ``Finding``s with its catalog severity (a few rules pick warning or
  error per finding, as the catalog says). The one place a severity changes afterwards is the
  opt-in downgrade: an error of a rule with a ``flag`` becomes a warning when the task set it.
- End-state rules look at R (``plan.after``), transition rules compare O (observed) with R,
  structural rules look at the declared specs. Every finding names a typed object, what was
  found (with values), a concrete change in the task's option names, and the catalog source.
- Where two rules would report the same mistake, the more specific one reports it (MTU-3 over
  MTU-1 above 9000; SF-1 over MTU-1 for a management vmk; TS-2 over IP-4 for a NIC-like name).
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Callable, Dict, FrozenSet, Iterable, Iterator, List, Optional, Sequence, Set, Tuple

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_plan import bound_changes, changed_bound_vmks, resolve_adapter
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    INHERIT,
    Desired,
    DvPortgroup,
    Finding,
    Host,
    IscsiAdapter,
    TargetSpec,
    PortGroup,
    Teaming,
    TeamingSpec,
    VmkSpec,
    VSwitch,
    Vmk,
    is_set,
    vmk_number,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import (
    TEAMING_FIELDS,
    Plan,
    match_vmk,
    wants_recreate,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._profiles import (
    ESXI_OPTION_DEFS,
    LOGIN_TIMEOUT_RANGE,
    OPTION_NAMES,
    OptionDef,
    profile_values,
)

ERROR = "error"
WARNING = "warning"
HOST = "host"
CROSS_HOST = "cross-host"
BEFORE_WRITE = "before-write"  # not run by validate(): by recheck() on a re-read just before the first write
DEDICATED_SERVICE = {"vmotion": "vmotion", "provisioning": "vSphereProvisioning"}
JUMBO_ROLES = ("iscsi", "vmotion", "replica")
MAX_MTU = 9000
PNIC_NAME = re.compile(r"^(vmnic|vusb)\d+$")


@dataclass(frozen=True)
class Case:
    """One host of a run: observed state O, the desired state, and its plan (R = plan.after)."""

    observed: Host
    desired: Desired
    plan: Plan

    @property
    def host(self) -> str:
        return self.observed.name

    @property
    def after(self) -> Host:
        return self.plan.after


@dataclass(frozen=True)
class Rule:
    """One catalog entry: ID, default severity, scope, opt-in downgrade flag, §7 step, source."""

    rule: str
    severity: str
    scope: str
    check: Callable[..., Iterable[Finding]]
    source: str
    flag: Optional[str] = None
    step: int = 2


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def _names(values: Iterable[Any]) -> str:
    return "[%s]" % ", ".join(str(v) for v in values)


def vmk_obj(vmk: Vmk) -> str:
    return "vmk:%s" % vmk.device


def pg_obj(pg: PortGroup) -> str:
    return "portgroup:%s/%s" % (pg.vswitch, pg.name)


def sw_obj(name: str) -> str:
    return "vswitch:%s" % name


def finding(rule: str, case_host: str, obj: str, found: str, change: str, severity: Optional[str] = None) -> Finding:
    """A Finding of ``rule`` with the catalog's severity (unless given) and source."""
    meta = RULE_INDEX[rule]
    return Finding(rule, severity or meta.severity, case_host, obj, found, change, meta.source)


def tags(vmk: Vmk) -> Set[str]:
    """tags(v): selected services, plus the service a dedicated netstack implies."""
    implied = {DEDICATED_SERVICE[vmk.netstack]} if vmk.netstack in DEDICATED_SERVICE else set()
    return set(vmk.services) | implied


def managed(case: Case) -> Iterator[Tuple[VmkSpec, Optional[Vmk]]]:
    """Every present VmkSpec with its vmk in R (None when R has none)."""
    for spec in case.desired.vmks:
        if spec.state == "present":
            yield spec, match_vmk(case.after, spec)


def spec_obj(case: Case, spec: VmkSpec) -> str:
    """The typed object of a vmk spec: its vmk in R, else its port group."""
    vmk = match_vmk(case.after, spec)
    if vmk is not None:
        return vmk_obj(vmk)
    vswitch = spec.vswitch if is_set(spec.vswitch) else "?"
    return "portgroup:%s/%s" % (vswitch, spec.portgroup)


def declared_teamings(case: Case) -> Iterator[Tuple[str, TeamingSpec, Tuple[str, ...]]]:
    """(object, declared teaming, uplinks of its switch in R) for every present spec."""
    r = case.after
    for sw_spec in case.desired.vswitches:
        if sw_spec.state == "present":
            sw = r.vswitches.get(sw_spec.name)
            yield sw_obj(sw_spec.name), sw_spec.teaming, sw.uplinks if sw else ()
    for spec in case.desired.vmks:
        if spec.state == "present":
            pg = r.portgroups.get(spec.portgroup)
            sw = r.vswitches.get(pg.vswitch) if pg else None
            obj = pg_obj(pg) if pg else "portgroup:?/%s" % spec.portgroup
            yield obj, spec.teaming, sw.uplinks if sw else ()


def teams(host: Host) -> Iterator[Tuple[str, Teaming, Optional[VSwitch], bool]]:
    """(object, effective teaming, switch, overrides?) of every switch and port group of ``host``.

    ``overrides`` is True for a switch, and for a port group that overrides policy, order or
    failure detection (a port group that inherits all three is reported on its switch).
    """
    for sw in host.vswitches.values():
        yield sw_obj(sw.name), sw.teaming, sw, True
    for pg in host.portgroups.values():
        sw = host.vswitches.get(pg.vswitch)
        effective = pg.override.merged_over(sw.teaming) if sw else pg.effective
        own = pg.override.policy is not None or pg.override.active is not None \
            or pg.override.failure_detection is not None
        yield pg_obj(pg), effective, sw, own


def unused_of(t: Teaming, sw: Optional[VSwitch]) -> Tuple[str, ...]:
    return t.unused(sw.uplinks) if sw is not None and t.active is not None else ()


def _vmk_carried(host: Host, pg_name: str) -> List[str]:
    return sorted(v.device for v in host.vmks.values() if v.portgroup == pg_name)


# ---------------------------------------------------------------------------------------
# TS: teaming-spec integrity
# ---------------------------------------------------------------------------------------


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
                          "%s is listed more than once: active=%s standby=%s" % (nic, _names(active), _names(standby)),
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
                          % (_names(missing), sw.name, _names(sw.uplinks)),
                          "use only %s in teaming.active/teaming.standby, or add %s to uplinks of %s first"
                          % (_names(sw.uplinks), _names(missing), sw.name))
    for sw_spec in case.desired.vswitches:
        if sw_spec.state != "present" or not is_set(sw_spec.uplinks):
            continue
        unknown = [n for n in sw_spec.uplinks if n not in case.observed.pnics]
        if unknown:
            yield finding("TS-2", case.host, sw_obj(sw_spec.name),
                          "uplinks %s include %s, which this host does not have (NICs %s)"
                          % (_names(sw_spec.uplinks), _names(unknown), _names(sorted(case.observed.pnics))),
                          "remove %s from uplinks" % _names(unknown))
        for nic, owner in sorted(_owners(case.after, sw_spec.name, sw_spec.uplinks).items()):
            yield finding("TS-2", case.host, sw_obj(sw_spec.name),
                          "uplinks %s include %s, which %s already owns (ESXi refuses a NIC in two switches with "
                          "ResourceInUse)" % (_names(sw_spec.uplinks), nic, owner),
                          "remove %s from uplinks of %s, or take it off %s first" % (nic, sw_spec.name, owner))


def _owners(r: Host, switch: str, nics: Sequence[str]) -> Dict[str, str]:
    """NIC -> the other switch that has it in R: a standard switch, or a distributed switch
    (with the uplink port it backs)."""
    out: Dict[str, str] = {}
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
                          % (_names(spec.unused), _names(uplinks), _names(derived)),
                          "set teaming.unused to %s, or list the other NICs in teaming.active/teaming.standby"
                          % _names(derived))


def ts4_no_active_uplink(case: Case) -> Iterator[Finding]:
    """A port-group override that carries a vmk has an empty active list."""
    r = case.after
    for pg in r.portgroups.values():
        vmks = _vmk_carried(r, pg.name)
        if pg.override.active is None or pg.override.active or not vmks:
            continue
        yield finding("TS-4", case.host, pg_obj(pg),
                      "override active=[] standby=%s on the port group of %s"
                      % (_names(pg.override.standby or ()), ", ".join(vmks)),
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
                          "beacon_probing with %d uplink(s) %s in active+standby" % (len(members), _names(sorted(members))),
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


# ---------------------------------------------------------------------------------------
# MTU
# ---------------------------------------------------------------------------------------


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
        yield finding("MTU-1", case.host, "%s [%s]" % (vmk_obj(vmk), sw_obj(sw.name)),
                      "vmk mtu %d is above the mtu %d of %s" % (vmk.mtu, sw.mtu, sw.name),
                      "set mtu: %d (or less) on %s, or set mtu: %d on %s first"
                      % (sw.mtu, vmk.device, vmk.mtu, sw.name))


def _mtu_groups(case: Case) -> Iterator[Tuple[str, List[Vmk]]]:
    r = case.after
    by_stack: Dict[str, List[Vmk]] = defaultdict(list)
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


# ---------------------------------------------------------------------------------------
# NS: netstacks
# ---------------------------------------------------------------------------------------


def ns1_netstack_change(case: Case) -> Iterator[Finding]:
    """The task moves an existing vmk to another netstack (only by delete and recreate)."""
    for spec in case.desired.vmks:
        if not wants_recreate(case.observed, spec):
            continue
        vmk = match_vmk(case.observed, spec)
        if vmk is None:  # wants_recreate only holds for an observed vmk
            continue
        yield finding("NS-1", case.host, vmk_obj(vmk),
                      "%s is on netstack %s; the task asks for netstack %s" % (vmk.device, vmk.netstack, spec.netstack),
                      "set allow_recreate: true to remove and recreate %s on %s, or set netstack: %s"
                      % (vmk.device, spec.netstack, vmk.netstack))


def ns2_service_not_allowed(case: Case) -> Iterator[Finding]:
    """A service on a netstack that does not carry it, or one the host's ESXi version lacks."""
    for spec, vmk in managed(case):
        if not is_set(spec.services):
            continue
        stack = spec.netstack if is_set(spec.netstack) else (vmk.netstack if vmk else "default")
        obj = vmk_obj(vmk) if vmk else spec_obj(case, spec)
        for service in sorted(spec.services):
            if stack in DEDICATED_SERVICE and service != DEDICATED_SERVICE[stack]:
                yield finding("NS-2", case.host, obj,
                              "service %s requested on netstack %s, which carries %s only"
                              % (service, stack, DEDICATED_SERVICE[stack]),
                              "remove %s from services, or use netstack: default" % service)
            elif service not in case.observed.nic_types:
                yield finding("NS-2", case.host, obj,
                              "service %s is not offered by this host (ESXi %s offers %s)"
                              % (service, case.observed.version or "?", _names(sorted(case.observed.nic_types))),
                              "remove %s from services" % service)


def ns3_service_disabled_by_stack(case: Case) -> Iterator[Finding]:
    """vMotion (provisioning) tagged on a default-stack vmk while the dedicated stack has a vmk."""
    stacks = {v.netstack for v in case.after.vmks.values()}
    for spec, vmk in managed(case):
        if vmk is None or vmk.netstack != "default" or not is_set(spec.services):
            continue
        for stack, service in sorted(DEDICATED_SERVICE.items()):
            if service in spec.services and stack in stacks:
                yield finding("NS-3", case.host, vmk_obj(vmk),
                              "%s tagged on %s (netstack default) while a vmk exists on netstack %s"
                              % (service, vmk.device, stack),
                              "remove %s from services (ESXi uses the %s netstack for it)" % (service, stack))


def ns4_unknown_netstack(case: Case) -> Iterator[Finding]:
    """The requested netstack is not an instance on the host (and vSAN has no stack)."""
    for spec in case.desired.vmks:
        if spec.state != "present" or not is_set(spec.netstack):
            continue
        if spec.netstack == "vsan" or spec.netstack not in case.observed.netstacks:
            yield finding("NS-4", case.host, "netstack:%s [%s]" % (spec.netstack, spec_obj(case, spec)),
                          "netstack %s does not exist on this host (netstacks %s)"
                          % (spec.netstack, _names(sorted(case.observed.netstacks))),
                          "set netstack to one of %s" % _names(sorted(case.observed.netstacks)))


# ---------------------------------------------------------------------------------------
# MH: one vmk per subnet per netstack
# ---------------------------------------------------------------------------------------


def _purposes(case: Case) -> Dict[str, str]:
    return {vmk.device: spec.purpose for spec, vmk in managed(case) if vmk is not None}


def mh1_exempt_vmotion(case: Case, members: Sequence[Vmk]) -> bool:
    """All vMotion-tagged: a multi-NIC vMotion set (MV rules apply).

    A vmk this task declares ``purpose: replica`` never gets the exemption (PR-2), tagged or
    not, unless it is declared ``shared_with_vmotion``: then it may sit in the vMotion subnet
    untagged and PR-7 checks that it is the lowest-numbered vmk there."""
    replicas = {vmk.device: spec.shared_with_vmotion for spec, vmk in _replicas(case)}
    if any(not replicas[v.device] for v in members if v.device in replicas):
        return False
    rest = [v for v in members if v.device not in replicas]
    return bool(rest) and all("vmotion" in tags(v) for v in rest)


def _iscsi_shaped(case: Case, vmk: Vmk) -> bool:
    """A vmk this task does not manage that looks like a port-binding member in R: no service
    tag, default netstack, not management, and a port-group override with exactly one active
    uplink and no standby (the PB-1/PB-2 shape). Until binding-aware hooks exist this is how
    a second iSCSI vmk, created by a later task, recognises the first one."""
    pg = case.after.portgroups.get(vmk.portgroup)
    return (not tags(vmk) and vmk.netstack == "default" and vmk.device not in case.observed.management_vmks
            and pg is not None and pg.override.active is not None
            and len(pg.override.active) == 1 and not pg.override.standby)


def mh1_exempt_iscsi(case: Case, members: Sequence[Vmk]) -> bool:
    """Every member is declared ``purpose: iscsi`` in this task or, when unmanaged here, is
    iSCSI-shaped (port binding; PB rules apply)."""
    purposes = _purposes(case)
    return all(case.after.bound_to(v.device) is not None
               or (purposes.get(v.device) == "iscsi" if v.device in purposes else _iscsi_shaped(case, v))
               for v in members)


MH1_EXEMPTIONS: Tuple[Tuple[str, Callable[[Case, Sequence[Vmk]], bool]], ...] = (
    ("vmotion-set", mh1_exempt_vmotion),
    ("iscsi-binding", mh1_exempt_iscsi),
)
"""Hooks that may exempt a same-subnet group from MH-1; later issues add binding-aware ones."""


def _subnet_groups(host: Host) -> Dict[Tuple[str, ipaddress.IPv4Network], List[Vmk]]:
    groups: Dict[Tuple[str, ipaddress.IPv4Network], List[Vmk]] = defaultdict(list)
    for vmk in sorted(host.vmks.values(), key=lambda v: v.number):
        net = vmk.ip.network
        if net is not None:
            groups[(vmk.netstack, net)].append(vmk)
    return groups


def _changed_vmks(case: Case) -> Set[str]:
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
    by_ip: Dict[str, List[Vmk]] = defaultdict(list)
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


# ---------------------------------------------------------------------------------------
# IP: IP hash and link aggregation
# ---------------------------------------------------------------------------------------


def ip1_iphash_all_active(case: Case) -> Iterator[Finding]:
    """IP hash with a standby NIC or an unused NIC: every uplink must be active."""
    for obj, team, sw, own in teams(case.after):
        if not own or team.policy != "iphash":
            continue
        standby, unused = tuple(team.standby or ()), unused_of(team, sw)
        if standby or unused:
            yield finding("IP-1", case.host, obj,
                          "policy iphash with standby %s, unused %s" % (_names(standby), _names(unused)),
                          "set teaming.active: %s and teaming.standby: [], or choose another teaming.policy"
                          % _names(sw.uplinks if sw else ()))


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
                          % (sw.name, pg.override.policy, _names(pg.override.active or ())),
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
                          "%s on a standard switch (LACP/LAGs exist only on distributed switches)" % _names(lags),
                          "use host NICs %s instead of %s (static EtherChannel with teaming.policy iphash)"
                          % (_names(sorted(pnics)), _names(lags)))


def ip5_etherchannel_unconfirmed(case: Case) -> Iterator[Finding]:
    """Moving to IP hash or changing an IP-hash bridge needs the physical port channel to match."""
    o, r = case.observed, case.after
    for sw in r.vswitches.values():
        if sw.teaming.policy != "iphash":
            continue
        before = o.vswitches.get(sw.name)
        touched = before is None or before.teaming.policy != "iphash" or before.uplinks != sw.uplinks
        yield finding("IP-5", case.host, sw_obj(sw.name),
                      "policy iphash on uplinks %s%s" % (_names(sw.uplinks), " (changed by this plan)" if touched else ""),
                      "configure a static port channel of exactly %s on the physical switch, then set "
                      "physical_etherchannel_confirmed: true" % _names(sw.uplinks),
                      severity=None if touched else WARNING)
    for pg in r.portgroups.values():
        before_pg = o.portgroups.get(pg.name)
        if pg.override.policy == "iphash" and (before_pg is None or before_pg.override.policy != "iphash"):
            yield finding("IP-5", case.host, pg_obj(pg), "the plan sets policy iphash on the port group",
                          "configure the upstream static port channel, then set physical_etherchannel_confirmed: true")


def ip6_lag_portgroup_order(case: Case) -> Iterator[Finding]:
    """A dvPortgroup that uses a LAG: one active LAG, no standby (written ones and those with a vmk)."""
    o, r = case.observed, case.after
    carrying: Dict[str, List[str]] = defaultdict(list)
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
        order = "active %s, standby %s" % (_names(active), _names(standby))
        if written:
            change = ("give dvPortgroup %s either exactly one LAG as its only active entry and no standby, or no LAG "
                      "at all (uplinks)" % dv.name)
        else:
            change = ("in vCenter, set the failover order of dvPortgroup %s (%s) to active [%s], standby [], every "
                      "uplink and other LAG unused; or move %s to another port group"
                      % (dv.name, dv.dvs, lags[0], ", ".join(carrying[key])))
        yield finding("IP-6", case.host, dvpg_obj(dv), "%s uses LAG %s: a LAG must be the only active entry, with "
                      "no standby" % (order, _names(lags)), change)


# ---------------------------------------------------------------------------------------
# SF: safety interlocks
# ---------------------------------------------------------------------------------------


def _show(name: str, value: Any) -> str:
    """A vmk field for a finding: services as a list, an Ip as address/netmask or dhcp."""
    if name == "services":
        return _names(sorted(value))
    if name == "ip":
        return "dhcp" if value.dhcp else "%s/%s" % (value.address, value.netmask)
    return str(value)


def _vmk_diff(before: Vmk, after: Vmk) -> List[str]:
    """``field old -> new`` for every field SF-1 protects that differs."""
    out = []
    for name in ("ip", "mtu", "netstack", "portgroup", "vswitch", "services"):
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            out.append("%s %s -> %s" % (name, _show(name, old), _show(name, new)))
    return out


def sf1_management_vmk(case: Case) -> Iterator[Finding]:
    """Any change to vmk0 or a management-tagged vmk (no opt-in)."""
    o, r = case.observed, case.after
    asked = {match_vmk(o, s).device: s for s in case.desired.vmks if match_vmk(o, s) is not None}
    for device in sorted(o.management_vmks, key=lambda d: o.vmks[d].number):
        before, after = o.vmks[device], r.vmks.get(device)
        spec = asked.get(device)
        if after is None:
            what = ["removes it"]
        else:
            what = _vmk_diff(before, after)
            if spec is not None and is_set(spec.netstack) and spec.netstack != before.netstack and not what:
                what = ["netstack %s -> %s" % (before.netstack, spec.netstack)]
        if what:
            yield finding("SF-1", case.host, vmk_obj(before),
                          "the plan changes management vmk %s (%s): %s" % (device, before.portgroup, "; ".join(what)),
                          "remove this %s from the task: vmk0 and management vmks are never changed by this "
                          "collection (change them by hand)" % ("state: absent" if after is None else "change"))
    for a in case.plan.actions:
        device, _sep, vmk = a.name.partition(":")
        if a.kind == "binding" and a.op == "add" and vmk in o.management_vmks:
            yield finding("SF-1", case.host, "vmk:%s [hba:%s]" % (vmk, device),
                          "the plan binds management vmk %s to iSCSI adapter %s" % (vmk, device),
                          "remove %s from bindings: bind dedicated iSCSI vmks only" % vmk)


def sf2_management_path(case: Case) -> Iterator[Finding]:
    """A change to the switch or port group that carries a management vmk in O."""
    o, r = case.observed, case.after
    seen: Set[str] = set()
    for device in sorted(o.management_vmks):
        pg_name = o.vmks[device].portgroup
        pg_o, pg_r = o.portgroups.get(pg_name), r.portgroups.get(pg_name)
        if pg_o is None:
            continue
        what = []
        if pg_r is None:
            what.append("removes the port group")
        else:
            if pg_r.vlan != pg_o.vlan:
                what.append("vlan %d -> %d" % (pg_o.vlan, pg_r.vlan))
            if pg_r.vswitch != pg_o.vswitch:
                what.append("vswitch %s -> %s" % (pg_o.vswitch, pg_r.vswitch))
            what += ["teaming.%s" % f for f in TEAMING_FIELDS
                     if getattr(pg_r.override, f) != getattr(pg_o.override, f)]
        if what and pg_obj(pg_o) not in seen:
            seen.add(pg_obj(pg_o))
            yield finding("SF-2", case.host, "%s [vmk:%s]" % (pg_obj(pg_o), device),
                          "the plan changes the management port group: %s" % ", ".join(what),
                          "leave %s out of the task, or set allow_management_path_change: true" % pg_name)
        yield from _sf2_switch(case, pg_o.vswitch, device, seen)


def _sf2_switch(case: Case, name: str, device: str, seen: Set[str]) -> Iterator[Finding]:
    sw_o, sw_r = case.observed.vswitches.get(name), case.after.vswitches.get(name)
    if sw_o is None or sw_obj(name) in seen:
        return
    what = []
    if sw_r is None:
        what.append("removes the vSwitch")
    else:
        if sw_r.uplinks != sw_o.uplinks:
            what.append("uplinks %s -> %s" % (_names(sw_o.uplinks), _names(sw_r.uplinks)))
        what += ["teaming.%s" % f for f in TEAMING_FIELDS if getattr(sw_r.teaming, f) != getattr(sw_o.teaming, f)]
        if sw_r.mtu < sw_o.mtu:
            what.append("mtu %d -> %d" % (sw_o.mtu, sw_r.mtu))
    if what:
        seen.add(sw_obj(name))
        yield finding("SF-2", case.host, "%s [vmk:%s]" % (sw_obj(name), device),
                      "the plan changes the management vSwitch: %s" % ", ".join(what),
                      "leave %s out of the task, or set allow_management_path_change: true" % name)


ANY = "*"


def _declared_vswitch(case: Case, allowed: Dict[Tuple[str, str], Set[str]]) -> None:
    o = case.observed
    for spec in case.desired.vswitches:
        key = ("vswitch", spec.name)
        if spec.state == "absent" or spec.name not in o.vswitches:
            allowed[key].add(ANY)
            for pg in o.portgroups.values():
                if spec.state == "absent" and pg.vswitch == spec.name:
                    allowed[("portgroup", pg.name)].add(ANY)
                    for vmk in o.vmks.values():
                        if vmk.portgroup == pg.name:
                            allowed[("vmk", vmk.device)].add(ANY)
            continue
        allowed[key].update(n for n in ("uplinks", "mtu") if is_set(getattr(spec, n)))
        allowed[key].update(_declared_teaming(spec.teaming))
        if is_set(spec.uplinks):  # a changed bridge re-derives every order on the switch
            allowed[key].update(("teaming.active", "teaming.standby"))
            for pg in o.portgroups.values():
                if pg.vswitch == spec.name:
                    allowed[("portgroup", pg.name)].update(("teaming.active", "teaming.standby"))


def _declared_teaming(spec: TeamingSpec) -> Set[str]:
    out = {"teaming." + f for f in TEAMING_FIELDS if getattr(spec, f) is INHERIT or is_set(getattr(spec, f))}
    if "teaming.active" in out:
        out.add("teaming.standby")
    return out


def _declared_vmks(case: Case, allowed: Dict[Tuple[str, str], Set[str]]) -> None:
    o = case.observed
    for spec in case.desired.vmks:
        vmk = match_vmk(o, spec)
        after = match_vmk(case.after, spec)
        pg_key = ("portgroup", vmk.portgroup if (vmk and spec.state == "absent") else spec.portgroup)
        if spec.state == "absent" or spec.portgroup not in o.portgroups:
            allowed[pg_key].add(ANY)
        else:
            allowed[pg_key].update(n for n in ("vlan", "vswitch") if is_set(getattr(spec, n)))
            allowed[pg_key].update(_declared_teaming(spec.teaming))
        device = vmk.device if vmk else (after.device if after else None)
        if device is None:
            continue
        if vmk is None or spec.state == "absent" or wants_recreate(o, spec):
            allowed[("vmk", device)].add(ANY)
            allowed[("service", device)].add(ANY)
            continue
        allowed[("vmk", device)].update({"portgroup", "vswitch"} | {n for n in ("ip", "mtu") if is_set(getattr(spec, n))})
        if is_set(spec.services):
            allowed[("service", device)].add(ANY)


def _declared_dv_portgroups(case: Case, allowed: Dict[Tuple[str, str], Set[str]]) -> None:
    """A declared dvPortgroup: created whole, or its declared VLAN and teaming fields edited."""
    for spec in case.desired.dv_portgroups:
        fields = allowed[("dv_portgroup", "%s/%s" % (spec.dvs, spec.name))]
        if case.observed.dv_portgroup_named(spec.dvs, spec.name) is None:
            fields.add(ANY)
        else:
            fields.update({"vlan"} if is_set(spec.vlan) else set())
            fields.update(_declared_teaming(spec.teaming))


def _declared_iscsi(case: Case, allowed: Dict[Tuple[str, str], Set[str]]) -> None:
    """iSCSI writes are declared per adapter: its state, names and options, its bindings (and
    the unbind/rebind of bound vmks that allow_path_disruption asks for), its targets."""
    for spec in case.desired.iscsi:
        adapter = resolve_adapter(case.after.iscsi, spec)
        if adapter is None:
            continue
        fields = allowed[("adapter", adapter.device)]
        if is_set(spec.software):
            fields.add(ANY)
        fields.update(name for name in ("iqn", "alias") if is_set(getattr(spec, name)))
        fields.update("options." + OPTION_NAMES.get(k, k) for k in spec.adapter_options)
        if is_set(spec.bindings) or case.desired.flags.allow_path_disruption:
            allowed[("binding", adapter.device)].add(ANY)
        if spec.send_targets or spec.static_targets or spec.purge_targets:
            allowed[("send_target", adapter.device)].add(ANY)
            allowed[("static_target", adapter.device)].add(ANY)
    if case.desired.flags.allow_path_disruption:
        for device in case.observed.iscsi:
            allowed[("binding", device)].add(ANY)


def sf7_undeclared_write(case: Case) -> Iterator[Finding]:
    """Invariant: every written field was declared by the user or derived by a documented rule."""
    allowed: Dict[Tuple[str, str], Set[str]] = defaultdict(set)
    _declared_vswitch(case, allowed)
    _declared_vmks(case, allowed)
    _declared_dv_portgroups(case, allowed)
    _declared_iscsi(case, allowed)
    for action in case.plan.actions:
        name = action.name.partition(":")[0] if action.kind == "service" else action.name
        if action.kind in ("binding", "send_target", "static_target"):
            name = re.split(r"[:/]", action.name, maxsplit=1)[0]  # declared per adapter
        ok = allowed.get((action.kind, name), set())
        if ANY in ok:
            continue
        extra = sorted(action.changes) if action.op in ("add", "remove") else sorted(set(action.changes) - ok)
        if action.kind == "service" or action.op in ("add", "remove"):
            extra = extra or [action.op]
        if extra:
            shown = "; ".join("%s %s -> %s" % (f, *action.changes[f]) for f in extra if f in action.changes)
            yield finding("SF-7", case.host, "%s:%s" % (action.kind, action.name),
                          "the plan would %s %s %s and write %s, which the task did not declare"
                          % (action.op, action.kind, action.name, shown or action.op),
                          "declare %s in the task if that is intended; otherwise leave it out (nothing was written)"
                          % ", ".join(extra))


def sf8_drops_relied_uplink(case: Case) -> Iterator[Finding]:
    """Removing a NIC from a bridge that a vmk's port group (or the switch's last uplink) relies on."""
    o, r = case.observed, case.after
    for sw in r.vswitches.values():
        before = o.vswitches.get(sw.name)
        removed = sorted(set(before.uplinks) - set(sw.uplinks)) if before else []
        if not removed:
            continue
        carrying = [pg for pg in r.portgroups.values() if pg.vswitch == sw.name and _vmk_carried(r, pg.name)]
        if not sw.uplinks and carrying:
            yield finding("SF-8", case.host, sw_obj(sw.name),
                          "the plan removes the last uplinks %s of %s, which carries %s"
                          % (_names(removed), sw.name, ", ".join(d for pg in carrying for d in _vmk_carried(r, pg.name))),
                          "keep at least one uplink in uplinks of %s" % sw.name)
            continue
        for pg in sorted(carrying, key=lambda p: p.name):
            pg_o = o.portgroups.get(pg.name)
            relied = [n for n in (pg_o.effective.active or ()) if n in removed] if pg_o else []
            if relied and not pg.effective.active:
                yield finding("SF-8", case.host, pg_obj(pg),
                              "removing %s from %s leaves %s (%s) without an active uplink (active was %s)"
                              % (_names(relied), sw.name, pg.name, ", ".join(_vmk_carried(r, pg.name)),
                                 _names(pg_o.effective.active or ())),
                              "keep %s in uplinks of %s, or first move teaming.active of %s to %s"
                              % (_names(relied), sw.name, pg.name, _names(sw.uplinks)))


# ---------------------------------------------------------------------------------------
# PB: software iSCSI port binding
# ---------------------------------------------------------------------------------------


def hba_obj(device: str) -> str:
    return "hba:%s" % device


def dvpg_obj(dv: DvPortgroup) -> str:
    return "dvportgroup:%s/%s" % (dv.dvs, dv.name)


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


def lags_of(host: Host, vmk: Vmk) -> Tuple[str, ...]:
    """lag(pg(v)): the LAGs named in the active or standby list of vmk's port group. On a distributed
    port group a name of the switch's LAGs; on a standard one a name that is no host NIC (IP-4)."""
    dv = host.dv_portgroup_of(vmk)
    if dv is not None:
        return dv.lags_in(tuple(dv.teaming.active or ()) + tuple(dv.teaming.standby or ()))
    eff, _sw = effective_of(host, vmk)
    names = tuple(eff.active or ()) + tuple(eff.standby or ())
    return tuple(n for n in names if n not in host.pnics and not PNIC_NAME.match(n))


def policy_of(host: Host, vmk: Vmk) -> Optional[str]:
    """eff(pg(v)).policy, on a standard or a distributed port group."""
    dv = host.dv_portgroup_of(vmk)
    return dv.teaming.policy if dv is not None else effective_of(host, vmk)[0].policy


def pg_label(host: Host, vmk: Vmk) -> str:
    """``port group iSCSI-A`` or ``dvPortgroup dvpg-prod-lacp on dvs-prod`` (for messages)."""
    dv = host.dv_portgroup_of(vmk)
    return "dvPortgroup %s on %s" % (dv.name, dv.dvs) if dv is not None else "port group %s" % vmk.portgroup


def target_obj(adapter: str, portal: str) -> str:
    return "target:%s/%s" % (adapter, portal)


def effective_of(host: Host, vmk: Vmk) -> Tuple[Teaming, Optional[VSwitch]]:
    """eff(pg(v)) in ``host`` (override over the vSwitch) and sw(v)."""
    pg = host.portgroups.get(vmk.portgroup)
    sw = host.vswitches.get(pg.vswitch) if pg else None
    if pg is None:
        return Teaming(), sw
    return (pg.override.merged_over(sw.teaming) if sw else pg.effective), sw


def _active_standby(host: Host, vmk: Vmk) -> Tuple[Tuple[str, ...], Tuple[str, ...]]:
    """A(pg) and S(pg) restricted to the bridge (what the host's compliance check sees). On a
    distributed port group: the host pnics behind the active / standby uplinks and LAGs."""
    dv = host.dv_portgroup_of(vmk)
    if dv is not None:
        return dv.pnics_of(tuple(dv.teaming.active or ())), dv.pnics_of(tuple(dv.teaming.standby or ()))
    eff, sw = effective_of(host, vmk)
    bridge = set(sw.uplinks) if sw else set()
    return (tuple(n for n in eff.active or () if n in bridge), tuple(n for n in eff.standby or () if n in bridge))


def bound_sets(host: Host) -> Iterator[Tuple[IscsiAdapter, List[Vmk]]]:
    """(adapter, B(a)) for every adapter of ``host`` with bound vmks that exist."""
    for _device, adapter in sorted(host.iscsi.items()):
        members = [host.vmks[d] for d in adapter.bindings if d in host.vmks]
        if members:
            yield adapter, sorted(members, key=lambda v: v.number)


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
            active, _standby = _active_standby(r, vmk)
            if dv is not None:
                if len(active) != 1 and not dv.lags_in(tuple(dv.teaming.active or ())):  # an active LAG: PB-9
                    yield finding("PB-1", case.host, bound_obj(r, vmk, adapter.device),
                                  "active uplinks %s (host NICs %s): a bound vmk needs exactly one"
                                  % (_names(dv.teaming.active or ()), _names(active)), _dv_fix(dv))
                continue
            if len(active) != 1:
                sw = effective_of(r, vmk)[1]
                others = [n for n in (sw.uplinks if sw else ()) if n not in active[:1]]
                yield finding("PB-1", case.host, bound_obj(r, vmk, adapter.device),
                              "active uplinks %s: a bound vmk needs exactly one" % _names(active),
                              "set teaming.active: [%s] and teaming.unused: %s on port group %s"
                              % (active[0] if active else "<one uplink>", _names(others[1:] if not active else others),
                                 vmk.portgroup))


def pb2_bound_vmk_no_standby(case: Case) -> Iterator[Finding]:
    """A bound vmk whose port group lists a standby uplink (non-compliant even while active is up)."""
    r = case.after
    for adapter, members in bound_sets(r):
        for vmk in members:
            active, standby = _active_standby(r, vmk)
            dv = r.dv_portgroup_of(vmk)
            if standby and dv is not None:
                yield finding("PB-2", case.host, bound_obj(r, vmk, adapter.device),
                              "failover order active=%s standby=%s (host NICs %s / %s)"
                              % (_names(dv.teaming.active or ()), _names(dv.teaming.standby or ()), _names(active),
                                 _names(standby)), _dv_fix(dv))
            elif standby:
                yield finding("PB-2", case.host, bound_obj(r, vmk, adapter.device),
                              "failover order active=%s standby=%s" % (_names(active), _names(standby)),
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
        uplinks = {_active_standby(r, v)[0][:1] for v in members}
        if len({u for u in uplinks if u}) < 2:
            yield finding("PB-4", case.host, hba_obj(adapter.device),
                          "%s bound (%s) on %d distinct NIC(s)" % (_count(len(members), "vmk"),
                                                                   ", ".join(v.device for v in members),
                                                                   len({u for u in uplinks if u})),
                          "bind a second vmk whose active uplink is a different NIC")


def pb5_shared_active_uplink(case: Case) -> Iterator[Finding]:
    """Two bound vmks of one adapter on the same active uplink."""
    r = case.after
    for adapter, members in bound_sets(r):
        by_nic: Dict[str, List[str]] = defaultdict(list)
        for vmk in members:
            active = _active_standby(r, vmk)[0]
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
        first_port = _member(r, first)
        for vmk in members[1:]:
            port = _member(r, vmk)
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


def _switch_of(vmk: Vmk, port: Optional["_Port"]) -> str:
    """sw(v) for messages: ``vSwitch vSwitch1`` or ``distributed switch dvs-prod``."""
    if port is None:
        return "distributed port group %s (not read)" % vmk.dv_portgroup if vmk.dv_portgroup else "vSwitch %s" % vmk.vswitch
    return ("distributed switch %s" if port.distributed else "vSwitch %s") % port.switch


def _off_subnet(adapter: IscsiAdapter, members: Sequence[Vmk]) -> List[Tuple[str, List[Vmk]]]:
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
                how = ("teams through LAG %s (host NICs %s)" % (", ".join(lags), _names(dv.pnics_of(lags))) if lags
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
                              % (vmk.portgroup, _names(sorted(r.pnics))))


def pb10_dependent_adapter_own_uplink(case: Case) -> Iterator[Finding]:
    """A vmk bound to a dependent hardware adapter whose active uplink is not the adapter's NIC."""
    r = case.after
    for adapter, members in bound_sets(r):
        if adapter.software or not adapter.pnics:
            continue  # an unknown NIC of a dependent adapter is SF-9, never a pass
        for vmk in members:
            active = _active_standby(r, vmk)[0]
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
            if vmk in o.vmks and _active_standby(o, o.vmks[vmk]) == _active_standby(r, r.vmks[vmk]):
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


# ---------------------------------------------------------------------------------------
# TP: dynamic-target parameters
# ---------------------------------------------------------------------------------------


def _target_specs(case: Case) -> Iterator[Tuple[str, str, TargetSpec, IscsiAdapter]]:
    """(field prefix, kind, spec, adapter in R) for every declared target of a resolvable adapter."""
    for spec in case.desired.iscsi:
        adapter = resolve_adapter(case.after.iscsi, spec)
        if adapter is None:
            continue
        for t in spec.send_targets:
            yield "send_targets[%d]" % t.index, "send", t, adapter
        for t in spec.static_targets:
            yield "static_targets[%d]" % t.index, "static", t, adapter


def _declared_options(case: Case) -> Iterator[Tuple[str, str, str, Any, IscsiAdapter]]:
    """(object, field, API key, value, adapter) of every declared advanced option."""
    for prefix, _kind, t, adapter in _target_specs(case):
        for key, value in sorted(t.options.items()):
            yield target_obj(adapter.device, t.portal), "%s.%s" % (prefix, OPTION_NAMES.get(key, key)), key, value, adapter
    for spec in case.desired.iscsi:
        adapter = resolve_adapter(case.after.iscsi, spec)
        for key, value in sorted(spec.adapter_options.items()):
            if adapter is not None:
                yield hba_obj(adapter.device), "adapter_options.%s" % OPTION_NAMES.get(key, key), key, value, adapter


def _option_def(adapter: IscsiAdapter, key: str) -> Optional[OptionDef]:
    return adapter.option_defs.get(key) or (None if adapter.option_defs else ESXI_OPTION_DEFS.get(key))


def tp1_option_range(case: Case) -> Iterator[Finding]:
    """An integer option outside its range (LoginTimeout 1-60, or narrower as the host reports)."""
    for obj, field_name, key, value, adapter in _declared_options(case):
        d = _option_def(adapter, key)
        if d is None or d.kind != "int" or isinstance(value, bool) or not isinstance(value, int):
            continue
        low, high = d.low, d.high
        if key == "LoginTimeout":
            low = max(LOGIN_TIMEOUT_RANGE[0], low if low is not None else LOGIN_TIMEOUT_RANGE[0])
            high = min(LOGIN_TIMEOUT_RANGE[1], high if high is not None else LOGIN_TIMEOUT_RANGE[1])
        if (low is not None and value < low) or (high is not None and value > high):
            yield finding("TP-1", case.host, obj, "%s %s is outside %s-%s" % (field_name, value, low, high),
                          "set %s to an integer from %s to %s" % (field_name, low, high))


def tp2_option_supported(case: Case) -> Iterator[Finding]:
    """An option the target does not support, a read-only one, or a value of the wrong type."""
    for obj, field_name, key, value, adapter in _declared_options(case):
        d = _option_def(adapter, key)
        if d is None:
            yield finding("TP-2", case.host, obj, "%s: the adapter does not support option %s" % (field_name, key),
                          "remove %s (supported: %s)" % (field_name, ", ".join(sorted(adapter.option_defs))))
        elif d.readonly:
            yield finding("TP-2", case.host, obj, "%s: option %s is read-only on this host" % (field_name, key),
                          "remove %s" % field_name)
        elif (d.kind == "bool") != isinstance(value, bool) or (d.kind == "int" and not isinstance(value, int)):
            kind = "boolean" if d.kind == "bool" else "integer"
            yield finding("TP-2", case.host, obj, "%s: %r is not a %s" % (field_name, value, kind),
                          "give %s a %s value" % (field_name, "true/false" if d.kind == "bool" else "whole-number"))


def tp3_adapter_level_params(case: Case) -> Iterator[Finding]:
    """Options written on the adapter (all targets) or on a static target discovered from a send target."""
    for spec in case.desired.iscsi:
        adapter = resolve_adapter(case.after.iscsi, spec)
        if spec.adapter_options and adapter is not None:
            yield finding("TP-3", case.host, hba_obj(adapter.device),
                          "adapter-level options %s apply to every target of %s"
                          % (", ".join(sorted(OPTION_NAMES.get(k, k) for k in spec.adapter_options)), adapter.device),
                          "set them per send target (send_targets[].login_timeout, ...), or set "
                          "allow_adapter_level_params: true")
    for prefix, kind, t, adapter in _target_specs(case):
        current = case.observed.iscsi.get(adapter.device)
        static = current.static_targets.get(t.key) if current is not None and kind == "static" else None
        if static is not None and static.discovered_from and t.options:
            yield finding("TP-3", case.host, target_obj(adapter.device, t.portal),
                          "%s sets options on a static target discovered from send target %s" % (prefix, static.discovered_from),
                          "set them on send target %s (send_targets[]) so every discovered target inherits them, or set "
                          "allow_adapter_level_params: true" % static.discovered_from)


def tp4_static_overrides_send_target(case: Case) -> Iterator[Finding]:
    """A discovered static target keeps its own value for a key the task sets on its send target."""
    r = case.after
    for _prefix, kind, t, adapter in _target_specs(case):
        if kind != "send" or t.state == "absent":
            continue
        after = r.iscsi.get(adapter.device)
        for static in (after.static_targets.values() if after else ()):
            if static.discovered_from != t.portal:
                continue
            wrong = {k: static.own[k] for k in t.options if k in static.own and static.own[k] != t.options[k]}
            declared = any(s.key == (static.address, static.port, static.iqn) for _p, k, s, _a in _target_specs(case)
                           if k == "static")
            if wrong and not declared:
                yield finding("TP-4", case.host, target_obj(adapter.device, "%s/%s" % (static.portal, static.iqn)),
                              "holds its own %s, so send target %s's values do not apply" % (
                                  ", ".join("%s=%s" % (OPTION_NAMES.get(k, k), v) for k, v in sorted(wrong.items())), t.portal),
                              "reset it to inherited, or declare it under static_targets as an explicit exception",
                              severity=ERROR if t.profile else WARNING)


def tp5_profile_deviation(case: Case) -> Iterator[Finding]:
    """A target assigned to a vendor profile with an explicit value that differs from the profile."""
    for prefix, _kind, t, adapter in _target_specs(case):
        if not t.profile:
            continue
        wanted = profile_values(t.profile)
        off = {k: v for k, v in t.explicit.items() if k in wanted and wanted[k] != v}
        if off:
            yield finding("TP-5", case.host, target_obj(adapter.device, t.portal),
                          "%s: %s differ from profile %s (%s)" % (
                              prefix, ", ".join("%s=%s" % (OPTION_NAMES.get(k, k), v) for k, v in sorted(off.items())),
                              t.profile, ", ".join("%s=%s" % (OPTION_NAMES.get(k, k), wanted[k]) for k in sorted(off))),
                          "drop the explicit values to use the profile, or set allow_profile_deviation: true")


def tp6_options_for_missing_target(case: Case) -> Iterator[Finding]:
    """Options given for a target the plan removes."""
    for prefix, _kind, t, adapter in _target_specs(case):
        if t.state == "absent" and t.explicit:
            yield finding("TP-6", case.host, target_obj(adapter.device, t.portal),
                          "%s has state: absent and options %s" % (prefix, ", ".join(OPTION_NAMES.get(k, k) for k in t.explicit)),
                          "remove the options from %s, or set state: present" % prefix)


def tp7_live_target_change(case: Case) -> Iterator[Finding]:
    """LoginTimeout or DelayedAck changes on a target that carries paths."""
    for action in case.plan.actions:
        if action.kind not in ("send_target", "static_target") or action.op != "edit":
            continue
        device, _sep, rest = action.name.partition("/")
        adapter = case.observed.iscsi.get(device)
        address = rest.split(":", 1)[0]
        keys = [k for k in ("login_timeout", "delayed_ack") if k in action.changes]
        if adapter is not None and address in adapter.live_portals and keys:
            yield finding("TP-7", case.host, "target:%s" % action.name,
                          "changes %s on a target with live paths" % ", ".join(keys),
                          "expect the new value to apply at the next login (rescan, path re-login or reboot)")


# ---------------------------------------------------------------------------------------
# SF: iSCSI path interlocks
# ---------------------------------------------------------------------------------------


def _unbound_by_plan(case: Case) -> Set[Tuple[str, str]]:
    out = set()
    for a in case.plan.actions:
        if a.kind == "binding" and a.op == "remove":
            device, _sep, vmk = a.name.partition(":")
            out.add((device, vmk))
        if a.kind == "adapter" and a.op == "remove":
            adapter = case.observed.iscsi.get(a.name)
            out.update((a.name, vmk) for vmk in (adapter.bindings if adapter else ()))
    return out


def sf3_bound_vmk_changed_in_place(case: Case) -> Iterator[Finding]:
    """A bound vmk (or its teaming/uplink) changed while it stays bound."""
    unbound = _unbound_by_plan(case)
    for vmk, (device, changes) in sorted(changed_bound_vmks(case.observed, case.after).items()):
        if (device, vmk) in unbound:
            continue
        yield finding("SF-3", case.host, "vmk:%s [hba:%s]" % (vmk, device),
                      "the plan changes bound %s in place: %s" % (vmk, ", ".join(changes)),
                      "set allow_path_disruption: true to unbind, change and rebind it, or leave %s out of the task" % vmk)


def _last_live(case: Case) -> Iterator[Tuple[str, str, str]]:
    """(object, what, path) for each path the plan takes away: unbinds and target removals."""
    o = case.observed
    for device, vmk in sorted(_unbound_by_plan(case)):
        adapter = o.iscsi.get(device)
        binding = adapter.bindings.get(vmk) if adapter else None
        if binding is not None:
            yield "vmk:%s [hba:%s]" % (vmk, device), "unbinds %s" % vmk, binding.path
    for a in case.plan.actions:
        if a.kind in ("send_target", "static_target") and a.op == "remove":
            device, _sep, rest = a.name.partition("/")
            adapter = o.iscsi.get(device)
            address = rest.split(":", 1)[0]
            if adapter is None or address not in adapter.live_portals:
                continue
            after = case.after.iscsi.get(device)
            remaining = set(after.portals()) & set(adapter.live_portals) if after else set()
            yield "target:%s" % a.name, "removes target %s" % rest, "active" if remaining else "lastActive"


def _sf6_protected(case: Case) -> Iterator[Tuple[str, str, str]]:
    """(object, why it is protected, fix) for each removal in the plan of a protected object."""
    o, d = case.observed, case.desired
    mgmt = {o.vmks[v].portgroup: v for v in sorted(o.management_vmks) if o.vmks[v].portgroup}
    mgmt_sw = {o.vmks[v].vswitch: v for v in sorted(o.management_vmks) if o.vmks[v].vswitch}
    for a in case.plan.actions:
        if a.op != "remove" or a.kind not in ("vmk", "portgroup", "vswitch"):
            continue
        key = "%s:%s" % (a.kind, a.name)
        if key in d.protected:
            yield key, "marked protected: true", "leave it out of the removal (it is protected)"
        elif a.kind == "vmk" and a.name in o.management_vmks:
            yield key, "a management vmk", "list %s in config (copy it from gathered)" % a.name
        elif a.kind == "portgroup" and a.name in mgmt:
            yield key, "the port group of management vmk %s" % mgmt[a.name], "list port group %s in config" % a.name
        elif a.kind == "vswitch" and a.name in mgmt_sw:
            yield key, "the switch of management vmk %s" % mgmt_sw[a.name], "list vSwitch %s in config" % a.name
        elif a.kind == "portgroup" and a.name in o.portgroups and o.portgroups[a.name].vm_ports:
            yield key, "in use by %d VM port(s)" % o.portgroups[a.name].vm_ports, \
                "list port group %s and its vSwitch in config, or move the VMs first" % a.name
        elif a.kind == "vswitch" and any(p.vm_ports for p in o.portgroups.values() if p.vswitch == a.name):
            yield key, "it carries port groups in use by VMs", "list vSwitch %s in config, or move the VMs first" % a.name


def _sf6_live_paths(case: Case) -> Iterator[Tuple[str, str, str]]:
    """(object, why, fix) for each unbind or target removal that takes away live storage paths."""
    for obj, what, path in _last_live(case):
        if path in ("active", "lastActive"):
            yield obj, "%s, which carries %s storage paths" % (what, "the last" if path == "lastActive" else "active"), \
                "list it (bindings / send_targets), or remove it explicitly (host_fabric state: deleted)"


def sf6_authoritative_deletes_protected(case: Case) -> Iterator[Finding]:
    """An authoritative state (overridden, or a purge option) deletes a protected object.

    Protected: a management vmk, its port group or switch, anything marked ``protected: true``,
    a port group or switch in use by VMs (overridden only), and a bound vmk or a target that
    carries active or last storage paths (purge options too)."""
    purge = any(spec.purge_bindings or spec.purge_targets for spec in case.desired.iscsi)
    if not (case.desired.authoritative or purge):
        return
    state = "state=overridden" if case.desired.authoritative else "a purge option"
    network = _sf6_protected(case) if case.desired.authoritative else iter(())
    for obj, why, fix in list(network) + list(_sf6_live_paths(case)):
        yield finding("SF-6", case.host, obj, "%s would remove %s: %s" % (state, obj, why), fix)


def sf4_removes_storage_path(case: Case) -> Iterator[Finding]:
    """A step removes the last active path (never) or an active path (with allow_path_disruption)."""
    for obj, what, path in _last_live(case):
        if path == "lastActive":
            yield finding("SF-4", case.host, obj, "the plan %s, which carries the last active path to storage" % what,
                          "keep it: add another path first (bind a second vmk / keep another portal), then remove this one")
        elif path == "active":
            yield finding("SF-4", case.host, obj, "the plan %s, which carries active storage paths" % what,
                          "set allow_path_disruption: true to accept the path failover")


def sf5_forced_unbind(case: Case) -> Iterator[Finding]:
    """A planned unbind that bypasses the host's path checks (force)."""
    for a in case.plan.actions:
        if a.kind == "binding" and a.op == "remove" and "force" in a.changes:
            yield finding("SF-5", case.host, "binding:%s" % a.name, "the plan unbinds %s with force" % a.name,
                          "unbind without force; free the paths first")


def _touched_vmks(case: Case) -> List[str]:
    """vmks of O whose binding-relevant state R changes (any of them might be bound)."""
    o, r = case.observed, case.after
    return [d for d in sorted(o.vmks, key=vmk_number) if bound_changes(o, r, d)]


def _new_dependent_bindings(case: Case) -> Iterator[Tuple[IscsiAdapter, str]]:
    o = case.observed
    for device, adapter in sorted(case.after.iscsi.items()):
        if adapter.software or adapter.pnics or adapter.binding_support == "notsupported":
            continue
        before = o.iscsi.get(device)
        for vmk in adapter.bindings:
            if before is None or vmk not in before.bindings:
                yield adapter, vmk


def sf9_needed_state_unread(case: Case) -> Iterator[Finding]:
    """State a rule needs could not be read: the host's iSCSI state (for a plan touching iSCSI
    or a vmk that might be bound), or a dependent adapter's NIC (for a new binding, PB-10)."""
    o = case.observed
    if not o.iscsi_known:
        unread = "; ".join(o.iscsi_unread) or "the host's iSCSI state"
        uses = []
        if case.desired.iscsi:
            uses.append("the task manages iSCSI")
        touched = _touched_vmks(case)
        if touched:
            uses.append("it changes or removes %s, which might be bound" % ", ".join(touched))
        if uses:
            yield finding("SF-9", case.host, "host:%s" % case.host,
                          "could not read %s, and %s" % (unread, " and ".join(uses)),
                          "re-run the task once the host answers (check its connection and the iSCSI service); "
                          "nothing was changed")
    for adapter, vmk in _new_dependent_bindings(case):
        yield finding("SF-9", case.host, "hba:%s [%s]" % (adapter.device, vmk),
                      "the NIC of dependent adapter %s could not be read (no PhysicalNic.pci matches its pci), so "
                      "rule PB-10 cannot check binding %s" % (adapter.device, vmk),
                      "bind %s to the software adapter, or bind it by hand after checking the adapter's NIC" % vmk)


def recheck_touches_iscsi(case: Case) -> bool:
    """Whether the check before the first write must re-read the bound vmks of this host."""
    return bool(case.observed.iscsi) and bool(case.desired.iscsi or _touched_vmks(case))


def _drift(before: Any, after: Any, kind: str) -> List[str]:
    """Names of the objects of one kind that appeared, disappeared or differ."""
    out = []
    for name in sorted(set(before) | set(after)):
        if name not in after:
            out.append("%s %s removed" % (kind, name))
        elif name not in before:
            out.append("%s %s added" % (kind, name))
        elif before[name] != after[name]:
            out.append("%s %s changed" % (kind, name))
    return out


def sf10_changed_before_write(case: Case, now: Host) -> Iterator[Finding]:
    """The host changed between the read the plan was validated on and the first write."""
    o = case.observed
    drift = (_drift(o.pnics, now.pnics, "pnic") + _drift(o.vswitches, now.vswitches, "vswitch")
             + _drift(o.portgroups, now.portgroups, "portgroup") + _drift(o.vmks, now.vmks, "vmk"))
    if o.nic_types != now.nic_types:
        drift.append("offered services")
    if recheck_touches_iscsi(case):
        bound = {d: a.bound for d, a in o.iscsi.items()}
        drift += _drift(bound, {d: a.bound for d, a in now.iscsi.items() if d in bound or a.bound}, "bindings of")
    if drift:
        yield finding("SF-10", case.host, "host:%s" % case.host,
                      "the host changed after it was read and validated: %s" % "; ".join(drift[:_DRIFT_LIMIT])
                      + ("; and %d more" % (len(drift) - _DRIFT_LIMIT) if len(drift) > _DRIFT_LIMIT else ""),
                      "re-run the task: it reads, plans and validates again (nothing was changed)")


_DRIFT_LIMIT = 8


def recheck(cases: Sequence[Case], now: Dict[str, Host]) -> List[Finding]:
    """The before-write rules (SF-10) of every host in ``now`` (its state read again)."""
    found: List[Finding] = []
    for rule in RULES:
        if rule.scope == BEFORE_WRITE:
            for case in cases:
                if case.host in now:
                    found.extend(rule.check(case, now[case.host]))
    return sorted(found, key=lambda f: (f.sort_key(), f.found))


def sf11_unbound_adapter_vmk(case: Case) -> Iterator[Finding]:
    """Targets reached without binding: the plan removes/re-addresses the vmk in their subnet."""
    o, r = case.observed, case.after
    for device, adapter in sorted(o.iscsi.items()):
        portals = [ipaddress.IPv4Address(p) for p in adapter.portals()]
        if adapter.bindings or not portals:
            continue
        for vmk in sorted(o.vmks.values(), key=lambda v: v.number):
            net = vmk.ip.network
            if net is None or not any(p in net for p in portals):
                continue
            new = r.vmks.get(vmk.device)
            if new is None or new.ip != vmk.ip or new.netstack != vmk.netstack:
                yield finding("SF-11", case.host, "vmk:%s [hba:%s]" % (vmk.device, device),
                              "%s carries %s's unbound sessions to %s and the plan %s it" % (
                                  vmk.device, device, ", ".join(str(p) for p in portals if p in net),
                                  "removes" if new is None else "re-addresses"),
                              "bind another vmk in %s first, or set allow_path_disruption: true" % net)


# ---------------------------------------------------------------------------------------
# MV: multi-NIC vMotion
#
# A vMotion set is VM(h, s): the vMotion-tagged vmks of a host on one netstack in R, when
# there are two or more (a vmk on the ``vmotion`` netstack counts as tagged). Whether a vmk
# is a vMotion vmk is read from R (its tags), not from the task, so a vmk created by an
# earlier ``vmknic`` task joins the set the same way as one of ``vmotion_multinic``.
# ---------------------------------------------------------------------------------------


def _by_number(vmks: Iterable[Vmk]) -> List[Vmk]:
    return sorted(vmks, key=lambda v: v.number)


def _vmotion_by_stack(host: Host) -> Dict[str, List[Vmk]]:
    """netstack -> every vMotion-tagged vmk of ``host`` on it (by number), sets or single."""
    by_stack: Dict[str, List[Vmk]] = defaultdict(list)
    for vmk in _by_number(host.vmks.values()):
        if "vmotion" in tags(vmk):
            by_stack[vmk.netstack].append(vmk)
    return dict(by_stack)


def vmotion_sets(host: Host) -> Dict[str, List[Vmk]]:
    """VM(h, s) with two or more members: netstack -> members by vmk number."""
    return {s: m for s, m in _vmotion_by_stack(host).items() if len(m) >= 2}


def _effective(host: Host, pg: PortGroup) -> Teaming:
    sw = host.vswitches.get(pg.vswitch)
    return pg.override.merged_over(sw.teaming) if sw is not None else pg.effective


@dataclass(frozen=True)
class _Port:
    """Where a vmk sits in R (a vMotion set member, a bound vmk): a standard port group or a dvPortgroup."""

    obj: str  # ``vmk:vmkN [portgroup:...]`` / ``vmk:vmkN [dvportgroup:...]``
    where: str  # ``portgroup:vSwitch1/vMotion-1`` / ``dvportgroup:dvs-prod/vMotion-1``
    name: str  # the port group's name
    switch: str  # its vSwitch / distributed switch
    eff: Teaming  # the effective teaming (NIC names, or the switch's uplink names)
    ordered: bool  # the port group sets its own failover order
    vlan: int = 0
    nicless: Tuple[str, ...] = ()  # active/standby uplinks of a dvPortgroup with no NIC of this host behind them

    @property
    def distributed(self) -> bool:
        return self.where.startswith("dvportgroup:")


def _member(host: Host, vmk: Vmk) -> Optional[_Port]:
    """The port group of a vMotion set member in R (None when it has none the plan knows)."""
    dv = host.dv_portgroup_of(vmk)
    if dv is not None:
        names = tuple(dv.teaming.active or ()) + tuple(dv.teaming.standby or ())
        return _Port("%s [%s]" % (vmk_obj(vmk), dvpg_obj(dv)), dvpg_obj(dv), dv.name, dv.dvs, dv.teaming, True, dv.vlan,
                     tuple(n for n in names if not dv.uplinks.get(n)))
    pg = host.portgroups.get(vmk.portgroup)
    if pg is None:
        return None
    return _Port("%s [%s]" % (vmk_obj(vmk), pg_obj(pg)), pg_obj(pg), pg.name, pg.vswitch, _effective(host, pg),
                 pg.override.active is not None, pg.vlan)


def _listing(vmks: Iterable[Vmk]) -> str:
    return ", ".join(v.device for v in _by_number(vmks))


def mv1_one_portgroup_per_vmk(case: Case) -> Iterator[Finding]:
    """Two members of a vMotion set are attached to the same port group (or dvPortgroup) in R."""
    r = case.after
    for stack, members in sorted(vmotion_sets(r).items()):
        by_pg: Dict[Tuple[str, str], List[Vmk]] = defaultdict(list)
        for vmk in members:
            if vmk.portgroup or vmk.dv_portgroup:
                by_pg[("dv", vmk.dv_portgroup) if vmk.dv_portgroup else ("", vmk.portgroup)].append(vmk)
        for (_kind, name), vmks in sorted(by_pg.items()):
            if len(vmks) < 2:
                continue
            port = _member(r, vmks[0])
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
            port = _member(r, vmk)
            if port is None:
                continue
            active, standby = tuple(port.eff.active or ()), tuple(port.eff.standby or ())
            if not port.ordered:
                found = "%s has no failover-order override (inherits active %s standby %s from %s)" % (
                    port.name, _names(active), _names(standby), port.switch)
            elif len(active) != 1 or not standby:
                found = "%s overrides active=%s standby=%s" % (port.name, _names(active), _names(standby))
            elif port.nicless:
                found = "%s orders active=%s standby=%s, but %s has no NIC of this host behind it" % (
                    port.name, _names(active), _names(standby), _names(port.nicless))
            else:
                continue
            fix = ("connect a NIC of this host to %s on %s, or list uplinks that have one" % (_names(port.nicless), port.switch)
                   if port.nicless and len(active) == 1 and standby else
                   "set teaming.active to one NIC and teaming.standby to another on %s (vmotion_multinic "
                   "derives active/standby from uplinks)" % port.name)
            yield finding("MV-2", case.host, port.obj, found, fix)


def mv3_distinct_active_uplinks(case: Case) -> Iterator[Finding]:
    """The active uplinks of a vMotion set are not pairwise distinct."""
    r = case.after
    for _stack, members in sorted(vmotion_sets(r).items()):
        first: Dict[str, Vmk] = {}
        for vmk in members:
            port = _member(r, vmk)
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
        ports = {v.device: _member(r, v) for v in members}
        for vmk in members:
            port = ports[vmk.device]
            if port is None or not port.eff.standby:
                continue  # no standby at all is MV-2's finding
            others = {n for d, p in ports.items() if d != vmk.device and p is not None for n in (p.eff.active or ())}
            if not set(port.eff.standby) & others:
                yield finding("MV-4", case.host, port.obj,
                              "standby %s holds no active NIC of the other vMotion vmks (%s)"
                              % (_names(port.eff.standby), _names(sorted(others))),
                              "mirror the set: standby of %s = the active NIC of another member (vmotion_multinic "
                              "does this from uplinks)" % vmk.device)


def mv5_one_subnet(case: Case) -> Iterator[Finding]:
    """The members of a vMotion set do not all share one IPv4 subnet."""
    r = case.after
    for stack, members in sorted(vmotion_sets(r).items()):
        nets = [(v, v.ip.network) for v in members if v.ip.network is not None]
        counts: Dict[ipaddress.IPv4Network, int] = defaultdict(int)
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
    for vmk in _by_number(r.vmks.values()):
        if "vmotion" not in tags(vmk):
            continue
        dv = r.dv_portgroup_of(vmk)
        if dv is not None:
            yield from _mv6_distributed(case, vmk, dv)
            continue
        port = _member(r, vmk)
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
                          "vMotion vmk %s on %s teams through LAG %s" % (vmk.device, pg.name, _names(lags)),
                          "use host NICs %s in uplinks / teaming.active, not a LAG" % _names(sorted(pnics)))


def _mv6_distributed(case: Case, vmk: Vmk, dv: DvPortgroup) -> Iterator[Finding]:
    """MV-6 for a vMotion vmk on a distributed port group (IP hash, or a LAG in its order)."""
    lags = lags_of(case.after, vmk)
    obj = "%s [%s]" % (vmk_obj(vmk), dvpg_obj(dv))
    fix = ("in vCenter, give dvPortgroup %s one active uplink and one standby uplink (no LAG, no IP hash), or put "
           "the vMotion vmks on standard port groups (vmotion_multinic)" % dv.name)
    if lags:
        yield finding("MV-6", case.host, obj, "vMotion vmk %s on dvPortgroup %s (%s) teams through LAG %s"
                      % (vmk.device, dv.name, dv.dvs, _names(lags)), fix)
    elif dv.teaming.policy == "iphash":
        yield finding("MV-6", case.host, obj, "vMotion vmk %s on dvPortgroup %s (%s) teams by IP hash"
                      % (vmk.device, dv.name, dv.dvs), fix)


def _new_vmotion_members(case: Case) -> List[Vmk]:
    """vMotion-tagged vmks of R that were not vMotion-tagged on the same netstack in O."""
    o = case.observed
    out = []
    for vmk in _by_number(case.after.vmks.values()):
        before = o.vmks.get(vmk.device)
        if "vmotion" in tags(vmk) and (before is None or "vmotion" not in tags(before)
                                       or before.netstack != vmk.netstack):
            out.append(vmk)
    return out


def _stacks_text(by_stack: Dict[str, List[Vmk]]) -> str:
    return "; ".join("netstack %s: %s" % (s, _listing(m)) for s, m in sorted(by_stack.items()))


def mv7_set_spans_netstacks(case: Case) -> Iterator[Finding]:
    """vMotion-tagged vmks of one host sit on more than one netstack (state the plan did not create)."""
    by_stack = _vmotion_by_stack(case.after)
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
    by_stack = _vmotion_by_stack(case.after)
    if len(by_stack) < 2:
        return
    for vmk in _new_vmotion_members(case):
        others = sorted(s for s in by_stack if s != vmk.netstack)
        yield finding("MV-8", case.host, vmk_obj(vmk),
                      "the plan adds vMotion vmk %s on netstack %s while %s; a host uses one netstack for vMotion"
                      % (vmk.device, vmk.netstack, _stacks_text({s: by_stack[s] for s in others})),
                      "set netstack: %s (where the existing vMotion vmks are), or first remove the vMotion vmks "
                      "of netstack %s (state: absent, or drop vmotion from services)" % (others[0], ", ".join(others)))


# ---------------------------------------------------------------------------------------
# PR: replica vmk
#
# Only vmks that THIS task declares ``purpose: replica`` are replica vmks; an observed vmk
# outside the task never is. The role of other vmks (for messages only) is derived from R by
# ``role_of``: the task's declared purpose; else management (vmk0 or tagged); else vmotion
# (vMotion-tagged, or on the vmotion netstack); else iscsi when iSCSI-shaped (one active
# uplink, no standby, no tag); else other.
# ---------------------------------------------------------------------------------------

REPLICA_OWN_SERVICES = frozenset({"vSphereReplication", "vSphereReplicationNFC"})
"""Tags that carry replica traffic itself (vSphere Replication): not "another service" (PR-5)."""


def _replicas(case: Case) -> List[Tuple[VmkSpec, Vmk]]:
    """(spec, vmk in R) of every present ``purpose: replica`` spec of the task."""
    return [(spec, vmk) for spec, vmk in managed(case) if spec.purpose == "replica" and vmk is not None]


def role_of(case: Case, vmk: Vmk) -> str:
    """The role of a vmk for messages: declared purpose, else derived from R (see above)."""
    purposes = _purposes(case)
    if vmk.device in purposes and purposes[vmk.device] != "general":
        return purposes[vmk.device]
    if vmk.device in case.observed.management_vmks or "management" in vmk.services:
        return "management"
    if "vmotion" in tags(vmk):
        return "vmotion"
    if _iscsi_shaped(case, vmk):
        return "iscsi"
    return "other"


def _shared_vmotion_peers(case: Case, rep: Vmk) -> List[Vmk]:
    """The vMotion-tagged vmks (other than ``rep``) in the replica's exact subnet and netstack."""
    net = rep.ip.network
    return [v for v in _by_number(case.after.vmks.values())
            if v.device != rep.device and v.netstack == rep.netstack and net is not None
            and v.ip.network == net and "vmotion" in tags(v)]


def pr2_replica_own_subnet(case: Case) -> Iterator[Finding]:
    """Another vmk on the replica vmk's netstack shares or overlaps its subnet (no MH-1 exemption)."""
    r = case.after
    for spec, rep in _replicas(case):
        net = rep.ip.network
        if net is None:
            continue
        shared = {v.device for v in _shared_vmotion_peers(case, rep)} if spec.shared_with_vmotion else set()
        for other in _by_number(r.vmks.values()):
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
    for spec, rep in _replicas(case):
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
    for spec, rep in _replicas(case):
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
    for spec, rep in _replicas(case):
        extra = set(tags(rep)) - REPLICA_OWN_SERVICES
        if spec.shared_with_vmotion:
            extra.discard("vmotion")  # sharing the vMotion vmk is PR-6's warning
        if extra:
            yield finding("PR-5", case.host, vmk_obj(rep),
                          "replica vmk %s carries %s" % (rep.device, _names(sorted(extra))),
                          "set services: [] (or only %s) so nothing competes with replica traffic"
                          % ", ".join(sorted(REPLICA_OWN_SERVICES)))


def pr6_replica_shares_vmotion(case: Case) -> Iterator[Finding]:
    """The task sets ``shared_with_vmotion``: replica traffic rides the vMotion network."""
    for spec, rep in _replicas(case):
        if spec.shared_with_vmotion:
            yield finding("PR-6", case.host, vmk_obj(rep),
                          "shared_with_vmotion: replica vmk %s uses the vMotion network %s"
                          % (rep.device, rep.ip.network),
                          "when a VLAN can be provided, give the replica its own subnet and vlan and set "
                          "shared_with_vmotion: false")


def pr1_one_replica_vmk_per_host(cases: Sequence[Case]) -> Iterator[Finding]:
    """A host in the scope of a replica network has zero or more than one replica vmk in R."""
    having = {c.host: _by_number(vmk for _s, vmk in _replicas(c)) for c in cases}
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
    nets: Dict[str, ipaddress.IPv4Network] = {}
    for case in cases:
        for spec, rep in _replicas(case):
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
    counts: Dict[ipaddress.IPv4Network, int] = defaultdict(int)
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
    carrying = [(rep.device, rep.netstack, rep.ip.network) for _s, rep in _replicas(case)
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


# ---------------------------------------------------------------------------------------
# XH: cross-host
# ---------------------------------------------------------------------------------------


def xh1_duplicate_ip_across_hosts(cases: Sequence[Case]) -> Iterator[Finding]:
    """One IPv4 address on vmks of more than one host in scope (planned and observed)."""
    owners: Dict[str, List[Tuple[str, str]]] = defaultdict(list)
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


def logical_networks(cases: Sequence[Case]) -> Dict[str, List[Tuple[Case, Vmk]]]:
    """Logical network -> its vmks on every host in scope, sorted by host.

    A logical network is the standard port group name of a vmk: the same port group name on
    several hosts is one network. Only networks the plan manages count (a present vmk spec of
    some host is on it in R); every host's vmk on that port group in R is then a member.
    """
    names = {vmk.portgroup for case in cases for _spec, vmk in managed(case) if vmk is not None and vmk.portgroup}
    out: Dict[str, List[Tuple[Case, Vmk]]] = {}
    for name in sorted(names):
        members = [(c, c.after.vmk_on_portgroup(name)) for c in sorted(cases, key=lambda c: c.host)]
        out[name] = [(c, v) for c, v in members if v is not None]
    return out


def _deviations(members: Sequence[Tuple[Case, Vmk]], value: Callable[[Case, Vmk], Any]
                ) -> Iterator[Tuple[Case, Vmk, Any, Any, List[str]]]:
    """(case, vmk, its value, the reference value, hosts with the reference) for every member
    that differs from the network's reference: the most common value, on a tie the value of the
    first host by name. Members whose value is None (e.g. DHCP) are not compared."""
    valued = [(c, v, value(c, v)) for c, v in members]
    valued = [(c, v, x) for c, v, x in valued if x is not None]
    counts: Dict[Any, int] = defaultdict(int)
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
    def vlan(case: Case, vmk: Vmk) -> Optional[int]:
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


def _send_target_signature(adapter: Any) -> Tuple[Tuple[str, ...], Dict[str, Tuple[Tuple[str, Any], ...]]]:
    portals = tuple(sorted(t.portal for t in adapter.send_targets.values()))
    params = {t.portal: tuple(sorted(t.values.items())) for t in adapter.send_targets.values()}
    return portals, params


def xh5_array_settings_per_host(cases: Sequence[Case]) -> Iterator[Finding]:
    """Hosts using the same array have different send-target lists or send-target parameters.

    An array is a send-target address in common; a host is reported when it deviates from the
    most common setting among them (ties: the first host by name)."""
    users: Dict[str, List[Tuple[Case, Any]]] = defaultdict(list)
    for case in sorted(cases, key=lambda c: c.host):
        for adapter in case.after.iscsi.values():
            for address in sorted({t.address for t in adapter.send_targets.values()}):
                users[address].append((case, adapter))
    reported: Set[Tuple[str, str]] = set()
    for address, members in sorted(users.items()):
        if len(members) < 2:
            continue
        rows = [(case, adapter) + _send_target_signature(adapter) for case, adapter in members]
        lists = [row[2] for row in rows]
        ref_list = max(lists, key=lambda x: (lists.count(x), -lists.index(x)))
        peers = [row[0].host for row in rows if row[2] == ref_list]
        values = [row[3] for row in rows if row[2] == ref_list]
        for case, adapter, portals, params in rows:
            if (case.host, adapter.device) in reported:
                continue
            if portals != ref_list:
                reported.add((case.host, adapter.device))
                yield finding("XH-5", case.host, "hba:%s" % adapter.device,
                              "send targets %s; hosts using array %s have %s on %s"
                              % (_names(portals), address, _names(ref_list), ", ".join(peers)),
                              "give %s the same send_targets as %s" % (case.host, peers[0]))
                continue
            for portal in portals:
                column = [v.get(portal) for v in values]
                ref = max(column, key=lambda x: (column.count(x), -column.index(x)))
                if params.get(portal) != ref:
                    reported.add((case.host, adapter.device))
                    diff = sorted({k for k, _v in set(params[portal]) ^ set(ref or ())})
                    yield finding("XH-5", case.host, "target:%s/%s" % (adapter.device, portal),
                                  "send target %s differs in %s from the other hosts using it"
                                  % (portal, ", ".join(diff)),
                                  "give send target %s the same profile/options on every host" % portal)
                    break


# ---------------------------------------------------------------------------------------
# The table, and running it
# ---------------------------------------------------------------------------------------

RULES: Tuple[Rule, ...] = (
    # step 1: structural checks on the plan alone
    Rule("TS-1", ERROR, HOST, ts1_order_has_duplicates, "vSphere API HostNicOrderPolicy; community.vmware #1432; DSC #282",
         step=1),
    Rule("TS-3", ERROR, HOST, ts3_order_incomplete, "community.vmware #1432; DSC #282 / PR #296; vmware/pyvmomi #222",
         step=1),
    Rule("TS-6", ERROR, HOST, ts6_loadbased_on_vss, "blog post on LACP and IPMP link aggregation (2013-03-30); vSphere API NicTeamingPolicyMode",
         step=1),
    Rule("TS-7", ERROR, HOST, ts7_inherit_and_value, "DSC Inherit* flags; Terraform #2355 / PR #2377", step=1),
    Rule("NS-4", ERROR, HOST, ns4_unknown_netstack, "vSphere API HostNetStackInstanceSystemStackKey; Terraform #1593",
         step=1),
    Rule("MTU-3", ERROR, HOST, mtu3_above_max, "vSphere Storage, jumbo frames", step=1),
    # step 2: per-host rules on R
    Rule("MH-1", ERROR, HOST, mh1_one_vmk_per_subnet,
         "KB 2010877 / Broadcom 318546; vSphere 8 Networking GUID-D4191320; article \"Using FVP in multi-NIC vMotion environments\""),
    Rule("MH-2", ERROR, HOST, mh2_duplicate_ip, "KB 2010877 / Broadcom 318546 (derived)"),
    Rule("MH-3", WARNING, HOST, mh3_overlapping_subnets, "derived from KB 2010877 / Broadcom 318546"),
    Rule("IP-1", ERROR, HOST, ip1_iphash_all_active, "KB 1001938; vSphere 6.7 Networking, Route Based on IP Hash"),
    Rule("IP-2", ERROR, HOST, ip2_iphash_beacon, "KB 1001938; vSphere 6.7 Networking"),
    Rule("IP-3", ERROR, HOST, ip3_iphash_portgroup_override, "blog post on LACP and IPMP link aggregation (2013-03-30); KB 1001938"),
    Rule("IP-4", ERROR, HOST, ip4_lag_on_vss,
         "Broadcom 315347 (formerly KB 2051307); KB 1001938; blog post on LACP and IPMP link aggregation (2013-03-30)"),
    Rule("IP-6", ERROR, HOST, ip6_lag_portgroup_order,
         "vSphere Networking, LACP teaming and failover configuration for distributed port groups"),
    Rule("TS-2", ERROR, HOST, ts2_order_name_not_uplink,
         "vSphere API HostNicOrderPolicy, UpdateVirtualSwitch (ResourceInUse: a NIC another switch owns); "
         "Terraform provider vSwitch diff check (PR #256)"),
    Rule("TS-4", ERROR, HOST, ts4_no_active_uplink, "community.vmware #934", flag="allow_no_active_uplink"),
    Rule("TS-5", ERROR, HOST, ts5_beacon_probing,
         "blog post on LACP and IPMP link aggregation (2013-03-30); vSphere API HostVirtualSwitchBondBridge"),
    Rule("NS-2", ERROR, HOST, ns2_service_not_allowed,
         "Terraform provider service precheck; community.vmware vmware_vmkernel; vSphere API VirtualNicManager.NicType"),
    Rule("NS-3", WARNING, HOST, ns3_service_disabled_by_stack, "vSphere 8 Networking, TCP/IP stacks"),
    Rule("MTU-1", ERROR, HOST, mtu1_vmk_above_switch, "vSphere Storage, Using Jumbo Frames with iSCSI"),
    Rule("MTU-2", ERROR, HOST, mtu2_set_mtu_mismatch, "vSphere Storage, Using Jumbo Frames with iSCSI (derived)"),
    Rule("MTU-4", WARNING, HOST, mtu4_jumbo_path, "vSphere Storage, jumbo frames; article \"Another look at ESXi iSCSI Multipathing (or a Lack Thereof)\""),
    # iSCSI port binding and target parameters
    Rule("TP-1", ERROR, HOST, tp1_option_range,
         "vSphere API HostInternetScsiHba.supportedAdvancedOptions (IntOption 1-60, default 5)", step=1),
    Rule("TP-2", ERROR, HOST, tp2_option_supported, "vSphere API OptionDef, HostInternetScsiHbaParamValue", step=1),
    Rule("PB-1", ERROR, HOST, pb1_bound_vmk_one_active,
         "KB 2038869; vSphere 6.5 Storage, bound-adapter guidelines; article \"Another look at ESXi iSCSI Multipathing (or a Lack Thereof)\""),
    Rule("PB-2", ERROR, HOST, pb2_bound_vmk_no_standby,
         "KB 2038869; VMware vSphere blog \"NIC Teaming & iSCSI Binding\" (2011-12); article \"Another look at ESXi iSCSI Multipathing (or a Lack Thereof)\""),
    Rule("PB-3", WARNING, HOST, pb3_bound_order_inherited, "article \"Another look at ESXi iSCSI Multipathing (or a Lack Thereof)\""),
    Rule("PB-4", WARNING, HOST, pb4_fewer_than_two_paths,
         "article \"Another look at ESXi iSCSI Multipathing (or a Lack Thereof)\"; vSphere 7.0 Storage, multiple network adapters for iSCSI"),
    Rule("PB-5", WARNING, HOST, pb5_shared_active_uplink, "vSphere 6.5 Storage, bound-adapter guidelines (1:1 mapping)"),
    Rule("PB-6", ERROR, HOST, pb6_one_subnet_one_switch,
         "KB 2038869; vSphere 6.5 Storage; vSphere 7.0 Storage (separate switches need separate subnets)"),
    Rule("PB-7", ERROR, HOST, pb7_portal_outside_subnet, "KB 2038869; vSphere 6.5 Storage; Pure SAN guidelines",
         flag="allow_routed_port_binding"),
    Rule("PB-8", ERROR, HOST, pb8_routed_binding_preconditions,
         "vSphere 6.5 Networking (override default gateway for this adapter); Broadcom KB 323116"),
    Rule("PB-9", ERROR, HOST, pb9_bound_vmk_iphash,
         "KB 2038869; KB 2051307 / Broadcom 315347; vSphere 6.5 Networking (LACP and port binding); "
         "article \"Avoid LACP with iSCSI Port Binding or Multi-NIC vMotion\""),
    Rule("PB-10", ERROR, HOST, pb10_dependent_adapter_own_uplink,
         "vSphere API IscsiManager.BindVnic faults (IscsiFaultVnicHasWrongUplink)"),
    Rule("PB-11", ERROR, HOST, pb11_adapter_named, "community.vmware PR #2443; vSphere API HostInternetScsiHba"),
    Rule("PB-12", ERROR, HOST, pb12_host_reports_noncompliant,
         "vSphere API IscsiManager.QueryBoundVnics, IscsiPortInfo.complianceStatus; article \"Another look at ESXi iSCSI Multipathing (or a Lack Thereof)\""),
    Rule("PB-13", ERROR, HOST, pb13_bound_vmk_default_stack, "vSphere API IscsiManager.QueryCandidateNics"),
    Rule("PB-14", WARNING, HOST, pb14_iscsi_vmk_unbound,
         "design policy: a vmk declared purpose: iscsi carries iSCSI only when bound; "
         "article \"Another look at ESXi iSCSI Multipathing (or a Lack Thereof)\""),
    Rule("TP-3", ERROR, HOST, tp3_adapter_level_params,
         "article \"Another look at ESXi iSCSI Multipathing (or a Lack Thereof)\"; Pure Set-VmHostPfaiSCSI; vSphere API UpdateInternetScsiAdvancedOptions",
         flag="allow_adapter_level_params"),
    Rule("TP-4", ERROR, HOST, tp4_static_overrides_send_target, "Pure best-practice script; vSphere API isInherited"),
    Rule("TP-5", ERROR, HOST, tp5_profile_deviation,
         "article \"Another look at ESXi iSCSI Multipathing (or a Lack Thereof)\"; Pure ESXi Host Configuration guide; Dell TR1074; "
         "KB 1002598 / Broadcom 313543",
         flag="allow_profile_deviation"),
    Rule("TP-6", ERROR, HOST, tp6_options_for_missing_target, "vSphere API UpdateInternetScsiAdvancedOptions"),
    # step 3: cross-host rules
    Rule("XH-1", ERROR, CROSS_HOST, xh1_duplicate_ip_across_hosts, "derived; KB 2010877 / Broadcom 318546", step=3),
    Rule("XH-2", ERROR, CROSS_HOST, xh2_subnet_per_network,
         "KB 2007467 (via article \"Using FVP in multi-NIC vMotion environments\"); KB 2038869", step=3),
    Rule("XH-3", ERROR, CROSS_HOST, xh3_vlan_per_network, "KB 2038869 (one broadcast domain); derived", step=3),
    Rule("XH-4", WARNING, CROSS_HOST, xh4_mtu_per_network, "vSphere Storage, jumbo frames (derived)", step=3),
    Rule("XH-5", WARNING, CROSS_HOST, xh5_array_settings_per_host,
         "derived; Pure Set-ClusterPfaiSCSI (cluster-wide application)", step=3),
    # step 4: transition rules comparing O and R
    Rule("NS-1", ERROR, HOST, ns1_netstack_change,
         "vSphere API HostVirtualNicSpec.netStackInstanceKey; Terraform vsphere_vnic (ForceNew); ansible/ansible #48706",
         flag="allow_recreate", step=4),
    Rule("IP-5", ERROR, HOST, ip5_etherchannel_unconfirmed, "KB 1001938; blog post on LACP and IPMP link aggregation (2013-03-30)",
         flag="physical_etherchannel_confirmed", step=4),
    Rule("SF-1", ERROR, HOST, sf1_management_vmk,
         "DSC MigratePhysicalNicsOnly interlock; Ansible network resource-module docs; community.vmware vmware_vmkernel",
         step=4),
    Rule("SF-2", ERROR, HOST, sf2_management_path, "KB 1001938; community.vmware #1120; community.vmware #1439",
         flag="allow_management_path_change", step=4),
    Rule("SF-7", ERROR, HOST, sf7_undeclared_write, "community.vmware #934, #1136, #1297", step=4),
    Rule("SF-8", ERROR, HOST, sf8_drops_relied_uplink,
         "vSphere API UpdateVirtualSwitch; community.vmware vmware_vswitch (nics: [] removes every uplink)", step=4),
    Rule("TP-7", WARNING, HOST, tp7_live_target_change, "KB 1002598 / Broadcom 313543", step=4),
    Rule("SF-3", ERROR, HOST, sf3_bound_vmk_changed_in_place,
         "vSphere Storage (do not change iSCSI-bound VMkernel adapters); article \"Another look at ESXi iSCSI Multipathing (or a Lack Thereof)\"", step=4),
    Rule("SF-4", ERROR, HOST, sf4_removes_storage_path,
         "vSphere API IscsiManager.UnbindVnic (IscsiFaultVnicIsLastPath, IscsiFaultVnicHasActivePaths), "
         "IscsiPortInfo.pathStatus", flag="allow_path_disruption", step=4),
    Rule("SF-6", ERROR, HOST, sf6_authoritative_deletes_protected,
         "Ansible network resource-module docs; dellemc.enterprise_sonic #357; ansible/ansible #65598", step=4),
    Rule("SF-5", ERROR, HOST, sf5_forced_unbind, "vSphere API UnbindVnic(force); DSC VMHostIScsiHbaVMKernelNic Force",
         step=4),
    Rule("SF-9", ERROR, HOST, sf9_needed_state_unread, "design policy", step=5),
    Rule("SF-10", ERROR, BEFORE_WRITE, sf10_changed_before_write,
         "design policy; vSphere API distributed-switch configVersion", step=5),
    Rule("SF-11", ERROR, HOST, sf11_unbound_adapter_vmk, "article \"Another look at ESXi iSCSI Multipathing (or a Lack Thereof)\"",
         flag="allow_path_disruption", step=4),
    # --- MV: multi-NIC vMotion, PR: replica vmk; grouped by step ---
    # step 2: per-host rules on R
    Rule("MV-1", ERROR, HOST, mv1_one_portgroup_per_vmk,
         "KB 2007467 (as quoted in article \"Using FVP in multi-NIC vMotion environments\"; KB text not reviewed directly)"),
    Rule("MV-2", ERROR, HOST, mv2_one_active_some_standby,
         "KB 2007467 (via article \"Using FVP in multi-NIC vMotion environments\"); article \"Avoid LACP with iSCSI Port Binding or Multi-NIC vMotion\""),
    Rule("MV-3", ERROR, HOST, mv3_distinct_active_uplinks, "KB 2007467 (via article \"Using FVP in multi-NIC vMotion environments\")"),
    Rule("MV-4", WARNING, HOST, mv4_mirrored_standby, "article \"Using FVP in multi-NIC vMotion environments\"; community.vmware #1242"),
    Rule("MV-5", ERROR, HOST, mv5_one_subnet, "KB 2007467 (quoted in article \"Using FVP in multi-NIC vMotion environments\")"),
    Rule("MV-6", ERROR, HOST, mv6_no_iphash_or_lag, "article \"Avoid LACP with iSCSI Port Binding or Multi-NIC vMotion\"; follows from MV-2 and IP-1"),
    Rule("MV-7", WARNING, HOST, mv7_set_spans_netstacks, "vSphere 8 Networking, TCP/IP stacks"),
    Rule("MV-8", ERROR, HOST, mv8_planned_set_spans_netstacks,
         "vSphere 8 Networking, TCP/IP stacks (see NS-3, MV-7); design policy: never vMotion vmks on both netstacks of one host"),
    Rule("PR-2", ERROR, HOST, pr2_replica_own_subnet, "article \"Using FVP in multi-NIC vMotion environments\"; KB 2010877 / Broadcom 318546"),
    Rule("PR-3", ERROR, HOST, pr3_replica_vlan_isolated, "article \"Using FVP in multi-NIC vMotion environments\" (dedicated VLAN)"),
    Rule("PR-4", ERROR, HOST, pr4_replica_no_gateway, "article \"Using FVP in multi-NIC vMotion environments\" (isolated, non-routable network)"),
    Rule("PR-5", WARNING, HOST, pr5_replica_no_services,
         "article \"Using FVP in multi-NIC vMotion environments\" (only replica traffic on that network)"),
    Rule("PR-6", WARNING, HOST, pr6_replica_shares_vmotion, "article \"Using FVP in multi-NIC vMotion environments\""),
    # step 3: cross-host rules
    Rule("PR-1", ERROR, CROSS_HOST, pr1_one_replica_vmk_per_host, "article \"Using FVP in multi-NIC vMotion environments\"", step=3),
    Rule("PR-7", ERROR, CROSS_HOST, pr7_shared_replica_lowest_vmk, "article \"Using FVP in multi-NIC vMotion environments\"", step=3),
    # step 4: transition rules comparing O and R
    Rule("PR-8", WARNING, HOST, pr8_replica_subnet_changed, "article \"Using FVP in multi-NIC vMotion environments\"", step=4),
)


FLAG_RULES: Dict[str, Tuple[str, ...]] = {}
"""Opt-in flag -> the rules it downgrades to warnings: the one list of flags (argspecs derive from it)."""
for _rule in RULES:
    if _rule.flag:
        FLAG_RULES[_rule.flag] = FLAG_RULES.get(_rule.flag, ()) + (_rule.rule,)
"""The one rule table. PB, TP, more XH and SF rules are added here as rows."""

RULE_INDEX: Dict[str, Rule] = {r.rule: r for r in RULES}


def _never_lifted(rule: Rule, item: Finding) -> bool:
    """No flag lifts the lastActive part of SF-4."""
    return rule.rule == "SF-4" and "last active path" in item.found


def _downgrade(rule: Rule, desired: Desired, item: Finding) -> Finding:
    """An error of a gated rule becomes a warning when the task set the rule's opt-in flag."""
    if rule.flag and item.is_error and getattr(desired.flags, rule.flag, False) and not _never_lifted(rule, item):
        return dataclasses.replace(item, severity=WARNING, found="%s (accepted: %s is set)" % (item.found, rule.flag))
    return item


def validate(cases: Sequence[Case]) -> List[Finding]:
    """Every rule on every host (and across hosts); all findings sorted by host, rule ID, object."""
    by_host = {c.host: c for c in cases}
    found: List[Finding] = []
    for rule in RULES:
        if rule.scope == BEFORE_WRITE:
            continue  # recheck(), on the state read again just before the first write
        if rule.scope == CROSS_HOST:
            items = [(by_host.get(f.host), f) for f in rule.check(cases)]
            found.extend(_downgrade(rule, c.desired, f) if c else f for c, f in items)
            continue
        for case in cases:
            found.extend(_downgrade(rule, case.desired, f) for f in rule.check(case))
    return sorted(found, key=lambda f: (f.sort_key(), f.found))


def check_escalation(rules: Optional[Sequence[str]]) -> FrozenSet[str]:
    """The warning rules a task turns into errors (``warnings_as_errors``): rule IDs of the
    catalog whose default severity is warning, or ``all`` (every warning rule)."""
    warnings = {r.rule for r in RULES if r.severity == WARNING}
    given = [str(r).strip() for r in rules or ()]
    if "all" in given:
        return frozenset(warnings)
    unknown = [r for r in given if r not in warnings]
    if unknown:
        raise ArgumentError("warnings_as_errors", "%s: not a warning rule of the catalog (an error rule refuses "
                            "anyway); give warning rule IDs (%s) or all" % (", ".join(unknown), ", ".join(sorted(warnings))))
    return frozenset(given)


def escalate(findings: Iterable[Finding], rules: FrozenSet[str]) -> List[Finding]:
    """``findings`` with the warnings of ``rules`` raised to errors (the task asked to refuse them)."""
    return [dataclasses.replace(f, severity=ERROR) if f.rule in rules and not f.is_error else f for f in findings]


def refusals(findings: Iterable[Finding]) -> List[Finding]:
    """The error findings: any one refuses the whole run."""
    return [f for f in findings if f.is_error]


def _count(n: int, word: str) -> str:
    return "%d %s%s" % (n, word, "" if n == 1 else "s")


def render(findings: Sequence[Finding]) -> str:
    """The text form of a refusal: a headline, then every finding."""
    errors = len(refusals(findings))
    warnings = len(findings) - errors
    if errors:
        head = "plan refused: %s, %s (no changes made)" % (_count(errors, "error"), _count(warnings, "warning"))
    else:
        head = "plan accepted: %s, %s" % (_count(0, "error"), _count(warnings, "warning"))
    return "\n".join([head] + [f.render() for f in findings])
