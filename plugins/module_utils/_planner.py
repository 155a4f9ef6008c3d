# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure planner: observed host + desired state -> resulting state R and ordered actions.

Private to this collection. Pure: imports no pyVmomi and opens no connection.

Invariants
- ``Plan.after`` (R) is the observed host with the desired state applied field by field:
  OMIT leaves the observed value, INHERIT clears a port-group override field (the failover
  order inherits as a unit), an explicit value replaces. Nothing else changes, except what a
  documented rule derives (a NIC removed from a bridge leaves every failover order, as the
  API does; a NIC added to a bridge joins the vSwitch's active list, as ESXi does).
- Actions are derived from the difference between observed and R, so a no-op desired state
  gives zero actions and ``after == observed``; ``changes`` only holds fields that differ.
- Actions come in the safe order of ``ORDER`` and are sorted by name within a group.
- A netstack change of an existing vmk is never silently applied: without ``allow_recreate``
  the vmk stays as observed in R (the validator refuses with NS-1); with it, the vmk is
  removed and added again with the same device and its services re-selected.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_plan import plan_iscsi
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    INHERIT,
    NEW_DV_KEY,
    OMIT,
    Action,
    ActionKind,
    ActionOp,
    Desired,
    DvPortgroup,
    DvPortgroupSpec,
    DvSwitch,
    DvSwitchSpec,
    Host,
    Ip,
    PortGroup,
    Teaming,
    TeamingSpec,
    Vmk,
    VmkSpec,
    VSwitch,
    VSwitchSpec,
    is_set,
    migrated,
    vmk_number,
)

ORDER: tuple[tuple[str, str], ...] = (
    ("remove", "static_target"),
    ("remove", "send_target"),
    ("remove", "binding"),
    ("remove", "adapter"),
    ("add", "dv_portgroup"),
    ("edit", "dv_portgroup"),
    ("add", "vswitch"),
    ("edit", "vswitch"),
    ("edit", "uplink"),
    ("add", "portgroup"),
    ("edit", "portgroup"),
    ("add", "vmk"),
    ("edit", "vmk"),
    ("deselect", "service"),
    ("select", "service"),
    ("remove", "vmk"),
    ("remove", "portgroup"),
    ("remove", "vswitch"),
    ("remove", "dv_portgroup"),
    ("add", "adapter"),
    ("edit", "adapter"),
    ("add", "binding"),
    ("add", "send_target"),
    ("add", "static_target"),
    ("edit", "send_target"),
    ("edit", "static_target"),
    ("rescan", "adapter"),
)
"""The safe order of action groups (create before use, stop using before delete): iSCSI
removals (targets, unbind, disable) before any network change, iSCSI additions after it.
dvPortgroups (switch-wide, written once through vCenter) come before the hosts' own changes, and are
removed after them (once no vmk of the plan is on them)."""

TEAMING_FIELDS = ("policy", "active", "standby", "failback", "notify_switches", "failure_detection")
DEDICATED_STACKS = {"vmotion": "vmotion", "provisioning": "vSphereProvisioning"}
"""Netstacks that carry one service implicitly: declared services are not selected there."""

NEW_VSWITCH_MTU = 1500
NEW_VMK_MTU = 1500


@dataclass(frozen=True)
class Stage:
    """One network write of a migration that moves bound iSCSI vmks between a standard and a distributed
    switch: the host's network state after it, and the one path it moves (``vmk``, bound to ``adapter``,
    with the ``pnics`` it needs), read back before the next write."""

    state: Host
    adapter: str
    vmk: str
    pnics: tuple[str, ...]


@dataclass(frozen=True)
class Plan:
    """The plan of one host: ordered actions and the resulting state R.

    ``stages`` are the intermediate network states of a migration, one bound iSCSI path at a time (actions
    ``step`` 1..n); the last write (step n + 1) leads from the last stage to R. () = one network write."""

    host: str
    actions: tuple[Action, ...]
    after: Host
    stages: tuple[Stage, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.actions)


def new_vswitch_teaming(uplinks: tuple[str, ...]) -> Teaming:
    """The teaming ESXi gives a vSwitch created without a policy: srcid, active = bridge NICs."""
    return Teaming(policy="srcid", active=tuple(uplinks), standby=(), failback=True,
                   notify_switches=True, failure_detection="link_status")


# ---------------------------------------------------------------------------------------
# Matching desired objects to observed ones
# ---------------------------------------------------------------------------------------


def match_vmk(host: Host, spec: VmkSpec) -> Vmk | None:
    """The vmk of ``host`` a spec refers to: by ``device`` if given, else by port group (with
    ``dvswitch``: the vmk on that switch's dvPortgroup of the name)."""
    if is_set(spec.device):
        return host.vmks.get(spec.device)
    if is_set(spec.dvswitch):
        pg = host.dv_portgroup_named(spec.dvswitch, spec.portgroup)
        return next((v for v in host.vmks.values() if pg is not None and v.dv_portgroup == pg.key), None)
    return host.vmk_on_portgroup(spec.portgroup)


