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
from dataclasses import dataclass, field
from typing import Any, Dict, FrozenSet, Mapping, Optional, Tuple, TypeVar, Union

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._profiles import (
    OPTION_KEYS,
    OPTION_NAMES,
    PROFILES,
    canonical_profile,
)


class _Sentinel:
    """A named singleton marker (OMIT, INHERIT)."""

    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name

    def __reduce__(self) -> str:
        return self._name

    def __deepcopy__(self, memo: Dict[int, Any]) -> "_Sentinel":
        return self

    def __copy__(self) -> "_Sentinel":
        return self


OMIT = _Sentinel("OMIT")
"""The user did not declare this field: the host's value is left alone."""

INHERIT = _Sentinel("INHERIT")
"""The user asked to clear the port-group override so the vSwitch value applies."""

T = TypeVar("T")
Field = Union[T, _Sentinel]  # an explicit value, OMIT or INHERIT

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


def is_set(value: object) -> bool:
    """True for an explicit value (neither OMIT nor INHERIT)."""
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

    policy: Optional[str] = None
    active: Optional[Tuple[str, ...]] = None
    standby: Optional[Tuple[str, ...]] = None
    failback: Optional[bool] = None
    notify_switches: Optional[bool] = None
    failure_detection: Optional[str] = None

    @property
    def has_order(self) -> bool:
        return self.active is not None

    def unused(self, uplinks: Tuple[str, ...]) -> Tuple[str, ...]:
        """Uplinks in neither list, in bridge order (empty when the order is inherited)."""
        if self.active is None:
            return ()
        listed = set(self.active) | set(self.standby or ())
        return tuple(n for n in uplinks if n not in listed)

    def merged_over(self, base: "Teaming") -> "Teaming":
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
    uplinks: Tuple[str, ...]
    mtu: int = 1500
    num_ports: int = 128
    teaming: Teaming = Teaming()
    beacon_interval: Optional[int] = None  # None: the bridge has no beacon configuration


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
    lags: Tuple[str, ...] = ()
    uplinks: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)

    def pnics_of(self, names: Tuple[str, ...]) -> Tuple[str, ...]:
        """The host pnics behind uplink / LAG ``names``, in order (an uplink with no pnic adds none)."""
        out = []
        for name in names:
            out.extend(n for n in self.uplinks.get(name, ()) if n not in out)
        return tuple(out)

    def lags_in(self, names: Tuple[str, ...]) -> Tuple[str, ...]:
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
    lags: Tuple[str, ...] = ()
    uplinks: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)

    @property
    def uplink_names(self) -> Tuple[str, ...]:
        """The switch's uplink port names (``dvUplink1``...), LAGs excluded, in order."""
        return tuple(n for n in self.uplinks if n not in self.lags)


NEW_DV_KEY = "new:%s/%s"
"""The key a planned dvPortgroup carries in a prediction until vCenter assigns one."""


@dataclass(frozen=True)
class Ip:
    dhcp: bool = False
    address: Optional[str] = None
    netmask: Optional[str] = None

    @property
    def network(self) -> Optional[ipaddress.IPv4Network]:
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
    services: FrozenSet[str] = frozenset()
    mac: str = ""
    gateway: Optional[str] = None  # per-vmk default gateway override
    dv_portgroup: str = ""  # key of the distributed port group (Host.dv_portgroups) of a vmk on a distributed port

    @property
    def number(self) -> int:
        return vmk_number(self.device)


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

    @property
    def portal(self) -> str:
        return "%s:%d" % (self.address, self.port)


TargetKey = Tuple[str, int, str]  # (address, port, iqn); iqn "" for a send target


def target_key(t: IscsiTarget) -> TargetKey:
    return (t.address, t.port, t.iqn)


@dataclass(frozen=True)
class Binding:
    """A vmk bound to an adapter as ``QueryBoundVnics`` reports it (IscsiPortInfo)."""

    vmk: str
    path: str = "notUsed"  # notUsed | active | standBy | lastActive
    compliance: Tuple[str, ...] = ()  # fault type names of complianceStatus.reason; () = compliant
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
    pnics: Tuple[str, ...] = ()  # dependent hardware: the NIC functions it binds through
    option_defs: Mapping[str, Any] = field(default_factory=dict)  # key -> _profiles.OptionDef
    values: Mapping[str, Any] = field(default_factory=dict)  # adapter-level effective options
    own: Mapping[str, Any] = field(default_factory=dict)  # adapter-level values set on the adapter
    send_targets: Mapping[TargetKey, IscsiTarget] = field(default_factory=dict)
    static_targets: Mapping[TargetKey, IscsiTarget] = field(default_factory=dict)
    bindings: Mapping[str, Binding] = field(default_factory=dict)  # vmk -> binding, in binding order
    live_portals: FrozenSet[str] = frozenset()  # target addresses that carry paths to devices

    @property
    def bound(self) -> Tuple[str, ...]:
        return tuple(self.bindings)

    def portals(self) -> Tuple[str, ...]:
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
    nic_types: FrozenSet[str] = frozenset()  # service tags this host offers
    netstacks: FrozenSet[str] = frozenset(("default", "vmotion", "provisioning"))
    iscsi: Mapping[str, IscsiAdapter] = field(default_factory=dict)  # device -> adapter
    iscsi_known: bool = True  # False: the host's iSCSI state could not be read (rule SF-9)
    iscsi_unread: Tuple[str, ...] = ()  # what of it could not be read, and why (rule SF-9)
    dv_portgroups: Mapping[str, DvPortgroup] = field(default_factory=dict)  # key -> dvPortgroup (observed only)
    dv_switches: Mapping[str, DvSwitch] = field(default_factory=dict)  # name -> distributed switch it is a member of

    def dv_portgroup_named(self, dvs: str, name: str) -> Optional[DvPortgroup]:
        """The dvPortgroup ``name`` of distributed switch ``dvs`` (None when the host does not see it)."""
        return next((pg for pg in self.dv_portgroups.values() if pg.dvs == dvs and pg.name == name), None)

    def dv_portgroup_of(self, vmk: "Vmk") -> Optional[DvPortgroup]:
        """The distributed port group vmk ``vmk`` is on (None on a standard port group, or unread)."""
        return self.dv_portgroups.get(vmk.dv_portgroup) if vmk.dv_portgroup else None

    @property
    def management_vmks(self) -> FrozenSet[str]:
        """mgmt(h): vmk0 plus every vmk tagged management."""
        tagged = {d for d, v in self.vmks.items() if MGMT_SERVICE in v.services}
        if "vmk0" in self.vmks:
            tagged.add("vmk0")
        return frozenset(tagged)

    @property
    def software_adapter(self) -> Optional[IscsiAdapter]:
        """The software iSCSI adapter (a host has at most one), enabled or not."""
        return next((a for a in self.iscsi.values() if a.software), None)

    def bound_to(self, device: str) -> Optional[IscsiAdapter]:
        """The adapter vmk ``device`` is bound to, if any."""
        return next((a for a in self.iscsi.values() if device in a.bindings), None)

    def vmk_on_portgroup(self, portgroup: str) -> Optional[Vmk]:
        for vmk in self.vmks.values():
            if vmk.portgroup == portgroup:
                return vmk
        return None

    def next_vmk_device(self, taken: FrozenSet[str] = frozenset()) -> str:
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

    active: Field[Tuple[str, ...]] = OMIT
    standby: Field[Tuple[str, ...]] = OMIT
    unused: Field[Tuple[str, ...]] = OMIT
    policy: Field[str] = OMIT
    failback: Field[bool] = OMIT
    notify_switches: Field[bool] = OMIT
    failure_detection: Field[str] = OMIT
    conflicts: Tuple[str, ...] = ()  # fields given both inherit and a value (rule TS-7)

    @property
    def is_omitted(self) -> bool:
        return self == TeamingSpec()


