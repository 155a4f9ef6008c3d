# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Canonical fabric document: one shape for desired (module args) and observed (reader) state.

Private to this collection. Pure: imports no pyVmomi and opens no connection.

Invariants
- Observed state (``Host`` and everything in it) is concrete: every field has a value that
  the host reported. ``PortGroup.override`` is the one exception: there ``None`` means
  "not overridden, inherited from the vSwitch", mirroring the API's unset policy leaves.
- Desired state (``Desired`` and the ``*Spec`` classes) uses three states per field:
  ``OMIT`` (leave the host alone), ``INHERIT`` (clear an override), or an explicit value.
  Nothing is ever filled in from a default, so an omitted option can never reset state
  (safety rule SF-7).
- Teaming names are user-facing and API-independent: policies ``failover_explicit``,
  ``srcid``, ``srcmac``, ``iphash`` (``loadbased`` exists only on distributed switches),
  failure detection ``link_status`` or ``beacon_probing``, netstacks ``default``,
  ``vmotion``, ``provisioning`` (other host stacks keep their API key).
- A failover order (active + standby) is always complete and written as a unit; unused is
  derived as ``uplinks - active - standby`` and never sent to the API (rule TS-3).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar, Union

if TYPE_CHECKING:  # only the type checker needs it; no runtime dependency
    from typing_extensions import TypeIs


class _Sentinel:
    """A named singleton marker (OMIT, INHERIT)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __reduce__(self) -> str:
        return self._name

    def __deepcopy__(self, memo: dict[int, Any]) -> _Sentinel:
        return self

    def __copy__(self) -> _Sentinel:
        return self


OMIT = _Sentinel("OMIT")
"""The user did not declare this field: the host's value is left alone."""

INHERIT = _Sentinel("INHERIT")
"""The user asked to clear the port-group override so the vSwitch value applies."""

T = TypeVar("T")
# Union, not `T | _Sentinel`: mypy reads a bare `|` expression as a variable, not a generic alias, and the
# PEP 695 `type` statement needs Python 3.12.
Field = Union[T, _Sentinel]  # noqa: UP007  # an explicit value, OMIT or INHERIT

POLICIES = ("failover_explicit", "srcid", "srcmac", "iphash")
DVS_POLICIES = POLICIES + ("loadbased",)
FAILURE_DETECTION = ("link_status", "beacon_probing")
NETSTACKS = ("default", "vmotion", "provisioning")
PURPOSES = ("general", "iscsi", "vmotion", "replica")
MGMT_SERVICE = "management"

# API <-> canonical names. Used by the reader and applier; kept here so both agree.
POLICY_TO_API = {
    "failover_explicit": "failover_explicit",
    "srcid": "loadbalance_srcid",
    "srcmac": "loadbalance_srcmac",
    "iphash": "loadbalance_ip",
    "loadbased": "loadbalance_loadbased",
}
POLICY_FROM_API = {v: k for k, v in POLICY_TO_API.items()}
NETSTACK_TO_API = {
    "default": "defaultTcpipStack",
    "vmotion": "vmotion",
    "provisioning": "vSphereProvisioning",
}
NETSTACK_FROM_API = {v: k for k, v in NETSTACK_TO_API.items()}


def is_set(value: Field[T]) -> TypeIs[T]:
    """True for an explicit value (neither OMIT nor INHERIT); narrows ``Field[T]`` to ``T`` for
    the type checker in both branches, which is what makes "an omitted option never resets
    state" checkable: a ``Field`` cannot be used as a value before this test."""
    return value is not OMIT and value is not INHERIT