def wants_recreate(observed: Host, spec: VmkSpec) -> bool:
    """True when the spec asks an existing vmk to move to another netstack (rule NS-1)."""
    vmk = match_vmk(observed, spec)
    return (spec.state == "present" and vmk is not None and is_set(spec.netstack)
            and spec.netstack != vmk.netstack)


# ---------------------------------------------------------------------------------------
# Teaming
# ---------------------------------------------------------------------------------------


def _field(spec_value: Any, current: Any) -> Any:
    """One override leaf: OMIT keeps ``current``, INHERIT clears it, a value replaces it."""
    if spec_value is OMIT:
        return current
    if spec_value is INHERIT:
        return None
    return spec_value


def apply_teaming(current: Teaming, spec: TeamingSpec) -> Teaming:
    """``current`` with the declared fields of ``spec`` applied; the order moves as a unit."""
    if spec.active is INHERIT:
        active, standby = None, None
    elif is_set(spec.active):
        active = tuple(spec.active)
        standby = tuple(spec.standby) if is_set(spec.standby) else ()
    else:
        active, standby = current.active, current.standby
    return Teaming(
        policy=_field(spec.policy, current.policy),
        active=active,
        standby=standby,
        failback=_field(spec.failback, current.failback),
        notify_switches=_field(spec.notify_switches, current.notify_switches),
        failure_detection=_field(spec.failure_detection, current.failure_detection),
    )


def overlay(own: Teaming, base: Teaming) -> Teaming:
    """The effective teaming of a dvPortgroup: its own leaves over the switch's (the order as one unit)."""
    ordered = own.active is not None
    return Teaming(
        policy=own.policy if own.policy is not None else base.policy,
        active=own.active if ordered else base.active,
        standby=own.standby if ordered else base.standby,
        failback=own.failback if own.failback is not None else base.failback,
        notify_switches=own.notify_switches if own.notify_switches is not None else base.notify_switches,
        failure_detection=own.failure_detection if own.failure_detection is not None else base.failure_detection,
    )


def drop_nics(teaming: Teaming, removed: frozenset[str]) -> Teaming:
    """``teaming`` without the removed NICs in its order (what the API does silently)."""
    if teaming.active is None or not removed:
        return teaming
    return dataclasses.replace(
        teaming,
        active=tuple(n for n in teaming.active if n not in removed),
        standby=tuple(n for n in teaming.standby or () if n not in removed),
    )


# ---------------------------------------------------------------------------------------
# The draft: R under construction
# ---------------------------------------------------------------------------------------