@dataclass(frozen=True)
class VSwitchSpec:
    name: str
    state: str = "present"
    uplinks: Field[Tuple[str, ...]] = OMIT
    mtu: Field[int] = OMIT
    teaming: TeamingSpec = TeamingSpec()


@dataclass(frozen=True)
class IpSpec:
    dhcp: bool = False
    address: Optional[str] = None
    netmask: Optional[str] = None

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
    services: Field[FrozenSet[str]] = OMIT
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

    vmk: Optional[str] = None
    portgroup: Optional[str] = None

    def describe(self) -> str:
        return self.vmk if self.vmk else "portgroup %s" % self.portgroup


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
    profile: Optional[str] = None
    index: int = 0  # position in the task's list (error messages)

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
    bindings: Field[Tuple[BindingSpec, ...]] = OMIT
    purge_bindings: bool = False
    send_targets: Tuple[TargetSpec, ...] = ()
    static_targets: Tuple[TargetSpec, ...] = ()
    purge_targets: bool = False
    adapter_options: Mapping[str, Any] = field(default_factory=dict)
    rescan: bool = True
    unbind: Tuple[BindingSpec, ...] = ()
    """``host_fabric`` deleted: bindings named for removal (explicit, unlike a purge)."""
    exact: bool = False
    """``host_fabric`` replaced/overridden: the adapter's and each listed target's own options
    become exactly the declared ones (the others revert to inherited) instead of merging."""


@dataclass(frozen=True)
class Desired:
    """What one module run declares for one host."""

    host: str
    vswitches: Tuple[VSwitchSpec, ...] = ()
    vmks: Tuple[VmkSpec, ...] = ()
    flags: Flags = Flags()
    iscsi: Tuple[IscsiSpec, ...] = ()
    dv_portgroups: Tuple[DvPortgroupSpec, ...] = ()
    authoritative: bool = False
    """``host_fabric`` overridden: objects the document does not list are removed (rule SF-6
    guards what must never go that way)."""
    protected: FrozenSet[str] = frozenset()
    """Objects the document marks ``protected: true`` (``vmk:vmk3``, ``portgroup:X``,
    ``vswitch:Y``, ``adapter:vmhba64``): never managed, never removed."""


# ---------------------------------------------------------------------------------------
# Plan and findings (produced by _planner / _validator, consumed by _applier / _module)
# ---------------------------------------------------------------------------------------

ACTION_KINDS = ("dv_portgroup", "vswitch", "portgroup", "vmk", "service", "adapter", "binding", "send_target", "static_target")
ACTION_OPS = ("add", "edit", "remove", "select", "deselect", "rescan")


@dataclass(frozen=True)
class Action:
    """One ordered change on one host.

    ``changes`` maps a field name to ``(before, after)`` in canonical (document) form;
    for ``add`` before is None, for ``remove`` after is None. ``name`` is the object's
    name (vSwitch, port group, vmk device, or ``vmkN:service`` for service actions).
    """

    host: str
    op: str
    kind: str
    name: str
    changes: Mapping[str, Tuple[Any, Any]] = field(default_factory=dict)

    def describe(self) -> str:
        parts = ", ".join(
            "%s: %s -> %s" % (k, _short(b), _short(a)) for k, (b, a) in sorted(self.changes.items())
        )
        text = "%s %s %s" % (self.op, self.kind, self.name)
        return "%s (%s)" % (text, parts) if parts else text

    def as_dict(self) -> Dict[str, Any]:
        return {
            "host": self.host,
            "op": self.op,
            "kind": self.kind,
            "name": self.name,
            "changes": {k: {"before": b, "after": a} for k, (b, a) in sorted(self.changes.items())},
            "summary": self.describe(),
        }


