# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure iSCSI planner: the iSCSI part of R (adapters, bindings, targets, options) and its actions.

Private to this collection. Pure: imports no pyVmomi and opens no connection. Called by
``_planner.plan_host`` after the network part of R is built, so bindings resolve against the
vmks the same plan creates.

Invariants
- Omitted = left alone: bindings change only when ``bindings`` is given; one is removed only
  with ``purge_bindings``; a target is removed only by ``state: absent`` or ``purge``.
- Advanced options go on the send target (``isInherited`` false) so the static targets it
  discovers inherit them. For every key the task sets on a send target, a value held by one of
  its discovered static targets is reset to inherited (the documented cascade); a static target
  the task declares itself keeps the values declared for it (an explicit exception). CHAP
  (``chap``, ``mutual_chap``) declared on a send target cascades the same way, per direction.
- A vmk that stays bound is never changed in place: with ``allow_path_disruption`` the plan
  unbinds it before the network change and binds it again afterwards (remove + add binding
  actions of the same name); without the flag R keeps the change and rule SF-3 refuses it.
- A new software adapter is predicted as the lowest free ``vmhba64``+ device; the applier maps
  the predicted name to the one the host reports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import chap_to_doc, options_to_doc
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    INHERITED_CHAP,
    Action,
    ActionKind,
    Binding,
    BindingSpec,
    Chap,
    ChapSpec,
    Desired,
    Field,
    Host,
    IscsiAdapter,
    IscsiSpec,
    IscsiTarget,
    TargetKey,
    TargetSpec,
    is_set,
    migrated,
    vmk_number,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._profiles import ESXI_OPTION_DEFS

SOFTWARE_FIRST = 64  # ESXi 6.5+ names the software adapter vmhba64 (vmhba65, ... when taken)


def new_software_adapter(observed: Host) -> IscsiAdapter:
    """The adapter ``UpdateSoftwareInternetScsiEnabled(true)`` is predicted to create."""
    n = SOFTWARE_FIRST
    while "vmhba%d" % n in observed.iscsi:
        n += 1
    defaults = {k: d.default for k, d in ESXI_OPTION_DEFS.items()}
    return IscsiAdapter(device="vmhba%d" % n, software=True, enabled=True, option_defs=dict(ESXI_OPTION_DEFS),
                        values=defaults)


def resolve_adapter(iscsi: Mapping[str, IscsiAdapter], spec: IscsiSpec) -> IscsiAdapter | None:
    """The adapter a spec names (``adapter``) or the software adapter; None when there is none."""
    if is_set(spec.adapter):
        return iscsi.get(spec.adapter)
    return next((a for a in iscsi.values() if a.software), None)


def binding_device(host: Host, b: BindingSpec) -> str | None:
    """The vmk a binding names: the device, or the vmk on port group ``portgroup`` - a standard
    one, else a dvPortgroup of that name carrying exactly one vmk of the host (None otherwise)."""
    if b.vmk:
        return b.vmk if b.vmk in host.vmks else None
    vmk = host.vmk_on_portgroup(str(b.portgroup))
    if vmk is not None:
        return vmk.device
    on_dv = dv_portgroup_vmks(host, str(b.portgroup))
    return on_dv[0] if len(on_dv) == 1 else None


def dv_portgroup_vmks(host: Host, name: str) -> list[str]:
    """The vmks of ``host`` on a dvPortgroup named ``name`` (of any switch the host is a member of)."""
    keys = {k for k, pg in host.dv_portgroups.items() if pg.name == name}
    return sorted((d for d, v in host.vmks.items() if v.dv_portgroup in keys), key=vmk_number)


# ---------------------------------------------------------------------------------------
# Bound vmks changed in place (rule SF-3)
# ---------------------------------------------------------------------------------------


def bound_changes(observed: Host, after: Host, device: str) -> list[str]:
    """What R changes about bound vmk ``device`` that a binding depends on ([] = nothing)."""
    old = observed.vmks.get(device)
    new = after.vmks.get(device)
    if old is None:
        return []
    if new is None:
        return ["removed"]
    # a move between a standard and a distributed switch is a migration, checked path by path (rules MG-1, MG-2)
    fields = ("ip", "mtu", "netstack") if migrated(old, new) else ("ip", "mtu", "netstack", "portgroup", "vswitch")
    out = [name for name in fields if getattr(old, name) != getattr(new, name)]
    old_pg, new_pg = observed.portgroups.get(old.portgroup), after.portgroups.get(new.portgroup)
    if old_pg is not None and new_pg is not None:
        old_sw, new_sw = observed.vswitches.get(old_pg.vswitch), after.vswitches.get(new_pg.vswitch)
        old_eff = old_pg.override.merged_over(old_sw.teaming) if old_sw else old_pg.effective
        new_eff = new_pg.override.merged_over(new_sw.teaming) if new_sw else new_pg.effective
        if (old_eff.active, old_eff.standby or ()) != (new_eff.active, new_eff.standby or ()):
            out.append("failover order")
        active = set(new_eff.active or ())
        if old_sw and new_sw and active & set(old_sw.uplinks) != active & set(new_sw.uplinks):
            out.append("uplink")
        if old_pg.vlan != new_pg.vlan:
            out.append("vlan")
    return out