class _Draft:
    """Mutable copies of the observed maps; ``freeze`` turns them into the R host."""

    def __init__(self, observed: Host, desired: Desired) -> None:
        self.observed = observed
        self.desired = desired
        self.vswitches: dict[str, VSwitch] = dict(observed.vswitches)
        self.portgroups: dict[str, PortGroup] = dict(observed.portgroups)
        self.vmks: dict[str, Vmk] = dict(observed.vmks)
        self.dv_portgroups: dict[str, DvPortgroup] = dict(observed.dv_portgroups)
        self.dv_switches: dict[str, DvSwitch] = dict(observed.dv_switches)
        self.recreated: set[str] = set()
        self.allocated: set[str] = set()

    def error(self, field_name: str, message: str) -> ArgumentError:
        return ArgumentError(field_name, message, self.observed.name)

    # -- vSwitches ------------------------------------------------------------------------

    def vswitch(self, spec: VSwitchSpec) -> None:
        """Add, edit (declared fields only) or remove one vSwitch."""
        current = self.vswitches.get(spec.name)
        if spec.state == "absent":
            if current is not None:
                self.remove_vswitch(spec.name)
            return
        if current is None:
            uplinks = tuple(spec.uplinks) if is_set(spec.uplinks) else ()
            team = apply_teaming(new_vswitch_teaming(uplinks), spec.teaming)
            mtu = spec.mtu if is_set(spec.mtu) else NEW_VSWITCH_MTU
            self.vswitches[spec.name] = VSwitch(name=spec.name, uplinks=uplinks, mtu=mtu, teaming=team)
            return
        self.edit_vswitch(current, spec)

    def edit_vswitch(self, current: VSwitch, spec: VSwitchSpec) -> None:
        """Declared fields replace; a changed bridge updates every order on the switch."""
        uplinks = tuple(spec.uplinks) if is_set(spec.uplinks) else current.uplinks
        removed = frozenset(current.uplinks) - frozenset(uplinks)
        added = tuple(n for n in uplinks if n not in current.uplinks)
        team = drop_nics(current.teaming, removed)
        if added and team.active is not None:
            team = dataclasses.replace(team, active=team.active + added)
        team = apply_teaming(team, spec.teaming)
        mtu = spec.mtu if is_set(spec.mtu) else current.mtu
        self.vswitches[current.name] = dataclasses.replace(current, uplinks=uplinks, mtu=mtu, teaming=team)
        if removed:
            for name, pg in list(self.portgroups.items()):
                if pg.vswitch == current.name:
                    self.portgroups[name] = dataclasses.replace(pg, override=drop_nics(pg.override, removed))

    def remove_vswitch(self, name: str) -> None:
        """The vSwitch goes, and with it its port groups and their vmks."""
        for pg_name in [p.name for p in self.portgroups.values() if p.vswitch == name]:
            for device in [v.device for v in self.vmks.values() if v.portgroup == pg_name]:
                del self.vmks[device]
            del self.portgroups[pg_name]
        del self.vswitches[name]

    # -- physical NICs: on a vSwitch's bridge or behind an uplink of a distributed switch ------

    def dv_uplinks(self, spec: DvSwitchSpec) -> None:
        """Put the declared pnics behind the declared uplinks of one distributed switch (the host's proxy
        switch); LAG membership is not managed (a LAG listed as read is accepted)."""
        switch = self.dv_switches.get(spec.name)
        if switch is None:
            raise self.error("dv_switches", "%r is not a distributed switch this host is a member of (member of: %s)"
                             % (spec.name, ", ".join(sorted(self.dv_switches)) or "none"))
        uplinks = dict(switch.uplinks)
        for name, pnics in spec.uplinks.items():
            where = "dv_switches.%s.uplinks.%s" % (spec.name, name)
            held = switch.uplinks.get(name, ())
            if name in switch.lags:
                if tuple(pnics) != held:
                    raise self.error(where, "LAG membership is not managed by this collection (%s has [%s]); list the "
                                     "LAG as read or leave it out" % (name, ", ".join(held)))
                continue
            if name not in switch.uplinks:
                known = ", ".join(switch.uplink_names) or "none"
                raise self.error(where, "not an uplink of %s (uplinks: %s)" % (spec.name, known))
            if len(pnics) > 1:
                raise self.error(where, "an uplink carries one physical NIC, got %s" % ", ".join(pnics))
            unknown = [p for p in pnics if p not in self.observed.pnics]
            if unknown:
                raise self.error(where, "%s is not a physical NIC of this host (NICs: %s)"
                                 % (unknown[0], ", ".join(sorted(self.observed.pnics)) or "none"))
            uplinks[name] = tuple(pnics)
        seen: dict[str, str] = {}
        for name, pnics in uplinks.items():
            for pnic in pnics:
                if seen.setdefault(pnic, name) != name:
                    raise self.error("dv_switches.%s.uplinks" % spec.name, "%s is behind both %s and %s; a physical NIC "
                                     "backs one uplink" % (pnic, seen[pnic], name))
        self.dv_switches[spec.name] = dataclasses.replace(switch, uplinks=uplinks)

    def settle_pnics(self) -> None:
        """A pnic is on one switch: one declared behind a distributed switch's uplink leaves the vSwitch (or other
        distributed switch) it is on - a migration. The way back is explicit: free the uplink (``[]``) and list the
        pnic in the vSwitch's ``uplinks`` (a pnic a vSwitch claims while another switch holds it is rule TS-2). A pnic
        declared on a vSwitch and a distributed switch is an error."""
        on_vss = {pnic: sw.name for sw in self.desired.vswitches if sw.state == "present" and is_set(sw.uplinks)
                  for pnic in sw.uplinks}
        declared: dict[str, str] = {}
        for dv_spec in self.desired.dv_switches:
            for pnic in (p for held in dv_spec.uplinks.values() for p in held):
                other = on_vss.get(pnic) or declared.get(pnic, dv_spec.name)
                if other != dv_spec.name:
                    raise self.error("dv_switches.%s.uplinks" % dv_spec.name, "%s is also declared on %s; a physical "
                                     "NIC is on one switch" % (pnic, other))
                declared[pnic] = dv_spec.name
        for pnic, owner in sorted(declared.items()):
            self.release(pnic, keep=owner)

    def release(self, pnic: str, keep: str = "") -> None:
        """Take ``pnic`` off every switch but ``keep``: out of a vSwitch's bridge (and its failover orders, as the
        API does) or from behind a distributed switch's uplink."""
        for sw in list(self.vswitches.values()):
            if sw.name != keep and pnic in sw.uplinks:
                self.edit_vswitch(sw, VSwitchSpec(name=sw.name, uplinks=tuple(n for n in sw.uplinks if n != pnic)))
        for ds in list(self.dv_switches.values()):
            if ds.name != keep and any(pnic in held for held in ds.uplinks.values()):
                self.dv_switches[ds.name] = dataclasses.replace(
                    ds, uplinks={n: tuple(p for p in held if p != pnic) for n, held in ds.uplinks.items()})

    def place(self, pnic: str, where: tuple[str, ...] | None, after: Host) -> None:
        """Put ``pnic`` where R has it (``pnic_places``): behind its uplink, or into its vSwitch's bridge in R's
        order (the vSwitch as R has it, with only the NICs already moved)."""
        if where is None:
            return
        if where[0] == "dvs":
            ds = self.dv_switches[where[1]]
            self.dv_switches[ds.name] = dataclasses.replace(
                ds, uplinks=dict(ds.uplinks, **{where[2]: ds.uplinks.get(where[2], ()) + (pnic,)}))
            return
        self.vswitch_as_in(after, where[1], (pnic,))

    def vswitch_as_in(self, after: Host, name: str, joining: tuple[str, ...] = ()) -> None:
        """vSwitch ``name`` as R has it, with only the NICs it already has here plus ``joining`` (in R's order)."""
        target, current = after.vswitches[name], self.vswitches.get(name)
        have = set(current.uplinks) if current is not None else set()
        uplinks = tuple(n for n in target.uplinks if n in have or n in joining)
        self.vswitches[name] = dataclasses.replace(
            target, uplinks=uplinks, teaming=drop_nics(target.teaming, frozenset(target.uplinks) - set(uplinks)))

    # -- dvPortgroups (switch-wide; the host's view of them) ------------------------------

    def dv_portgroup(self, spec: DvPortgroupSpec) -> None:
        """Create a dvPortgroup (inheriting the switch's teaming where the spec declares none) or edit its
        declared fields; ``inherit`` returns a leaf to the switch's value."""
        switch = self.observed.dv_switches.get(spec.dvs)
        current = self.observed.dv_portgroup_named(spec.dvs, spec.name)
        if switch is None and current is None:
            raise self.error("dvswitch", "%r is not a distributed switch this host is a member of (member of: %s)"
                             % (spec.dvs, ", ".join(sorted(self.observed.dv_switches)) or "none"))
        # a document read back (offline) knows a dvPortgroup but not its switch: its own uplink map stands in
        uplinks = switch.uplinks if switch is not None else current.uplinks if current is not None else {}
        lags = switch.lags if switch is not None else current.lags if current is not None else ()
        team = spec.teaming
        listed = [n for field_value in (team.active, team.standby, team.unused) if is_set(field_value) for n in field_value]
        unknown = [n for n in listed if n not in uplinks]
        if unknown:
            raise self.error(spec.teaming_field, "%s not an uplink or LAG of %s (uplinks: %s%s)" % (
                ", ".join(unknown) + (" is" if len(unknown) == 1 else " are"), spec.dvs,
                ", ".join(n for n in uplinks if n not in lags) or "none", "; LAGs: %s" % ", ".join(lags) if lags else ""))
        own = apply_teaming(current.own if current is not None else Teaming(), team)
        if current is None and switch is not None:
            new = DvPortgroup(key=NEW_DV_KEY % (spec.dvs, spec.name), name=spec.name, dvs=spec.dvs,
                              vlan=spec.vlan if is_set(spec.vlan) else 0, teaming=overlay(own, switch.teaming),
                              lags=switch.lags, uplinks=dict(switch.uplinks), own=own)
        elif current is not None:
            base = switch.teaming if switch is not None else current.teaming
            new = dataclasses.replace(current, vlan=spec.vlan if is_set(spec.vlan) else current.vlan,
                                      teaming=overlay(own, base), own=own)
        else:
            return  # unreachable: refused above (no switch and no such dvPortgroup)
        self.dv_portgroups[new.key] = new

    def remove_dv_portgroup(self, spec: DvPortgroupSpec) -> None:
        """Remove a dvPortgroup (switch-wide, after the hosts' changes). A vmk still on it is refused by
        rule SF-12, not here: the plan shows it."""
        current = self.observed.dv_portgroup_named(spec.dvs, spec.name)
        if current is not None:
            self.dv_portgroups.pop(current.key, None)

    def dv_vmk(self, spec: VmkSpec) -> None:
        """A vmk on a dvPortgroup of ``spec.dvswitch``: add, edit (ip, mtu, netstack, services) or remove; a vmk
        the spec names by device on a standard port group is migrated to it in place. A vmk never moves between
        two dvPortgroups here."""
        pg = next((p for p in self.dv_portgroups.values() if p.dvs == spec.dvswitch and p.name == spec.portgroup), None)
        current = match_vmk(dataclasses.replace(self.observed, vmks=self.vmks, dv_portgroups=self.dv_portgroups), spec)
        migrating = current is not None and not current.distributed and pg is not None and spec.state == "present"
        if current is not None and not migrating and (pg is None or current.dv_portgroup != pg.key):
            where = "port group %s" % current.portgroup if current.portgroup else "another dvPortgroup"
            raise self.error("dvswitch", "%s is on %s, not on dvPortgroup %s of %s; a vmk moves in place only between "
                             "a standard port group and a dvPortgroup: remove it (state: absent) and add it again"
                             % (current.device, where, spec.portgroup, spec.dvswitch))
        if spec.state == "absent":
            if current is not None:
                del self.vmks[current.device]  # the dvPortgroup stays: it is switch-wide
            return
        if pg is None:
            raise self.error("portgroup", "dvPortgroup %r does not exist on %s and the task does not declare it"
                             % (spec.portgroup, spec.dvswitch))
        if current is None:
            if not is_set(spec.ip):
                raise self.error("ip", "required to create a vmk on dvPortgroup %r" % spec.portgroup)
            device = spec.device if is_set(spec.device) else self.observed.next_vmk_device(
                frozenset(self.allocated | set(self.vmks)))
            self.allocated.add(device)
            netstack = spec.netstack if is_set(spec.netstack) else "default"
            self.vmks[device] = Vmk(device=device, portgroup="", vswitch="", ip=spec.ip.as_ip(),
                                    mtu=spec.mtu if is_set(spec.mtu) else NEW_VMK_MTU, netstack=netstack,
                                    services=_services(spec, netstack, frozenset()), dv_portgroup=pg.key)
            return
        self._edit_fields(current, spec, "", "", pg.key)  # from a standard port group: migrated in place

    # -- vmks and their port groups -------------------------------------------------------

    def vmk(self, spec: VmkSpec) -> None:
        """Apply one VmkSpec: its port group first, then the vmk itself."""
        if is_set(spec.dvswitch):
            self.dv_vmk(spec)
            return
        current = match_vmk(self.observed, spec)
        if current is not None and current.device not in self.vmks:
            current = None  # removed earlier in this plan (with its vSwitch)
        if spec.state == "absent":
            self.remove_vmk(current, spec)
            return
        pg = self.portgroup(spec)
        if current is None:
            self.add_vmk(spec, pg)
        else:
            self.edit_vmk(current, spec, pg)

    def portgroup(self, spec: VmkSpec) -> PortGroup:
        """Create the spec's port group or edit its declared fields; returns it as in R."""
        current = self.portgroups.get(spec.portgroup)
        if current is None:
            if not is_set(spec.vswitch):
                raise self.error("vswitch", "required to create port group %r, which does not exist on this host"
                                 % spec.portgroup)
            self._require_vswitch(spec.vswitch)
            pg = PortGroup(name=spec.portgroup, vswitch=spec.vswitch,
                           vlan=spec.vlan if is_set(spec.vlan) else 0,
                           override=apply_teaming(Teaming(), spec.teaming))
        else:
            vswitch = spec.vswitch if is_set(spec.vswitch) else current.vswitch
            if vswitch != current.vswitch:
                self._require_vswitch(vswitch)
            pg = dataclasses.replace(current, vswitch=vswitch,
                                     vlan=spec.vlan if is_set(spec.vlan) else current.vlan,
                                     override=apply_teaming(current.override, spec.teaming))
        self.portgroups[pg.name] = pg
        return pg

    def _require_vswitch(self, name: str) -> None:
        if name not in self.vswitches:
            raise self.error("vswitch", "%r does not exist on this host (vSwitches: %s)"
                             % (name, ", ".join(sorted(self.vswitches)) or "none"))

    def add_vmk(self, spec: VmkSpec, pg: PortGroup) -> None:
        """A new vmk: declared values, else ESXi's creation defaults (mtu 1500, default stack)."""
        if not is_set(spec.ip):
            raise self.error("ip", "required to create a vmk on port group %r" % spec.portgroup)
        if is_set(spec.device):
            device = spec.device
        else:
            device = self.observed.next_vmk_device(frozenset(self.allocated | set(self.vmks)))
        self.allocated.add(device)
        netstack = spec.netstack if is_set(spec.netstack) else "default"
        self.vmks[device] = Vmk(
            device=device, portgroup=pg.name, vswitch=pg.vswitch, ip=spec.ip.as_ip(),
            mtu=spec.mtu if is_set(spec.mtu) else NEW_VMK_MTU, netstack=netstack,
            services=_services(spec, netstack, frozenset()))

    def edit_vmk(self, current: Vmk, spec: VmkSpec, pg: PortGroup) -> None:
        """Declared fields replace; a netstack change recreates only with allow_recreate."""
        self._edit_fields(current, spec, pg.name, pg.vswitch)

    def _edit_fields(self, current: Vmk, spec: VmkSpec, portgroup: str, vswitch: str, dv_portgroup: str = "") -> None:
        """Declared fields replace; the vmk is put on ``portgroup`` of ``vswitch`` or on dvPortgroup ``dv_portgroup``
        (a vmk crossing between the two kinds keeps its device, IP, bindings and tags: a migration)."""
        netstack, services = current.netstack, current.services
        if is_set(spec.netstack) and spec.netstack != current.netstack and self.desired.flags.allow_recreate:
            netstack = spec.netstack
            self.recreated.add(current.device)
            if netstack in DEDICATED_STACKS:
                services = frozenset()  # a recreated vmk on a dedicated stack carries its service implicitly
        self.vmks[current.device] = dataclasses.replace(
            current, portgroup=portgroup, vswitch=vswitch, dv_portgroup=dv_portgroup,
            ip=spec.ip.as_ip() if is_set(spec.ip) else current.ip,
            mtu=spec.mtu if is_set(spec.mtu) else current.mtu,
            netstack=netstack,
            services=_services(spec, netstack, services))

    def remove_vmk(self, current: Vmk | None, spec: VmkSpec) -> None:
        """Remove the vmk, then its port group when nothing else uses it."""
        pg_name = spec.portgroup
        if current is not None:
            pg_name = current.portgroup
            del self.vmks[current.device]
        pg = self.portgroups.get(pg_name)
        if pg is None or pg.vm_ports:
            return
        if any(v.portgroup == pg_name for v in self.vmks.values()):
            return
        del self.portgroups[pg_name]

    # -- R --------------------------------------------------------------------------------

    def freeze(self) -> Host:
        """R: the drafted maps, each changed port group's effective teaming recomputed, each dvPortgroup's
        uplink map (this host's pnics behind each uplink) following its switch's."""
        for name, pg in list(self.portgroups.items()):
            sw = self.vswitches.get(pg.vswitch)
            if sw is None or not self._teaming_moved(pg, sw):
                continue
            self.portgroups[name] = dataclasses.replace(pg, effective=pg.override.merged_over(sw.teaming))
        for key, dv in list(self.dv_portgroups.items()):
            ds = self.dv_switches.get(dv.dvs)
            if ds is not None and dv.uplinks != ds.uplinks:
                self.dv_portgroups[key] = dataclasses.replace(dv, uplinks=dict(ds.uplinks))
        return dataclasses.replace(self.observed, vswitches=self.vswitches, portgroups=self.portgroups,
                                   vmks=self.vmks, dv_portgroups=self.dv_portgroups, dv_switches=self.dv_switches)

    def _teaming_moved(self, pg: PortGroup, sw: VSwitch) -> bool:
        """True when the port group is new or its override or its switch's teaming changed."""
        before = self.observed.portgroups.get(pg.name)
        before_sw = self.observed.vswitches.get(pg.vswitch)
        return before is None or before_sw is None or before.override != pg.override \
            or before.vswitch != pg.vswitch or before_sw.teaming != sw.teaming