def _short(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[%s]" % ", ".join(str(v) for v in value)
    return str(value)


SEVERITIES = ("error", "warning")


@dataclass(frozen=True)
class Finding:
    """One validator finding: rule, severity, host, object, found, change, source."""

    rule: str
    severity: str
    host: str
    object: str
    found: str
    change: str
    source: str = ""

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def sort_key(self) -> Tuple[str, Tuple[str, int], str]:
        family, num = (self.rule.split("-", 1) + [""])[:2]
        return (self.host, (family, int(num) if num.isdigit() else 0), self.object)

    def as_dict(self) -> Dict[str, str]:
        return {
            "rule": self.rule,
            "severity": self.severity,
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


# ---------------------------------------------------------------------------------------
# Canonical document (before / after / diff / gathered)
# ---------------------------------------------------------------------------------------


def teaming_to_doc(t: Teaming) -> Dict[str, Any]:
    """Only the fields that are set; an order always shows active and standby."""
    doc: Dict[str, Any] = {}
    if t.policy is not None:
        doc["policy"] = t.policy
    if t.active is not None:
        doc["active"] = list(t.active)
        doc["standby"] = list(t.standby or ())
    for name in ("failback", "notify_switches", "failure_detection"):
        value = getattr(t, name)
        if value is not None:
            doc[name] = value
    return doc


def host_to_doc(host: Host) -> Dict[str, Any]:
    """The canonical, sorted document of a host's networking (stable for diffs)."""
    vswitches = []
    for sw in sorted(host.vswitches.values(), key=lambda s: s.name):
        team = teaming_to_doc(sw.teaming)
        if "active" in team:
            team["unused"] = list(sw.teaming.unused(sw.uplinks))
        vswitches.append(
            {"name": sw.name, "uplinks": list(sw.uplinks), "mtu": sw.mtu, "teaming": team}
        )
    portgroups = []
    for pg in sorted(host.portgroups.values(), key=lambda p: p.name):
        sw = host.vswitches.get(pg.vswitch)
        team = teaming_to_doc(pg.override)
        if "active" in team and sw is not None:
            team["unused"] = list(pg.override.unused(sw.uplinks))
        portgroups.append({"name": pg.name, "vswitch": pg.vswitch, "vlan": pg.vlan, "teaming": team})
    vmknics = []
    for vmk in sorted(host.vmks.values(), key=lambda v: v.number):
        ip: Dict[str, Any] = (
            {"dhcp": True} if vmk.ip.dhcp else {"address": vmk.ip.address, "netmask": vmk.ip.netmask}
        )
        dv = host.dv_portgroup_of(vmk)
        entry: Dict[str, Any] = {
            "device": vmk.device,
            "portgroup": dv.name if dv is not None else vmk.portgroup,
            "vswitch": dv.dvs if dv is not None else vmk.vswitch,
            "ip": ip,
            "mtu": vmk.mtu,
            "netstack": vmk.netstack,
            "services": sorted(vmk.services),
        }
        if vmk.gateway:
            entry["gateway"] = vmk.gateway
        if vmk.dv_portgroup:
            entry["dv_portgroup"] = vmk.dv_portgroup
        vmknics.append(entry)
    doc = {"vswitches": vswitches, "portgroups": portgroups, "vmknics": vmknics,
           "iscsi": [iscsi_to_doc(a) for _d, a in sorted(host.iscsi.items())]}
    used = {v.dv_portgroup for v in host.vmks.values() if v.dv_portgroup in host.dv_portgroups}
    if used:
        doc["dv_portgroups"] = [dv_portgroup_to_doc(host.dv_portgroups[k])
                                for k in sorted(used, key=lambda k: (host.dv_portgroups[k].dvs, host.dv_portgroups[k].name, k))]
    return doc


def dv_portgroup_to_doc(dv: DvPortgroup) -> Dict[str, Any]:
    """A distributed port group a vmk of the host is on (observed only): its effective teaming in
    the switch's uplink / LAG names, the switch's LAGs, and this host's pnics behind each name."""
    return {"key": dv.key, "name": dv.name, "dvs": dv.dvs, "vlan": dv.vlan, "teaming": teaming_to_doc(dv.teaming),
            "lags": list(dv.lags), "uplinks": {n: list(p) for n, p in sorted(dv.uplinks.items())}}


def options_to_doc(options: Mapping[str, Any]) -> Dict[str, Any]:
    """API-keyed advanced options -> the module's option names (other keys stay as they are)."""
    return {OPTION_NAMES.get(k, k): v for k, v in sorted(options.items())}


def _target_doc(t: IscsiTarget) -> Dict[str, Any]:
    doc: Dict[str, Any] = {"address": t.address, "port": t.port}
    if t.iqn:
        doc["iscsi_name"] = t.iqn
    if t.discovered_from:
        doc["discovered_from"] = t.discovered_from
    doc["options"] = options_to_doc(t.own)
    return doc


def iscsi_to_doc(a: IscsiAdapter) -> Dict[str, Any]:
    """One adapter in canonical form: only values held at each level (inherited ones omitted)."""
    return {
        "adapter": a.device,
        "software": a.software,
        "enabled": a.enabled,
        "iqn": a.iqn,
        "alias": a.alias,
        "bindings": list(a.bound),
        "send_targets": [_target_doc(t) for _k, t in sorted(a.send_targets.items())],
        "static_targets": [_target_doc(t) for _k, t in sorted(a.static_targets.items())],
        "options": options_to_doc(a.own),
    }


# ---------------------------------------------------------------------------------------
# Module arguments -> Desired (one per host)
# ---------------------------------------------------------------------------------------

_TEAMING_SCALARS = ("policy", "failback", "notify_switches", "failure_detection")
_TEAMING_INHERITABLE = _TEAMING_SCALARS + ("order",)


def _arg_error(field_name: str, message: str, host: Optional[str] = None) -> ArgumentError:
    return ArgumentError(field_name, message, host)


def teaming_from_args(args: Optional[Mapping[str, Any]], prefix: str = "teaming",
                      allow_inherit: bool = True) -> TeamingSpec:
    """Normalise a ``teaming`` option.

    ``inherit: true`` clears the whole override; ``inherit: [policy, order, ...]`` clears the
    named fields (``order`` = active + standby). ``active`` starts an explicit order;
    ``standby`` defaults to empty then, and ``unused`` (if given) is checked by the validator.
    A field given both ways is kept in ``conflicts`` for rule TS-7.
    """
    if not args:
        return TeamingSpec()
    inherit = args.get("inherit")
    if inherit and not allow_inherit:
        raise _arg_error(prefix + ".inherit", "a vSwitch has no parent to inherit from")
    names: Tuple[str, ...]
    if inherit is True:
        names = _TEAMING_INHERITABLE
    elif inherit in (None, False):
        names = ()
    else:
        names = tuple(inherit)
        bad = sorted(set(names) - set(_TEAMING_INHERITABLE))
        if bad:
            raise _arg_error(prefix + ".inherit", "unknown field(s) %s; choose from %s"
                             % (", ".join(bad), ", ".join(_TEAMING_INHERITABLE)))
    values: Dict[str, Any] = {}
    conflicts = []
    for name in _TEAMING_SCALARS:
        given = args.get(name)
        if given is not None and name in names:
            conflicts.append(name)
        values[name] = INHERIT if name in names else (OMIT if given is None else given)
    active, standby, unused = args.get("active"), args.get("standby"), args.get("unused")
    if "order" in names:
        if active is not None or standby is not None or unused is not None:
            conflicts.append("order")
        values.update(active=INHERIT, standby=INHERIT, unused=OMIT)
    elif active is not None:
        values.update(active=tuple(active), standby=tuple(standby or ()),
                      unused=OMIT if unused is None else tuple(unused))
    elif standby is not None or unused is not None:
        raise _arg_error(prefix + ".active", "required when standby or unused is given: "
                         "a failover order is always written whole (active, standby, unused)")
    if values.get("policy") not in (OMIT, INHERIT) and values["policy"] not in POLICIES:
        raise _arg_error(prefix + ".policy", "must be one of %s, got %r"
                         % (", ".join(POLICIES), values["policy"]))
    fd = values.get("failure_detection")
    if fd not in (OMIT, INHERIT) and fd not in FAILURE_DETECTION:
        raise _arg_error(prefix + ".failure_detection", "must be one of %s, got %r"
                         % (", ".join(FAILURE_DETECTION), fd))
    return TeamingSpec(conflicts=tuple(conflicts), **values)


def _check_range(field_name: str, value: Optional[int], low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise _arg_error(field_name, "must be between %d and %d, got %d" % (low, high, value))


def _ipv4(field_name: str, value: Any, host: Optional[str]) -> str:
    if not isinstance(value, str):
        raise _arg_error(field_name, "must be an IPv4 address in a string, got %s %r" % (type(value).__name__, value), host)
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise _arg_error(field_name, "%r is not an IPv4 address" % (value,), host) from None


# ESXi's limits on names: a vSwitch name is at most 32 characters (HostNetworkConfig); a
# standard port group's name (its network label) at most 59. Control characters are refused
# in any name: the SOAP request cannot carry most of them and ESXi rejects the rest.
NAME_LIMITS = {"vswitch": 32, "portgroup": 59}


def name_problem(kind: str, name: Any) -> Optional[str]:
    """Why ``name`` cannot name a ``kind`` (``vswitch`` or ``portgroup``) on ESXi, or None."""
    if not isinstance(name, str):
        return "must be a string, got %s %r" % (type(name).__name__, name)
    if not name.strip():
        return "must be a non-empty name, got %r" % name
    bad = sorted({c for c in name if ord(c) < 0x20 or ord(c) == 0x7F})
    if bad:
        return "must not contain control characters, got %r (contains %s)" % (
            name, ", ".join("U+%04X" % ord(c) for c in bad))
    if len(name) > NAME_LIMITS[kind]:
        return "at most %d characters for a %s name (ESXi limit), got %d" % (
            NAME_LIMITS[kind], "vSwitch" if kind == "vswitch" else "port group", len(name))
    return None


def check_name(field_name: str, kind: str, name: Any, host: Optional[str] = None) -> str:
    problem = name_problem(kind, name)
    if problem:
        raise _arg_error(field_name, problem, host)
    return str(name)


def address_problem(address: str, netmask: Optional[str] = None) -> Optional[str]:
    """Why ``address`` cannot be a vmk's (or a target's) unicast address, or None: the
    unspecified, loopback, multicast, reserved and limited-broadcast ranges, and, with
    ``netmask``, the network and broadcast addresses of its own subnet (prefixes up to /30)."""
    ip = ipaddress.IPv4Address(address)
    if ip.is_unspecified:
        return "0.0.0.0 is not a host address"
    if ip == ipaddress.IPv4Address("255.255.255.255"):
        return "255.255.255.255 is the limited broadcast address, not a host address"
    for test, what in ((ip.is_loopback, "a loopback address (127.0.0.0/8)"), (ip.is_multicast, "a multicast address (224.0.0.0/4)"),
                       (ip.is_reserved, "in the reserved range 240.0.0.0/4")):
        if test:
            return "%s is %s, not a host address" % (address, what)
    if netmask is not None:
        net = ipaddress.IPv4Network("%s/%s" % (address, netmask), strict=False)
        if net.prefixlen <= 30 and ip in (net.network_address, net.broadcast_address):
            return "%s is the %s address of %s, not a host address" % (
                address, "network" if ip == net.network_address else "broadcast", net)
    return None


def host_address(field_name: str, address: Any, netmask: Optional[str], host: Optional[str]) -> str:
    text = _ipv4(field_name, address, host)
    problem = address_problem(text, netmask)
    if problem:
        raise _arg_error(field_name, problem, host)
    return text


def _netmask(field_name: str, value: Any, host: Optional[str]) -> str:
    text = _ipv4(field_name, value, host)
    try:
        ipaddress.IPv4Network("0.0.0.0/%s" % text)
    except ValueError:
        raise _arg_error(field_name, "%s is not a contiguous netmask" % text, host) from None
    if text == "0.0.0.0":
        raise _arg_error(field_name, "0.0.0.0 is not a usable netmask", host)
    return text


def ip_for_hosts(ip: Optional[Mapping[str, Any]], hosts: Tuple[str, ...],
                 cluster_mode: bool) -> Dict[str, Field[IpSpec]]:
    """Per-host IpSpec from ``ip`` ({address, netmask} | {dhcp: true} |
    {netmask, addresses: {host: address}})."""
    if not ip:
        return {h: OMIT for h in hosts}
    if ip.get("dhcp"):
        if ip.get("address") or ip.get("addresses"):
            raise _arg_error("ip.dhcp", "cannot be combined with ip.address or ip.addresses")
        return {h: IpSpec(dhcp=True) for h in hosts}
    addresses = ip.get("addresses")
    if addresses is not None and ip.get("address"):
        raise _arg_error("ip.address", "give ip.address (one host) or ip.addresses (per host), not both")
    if addresses is None:
        if ip.get("address") is None:
            raise _arg_error("ip.address", "required unless ip.dhcp or ip.addresses is given")
        if cluster_mode and len(hosts) > 1:
            raise _arg_error("ip.addresses", "a cluster needs one address per host, "
                             "e.g. ip: {netmask: 255.255.255.0, addresses: {esx01.lab.local: 10.0.0.11}}")
        addresses = {h: ip["address"] for h in hosts}
    unknown = sorted(set(addresses) - set(hosts))
    if unknown:
        raise _arg_error("ip.addresses", "%s not in scope (hosts: %s)" % (", ".join(unknown), ", ".join(hosts)))
    result: Dict[str, Field[IpSpec]] = {}
    for h in hosts:
        if h not in addresses:
            raise _arg_error("ip.addresses", "no address given for this host", h)
        if ip.get("netmask") is None:
            raise _arg_error("ip.netmask", "required with a static address", h)
        netmask = _netmask("ip.netmask", ip["netmask"], h)
        result[h] = IpSpec(address=host_address("ip.address", addresses[h], netmask, h), netmask=netmask)
    return result


def flags_from_args(params: Mapping[str, Any]) -> Flags:
    return Flags(**{name: bool(params.get(name)) for name in FLAG_NAMES if name in params})


def vmknic_desired(params: Mapping[str, Any], hosts: Tuple[str, ...], cluster_mode: bool) -> Dict[str, Desired]:
    """``vmknic`` module arguments -> one Desired per host in scope."""
    _check_range("vlan", params.get("vlan"), 0, 4095)
    if params.get("mtu") is not None and params["mtu"] < 1280:
        raise _arg_error("mtu", "must be at least 1280 (ESXi's minimum), got %d" % params["mtu"])
    netstack = params.get("netstack")
    if netstack is not None and netstack not in NETSTACK_TO_API:
        raise _arg_error("netstack", "must be one of %s" % ", ".join(NETSTACK_TO_API))
    purpose = params.get("purpose") or "general"
    if purpose not in PURPOSES:
        raise _arg_error("purpose", "must be one of %s" % ", ".join(PURPOSES))
    teaming = teaming_from_args(params.get("teaming"))
    _check_switch_names(params)
    device = params.get("device")
    if device is not None:
        check_device("device", device)
    ips = ip_for_hosts(params.get("ip"), hosts, cluster_mode) if params.get("state", "present") == "present" \
        else {h: OMIT for h in hosts}
    services = params.get("services")
    flags = flags_from_args(params)
    out: Dict[str, Desired] = {}
    for h in hosts:
        spec = VmkSpec(
            portgroup=params["portgroup"],
            vswitch=_opt(params.get("vswitch")),
            state=params.get("state") or "present",
            device=_opt(params.get("device")),
            vlan=_opt(params.get("vlan")),
            ip=ips[h],
            mtu=_opt(params.get("mtu")),
            netstack=_opt(netstack),
            services=OMIT if services is None else frozenset(services),
            teaming=teaming,
            purpose=purpose,
        )
        out[h] = Desired(host=h, vmks=(spec,), flags=flags)
    return out


def vswitch_desired(params: Mapping[str, Any], hosts: Tuple[str, ...]) -> Dict[str, Desired]:
    """``vswitch`` module arguments -> one Desired per host in scope."""
    if params.get("mtu") is not None and params["mtu"] < 1280:
        raise _arg_error("mtu", "must be at least 1280 (ESXi's minimum), got %d" % params["mtu"])
    check_name("name", "vswitch", params["name"])
    uplinks = params.get("uplinks")
    if uplinks is not None:
        check_unique("uplinks", uplinks)
    spec = VSwitchSpec(
        name=params["name"],
        state=params.get("state") or "present",
        uplinks=OMIT if uplinks is None else tuple(uplinks),
        mtu=_opt(params.get("mtu")),
        teaming=teaming_from_args(params.get("teaming"), allow_inherit=False),
    )
    flags = flags_from_args(params)
    return {h: Desired(host=h, vswitches=(spec,), flags=flags) for h in hosts}


def _opt(value: Any) -> Any:
    return OMIT if value is None else value


def check_unique(field_name: str, names: Any, host: Optional[str] = None) -> None:
    """A list of names (uplinks) with none given twice: ESXi refuses the order only at write time."""
    twice = sorted({n for n in names if list(names).count(n) > 1})
    if twice:
        raise _arg_error(field_name, "lists %s more than once" % ", ".join(map(str, twice)), host)


def check_device(field_name: str, device: Any, host: Optional[str] = None) -> str:
    """A vmk device name (``vmk1``); anything else is an error naming ``field_name``."""
    try:
        vmk_number(str(device))
    except ValueError:
        raise _arg_error(field_name, "must be a vmk device name such as vmk1, got %r" % (device,), host) from None
    return str(device)


def _check_switch_names(params: Mapping[str, Any]) -> None:
    """``portgroup`` and ``vswitch`` of a vmk module, when given, are names ESXi accepts."""
    if params.get("portgroup") is not None:
        check_name("portgroup", "portgroup", params["portgroup"])
    if params.get("vswitch") is not None:
        check_name("vswitch", "vswitch", params["vswitch"])


# ---------------------------------------------------------------------------------------
# iSCSI module arguments -> Desired
# ---------------------------------------------------------------------------------------

PROFILE_NAMES = tuple(sorted(PROFILES))


def binding_specs(items: Any, field_name: str = "bindings") -> Tuple[BindingSpec, ...]:
    """``bindings``: vmk names (``vmk1``) or ``{vmk: vmk1}`` / ``{portgroup: iSCSI-A}`` items.
    Errors name ``field_name[i]`` (the module option, or a document path)."""
    if not isinstance(items, (list, tuple)):
        raise _arg_error(field_name, "must be a list, got %r" % (items,))
    out = []
    for i, item in enumerate(items):
        where = "%s[%d]" % (field_name, i)
        if isinstance(item, str):
            item = {"vmk": item}
        if not isinstance(item, Mapping):
            raise _arg_error(where, "must be a vmk name or a dict with vmk or portgroup, got %r" % (item,))
        unknown = sorted(set(item) - {"vmk", "portgroup"})
        if unknown:
            raise _arg_error(where, "unknown key(s) %s; use vmk or portgroup" % ", ".join(unknown))
        vmk, pg = item.get("vmk"), item.get("portgroup")
        if bool(vmk) == bool(pg):
            raise _arg_error(where, "give exactly one of vmk or portgroup")
        if vmk is not None:
            try:
                vmk_number(str(vmk))
            except ValueError:
                raise _arg_error(where + ".vmk", "%r is not a vmk device name (vmkN)" % (vmk,)) from None
        out.append(BindingSpec(vmk=str(vmk) if vmk else None, portgroup=str(pg) if pg else None))
    seen: Dict[BindingSpec, int] = {}
    for i, b in enumerate(out):
        if b in seen:
            raise _arg_error("%s[%d]" % (field_name, i), "%s is listed twice (also %s[%d])"
                             % (b.describe(), field_name, seen[b]))
        seen[b] = i
    return tuple(out)


def checked_profile(name: Any, field_name: str) -> str:
    """The canonical name of vendor profile ``name``; ArgumentError naming ``field_name`` if unknown."""
    if not isinstance(name, str) or canonical_profile(name) not in PROFILES:
        raise _arg_error(field_name, "unknown profile %r; choose from %s" % (name, ", ".join(PROFILE_NAMES)))
    return canonical_profile(name)


def _explicit_options(item: Mapping[str, Any]) -> Dict[str, Any]:
    return {OPTION_KEYS[name]: item[name] for name in OPTION_KEYS if item.get(name) is not None}


def _target_specs(items: Any, field_name: str, default_profile: Optional[str], static: bool) -> Tuple[TargetSpec, ...]:
    out = []
    seen: Dict[TargetKey, int] = {}
    for i, item in enumerate(items or ()):
        where = "%s[%d]" % (field_name, i)
        address = host_address(where + ".address", item.get("address"), None, None)
        port = item.get("port")
        if port is None:
            port = 3260
        elif isinstance(port, bool) or not isinstance(port, int):
            raise _arg_error(where + ".port", "must be an integer TCP port, got %r" % (port,))
        _check_range(where + ".port", port, 1, 65535)
        iqn = ""
        if static:
            iqn = str(item.get("iscsi_name") or "")
            if not iqn.startswith(("iqn.", "eui.", "naa.")):
                raise _arg_error(where + ".iscsi_name", "required for a static target: the target's iqn./eui./naa. name")
        profile = item.get("profile") or default_profile
        if profile is not None:
            profile = checked_profile(profile, where + ".profile" if item.get("profile") else "profile")
        explicit = _explicit_options(item)
        options: Dict[str, Any] = dict(PROFILES[profile].values) if profile else {}
        options.update(explicit)
        state = item.get("state") or "present"
        spec = TargetSpec(address=address, port=int(port), iqn=iqn, state=state, options=options, explicit=explicit,
                          profile=profile, index=i)
        if spec.key in seen:
            raise _arg_error(where, "%s is listed twice (also %s[%d])" % (spec.portal, field_name, seen[spec.key]))
        seen[spec.key] = i
        out.append(spec)
    return tuple(out)


def _adapter_field(params: Mapping[str, Any]) -> Field[str]:
    adapter = params.get("adapter")
    if adapter is not None and not str(adapter).startswith("vmhba"):
        raise _arg_error("adapter", "%r is not an adapter device name (vmhbaN)" % (adapter,))
    return _opt(adapter)


def iscsi_adapter_desired(params: Mapping[str, Any], hosts: Tuple[str, ...], cluster_mode: bool) -> Dict[str, Desired]:
    """``iscsi_adapter`` module arguments -> one Desired per host in scope."""
    state = params.get("software_iscsi")
    bindings = params.get("bindings")
    spec = IscsiSpec(
        adapter=_adapter_field(params),
        software=OMIT if state is None else state == "enabled",
        iqn=_opt(params.get("iqn")),
        alias=_opt(params.get("alias")),
        bindings=OMIT if bindings is None else binding_specs(bindings),
        purge_bindings=bool(params.get("purge_bindings")),
    )
    if spec.purge_bindings and bindings is None:
        raise _arg_error("purge_bindings", "needs bindings: the complete list of vmks that stay bound")
    if is_set(spec.iqn) and not str(spec.iqn).startswith(("iqn.", "eui.")):
        raise _arg_error("iqn", "must start with iqn. or eui., got %r" % (spec.iqn,))
    flags = flags_from_args(params)
    return {h: Desired(host=h, iscsi=(spec,), flags=flags) for h in hosts}


def iscsi_target_desired(params: Mapping[str, Any], hosts: Tuple[str, ...], cluster_mode: bool) -> Dict[str, Desired]:
    """``iscsi_target`` module arguments -> one Desired per host in scope."""
    profile = params.get("profile")
    if profile is not None:
        checked_profile(profile, "profile")
    sends = _target_specs(params.get("send_targets"), "send_targets", profile, static=False)
    statics = _target_specs(params.get("static_targets"), "static_targets", None, static=True)
    adapter_options = _explicit_options(params.get("adapter_options") or {})
    if not sends and not statics and not adapter_options and not params.get("purge"):
        raise _arg_error("send_targets", "nothing to manage: give send_targets, static_targets or adapter_options")
    spec = IscsiSpec(
        adapter=_adapter_field(params),
        send_targets=sends,
        static_targets=statics,
        purge_targets=bool(params.get("purge")),
        adapter_options=adapter_options,
        rescan=params.get("rescan", True) is not False,
    )
    flags = flags_from_args(params)
    return {h: Desired(host=h, iscsi=(spec,), flags=flags) for h in hosts}


# ---------------------------------------------------------------------------------------
# vmotion_multinic: a multi-NIC vMotion set (N vmks, N port groups, mirrored teaming)
# ---------------------------------------------------------------------------------------

VMOTION_NETSTACKS = ("default", "vmotion")
VMOTION_SERVICE = "vmotion"
VMOTION_PREFIX = "vMotion"


def mirrored_teaming(uplinks: Tuple[str, ...], index: int) -> TeamingSpec:
    """The failover order of vmk ``index`` of a set: active ``uplinks[index]``, standby the next
    uplink round-robin (for two: A = u1/u2, B = u2/u1). Every other NIC of the vSwitch is
    unused (derived, rule TS-3), so each uplink is active for one vmk and standby for one."""
    return TeamingSpec(active=(uplinks[index],), standby=(uplinks[(index + 1) % len(uplinks)],))


def vmotion_portgroups(params: Mapping[str, Any], count: Optional[int]) -> Tuple[str, ...]:
    """The set's port group names: ``portgroups`` as given, else ``<portgroup_prefix>-1..N``."""
    explicit, prefix = params.get("portgroups"), params.get("portgroup_prefix")
    if explicit is not None and prefix is not None:
        raise _arg_error("portgroups", "give portgroups or portgroup_prefix, not both")
    if explicit is not None:
        names = tuple(explicit)
        if count is not None and len(names) != count:
            raise _arg_error("portgroups", "lists %d port group(s) for %d uplinks; give one per uplink"
                             % (len(names), count))
        if len(names) < 2:
            raise _arg_error("portgroups", "a multi-NIC vMotion set needs at least 2 port groups")
        for i, n in enumerate(names):
            check_name("portgroups[%d]" % i, "portgroup", n)
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise _arg_error("portgroups", "each vmk needs its own, non-empty port group name (repeated: %s)"
                             % (", ".join(dupes) or "''"))
        return names
    if count is None:
        raise _arg_error("uplinks", "required to name the port groups %s-1..N (or give portgroups)"
                         % (prefix or VMOTION_PREFIX))
    names = tuple("%s-%d" % (prefix or VMOTION_PREFIX, i + 1) for i in range(count))
    for n in names:
        check_name("portgroup_prefix", "portgroup", n)
    return names


def _vmotion_addresses(ip: Optional[Mapping[str, Any]], hosts: Tuple[str, ...],
                       count: int) -> Dict[str, Tuple[IpSpec, ...]]:
    """Per host, ``count`` IpSpecs from ``ip: {netmask, addresses: {host: [one per uplink]}}``
    (a plain list is accepted when one host is in scope)."""
    example = "ip: {netmask: 255.255.255.0, addresses: {%s: [%s]}}" % (
        hosts[0] if hosts else "esx01.lab.local", ", ".join("10.20.0.%d" % (10 + 100 * i) for i in range(count)))
    if not ip or ip.get("addresses") is None:
        raise _arg_error("ip.addresses", "required with state=present, one list of %d addresses per host, e.g. %s"
                         % (count, example))
    if ip.get("netmask") is None:
        raise _arg_error("ip.netmask", "required with ip.addresses")
    addresses = ip["addresses"]
    if isinstance(addresses, (list, tuple)):
        if len(hosts) != 1:
            raise _arg_error("ip.addresses", "a cluster needs one list per host, e.g. %s" % example)
        addresses = {hosts[0]: addresses}
    if not isinstance(addresses, Mapping):
        raise _arg_error("ip.addresses", "must map each host to a list of addresses, e.g. %s" % example)
    unknown = sorted(set(addresses) - set(hosts))
    if unknown:
        raise _arg_error("ip.addresses", "%s not in scope (hosts: %s)" % (", ".join(unknown), ", ".join(hosts)))
    out: Dict[str, Tuple[IpSpec, ...]] = {}
    for h in hosts:
        given = addresses.get(h)
        if given is None:
            raise _arg_error("ip.addresses", "no address list given for this host", h)
        if isinstance(given, str) or not isinstance(given, (list, tuple)):
            raise _arg_error("ip.addresses", "must be a list of %d addresses (one per uplink), got %r" % (count, given), h)
        if len(given) != count:
            raise _arg_error("ip.addresses", "%d address(es) given, %d needed (one per uplink)" % (len(given), count), h)
        netmask = _netmask("ip.netmask", ip["netmask"], h)
        out[h] = tuple(IpSpec(address=host_address("ip.addresses", a, netmask, h), netmask=netmask) for a in given)
    return out


def _check_vmk_mtu(params: Mapping[str, Any]) -> None:
    if params.get("mtu") is not None and params["mtu"] < 1280:
        raise _arg_error("mtu", "must be at least 1280 (ESXi's minimum), got %d" % params["mtu"])


def vmotion_desired(params: Mapping[str, Any], hosts: Tuple[str, ...], cluster_mode: bool) -> Dict[str, Desired]:
    """``vmotion_multinic`` arguments -> one Desired per host: one VmkSpec (``purpose:
    vmotion``) per uplink, each on its own port group with the mirrored order of
    ``mirrored_teaming``. With ``dvswitch`` the port groups are dvPortgroups of that switch
    (``Desired.dv_portgroups``, the same on every host: order and VLAN live there) and
    ``uplinks`` names the switch's uplink ports (``dvUplink1``). On the default netstack each vmk carries exactly the vMotion service;
    on the ``vmotion`` netstack nothing is selected (the stack implies it). ``state: absent``
    removes the set's vmks and port groups. ``cluster_mode`` only shapes error messages."""
    del cluster_mode  # addresses are always per host for a set
    state = params.get("state") or "present"
    _check_range("vlan", params.get("vlan"), 0, 4095)
    _check_vmk_mtu(params)
    netstack = params.get("netstack") or "default"
    if netstack not in VMOTION_NETSTACKS:
        raise _arg_error("netstack", "must be one of %s" % ", ".join(VMOTION_NETSTACKS))
    uplinks: Optional[Tuple[str, ...]] = None
    if params.get("uplinks") is not None:
        uplinks = tuple(params["uplinks"])
        if len(uplinks) < 2:
            raise _arg_error("uplinks", "a multi-NIC vMotion set needs at least 2 uplinks, got %d" % len(uplinks))
        dupes = sorted({n for n in uplinks if uplinks.count(n) > 1})
        if dupes:
            raise _arg_error("uplinks", "lists %s more than once; each vmk needs its own active NIC" % ", ".join(dupes))
    elif state == "present":
        raise _arg_error("uplinks", "required with state=present (at least 2 NICs of the vSwitch)")
    names = vmotion_portgroups(params, len(uplinks) if uplinks else None)
    if params.get("vswitch") is not None:
        check_name("vswitch", "vswitch", params["vswitch"])
    flags = flags_from_args(params)
    dvs = params.get("dvswitch")
    if dvs is not None and params.get("vswitch") is not None:
        raise _arg_error("dvswitch", "give vswitch (standard port groups) or dvswitch (dvPortgroups), not both")
    switch: Dict[str, Any] = {"dvswitch": dvs} if dvs is not None else {"vswitch": _opt(params.get("vswitch"))}
    if state == "absent":
        gone = tuple(VmkSpec(portgroup=n, state="absent", purpose="vmotion", **switch) for n in names)
        return {h: Desired(host=h, vmks=gone, flags=flags) for h in hosts}
    nics = uplinks or ()
    ips = _vmotion_addresses(params.get("ip"), hosts, len(nics))
    services: Field[FrozenSet[str]] = frozenset({VMOTION_SERVICE}) if netstack == "default" else OMIT
    vlan = _opt(params.get("vlan"))
    dv_specs: Tuple[DvPortgroupSpec, ...] = ()
    if dvs is not None:  # the order and the VLAN belong to the (switch-wide) dvPortgroups
        dv_specs = tuple(DvPortgroupSpec(name=names[i], dvs=dvs, vlan=vlan, teaming=mirrored_teaming(nics, i))
                         for i in range(len(nics)))
    out: Dict[str, Desired] = {}
    for h in hosts:
        specs = tuple(
            VmkSpec(portgroup=names[i], vlan=OMIT if dvs is not None else vlan, ip=ips[h][i],
                    mtu=_opt(params.get("mtu")), netstack=netstack, services=services,
                    teaming=TeamingSpec() if dvs is not None else mirrored_teaming(nics, i), purpose="vmotion",
                    **switch)
            for i in range(len(nics)))
        out[h] = Desired(host=h, vmks=specs, flags=flags, dv_portgroups=dv_specs)
    return out


# ---------------------------------------------------------------------------------------
# replica_vmknic: the isolated replica (FVP-style peer) vmk
# ---------------------------------------------------------------------------------------


def replica_desired(params: Mapping[str, Any], hosts: Tuple[str, ...], cluster_mode: bool) -> Dict[str, Desired]:
    """``replica_vmknic`` arguments -> one Desired per host with one ``purpose: replica`` VmkSpec.

    The address is static (the replica network is isolated, so no DHCP). ``gateway`` is carried
    as declared so that rule PR-4 can refuse it with the fix; ``shared_with_vmotion`` selects
    rules PR-6/PR-7 instead of the isolation checks PR-2/PR-3 for the vMotion subnet."""
    state = params.get("state") or "present"
    _check_range("vlan", params.get("vlan"), 0, 4095)
    _check_vmk_mtu(params)
    _check_switch_names(params)
    ip = params.get("ip")
    if ip and ip.get("dhcp"):
        raise _arg_error("ip.dhcp", "the replica network is isolated and non-routed: give a static ip.address")
    ips = ip_for_hosts(ip, hosts, cluster_mode) if state == "present" else {h: OMIT for h in hosts}
    gateway = params.get("gateway")
    services = params.get("services")
    teaming = teaming_from_args(params.get("teaming"))
    flags = flags_from_args(params)
    out: Dict[str, Desired] = {}
    for h in hosts:
        spec = VmkSpec(
            portgroup=params["portgroup"],
            vswitch=_opt(params.get("vswitch")),
            state=state,
            vlan=_opt(params.get("vlan")),
            ip=ips[h],
            mtu=_opt(params.get("mtu")),
            services=OMIT if services is None else frozenset(services),
            teaming=teaming,
            purpose="replica",
            gateway=OMIT if gateway is None else host_address("gateway", gateway, None, h),
            shared_with_vmotion=bool(params.get("shared_with_vmotion")),
        )
        out[h] = Desired(host=h, vmks=(spec,), flags=flags)
    return out