# ---------------------------------------------------------------------------------------
# Observed state
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Teaming:
    """A teaming policy. Concrete on vSwitches and in ``PortGroup.effective``.

    In ``PortGroup.override`` a ``None`` field is inherited from the vSwitch; ``active``
    and ``standby`` are either both ``None`` (order inherited) or both tuples.
    """

    policy: str | None = None
    active: tuple[str, ...] | None = None
    standby: tuple[str, ...] | None = None
    failback: bool | None = None
    notify_switches: bool | None = None
    failure_detection: str | None = None

    @property
    def has_order(self) -> bool:
        return self.active is not None

    def unused(self, uplinks: tuple[str, ...]) -> tuple[str, ...]:
        """Uplinks in neither list, in bridge order (empty when the order is inherited)."""
        if self.active is None:
            return ()
        listed = set(self.active) | set(self.standby or ())
        return tuple(n for n in uplinks if n not in listed)

    def merged_over(self, base: Teaming) -> Teaming:
        """This override resolved against ``base`` (the vSwitch), leaf by leaf."""
        ordered = self.active is not None
        return Teaming(
            policy=self.policy if self.policy is not None else base.policy,
            active=self.active if ordered else base.active,
            standby=(self.standby or ()) if ordered else base.standby,
            failback=self.failback if self.failback is not None else base.failback,
            notify_switches=(
                self.notify_switches if self.notify_switches is not None else base.notify_switches
            ),
            failure_detection=(
                self.failure_detection
                if self.failure_detection is not None
                else base.failure_detection
            ),
        )

    @property
    def is_empty(self) -> bool:
        return self == Teaming()


@dataclass(frozen=True)
class Pnic:
    device: str
    link_speed: int = 0  # Mb/s; 0 = link down
    mac: str = ""


@dataclass(frozen=True)
class VSwitch:
    name: str
    uplinks: tuple[str, ...]
    mtu: int = 1500
    num_ports: int = 128
    teaming: Teaming = Teaming()
    beacon_interval: int | None = None  # None: the bridge has no beacon configuration


@dataclass(frozen=True)
class PortGroup:
    name: str
    vswitch: str
    vlan: int = 0
    override: Teaming = Teaming()
    effective: Teaming = Teaming()
    vm_ports: int = 0  # ports in use by something other than a vmk (VMs); 0 = safe to remove