def _services(spec: VmkSpec, netstack: str, current: frozenset[str]) -> frozenset[str]:
    """Declared services are exactly the services; OMIT keeps them; dedicated stacks select nothing."""
    if netstack in DEDICATED_STACKS or not is_set(spec.services):
        return current
    return frozenset(spec.services)


# ---------------------------------------------------------------------------------------
# Actions from observed vs R
# ---------------------------------------------------------------------------------------


def _canon(value: Any) -> Any:
    """Canonical (document) form of a value: tuples become lists, an Ip becomes a dict."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, Ip):
        return {"dhcp": True} if value.dhcp else {"address": value.address, "netmask": value.netmask}
    return value


def _teaming_fields(t: Teaming) -> dict[str, Any]:
    return {"teaming." + name: getattr(t, name) for name in TEAMING_FIELDS}


def vswitch_fields(sw: VSwitch) -> dict[str, Any]:
    """The fields of a vSwitch a plan may change, by their action (option) names."""
    fields: dict[str, Any] = {"uplinks": sw.uplinks, "mtu": sw.mtu}
    fields.update(_teaming_fields(sw.teaming))
    return fields


def portgroup_fields(pg: PortGroup) -> dict[str, Any]:
    """The fields of a port group a plan may change (teaming = the override; None = inherited)."""
    fields: dict[str, Any] = {"vswitch": pg.vswitch, "vlan": pg.vlan}
    fields.update(_teaming_fields(pg.override))
    return fields


def vmk_fields(vmk: Vmk) -> dict[str, Any]:
    """The fields of a vmk a plan may change (services are separate service actions); a vmk on a
    distributed port names its dvPortgroup by key instead of a port group and vSwitch."""
    if vmk.dv_portgroup:
        return {"dv_portgroup": vmk.dv_portgroup, "ip": vmk.ip, "mtu": vmk.mtu, "netstack": vmk.netstack}
    return {"portgroup": vmk.portgroup, "vswitch": vmk.vswitch, "ip": vmk.ip, "mtu": vmk.mtu,
            "netstack": vmk.netstack}


def dv_portgroup_fields(pg: DvPortgroup) -> dict[str, Any]:
    """The fields of a dvPortgroup a plan may change (teaming = the effective policy)."""
    fields: dict[str, Any] = {"vlan": pg.vlan}
    fields.update(_teaming_fields(pg.teaming))
    return fields


def dv_action_name(pg: DvPortgroup) -> str:
    """A dvPortgroup's action name: ``<switch>/<dvPortgroup>`` (unique in a datacenter)."""
    return "%s/%s" % (pg.dvs, pg.name)