def changed_bound_vmks(observed: Host, after: Host) -> dict[str, tuple[str, list[str]]]:
    """vmk -> (adapter, changes) for every vmk bound in O whose binding R changes in place."""
    out: dict[str, tuple[str, list[str]]] = {}
    for device, adapter in sorted(observed.iscsi.items()):
        for vmk in adapter.bindings:
            changes = bound_changes(observed, after, vmk)
            if changes:
                out[vmk] = (device, changes)
    return out


# ---------------------------------------------------------------------------------------
# R
# ---------------------------------------------------------------------------------------


def chap_after(current: Chap, spec: Field[ChapSpec], always: bool) -> Chap:
    """One CHAP direction of one level in R: ``current`` when not declared; else the declared level
    and name (the name held when none is given), carrying the secret to write when the level or
    name changes, or on every run with ``update_secret: always``."""
    if not is_set(spec):
        return current
    name = spec.name if is_set(spec.name) else ("" if current.inherited else current.name)
    new = Chap(type=spec.type, name=name)
    write = always or new.held != current.held
    secret = spec.secret if write and spec.secret and spec.type != "prohibited" else None
    return dataclasses.replace(new, secret=secret)


def writes_secret(a: IscsiAdapter) -> bool:
    """True when R writes a CHAP secret anywhere on adapter ``a`` (its level or a target's)."""
    levels: list[IscsiAdapter | IscsiTarget] = [a, *a.send_targets.values(), *a.static_targets.values()]
    return any(level.chap.secret is not None or level.mutual_chap.secret is not None for level in levels)


def _merged(own: Mapping[str, Any], parent: Mapping[str, Any]) -> dict[str, Any]:
    values = dict(parent)
    values.update(own)
    return values