@dataclass(frozen=True)
class DvPortgroup:
    """A distributed port group as one host sees it (observed, or as the plan will write it:
    ``vmotion_multinic`` with ``dvswitch`` creates and edits dvPortgroups).

    ``teaming`` is the effective uplink teaming (the port group's own values over the switch
    default): ``policy``, ``active`` and ``standby`` hold the switch's uplink names (``dvUplink1``)
    or LAG names (``lag1``). ``lags`` are the switch's LAG names; ``uplinks`` maps every uplink and
    LAG name of the switch to this host's pnics behind it (through the host's proxy switch).
    """

    key: str
    name: str
    dvs: str
    vlan: int = 0
    teaming: Teaming = Teaming()
    lags: tuple[str, ...] = ()
    uplinks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    own: Teaming = Teaming()
    """The teaming leaves the dvPortgroup sets itself (None: inherited from the switch's default port
    teaming); ``teaming`` is the effective result."""

    def pnics_of(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """The host pnics behind uplink / LAG ``names``, in order (an uplink with no pnic adds none)."""
        out: list[str] = []
        for name in names:
            out.extend(n for n in self.uplinks.get(name, ()) if n not in out)
        return tuple(out)

    def lags_in(self, names: tuple[str, ...]) -> tuple[str, ...]:
        """The LAG names among ``names``."""
        return tuple(n for n in names if n in self.lags)


@dataclass(frozen=True)
class DvSwitch:
    """A distributed switch the host is a member of, as the host sees it (observed only).

    ``teaming`` is the switch's default port teaming (what a new dvPortgroup inherits);
    ``uplinks`` maps every uplink and LAG name of the switch to this host's pnics behind it.
    """

    name: str
    uuid: str = ""
    max_mtu: int = 1500
    teaming: Teaming = Teaming()
    lags: tuple[str, ...] = ()
    uplinks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def uplink_names(self) -> tuple[str, ...]:
        """The switch's uplink port names (``dvUplink1``...), LAGs excluded, in order."""
        return tuple(n for n in self.uplinks if n not in self.lags)


NEW_DV_KEY = "new:%s/%s"
"""The key a planned dvPortgroup carries in a prediction until vCenter assigns one."""


@dataclass(frozen=True)
class Ip:
    dhcp: bool = False
    address: str | None = None
    netmask: str | None = None

    @property
    def network(self) -> ipaddress.IPv4Network | None:
        """The IPv4 network (address + prefix), or None for DHCP / unset addresses."""
        if self.dhcp or not self.address or not self.netmask:
            return None
        return ipaddress.IPv4Interface("%s/%s" % (self.address, self.netmask)).network


@dataclass(frozen=True)
class Vmk:
    device: str
    portgroup: str  # "" for a vmk on a distributed port (see dv_portgroup)
    vswitch: str  # "" for a vmk on a distributed port
    ip: Ip = Ip()
    mtu: int = 1500
    netstack: str = "default"
    services: frozenset[str] = frozenset()
    mac: str = ""
    gateway: str | None = None  # per-vmk default gateway override
    dv_portgroup: str = ""  # key of the distributed port group (Host.dv_portgroups) of a vmk on a distributed port

    @property
    def number(self) -> int:
        return vmk_number(self.device)

    @property
    def distributed(self) -> bool:
        """On a port of a distributed switch (else on a standard port group)."""
        return bool(self.dv_portgroup)


def migrated(before: Vmk, after: Vmk) -> bool:
    """The vmk moves between a standard port group and a dvPortgroup (in place: same device, IP, tags)."""
    return before.distributed != after.distributed


# --- iSCSI CHAP (one-way and mutual) ---------------------------------------------------

CHAP_TYPES = ("prohibited", "discouraged", "preferred", "required")
"""CHAP security levels, API ``chapProhibited`` ... ``chapRequired`` without the prefix."""


@dataclass(frozen=True)
class Chap:
    """One CHAP direction (one-way, or mutual) of an adapter or a target as ESXi reports it: level
    and name, never the secret. ``inherited``: a target takes it from the level above (its send
    target for a discovered static target, else the adapter); its ``type``/``name`` are then the
    effective ones and not compared (``held``).

    ``secret`` is set only in a plan's predicted state, on a level whose secret the applier writes;
    it is never compared, printed or put in a document."""

    type: str = "prohibited"
    name: str = ""
    inherited: bool = False
    secret: str | None = field(default=None, repr=False, compare=False)

    @property
    def held(self) -> tuple[str, str] | None:
        """What idempotence compares: (type, name) held at this level, None when inherited."""
        return None if self.inherited else (self.type, self.name)


INHERITED_CHAP = Chap(inherited=True)


@dataclass(frozen=True)
class IscsiTarget:
    """A send target (``iqn`` empty) or a static target of an iSCSI adapter.

    ``values`` are the effective advanced options, ``own`` the subset the target holds itself
    (``isInherited`` false); everything else is inherited from the level above (adapter, or
    for a SendTargets-discovered static target its send target ``discovered_from``).
    """

    address: str
    port: int = 3260
    iqn: str = ""
    discovered_from: str = ""  # "address:port" of the send target that discovered it
    values: Mapping[str, Any] = field(default_factory=dict)
    own: Mapping[str, Any] = field(default_factory=dict)
    chap: Chap = INHERITED_CHAP
    mutual_chap: Chap = INHERITED_CHAP

    @property
    def portal(self) -> str:
        return "%s:%d" % (self.address, self.port)


TargetKey = tuple[str, int, str]  # (address, port, iqn); iqn "" for a send target


def target_key(t: IscsiTarget) -> TargetKey:
    return (t.address, t.port, t.iqn)


@dataclass(frozen=True)
class Binding:
    """A vmk bound to an adapter as ``QueryBoundVnics`` reports it (IscsiPortInfo)."""

    vmk: str
    path: str = "notUsed"  # notUsed | active | standBy | lastActive
    compliance: tuple[str, ...] = ()  # fault type names of complianceStatus.reason; () = compliant
    pnic: str = ""


@dataclass(frozen=True)
class IscsiAdapter:
    """One iSCSI adapter (software or dependent hardware) with its targets and bindings."""

    device: str
    software: bool = True
    enabled: bool = True
    iqn: str = ""
    alias: str = ""
    binding_support: str = "optional"  # notsupported | optional | required
    pnics: tuple[str, ...] = ()  # dependent hardware: the NIC functions it binds through
    option_defs: Mapping[str, Any] = field(default_factory=dict)  # key -> _profiles.OptionDef
    values: Mapping[str, Any] = field(default_factory=dict)  # adapter-level effective options
    own: Mapping[str, Any] = field(default_factory=dict)  # adapter-level values set on the adapter
    send_targets: Mapping[TargetKey, IscsiTarget] = field(default_factory=dict)
    static_targets: Mapping[TargetKey, IscsiTarget] = field(default_factory=dict)
    bindings: Mapping[str, Binding] = field(default_factory=dict)  # vmk -> binding, in binding order
    live_portals: frozenset[str] = frozenset()  # target addresses that carry paths to devices
    chap: Chap = Chap()
    mutual_chap: Chap = Chap()

    @property
    def bound(self) -> tuple[str, ...]:
        return tuple(self.bindings)

    def portals(self) -> tuple[str, ...]:
        """T(a): the addresses of every send and static target, sorted."""
        return tuple(sorted({t.address for t in self.send_targets.values()}
                            | {t.address for t in self.static_targets.values()}))


@dataclass(frozen=True)
class Host:
    """One consistent observed (or predicted) state of a host's networking."""

    name: str
    version: str = ""
    pnics: Mapping[str, Pnic] = field(default_factory=dict)
    vswitches: Mapping[str, VSwitch] = field(default_factory=dict)
    portgroups: Mapping[str, PortGroup] = field(default_factory=dict)
    vmks: Mapping[str, Vmk] = field(default_factory=dict)
    nic_types: frozenset[str] = frozenset()  # service tags this host offers
    netstacks: frozenset[str] = frozenset(("default", "vmotion", "provisioning"))
    iscsi: Mapping[str, IscsiAdapter] = field(default_factory=dict)  # device -> adapter
    iscsi_known: bool = True  # False: the host's iSCSI state could not be read (rule SF-9)
    iscsi_unread: tuple[str, ...] = ()  # what of it could not be read, and why (rule SF-9)
    dv_portgroups: Mapping[str, DvPortgroup] = field(default_factory=dict)  # key -> dvPortgroup (observed only)
    dv_switches: Mapping[str, DvSwitch] = field(default_factory=dict)  # name -> distributed switch it is a member of

    def dv_portgroup_named(self, dvs: str, name: str) -> DvPortgroup | None:
        """The dvPortgroup ``name`` of distributed switch ``dvs`` (None when the host does not see it)."""
        return next((pg for pg in self.dv_portgroups.values() if pg.dvs == dvs and pg.name == name), None)

    def dv_portgroup_of(self, vmk: Vmk) -> DvPortgroup | None:
        """The distributed port group vmk ``vmk`` is on (None on a standard port group, or unread)."""
        return self.dv_portgroups.get(vmk.dv_portgroup) if vmk.dv_portgroup else None

    @property
    def management_vmks(self) -> frozenset[str]:
        """mgmt(h): vmk0 plus every vmk tagged management."""
        tagged = {d for d, v in self.vmks.items() if MGMT_SERVICE in v.services}
        if "vmk0" in self.vmks:
            tagged.add("vmk0")
        return frozenset(tagged)

    @property
    def software_adapter(self) -> IscsiAdapter | None:
        """The software iSCSI adapter (a host has at most one), enabled or not."""
        return next((a for a in self.iscsi.values() if a.software), None)

    def bound_to(self, device: str) -> IscsiAdapter | None:
        """The adapter vmk ``device`` is bound to, if any."""
        return next((a for a in self.iscsi.values() if device in a.bindings), None)

    def vmk_on_portgroup(self, portgroup: str) -> Vmk | None:
        for vmk in self.vmks.values():
            if vmk.portgroup == portgroup:
                return vmk
        return None

    def next_vmk_device(self, taken: frozenset[str] = frozenset()) -> str:
        """The device name ESXi would allocate next: the lowest free vmkN."""
        used = {vmk_number(d) for d in set(self.vmks) | set(taken)}
        n = 0
        while n in used:
            n += 1
        return "vmk%d" % n


def vmk_number(device: str) -> int:
    """``vmk12`` -> 12. Raises ValueError for anything else."""
    if not device.startswith("vmk") or not device[3:].isdigit():
        raise ValueError("not a vmk device name: %r" % device)
    return int(device[3:])


# ---------------------------------------------------------------------------------------
# Desired state
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamingSpec:
    """Declared teaming. ``active``/``standby`` are set together (an order) or both OMIT /
    both INHERIT; ``unused``, when declared, must equal uplinks - active - standby."""

    active: Field[tuple[str, ...]] = OMIT
    standby: Field[tuple[str, ...]] = OMIT
    unused: Field[tuple[str, ...]] = OMIT
    policy: Field[str] = OMIT
    failback: Field[bool] = OMIT
    notify_switches: Field[bool] = OMIT
    failure_detection: Field[str] = OMIT
    conflicts: tuple[str, ...] = ()  # fields given both inherit and a value (rule TS-7)

    @property
    def is_omitted(self) -> bool:
        return self == TeamingSpec()


@dataclass(frozen=True)
class VSwitchSpec:
    name: str
    state: str = "present"
    uplinks: Field[tuple[str, ...]] = OMIT
    mtu: Field[int] = OMIT
    teaming: TeamingSpec = TeamingSpec()


@dataclass(frozen=True)
class IpSpec:
    dhcp: bool = False
    address: str | None = None
    netmask: str | None = None

    def as_ip(self) -> Ip:
        return Ip(dhcp=self.dhcp, address=self.address, netmask=self.netmask)


@dataclass(frozen=True)
class DvPortgroupSpec:
    """A distributed port group one task declares (``vmotion_multinic`` with ``dvswitch``).
    Switch-wide: every host in scope declares the same one; it is created or edited once."""

    name: str
    dvs: str
    vlan: Field[int] = OMIT
    teaming: TeamingSpec = TeamingSpec()
    teaming_field: str = "teaming"  # the option that declared the teaming, for messages
    state: str = "present"  # absent: remove it (switch-wide) when no vmk or VM uses it


@dataclass(frozen=True)
class DvSwitchSpec:
    """A host's physical NICs behind uplinks of a distributed switch it is a member of (its proxy switch).

    ``uplinks`` maps each declared uplink name (``dvUplink1``) to the pnics behind it (at most one; () frees
    the uplink); unlisted uplinks and the LAGs are left as they are. A pnic declared here leaves the standard
    switch it is on, and a pnic a vSwitch declares in its ``uplinks`` leaves the distributed switch: a move
    (with the vmks that move with it, one path at a time where bound iSCSI vmks depend on it).
    """

    name: str
    uplinks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class VmkSpec:
    """One vmk and its standard port group. Identity: ``device`` if given, else the
    port group (a vSS port group carries at most one vmk). With ``dvswitch`` set,
    ``portgroup`` names a dvPortgroup of that distributed switch (``Desired.dv_portgroups``)."""

    portgroup: str
    vswitch: Field[str] = OMIT
    dvswitch: Field[str] = OMIT
    state: str = "present"
    device: Field[str] = OMIT
    vlan: Field[int] = OMIT
    ip: Field[IpSpec] = OMIT
    mtu: Field[int] = OMIT
    netstack: Field[str] = OMIT
    services: Field[frozenset[str]] = OMIT
    teaming: TeamingSpec = TeamingSpec()
    purpose: str = "general"
    gateway: Field[str] = OMIT
    """A per-vmk default gateway override. Only ``replica_vmknic`` declares it, and rule PR-4
    refuses it there, so the planner never applies it."""
    shared_with_vmotion: bool = False
    """``purpose: replica`` only: the replica vmk deliberately sits in the vMotion subnet
    (rules PR-6, PR-7 then apply instead of the PR-2/MH-1 isolation checks)."""


@dataclass(frozen=True)
class Flags:
    """Opt-in flags that turn a rule's error into a warning. All default to False."""

    allow_routed_port_binding: bool = False
    physical_etherchannel_confirmed: bool = False
    allow_no_active_uplink: bool = False
    allow_recreate: bool = False
    allow_adapter_level_params: bool = False
    allow_profile_deviation: bool = False
    allow_management_path_change: bool = False
    allow_path_disruption: bool = False


FLAG_NAMES = tuple(Flags.__dataclass_fields__)


@dataclass(frozen=True)
class BindingSpec:
    """One declared port binding: a vmk by device, or the vmk on a standard port group."""

    vmk: str | None = None
    portgroup: str | None = None

    def describe(self) -> str:
        return self.vmk if self.vmk else "portgroup %s" % self.portgroup


@dataclass(frozen=True)
class ChapSpec:
    """A declared ``chap`` / ``mutual_chap``: ``name`` OMIT keeps the name held; ``secret`` None = none given
    (the one held is kept). The secret never appears in a repr, a plan, a finding or a message."""

    type: str
    name: Field[str] = OMIT
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class TargetSpec:
    """One declared send target (``iqn`` empty) or static target.

    ``options`` (API keys) is what is written on the target: the profile's values with the
    explicit ones on top. ``explicit`` keeps the explicitly given ones (rule TP-5).
    """

    address: str
    port: int = 3260
    iqn: str = ""
    state: str = "present"
    options: Mapping[str, Any] = field(default_factory=dict)
    explicit: Mapping[str, Any] = field(default_factory=dict)
    profile: str | None = None
    index: int = 0  # position in the task's list (error messages)
    chap: Field[ChapSpec] = OMIT
    mutual_chap: Field[ChapSpec] = OMIT

    @property
    def key(self) -> TargetKey:
        return (self.address, self.port, self.iqn)

    @property
    def portal(self) -> str:
        return "%s:%d" % (self.address, self.port)


@dataclass(frozen=True)
class IscsiSpec:
    """What one task declares for one iSCSI adapter. ``adapter`` OMIT = the software adapter."""

    adapter: Field[str] = OMIT
    software: Field[bool] = OMIT  # software iSCSI enabled / disabled
    iqn: Field[str] = OMIT
    alias: Field[str] = OMIT
    bindings: Field[tuple[BindingSpec, ...]] = OMIT
    purge_bindings: bool = False
    send_targets: tuple[TargetSpec, ...] = ()
    static_targets: tuple[TargetSpec, ...] = ()
    purge_targets: bool = False
    adapter_options: Mapping[str, Any] = field(default_factory=dict)
    rescan: bool = True
    unbind: tuple[BindingSpec, ...] = ()
    """``host_fabric`` deleted: bindings named for removal (explicit, unlike a purge)."""
    exact: bool = False
    """``host_fabric`` replaced/overridden: the adapter's and each listed target's own options
    become exactly the declared ones (the others revert to inherited) instead of merging."""
    chap: Field[ChapSpec] = OMIT
    mutual_chap: Field[ChapSpec] = OMIT
    update_secret: str = "on_create"
    """``on_create``: a secret is written only where the CHAP level or name changes; ``always``: every run."""


@dataclass(frozen=True)
class Desired:
    """What one module run declares for one host."""

    host: str
    vswitches: tuple[VSwitchSpec, ...] = ()
    vmks: tuple[VmkSpec, ...] = ()
    flags: Flags = Flags()
    iscsi: tuple[IscsiSpec, ...] = ()
    dv_portgroups: tuple[DvPortgroupSpec, ...] = ()
    dv_switches: tuple[DvSwitchSpec, ...] = ()
    authoritative: bool = False
    """``host_fabric`` overridden: objects the document does not list are removed (rule SF-6
    guards what must never go that way)."""
    protected: frozenset[str] = frozenset()
    """Objects the document marks ``protected: true`` (``vmk:vmk3``, ``portgroup:X``,
    ``vswitch:Y``, ``adapter:vmhba64``): never managed, never removed."""


# ---------------------------------------------------------------------------------------
# Plan and findings (produced by _planner / _validator, consumed by _apply / _module)
# ---------------------------------------------------------------------------------------

ActionKind = Literal["dv_portgroup", "vswitch", "uplink", "portgroup", "vmk", "service", "adapter", "binding",
                     "send_target", "static_target"]
ActionOp = Literal["add", "edit", "remove", "select", "deselect", "rescan"]


@dataclass(frozen=True)
class Action:
    """One ordered change on one host.

    ``changes`` maps a field name to ``(before, after)`` in canonical (document) form;
    for ``add`` before is None, for ``remove`` after is None. ``name`` is the object's
    name (vSwitch, port group, vmk device, ``vmkN:service`` for service actions, ``<switch>/<uplink>`` for
    the pnics behind an uplink of a distributed switch).

    ``step`` numbers the network writes of a migration (1, 2, ...: one UpdateNetworkConfig each, with a
    read-back of the moved iSCSI path in between); 0 = the host's network changes are one write.
    """

    host: str
    op: ActionOp
    kind: ActionKind
    name: str
    changes: Mapping[str, tuple[Any, Any]] = field(default_factory=dict)
    step: int = 0

    def describe(self) -> str:
        parts = ", ".join(
            "%s: %s -> %s" % (k, _short(b), _short(a)) for k, (b, a) in sorted(self.changes.items())
        )
        text = "%s%s %s %s" % ("step %d: " % self.step if self.step else "", self.op, self.kind, self.name)
        return "%s (%s)" % (text, parts) if parts else text

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "host": self.host,
            "op": self.op,
            "kind": self.kind,
            "name": self.name,
            "changes": {k: {"before": b, "after": a} for k, (b, a) in sorted(self.changes.items())},
            "summary": self.describe(),
        }
        if self.step:
            out["step"] = self.step
        return out


def _short(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(str(v) for v in value)
    return str(value)


Severity = Literal["error", "warning"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning")


@dataclass(frozen=True)
class Finding:
    """One validator finding: rule, severity, host, object, found, change, source."""

    rule: str
    severity: Severity | None  # None only between a rule function and ``validate``, which fills in the rule's
    host: str
    object: str
    found: str
    change: str
    source: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def sort_key(self) -> tuple[str, tuple[str, int], str]:
        family, num = (self.rule.split("-", 1) + [""])[:2]
        return (self.host, (family, int(num) if num.isdigit() else 0), self.object)

    def as_dict(self) -> dict[str, str]:
        return {
            "rule": self.rule,
            "severity": self.severity or "",
            "host": self.host,
            "object": self.object,
            "found": self.found,
            "change": self.change,
            "source": self.source,
        }

    def render(self) -> str:
        return "[%s] %-7s host=%s  object=%s\n  found:  %s\n  change: %s%s" % (
            self.rule,
            self.severity,
            self.host,
            self.object,
            self.found,
            self.change,
            "\n  source: %s" % self.source if self.source else "",
        )