def diff_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, tuple[Any, Any]]:
    """``{field: (before, after)}`` in canonical form, only for fields that differ (None = absent)."""
    names = list(after or {}) + [n for n in before or {} if n not in (after or {})]
    changes: dict[str, tuple[Any, Any]] = {}
    for name in names:
        old = None if before is None else before.get(name)
        new = None if after is None else after.get(name)
        if old != new:
            changes[name] = (_canon(old), _canon(new))
    return changes


def _object_actions(host: str, kind: ActionKind, before: dict[str, Any], after: dict[str, Any],
                    fields: Any) -> Iterator[Action]:
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        op: ActionOp = "add" if old is None else "remove" if new is None else "edit"
        changes = diff_fields(None if old is None else fields(old), None if new is None else fields(new))
        if changes or op != "edit":
            yield Action(host, op, kind, name, changes)


def _vmk_actions(observed: Host, after: Host, recreated: set[str]) -> Iterator[Action]:
    """vmk add/edit/remove; a recreated vmk is a remove and an add of the same device."""
    for device in sorted(set(observed.vmks) | set(after.vmks)):
        old, new = observed.vmks.get(device), after.vmks.get(device)
        if device in recreated and old is not None and new is not None:
            yield Action(observed.name, "remove", "vmk", device, diff_fields(vmk_fields(old), None))
            yield Action(observed.name, "add", "vmk", device, diff_fields(None, vmk_fields(new)))
            continue
        if old == new:
            continue
        op: ActionOp = "add" if old is None else "remove" if new is None else "edit"
        changes = diff_fields(None if old is None else vmk_fields(old), None if new is None else vmk_fields(new))
        if changes or op != "edit":
            yield Action(observed.name, op, "vmk", device, changes)