class _IscsiDraft:
    def __init__(self, observed: Host, net_after: Host, desired: Desired) -> None:
        self.observed, self.net, self.desired = observed, net_after, desired
        self.adapters: dict[str, IscsiAdapter] = dict(observed.iscsi)
        self.rescan: set[str] = set()
        self.rebind: set[tuple[str, str]] = set()

    def error(self, field_name: str, message: str) -> ArgumentError:
        return ArgumentError(field_name, message, self.observed.name)

    def apply(self, spec: IscsiSpec) -> None:
        adapter = resolve_adapter(self.adapters, spec)
        if adapter is None:
            if spec.software is not True or is_set(spec.adapter):
                return  # rule PB-11 reports it
            adapter = new_software_adapter(self.observed)
        if is_set(spec.software):
            if not adapter.software:
                raise self.error("software_iscsi", "%s is a hardware iSCSI adapter; software_iscsi applies to the "
                                 "software adapter (omit adapter)" % adapter.device)
            adapter = dataclasses.replace(adapter, enabled=bool(spec.software))
        if is_set(spec.iqn):
            adapter = dataclasses.replace(adapter, iqn=spec.iqn)
        if is_set(spec.alias):
            adapter = dataclasses.replace(adapter, alias=spec.alias)
        always = spec.update_secret == "always"
        adapter = dataclasses.replace(adapter, chap=chap_after(adapter.chap, spec.chap, always),
                                      mutual_chap=chap_after(adapter.mutual_chap, spec.mutual_chap, always))
        if spec.adapter_options or spec.exact:
            own = {} if spec.exact else dict(adapter.own)
            own.update(spec.adapter_options)
            reverted = {k: d.default for k, d in adapter.option_defs.items() if k in adapter.own and k not in own}
            adapter = dataclasses.replace(adapter, own=own, values=_merged(own, _merged(reverted, adapter.values)))
        if is_set(spec.bindings) or spec.unbind:
            adapter = self.bindings(adapter, spec)
        adapter = self.targets(adapter, spec)
        self.adapters[adapter.device] = adapter

    def bindings(self, adapter: IscsiAdapter, spec: IscsiSpec) -> IscsiAdapter:
        wanted: list[str] = []
        for i, b in enumerate(spec.bindings if is_set(spec.bindings) else ()):
            device = binding_device(self.net, b)
            if device is None:
                field_name = "bindings[%d].%s" % (i, "vmk" if b.vmk else "portgroup")
                several = [] if b.vmk else dv_portgroup_vmks(self.net, str(b.portgroup))
                if several:
                    raise self.error(field_name, "%s: dvPortgroup %s carries %s; name the one to bind ({vmk: %s})"
                                     % (b.describe(), b.portgroup, ", ".join(several), several[0]))
                known = ", ".join(sorted(self.net.vmks, key=vmk_number)) or "none"
                raise self.error(field_name, "%s: no such vmk on this host (vmks: %s)" % (b.describe(), known))
            wanted.append(device)
        current = dict(adapter.bindings)
        kept = {d: b for d, b in current.items() if d in wanted or not spec.purge_bindings}
        for device in wanted:
            if device not in kept:
                kept[device] = Binding(vmk=device)
        for b in spec.unbind:
            kept.pop(binding_device(self.observed, b) or "", None)
        return dataclasses.replace(adapter, bindings=kept)

    def targets(self, adapter: IscsiAdapter, spec: IscsiSpec) -> IscsiAdapter:
        sends = dict(adapter.send_targets)
        statics = dict(adapter.static_targets)
        listed_sends = {t.key for t in spec.send_targets}
        listed_statics = {t.key for t in spec.static_targets}
        before = (set(sends), set(statics))
        for t in spec.send_targets:
            if t.state == "absent":
                self._drop_send(sends, statics, t.key)
                continue
            current = sends.get(t.key)
            own = dict(current.own) if current and not spec.exact else {}
            own.update(t.options)
            chap, mutual = self._target_chap(current, t, spec)
            sends[t.key] = IscsiTarget(address=t.address, port=t.port, own=own, values=_merged(own, adapter.values),
                                       chap=chap, mutual_chap=mutual)
            for key, static in list(statics.items()):
                if static.discovered_from == t.portal and key not in listed_statics:
                    reset = {k: v for k, v in static.own.items() if k not in t.options}
                    statics[key] = dataclasses.replace(  # CHAP the send target declares cascades the same way
                        static, own=reset, values=_merged(reset, sends[t.key].values),
                        chap=INHERITED_CHAP if is_set(t.chap) else static.chap,
                        mutual_chap=INHERITED_CHAP if is_set(t.mutual_chap) else static.mutual_chap)
        for t in spec.static_targets:
            if t.state == "absent":
                if t.key in statics and not statics[t.key].discovered_from:
                    del statics[t.key]
                continue
            current = statics.get(t.key)
            own = dict(current.own) if current and not spec.exact else {}
            own.update(t.options)
            parent = next((s for s in sends.values() if current is not None and s.portal == current.discovered_from), None)
            base = parent.values if parent is not None else adapter.values
            chap, mutual = self._target_chap(current, t, spec)
            statics[t.key] = IscsiTarget(address=t.address, port=t.port, iqn=t.iqn,
                                         discovered_from=current.discovered_from if current else "",
                                         own=own, values=_merged(own, base), chap=chap, mutual_chap=mutual)
        if spec.purge_targets:
            for key in [k for k in sends if k not in listed_sends]:
                self._drop_send(sends, statics, key)
            for key in [k for k, s in statics.items() if k not in listed_statics and not s.discovered_from]:
                del statics[key]
        if spec.rescan and (set(sends), set(statics)) != before:
            self.rescan.add(adapter.device)
        return dataclasses.replace(adapter, send_targets=sends, static_targets=statics)

    @staticmethod
    def _target_chap(current: IscsiTarget | None, t: TargetSpec, spec: IscsiSpec) -> tuple[Chap, Chap]:
        """A declared target's (one-way, mutual) CHAP in R: a new target inherits unless it declares its own."""
        always = spec.update_secret == "always"
        return (chap_after(current.chap if current else INHERITED_CHAP, t.chap, always),
                chap_after(current.mutual_chap if current else INHERITED_CHAP, t.mutual_chap, always))

    @staticmethod
    def _drop_send(sends: dict[TargetKey, IscsiTarget], statics: dict[TargetKey, IscsiTarget], key: TargetKey) -> None:
        target = sends.pop(key, None)
        if target is None:
            return
        for static_key in [k for k, s in statics.items() if s.discovered_from == target.portal]:
            del statics[static_key]

    def disrupt(self) -> None:
        """Bound vmks changed in place: with allow_path_disruption unbind/rebind them (or just
        unbind a removed one); without it R keeps the binding and rule SF-3 refuses."""
        if not self.desired.flags.allow_path_disruption:
            return
        for vmk, (device, changes) in changed_bound_vmks(self.observed, self.net).items():
            adapter = self.adapters.get(device)
            if adapter is None or vmk not in adapter.bindings:
                continue
            if changes == ["removed"]:
                kept = {d: b for d, b in adapter.bindings.items() if d != vmk}
                self.adapters[device] = dataclasses.replace(adapter, bindings=kept)
            else:
                self.rebind.add((device, vmk))


