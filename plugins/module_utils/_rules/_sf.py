# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validator's SF rules (safety interlocks), and the family's rows of the rule table.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.
"""

from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_plan import bound_changes, changed_bound_vmks, resolve_adapter
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    INHERIT,
    Finding,
    Host,
    IscsiAdapter,
    TeamingSpec,
    Vmk,
    is_set,
    migrated,
    vmk_number,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import (
    TEAMING_FIELDS,
    match_vmk,
    pnic_places,
    wants_recreate,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._profiles import (
    OPTION_NAMES,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import (
    BEFORE_WRITE,
    ERROR,
    HOST,
    MULTIPATHING_ARTICLE,
    Case,
    Rule,
    finding,
    name_list,
    pg_obj,
    sw_obj,
    unbound_by_plan,
    vmk_obj,
    vmks_carried,
)

# ---------------------------------------------------------------------------------------
# SF: safety interlocks
# ---------------------------------------------------------------------------------------


def _show(name: str, value: Any) -> str:
    """A vmk field for a finding: services as a list, an Ip as address/netmask or dhcp."""
    if name == "services":
        return name_list(sorted(value))
    if name == "ip":
        return "dhcp" if value.dhcp else "%s/%s" % (value.address, value.netmask)
    return str(value)


def _vmk_diff(before: Vmk, after: Vmk) -> list[str]:
    """``field old -> new`` for every field SF-1 protects that differs (a migration between a standard and a
    distributed switch is rule MG-3's)."""
    out = []
    names = ("ip", "mtu", "netstack", "services") if migrated(before, after) else \
        ("ip", "mtu", "netstack", "portgroup", "vswitch", "services")
    for name in names:
        old, new = getattr(before, name), getattr(after, name)
        if old != new:
            out.append("%s %s -> %s" % (name, _show(name, old), _show(name, new)))
    return out


def sf1_management_vmk(case: Case) -> Iterator[Finding]:
    """Any change to vmk0 or a management-tagged vmk (no opt-in)."""
    o, r = case.observed, case.after
    asked = {v.device: s for s in case.desired.vmks for v in (match_vmk(o, s),) if v is not None}
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
    seen: set[str] = set()
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


def _sf2_switch(case: Case, name: str, device: str, seen: set[str]) -> Iterator[Finding]:
    sw_o, sw_r = case.observed.vswitches.get(name), case.after.vswitches.get(name)
    if sw_o is None or sw_obj(name) in seen:
        return
    what = []
    if sw_r is None:
        what.append("removes the vSwitch")
    else:
        if sw_r.uplinks != sw_o.uplinks:
            what.append("uplinks %s -> %s" % (name_list(sw_o.uplinks), name_list(sw_r.uplinks)))
        what += ["teaming.%s" % f for f in TEAMING_FIELDS if getattr(sw_r.teaming, f) != getattr(sw_o.teaming, f)]
        if sw_r.mtu < sw_o.mtu:
            what.append("mtu %d -> %d" % (sw_o.mtu, sw_r.mtu))
    if what:
        seen.add(sw_obj(name))
        yield finding("SF-2", case.host, "%s [vmk:%s]" % (sw_obj(name), device),
                      "the plan changes the management vSwitch: %s" % ", ".join(what),
                      "leave %s out of the task, or set allow_management_path_change: true" % name)


ANY = "*"


def _declared_vswitch(case: Case, allowed: dict[tuple[str, str], set[str]]) -> None:
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


def _declared_teaming(spec: TeamingSpec) -> set[str]:
    out = {"teaming." + f for f in TEAMING_FIELDS if getattr(spec, f) is INHERIT or is_set(getattr(spec, f))}
    if "teaming.active" in out:
        out.add("teaming.standby")
    return out


def _declared_vmks(case: Case, allowed: dict[tuple[str, str], set[str]]) -> None:
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
        allowed[("vmk", device)].update({"portgroup", "vswitch", "dv_portgroup"}
                                        | {n for n in ("ip", "mtu") if is_set(getattr(spec, n))})
        if is_set(spec.services):
            allowed[("service", device)].add(ANY)


def _declared_dv_portgroups(case: Case, allowed: dict[tuple[str, str], set[str]]) -> None:
    """A declared dvPortgroup: created whole or removed (``state: absent``), or its declared VLAN and
    teaming fields edited."""
    for spec in case.desired.dv_portgroups:
        fields = allowed[("dv_portgroup", "%s/%s" % (spec.dvs, spec.name))]
        if case.observed.dv_portgroup_named(spec.dvs, spec.name) is None or spec.state == "absent":
            fields.add(ANY)
        else:
            fields.update({"vlan"} if is_set(spec.vlan) else set())
            fields.update(_declared_teaming(spec.teaming))


def _declared_dv_switches(case: Case, allowed: dict[tuple[str, str], set[str]]) -> None:
    """Declared uplinks of a distributed switch; a pnic declared there leaves the switch that holds it in O (its
    bridge and failover orders, as the API does, or the other distributed switch's uplink)."""
    o = case.observed
    places = pnic_places(o)
    for spec in case.desired.dv_switches:
        for uplink, pnics in spec.uplinks.items():
            allowed[("uplink", "%s/%s" % (spec.name, uplink))].add(ANY)
            for where in (places.get(p) for p in pnics):
                if where is not None and where[0] == "vss":
                    allowed[("vswitch", where[1])].update(("uplinks", "teaming.active", "teaming.standby"))
                    for pg in o.portgroups.values():
                        if pg.vswitch == where[1]:
                            allowed[("portgroup", pg.name)].update(("teaming.active", "teaming.standby"))
                elif where is not None and where[1] != spec.name:
                    allowed[("uplink", "%s/%s" % where[1:])].add(ANY)


def _declared_iscsi(case: Case, allowed: dict[tuple[str, str], set[str]]) -> None:
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
    allowed: dict[tuple[str, str], set[str]] = defaultdict(set)
    _declared_vswitch(case, allowed)
    _declared_vmks(case, allowed)
    _declared_dv_portgroups(case, allowed)
    _declared_dv_switches(case, allowed)
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
        carrying = [pg for pg in r.portgroups.values() if pg.vswitch == sw.name and vmks_carried(r, pg.name)]
        if not sw.uplinks and carrying:
            yield finding("SF-8", case.host, sw_obj(sw.name),
                          "the plan removes the last uplinks %s of %s, which carries %s"
                          % (name_list(removed), sw.name, ", ".join(d for pg in carrying for d in vmks_carried(r, pg.name))),
                          "keep at least one uplink in uplinks of %s" % sw.name)
            continue
        for pg in sorted(carrying, key=lambda p: p.name):
            pg_o = o.portgroups.get(pg.name)
            was_active = tuple(pg_o.effective.active or ()) if pg_o is not None else ()
            relied = [n for n in was_active if n in removed]
            if relied and not pg.effective.active:
                yield finding("SF-8", case.host, pg_obj(pg),
                              "removing %s from %s leaves %s (%s) without an active uplink (active was %s)"
                              % (name_list(relied), sw.name, pg.name, ", ".join(vmks_carried(r, pg.name)),
                                 name_list(was_active)),
                              "keep %s in uplinks of %s, or first move teaming.active of %s to %s"
                              % (name_list(relied), sw.name, pg.name, name_list(sw.uplinks)))


# ---------------------------------------------------------------------------------------
# SF: iSCSI path interlocks
# ---------------------------------------------------------------------------------------


def sf3_bound_vmk_changed_in_place(case: Case) -> Iterator[Finding]:
    """A bound vmk (or its teaming/uplink) changed while it stays bound."""
    unbound = unbound_by_plan(case)
    for vmk, (device, changes) in sorted(changed_bound_vmks(case.observed, case.after).items()):
        if (device, vmk) in unbound:
            continue
        yield finding("SF-3", case.host, "vmk:%s [hba:%s]" % (vmk, device),
                      "the plan changes bound %s in place: %s" % (vmk, ", ".join(changes)),
                      "set allow_path_disruption: true to unbind, change and rebind it, or leave %s out of the task" % vmk)


def _last_live(case: Case) -> Iterator[tuple[str, str, str]]:
    """(object, what, path) for each path the plan takes away: unbinds and target removals."""
    o = case.observed
    for device, vmk in sorted(unbound_by_plan(case)):
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


def _sf6_protected(case: Case) -> Iterator[tuple[str, str, str]]:
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


def _sf6_live_paths(case: Case) -> Iterator[tuple[str, str, str]]:
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


def _touched_vmks(case: Case) -> list[str]:
    """vmks of O whose binding-relevant state R changes (any of them might be bound)."""
    o, r = case.observed, case.after
    return [d for d in sorted(o.vmks, key=vmk_number) if bound_changes(o, r, d)]


def _new_dependent_bindings(case: Case) -> Iterator[tuple[IscsiAdapter, str]]:
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


_DRIFT_LIMIT = 8


def _drift(before: Any, after: Any, kind: str) -> list[str]:
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


def sf12_removed_dvportgroup_in_use(case: Case) -> Iterator[Finding]:
    """A dvPortgroup the plan removes still carries a vmk of this host."""
    o, r = case.observed, case.after
    for spec in case.desired.dv_portgroups:
        pg = o.dv_portgroup_named(spec.dvs, spec.name) if spec.state == "absent" else None
        if pg is None or pg.key in r.dv_portgroups:
            continue
        users = sorted((v for v in r.vmks.values() if v.dv_portgroup == pg.key), key=lambda v: v.number)
        if users:
            yield finding("SF-12", case.host, "dvportgroup:%s/%s" % (spec.dvs, spec.name),
                          "the plan removes dvPortgroup %s of %s, which still carries %s" % (
                              spec.name, spec.dvs, ", ".join(v.device for v in users)),
                          "remove or move %s first (state: absent in the same task), or keep the dvPortgroup"
                          % ", ".join(v.device for v in users))


RULES: tuple[Rule, ...] = (
    Rule("SF-1", ERROR, HOST, sf1_management_vmk,
         "DSC MigratePhysicalNicsOnly interlock; Ansible network resource-module docs; community.vmware vmware_vmkernel",
         step=4),
    Rule("SF-2", ERROR, HOST, sf2_management_path, "KB 1001938; community.vmware #1120; community.vmware #1439",
         flag="allow_management_path_change", step=4),
    Rule("SF-7", ERROR, HOST, sf7_undeclared_write, "community.vmware #934, #1136, #1297", step=4),
    Rule("SF-8", ERROR, HOST, sf8_drops_relied_uplink,
         "vSphere API UpdateVirtualSwitch; community.vmware vmware_vswitch (nics: [] removes every uplink)", step=4),
    Rule("SF-3", ERROR, HOST, sf3_bound_vmk_changed_in_place,
         "vSphere Storage (do not change iSCSI-bound VMkernel adapters); " + MULTIPATHING_ARTICLE, step=4),
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
    Rule("SF-11", ERROR, HOST, sf11_unbound_adapter_vmk, MULTIPATHING_ARTICLE,
         flag="allow_path_disruption", step=4),
    Rule("SF-12", ERROR, HOST, sf12_removed_dvportgroup_in_use,
         "vSphere Networking, Remove a Distributed Port Group; vSphere API Destroy_Task (ResourceInUse)", step=4),
)