def _service_actions(observed: Host, after: Host, recreated: set[str]) -> Iterator[Action]:
    """Select services R has and the host lacks; deselect the extra ones (live vmks only)."""
    for device, vmk in after.vmks.items():
        old = observed.vmks.get(device)
        had = frozenset() if old is None or device in recreated else old.services
        for service in sorted(vmk.services - had):
            yield Action(observed.name, "select", "service", "%s:%s" % (device, service), {"selected": (False, True)})
        for service in sorted(had - vmk.services):
            yield Action(observed.name, "deselect", "service", "%s:%s" % (device, service),
                         {"selected": (True, False)})


def _uplink_actions(observed: Host, after: Host) -> Iterator[Action]:
    """The pnics behind each uplink of a distributed switch (this host's proxy switch) that R changes."""
    for name, ds in sorted(after.dv_switches.items()):
        before = observed.dv_switches.get(name)
        for uplink in ds.uplink_names:
            old, new = before.uplinks.get(uplink, ()) if before is not None else (), ds.uplinks.get(uplink, ())
            if old != new:
                yield Action(observed.name, "edit", "uplink", "%s/%s" % (name, uplink), {"pnics": (list(old), list(new))})


def network_actions(before: Host, after: Host, recreated: set[str], step: int = 0) -> list[Action]:
    """The host-level network actions from ``before`` to ``after`` (vSwitches, uplinks of distributed switches,
    port groups, vmks, service tags), numbered ``step``; dvPortgroups are switch-wide and not among them."""
    actions = list(_object_actions(before.name, "vswitch", dict(before.vswitches), dict(after.vswitches), vswitch_fields))
    actions.extend(_uplink_actions(before, after))
    actions.extend(_object_actions(before.name, "portgroup", dict(before.portgroups), dict(after.portgroups),
                                   portgroup_fields))
    actions.extend(_vmk_actions(before, after, recreated))
    actions.extend(_service_actions(before, after, recreated))
    return [dataclasses.replace(a, step=step) for a in actions] if step else actions


