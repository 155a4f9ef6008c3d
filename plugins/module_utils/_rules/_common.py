# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Shared by the rule families: the Case and Rule types, severities and scopes, the host views
several families read (teams, effective teaming, bound sets, vMotion sets, a vmk's port,
logical networks), object names and ``finding()``.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Desired,
    DvPortgroup,
    Finding,
    Host,
    IscsiAdapter,
    PortGroup,
    Severity,
    Teaming,
    TeamingSpec,
    Vmk,
    VmkSpec,
    VSwitch,
    is_set,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import (
    DEDICATED_STACKS,
    Plan,
    match_vmk,
)

ERROR: Severity = "error"
WARNING: Severity = "warning"

# Public sources several rules cite (one spelling everywhere they are named).
MULTIPATHING_ARTICLE = 'article "Another look at ESXi iSCSI Multipathing (or a Lack Thereof)"'
NO_LACP_ARTICLE = 'article "Avoid LACP with iSCSI Port Binding or Multi-NIC vMotion"'
HOST = "host"
CROSS_HOST = "cross-host"
BEFORE_WRITE = "before-write"  # not run by validate(): by recheck() on a re-read just before the first write
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
    """One catalog entry: ID, default severity, scope, check, source, opt-in downgrade flag, and step:
    1 structural checks on the plan alone, 2 per-host rules on R, 3 cross-host rules, 4 transition
    rules comparing O and R, 5 rules on what was read (SF-9: state a step needs was not read; SF-10:
    the host changed before the first write)."""

    rule: str
    severity: Severity
    scope: str
    check: Callable[..., Iterable[Finding]]
    source: str
    flag: str | None = None
    step: int = 2


# ---------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------


def name_list(values: Iterable[Any]) -> str:
    return "[%s]" % ", ".join(str(v) for v in values)


def vmk_obj(vmk: Vmk) -> str:
    return "vmk:%s" % vmk.device


def pg_obj(pg: PortGroup) -> str:
    return "portgroup:%s/%s" % (pg.vswitch, pg.name)


def sw_obj(name: str) -> str:
    return "vswitch:%s" % name


def finding(rule: str, case_host: str, obj: str, found: str, change: str, severity: Severity | None = None) -> Finding:
    """A Finding of ``rule``: ``severity`` when the rule picks one per finding, else the rule's
    catalog severity, and the catalog source, both filled in from the rule's row by ``validate``."""
    return Finding(rule, severity, case_host, obj, found, change)


def tags(vmk: Vmk) -> set[str]:
    """tags(v): selected services, plus the service a dedicated netstack implies."""
    implied = {DEDICATED_STACKS[vmk.netstack]} if vmk.netstack in DEDICATED_STACKS else set()
    return set(vmk.services) | implied


def managed(case: Case) -> Iterator[tuple[VmkSpec, Vmk | None]]:
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


def declared_teamings(case: Case) -> Iterator[tuple[str, TeamingSpec, tuple[str, ...]]]:
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


def teams(host: Host) -> Iterator[tuple[str, Teaming, VSwitch | None, bool]]:
    """(object, effective teaming, switch, overrides?) of every switch and port group of ``host``.

    ``overrides`` is True for a switch, and for a port group that overrides policy, order or
    failure detection (a port group that inherits all three is reported on its switch).
    """
    for sw in host.vswitches.values():
        yield sw_obj(sw.name), sw.teaming, sw, True
    for pg in host.portgroups.values():
        pg_sw = host.vswitches.get(pg.vswitch)
        effective = pg.override.merged_over(pg_sw.teaming) if pg_sw else pg.effective
        own = pg.override.policy is not None or pg.override.active is not None \
            or pg.override.failure_detection is not None
        yield pg_obj(pg), effective, pg_sw, own


def unused_of(t: Teaming, sw: VSwitch | None) -> tuple[str, ...]:
    return t.unused(sw.uplinks) if sw is not None and t.active is not None else ()


def vmks_carried(host: Host, pg_name: str) -> list[str]:
    return sorted(v.device for v in host.vmks.values() if v.portgroup == pg_name)


def hba_obj(device: str) -> str:
    return "hba:%s" % device


def dvpg_obj(dv: DvPortgroup) -> str:
    return "dvportgroup:%s/%s" % (dv.dvs, dv.name)


def target_obj(adapter: str, portal: str) -> str:
    return "target:%s/%s" % (adapter, portal)


def effective_of(host: Host, vmk: Vmk) -> tuple[Teaming, VSwitch | None]:
    """eff(pg(v)) in ``host`` (override over the vSwitch) and sw(v)."""
    pg = host.portgroups.get(vmk.portgroup)
    sw = host.vswitches.get(pg.vswitch) if pg else None
    if pg is None:
        return Teaming(), sw
    return (pg.override.merged_over(sw.teaming) if sw else pg.effective), sw


def lags_of(host: Host, vmk: Vmk) -> tuple[str, ...]:
    """lag(pg(v)): the LAGs named in the active or standby list of vmk's port group. On a distributed
    port group a name of the switch's LAGs; on a standard one a name that is no host NIC (IP-4)."""
    dv = host.dv_portgroup_of(vmk)
    if dv is not None:
        return dv.lags_in(tuple(dv.teaming.active or ()) + tuple(dv.teaming.standby or ()))
    eff, _sw = effective_of(host, vmk)
    names = tuple(eff.active or ()) + tuple(eff.standby or ())
    return tuple(n for n in names if n not in host.pnics and not PNIC_NAME.match(n))