def plan_iscsi(observed: Host, net_after: Host, desired: Desired) -> tuple[dict[str, IscsiAdapter], tuple[Action, ...]]:
    """The iSCSI adapters of R and the iSCSI actions (unordered) for one host."""
    draft = _IscsiDraft(observed, net_after, desired)
    for spec in desired.iscsi:
        draft.apply(spec)
    draft.disrupt()
    actions = list(iscsi_actions(observed, draft.adapters, draft.rescan, draft.rebind))
    return draft.adapters, tuple(actions)


# ---------------------------------------------------------------------------------------
# Actions from observed vs R
# ---------------------------------------------------------------------------------------


def chap_fields(level: IscsiAdapter | IscsiTarget) -> dict[str, Any]:
    """The CHAP a level holds as plan fields (``chap.type``, ``chap.name``, ``mutual_chap.*``: what the document
    shows, ``chap_to_doc``). A secret to write shows only as ``chap.secret: written``, never its value."""
    out = {"%s.%s" % (direction, k): v for direction, entry in chap_to_doc(level).items() for k, v in entry.items()}
    out.update({direction + ".secret": "written" for direction, c in (("chap", level.chap), ("mutual_chap", level.mutual_chap))
                if c.secret is not None})
    return out


def _opts(t: IscsiTarget | None) -> dict[str, Any]:
    if t is None:
        return {}
    return dict(options_to_doc(t.own), **chap_fields(t))


def _option_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (before.get(k), after.get(k)) for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k)}


def _target_actions(host: str, device: str, kind: ActionKind, old: Mapping[TargetKey, IscsiTarget],
                    new: Mapping[TargetKey, IscsiTarget]) -> Iterator[Action]:
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        target = b if b is not None else a
        if target is None:
            continue
        name = "%s/%s%s" % (device, target.portal, "/" + target.iqn if target.iqn else "")
        if a is None:
            yield Action(host, "add", kind, name, _option_changes({}, _opts(b)))
        elif b is None:
            if not a.discovered_from:  # discovered targets go with their send target
                yield Action(host, "remove", kind, name, {})
        elif _opts(a) != _opts(b):
            yield Action(host, "edit", kind, name, _option_changes(_opts(a), _opts(b)))


def _adapter_fields(a: IscsiAdapter) -> dict[str, Any]:
    fields: dict[str, Any] = {"iqn": a.iqn, "alias": a.alias}
    fields.update({"options." + k: v for k, v in options_to_doc(a.own).items()})
    fields.update(chap_fields(a))
    return fields


def iscsi_actions(observed: Host, after: Mapping[str, IscsiAdapter], rescan: set[str],
                  rebind: set[tuple[str, str]]) -> Iterator[Action]:
    host = observed.name
    for device in sorted(set(observed.iscsi) | set(after)):
        old, new = observed.iscsi.get(device), after.get(device)
        if new is None or old == new and not writes_secret(new) and device not in rescan and not any(d == device for d, _v in rebind):
            continue
        usable_before = old is not None and old.enabled
        if new.enabled and not usable_before:
            yield Action(host, "add", "adapter", device, {"enabled": (False if old else None, True)})
        elif usable_before and not new.enabled:
            yield Action(host, "remove", "adapter", device, {"enabled": (True, False)})
        if old is not None:
            before_fields = _adapter_fields(old)
            changes = {k: (before_fields.get(k), v) for k, v in _adapter_fields(new).items() if before_fields.get(k) != v}
            changes.update({k: (v, None) for k, v in before_fields.items() if k not in _adapter_fields(new)})
        else:
            changes = {k: (None, v) for k, v in _adapter_fields(new).items() if v}
        if changes:
            yield Action(host, "edit", "adapter", device, changes)
        old_bound = set(old.bindings) if old else set()
        for vmk in sorted(old_bound - set(new.bindings)):
            yield Action(host, "remove", "binding", "%s:%s" % (device, vmk), {"bound": (True, False)})
        for vmk in sorted(set(new.bindings) - old_bound):
            yield Action(host, "add", "binding", "%s:%s" % (device, vmk), {"bound": (False, True)})
        for d, vmk in sorted(rebind):
            if d == device:
                yield Action(host, "remove", "binding", "%s:%s" % (device, vmk), {"bound": (True, False), "rebind": (None, True)})
                yield Action(host, "add", "binding", "%s:%s" % (device, vmk), {"bound": (False, True), "rebind": (None, True)})
        yield from _target_actions(host, device, "send_target", old.send_targets if old else {}, new.send_targets)
        yield from _target_actions(host, device, "static_target", old.static_targets if old else {}, new.static_targets)
        if device in rescan:
            yield Action(host, "rescan", "adapter", device, {})