# ---------------------------------------------------------------------------------------
# Migration between a standard and a distributed switch, one bound iSCSI path at a time
# ---------------------------------------------------------------------------------------


def pnic_places(host: Host) -> dict[str, tuple[str, ...]]:
    """pnic -> where it is: ``("vss", vSwitch)`` or ``("dvs", switch, uplink or LAG name)``."""
    out: dict[str, tuple[str, ...]] = {}
    for sw in host.vswitches.values():
        out.update((pnic, ("vss", sw.name)) for pnic in sw.uplinks)
    for ds in host.dv_switches.values():
        out.update((pnic, ("dvs", ds.name, name)) for name, held in ds.uplinks.items() for pnic in held)
    return out


def active_standby(host: Host, vmk: Vmk) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The host pnics behind a vmk's active and standby uplinks (what the host's binding compliance check sees):
    on a standard port group its effective order restricted to the bridge; on a distributed port group the pnics
    behind the active / standby uplinks and LAGs."""
    dv = host.dv_portgroup_of(vmk)
    if dv is not None:
        return dv.pnics_of(tuple(dv.teaming.active or ())), dv.pnics_of(tuple(dv.teaming.standby or ()))
    pg = host.portgroups.get(vmk.portgroup)
    sw = host.vswitches.get(pg.vswitch) if pg is not None else None
    if pg is None:
        return (), ()
    eff = pg.override.merged_over(sw.teaming) if sw is not None else pg.effective
    bridge = set(sw.uplinks) if sw is not None else set()
    return (tuple(n for n in eff.active or () if n in bridge), tuple(n for n in eff.standby or () if n in bridge))


def moved_paths(observed: Host, after: Host) -> list[tuple[str, str]]:
    """(adapter, vmk) of every vmk bound in O that stays bound in R and moves between a standard port group and a
    dvPortgroup, by vmk number."""
    out = []
    for device in sorted(observed.vmks, key=vmk_number):
        new, adapter = after.vmks.get(device), observed.bound_to(device)
        kept = adapter is not None and device in getattr(after.iscsi.get(adapter.device), "bindings", {})
        if new is not None and adapter is not None and kept and migrated(observed.vmks[device], new):
            out.append((adapter.device, device))
    return out


def migration_stages(observed: Host, after: Host) -> tuple[Stage, ...]:
    """One stage per moved bound iSCSI path: the vmk and the pnics it needs in R that are still to move, on top of
    the stage before (the dvPortgroups as R has them: they are written before any host). () when no bound vmk
    moves (then every network change is one all-or-nothing write)."""
    paths = moved_paths(observed, after)
    if not paths:
        return ()
    before, goal = pnic_places(observed), pnic_places(after)
    to_move = {p for p in set(before) | set(goal) if before.get(p) != goal.get(p)}
    state = dataclasses.replace(observed, dv_portgroups=after.dv_portgroups)
    stages = []
    for adapter, device in paths:
        active, standby = active_standby(after, after.vmks[device])
        need = tuple(p for p in active + standby if p in to_move)
        to_move -= set(need)
        draft = _Draft(state, Desired(host=observed.name))
        for pnic in need:
            draft.release(pnic)
            draft.place(pnic, goal.get(pnic), after)
        draft.vmks[device] = vmk = after.vmks[device]
        if not vmk.distributed:  # back to a standard port group: the port group (and its vSwitch) as R has them
            pg = after.portgroups[vmk.portgroup]
            draft.portgroups[pg.name] = pg
            if pg.vswitch not in draft.vswitches:
                draft.vswitch_as_in(after, pg.vswitch)
        state = draft.freeze()
        stages.append(Stage(state=state, adapter=adapter, vmk=device, pnics=need))
    return tuple(stages)


def action_key(action: Action) -> tuple[int, tuple[Any, ...], int]:
    """Safe-order key: group of ``ORDER``, natural name order (vmk2 before vmk10), removes first."""
    group = ORDER.index((action.op, action.kind))
    if action.kind in ("vmk", "service", "binding"):
        device, _sep, rest = action.name.partition(":")
        if action.kind == "binding":
            rest, device = device, rest
        match = re.match(r"vmk(\d+)$", device)
        name_key: tuple[Any, ...] = (int(match.group(1)) if match else 0, device, rest)
    else:
        name_key = (0, action.name, "")
    return group, name_key, 0 if action.op == "remove" else 1


HOST_NETWORK = (ORDER.index(("add", "vswitch")), ORDER.index(("remove", "vswitch")))
"""The groups of ``ORDER`` a host's network writes are made of (numbered by ``Action.step`` in a migration)."""