def bound_sets(host: Host) -> Iterator[tuple[IscsiAdapter, list[Vmk]]]:
    """(adapter, B(a)) for every adapter of ``host`` with bound vmks that exist."""
    for _device, adapter in sorted(host.iscsi.items()):
        members = [host.vmks[d] for d in adapter.bindings if d in host.vmks]
        if members:
            yield adapter, sorted(members, key=lambda v: v.number)


def unbound_by_plan(case: Case) -> set[tuple[str, str]]:
    """(adapter, vmk) of every binding the plan removes: unbinds, and the bindings of adapters it removes."""
    out = set()
    for a in case.plan.actions:
        if a.kind == "binding" and a.op == "remove":
            device, _sep, vmk = a.name.partition(":")
            out.add((device, vmk))
        if a.kind == "adapter" and a.op == "remove":
            adapter = case.observed.iscsi.get(a.name)
            out.update((a.name, vmk) for vmk in (adapter.bindings if adapter else ()))
    return out


def by_number(vmks: Iterable[Vmk]) -> list[Vmk]:
    return sorted(vmks, key=lambda v: v.number)


def vmotion_by_stack(host: Host) -> dict[str, list[Vmk]]:
    """netstack -> every vMotion-tagged vmk of ``host`` on it (by number), sets or single."""
    by_stack: dict[str, list[Vmk]] = defaultdict(list)
    for vmk in by_number(host.vmks.values()):
        if "vmotion" in tags(vmk):
            by_stack[vmk.netstack].append(vmk)
    return dict(by_stack)


def vmotion_sets(host: Host) -> dict[str, list[Vmk]]:
    """VM(h, s) with two or more members: netstack -> members by vmk number."""
    return {s: m for s, m in vmotion_by_stack(host).items() if len(m) >= 2}


def _effective(host: Host, pg: PortGroup) -> Teaming:
    sw = host.vswitches.get(pg.vswitch)
    return pg.override.merged_over(sw.teaming) if sw is not None else pg.effective


@dataclass(frozen=True)
class Port:
    """Where a vmk sits in R (a vMotion set member, a bound vmk): a standard port group or a dvPortgroup."""

    obj: str  # ``vmk:vmkN [portgroup:...]`` / ``vmk:vmkN [dvportgroup:...]``
    where: str  # ``portgroup:vSwitch1/vMotion-1`` / ``dvportgroup:dvs-prod/vMotion-1``
    name: str  # the port group's name
    switch: str  # its vSwitch / distributed switch
    eff: Teaming  # the effective teaming (NIC names, or the switch's uplink names)
    ordered: bool  # the port group sets its own failover order
    vlan: int = 0
    nicless: tuple[str, ...] = ()  # active/standby uplinks of a dvPortgroup with no NIC of this host behind them

    @property
    def distributed(self) -> bool:
        return self.where.startswith("dvportgroup:")


def port_of(host: Host, vmk: Vmk) -> Port | None:
    """The port group of a vmk in R (a vMotion set member, a bound vmk); None when it has none the plan knows."""
    dv = host.dv_portgroup_of(vmk)
    if dv is not None:
        names = tuple(dv.teaming.active or ()) + tuple(dv.teaming.standby or ())
        return Port("%s [%s]" % (vmk_obj(vmk), dvpg_obj(dv)), dvpg_obj(dv), dv.name, dv.dvs, dv.teaming, True, dv.vlan,
                    tuple(n for n in names if not dv.uplinks.get(n)))
    pg = host.portgroups.get(vmk.portgroup)
    if pg is None:
        return None
    return Port("%s [%s]" % (vmk_obj(vmk), pg_obj(pg)), pg_obj(pg), pg.name, pg.vswitch, _effective(host, pg),
                pg.override.active is not None, pg.vlan)


def declared_purposes(case: Case) -> dict[str, str]:
    return {vmk.device: spec.purpose for spec, vmk in managed(case) if vmk is not None}


def iscsi_shaped(case: Case, vmk: Vmk) -> bool:
    """A vmk this task does not manage that looks like a port-binding member in R: no service
    tag, default netstack, not management, and a port-group override with exactly one active
    uplink and no standby (the PB-1/PB-2 shape). Until binding-aware hooks exist this is how
    a second iSCSI vmk, created by a later task, recognises the first one."""
    pg = case.after.portgroups.get(vmk.portgroup)
    return (not tags(vmk) and vmk.netstack == "default" and vmk.device not in case.observed.management_vmks
            and pg is not None and pg.override.active is not None
            and len(pg.override.active) == 1 and not pg.override.standby)


def replicas_of(case: Case) -> list[tuple[VmkSpec, Vmk]]:
    """(spec, vmk in R) of every present ``purpose: replica`` spec of the task."""
    return [(spec, vmk) for spec, vmk in managed(case) if spec.purpose == "replica" and vmk is not None]


def logical_networks(cases: Sequence[Case]) -> dict[str, list[tuple[Case, Vmk]]]:
    """Logical network -> its vmks on every host in scope, sorted by host.

    A logical network is the standard port group name of a vmk: the same port group name on
    several hosts is one network. Only networks the plan manages count (a present vmk spec of
    some host is on it in R); every host's vmk on that port group in R is then a member.
    """
    names = {vmk.portgroup for case in cases for _spec, vmk in managed(case) if vmk is not None and vmk.portgroup}
    out: dict[str, list[tuple[Case, Vmk]]] = {}
    for name in sorted(names):
        members = [(c, c.after.vmk_on_portgroup(name)) for c in sorted(cases, key=lambda c: c.host)]
        out[name] = [(c, v) for c, v in members if v is not None]
    return out


def counted(n: int, word: str) -> str:
    return "%d %s%s" % (n, word, "" if n == 1 else "s")