def order_actions(actions: list[Action], recreated: set[str]) -> tuple[Action, ...]:
    """Sort into the safe order, a migration's network writes step by step; the remove of a recreated vmk
    directly precedes its add."""
    def key(action: Action) -> tuple[int, int, int, tuple[Any, ...], int]:
        group, name_key, tie = action_key(action)
        if action.kind == "vmk" and action.op == "remove" and action.name in recreated:
            group = ORDER.index(("add", "vmk"))
        block = 0 if group < HOST_NETWORK[0] else 2 if group > HOST_NETWORK[1] else 1
        return block, action.step, group, name_key, tie
    return tuple(sorted(actions, key=key))


def plan_host(observed: Host, desired: Desired) -> Plan:
    """The plan of one host: R (``after``) and the ordered actions that lead from observed to R.

    vSwitch additions and edits are applied first, then vmk specs (with their port groups), then
    vSwitch removals. Raises ArgumentError (naming the host) when a new object lacks a required
    value (a port group's vSwitch, a vmk's IP) or names a vSwitch the host does not have.
    """
    draft = _Draft(observed, desired)
    for sw_spec in desired.vswitches:
        if sw_spec.state != "absent":
            draft.vswitch(sw_spec)
    for dv_spec in desired.dv_portgroups:
        if dv_spec.state == "present":
            draft.dv_portgroup(dv_spec)
    for ds_spec in desired.dv_switches:
        draft.dv_uplinks(ds_spec)
    draft.settle_pnics()
    for vmk_spec in desired.vmks:
        draft.vmk(vmk_spec)
    for dv_spec in desired.dv_portgroups:
        if dv_spec.state == "absent":
            draft.remove_dv_portgroup(dv_spec)
    for sw_spec in desired.vswitches:
        if sw_spec.state == "absent":
            draft.vswitch(sw_spec)
    after = draft.freeze()
    actions: list[Action] = list(_object_actions(
        observed.name, "dv_portgroup", {dv_action_name(p): p for p in observed.dv_portgroups.values()},
        {dv_action_name(p): p for p in after.dv_portgroups.values()}, dv_portgroup_fields))
    if desired.iscsi or observed.iscsi:
        iscsi, iscsi_actions = plan_iscsi(observed, after, desired)
        after = dataclasses.replace(after, iscsi=iscsi)
        actions.extend(iscsi_actions)
    stages = migration_stages(observed, after)
    chain = [observed] + [s.state for s in stages] + [after]
    for step in range(len(chain) - 1):
        actions.extend(network_actions(chain[step], chain[step + 1], draft.recreated, step + 1 if stages else 0))
    if not actions:
        after = observed
    return Plan(host=observed.name, actions=order_actions(actions, draft.recreated), after=after, stages=stages)
