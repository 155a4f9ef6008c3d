# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fabric document's shape: its sections and keys, and ``check_document``, which checks every value of a
gathered or plan document and names the path of the first bad one.

Private to this collection. Pure: imports no pyVmomi and opens no connection. ``_document`` converts a
checked document (to ``Host`` and ``Desired``) and back; the shape itself is described there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._fields import boolean, choice, integer, ipv4, kind_of, mapping, names, netmask, text
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_params import binding_specs, chap_pair, checked_profile
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    DVS_POLICIES,
    FAILURE_DETECTION,
    INHERITED_CHAP,
    OMIT,
    POLICIES,
    PURPOSES,
    BindingSpec,
    Chap,
    IscsiTarget,
    is_set,
    vmk_number,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import address_problem, check_unique, name_problem
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._profiles import OPTION_KEYS, PROFILES

SECTIONS = ("vswitches", "portgroups", "vmknics")


ALL_SECTIONS = SECTIONS + ("iscsi", "dv_portgroups")


OBSERVED_SECTIONS = ("dv_switches",)
"""Sections that describe what a host reports (in a plan only their ``uplinks`` declare something: the pnics behind
each uplink of a distributed switch; ``max_mtu``, ``teaming`` and ``lags`` are accepted and not compared)."""


DV_SWITCH_KEYS = ("name", "max_mtu", "teaming", "lags", "uplinks")


ISCSI_KEYS = ("adapter", "software", "enabled", "iqn", "alias", "bindings", "send_targets", "static_targets", "options",
              "chap", "mutual_chap", "protected")


ISCSI_OBSERVED = ISCSI_KEYS[:ISCSI_KEYS.index("options") + 1]  # what host_to_doc always writes for an adapter


TARGET_KEYS = ("address", "port", "iscsi_name", "discovered_from", "options", "chap", "mutual_chap", "profile")


TEAMING_KEYS = ("policy", "active", "standby", "unused", "failback", "notify_switches", "failure_detection")


VSWITCH_KEYS = ("name", "uplinks", "mtu", "teaming", "protected")


PORTGROUP_KEYS = ("name", "vswitch", "vlan", "teaming", "protected")


VMKNIC_KEYS = ("device", "portgroup", "vswitch", "dvswitch", "ip", "mtu", "netstack", "services", "gateway",
               "dv_portgroup", "purpose", "protected")


DV_PORTGROUP_KEYS = ("key", "name", "dvs", "vlan", "teaming", "effective_teaming", "lags", "uplinks")


DV_OBSERVED_REQUIRED = ("key", "name", "dvs", "vlan", "teaming", "lags", "uplinks")  # 0.2.0 had no effective_teaming


IP_KEYS = ("address", "netmask", "dhcp")


# Keys host_to_doc always writes: an observed document (doc_to_host) must have them.
OBSERVED_REQUIRED = {
    "vswitches": ("name", "uplinks", "mtu", "teaming"),
    "portgroups": ("name", "vswitch", "vlan", "teaming"),
    "vmknics": ("device", "portgroup", "vswitch", "ip", "mtu", "netstack", "services"),
}


# Keys a plan (doc_to_desired) must give; everything else may be omitted.
DESIRED_REQUIRED = {"vswitches": ("name",), "portgroups": ("name",), "vmknics": ("portgroup",)}


MIN_MTU = 1280


def doc_error(path: str, message: str) -> ArgumentError:
    return ArgumentError(path, message)


def _teaming(path: str, value: Any, policies: Sequence[str] = POLICIES) -> Mapping[str, Any]:
    team = mapping(path, value, TEAMING_KEYS)
    for key in ("active", "standby", "unused"):
        if team.get(key) is not None:
            names("%s.%s" % (path, key), team[key])
    for key in ("failback", "notify_switches"):
        if team.get(key) is not None:
            boolean("%s.%s" % (path, key), team[key])
    if team.get("policy") is not None:
        choice(path + ".policy", team["policy"], policies)
    if team.get("failure_detection") is not None:
        choice(path + ".failure_detection", team["failure_detection"], FAILURE_DETECTION)
    if team.get("active") is None and (team.get("standby") is not None or team.get("unused") is not None):
        raise doc_error(path + ".active", "required when standby or unused is given: a failover order is written "
                        "whole (active, standby, unused)")
    return team


def _ip(path: str, value: Any, observed: bool) -> Mapping[str, Any]:
    ip = mapping(path, value, IP_KEYS)
    if ip.get("dhcp") is not None and boolean(path + ".dhcp", ip["dhcp"]):
        if ip.get("address") is not None or ip.get("netmask") is not None:
            raise doc_error(path + ".dhcp", "cannot be combined with address or netmask")
        return ip
    if ip.get("address") is None and ip.get("netmask") is None:
        return ip  # no address: a vmk the host reports without one; in a plan, the IP is not declared
    for key in ("address", "netmask"):
        if ip.get(key) is None:
            raise doc_error("%s.%s" % (path, key), "required with a static address (or set dhcp: true)")
    address = ipv4(path + ".address", ip["address"])
    mask = netmask(path + ".netmask", ip["netmask"])
    problem = None if observed else address_problem(address, mask)  # the host reports what it has
    if problem:
        raise doc_error(path + ".address", problem)
    return ip


# Which keys of which section name a vSwitch or a standard port group (ESXi's name rules).
_NAME_KINDS = {("vswitches", "name"): "vswitch", ("portgroups", "name"): "portgroup", ("portgroups", "vswitch"): "vswitch",
               ("vmknics", "portgroup"): "portgroup", ("vmknics", "vswitch"): "vswitch"}


def _entry(section: str, path: str, value: Any, observed: bool) -> Mapping[str, Any]:
    allowed = {"vswitches": VSWITCH_KEYS, "portgroups": PORTGROUP_KEYS, "vmknics": VMKNIC_KEYS}[section]
    required = (OBSERVED_REQUIRED if observed else DESIRED_REQUIRED)[section]
    entry = mapping(path, value, allowed, required)
    for key in ("name", "device", "portgroup", "vswitch", "netstack", "gateway", "dv_portgroup"):
        if entry.get(key) is not None:
            # a vmk on a distributed port has portgroup "" and vswitch "" (gathered; not managed yet)
            text("%s.%s" % (path, key), entry[key], allow_empty=section == "vmknics" and key in ("portgroup", "vswitch"))
            kind = _NAME_KINDS.get((section, key))
            problem = name_problem(kind, entry[key]) if kind and entry[key] and not observed else None
            if problem:
                raise doc_error("%s.%s" % (path, key), problem)
    if entry.get("device") is not None:
        try:
            vmk_number(entry["device"])
        except ValueError:
            raise doc_error(path + ".device", "must be a vmk device name such as vmk1, got %r" % entry["device"]) from None
    if entry.get("gateway") is not None:
        gateway = ipv4(path + ".gateway", entry["gateway"])
        problem = None if observed else address_problem(gateway)
        if problem:
            raise doc_error(path + ".gateway", problem)
    if entry.get("uplinks") is not None:
        check_unique(path + ".uplinks", names(path + ".uplinks", entry["uplinks"]))
    if entry.get("services") is not None:
        names(path + ".services", entry["services"])
    if entry.get("mtu") is not None:
        integer(path + ".mtu", entry["mtu"], MIN_MTU)
    if entry.get("vlan") is not None:
        integer(path + ".vlan", entry["vlan"], 0, 4095)
    if entry.get("teaming") is not None:
        _teaming(path + ".teaming", entry["teaming"])
    if entry.get("ip") is not None:
        _ip(path + ".ip", entry["ip"], observed)
    if entry.get("purpose") is not None:
        choice(path + ".purpose", entry["purpose"], PURPOSES)
    if entry.get("protected") is not None:
        boolean(path + ".protected", entry["protected"])
    return entry


def check_document(path: str, doc: Any, observed: bool = False) -> dict[str, list[Mapping[str, Any]]]:
    """The document's sections after checking every value; raises ArgumentError naming the path.

    ``observed`` documents (gathered state) must carry every key ``host_to_doc`` writes; a plan
    needs only the identifying keys. Names are unique per section, and a port group carries at
    most one vmknic.
    """
    top = mapping(path, doc if doc is not None else {}, ALL_SECTIONS + OBSERVED_SECTIONS)
    out: dict[str, list[Mapping[str, Any]]] = {"iscsi": _iscsi_entries("%s.iscsi" % path, top.get("iscsi"), observed),
                                               "dv_portgroups": _dv_entries("%s.dv_portgroups" % path, top.get("dv_portgroups"), observed),
                                               "dv_switches": _dv_switch_entries("%s.dv_switches" % path, top.get("dv_switches"),
                                                                                 observed)}
    for section in SECTIONS:
        items = _list("%s.%s" % (path, section), top.get(section))
        out[section] = [_entry(section, "%s.%s[%d]" % (path, section, i), item, observed)
                        for i, item in enumerate(items)]
    _unique(path, "vswitches", out["vswitches"], "name")
    _unique(path, "portgroups", out["portgroups"], "name")
    _unique(path, "vmknics", out["vmknics"], "device")
    _unique(path, "vmknics", [v for v in out["vmknics"] if v.get("portgroup") and not v.get("dv_portgroup")], "portgroup",
            "a standard port group carries at most one vmk")
    if observed:
        _unique(path, "dv_portgroups", out["dv_portgroups"], "key")
    seen: dict[tuple[str, str], int] = {}
    for i, entry in enumerate(out["dv_portgroups"]):
        first = seen.setdefault((entry["dvs"], entry["name"]), i)
        if first != i:
            raise doc_error("%s.dv_portgroups[%d].name" % (path, i), "dvPortgroup %s of %s is already listed at "
                            "dv_portgroups[%d]" % (entry["name"], entry["dvs"], first))
    return out


def _list(path: str, items: Any) -> Sequence[Any]:
    """A document list (None = empty); anything else is an error naming ``path``."""
    if items is None:
        return []
    if not isinstance(items, (list, tuple)):
        raise doc_error(path, "must be a list, got %s" % kind_of(items))
    return items


def _dv_entries(path: str, items: Any, observed: bool) -> list[Mapping[str, Any]]:
    """The ``dv_portgroups`` section, values checked. Gathered (``dv_portgroup_to_doc``'s shape): ``teaming`` the
    dvPortgroup's own leaves, ``effective_teaming`` with the switch's under them. In a plan an entry names a
    dvPortgroup (``name``, ``dvs``) and declares its ``vlan`` and own ``teaming``; what a host reports (``key``,
    ``effective_teaming``, ``lags``, ``uplinks``) may stay in the entry and is not compared."""
    out = []
    for i, item in enumerate(_list(path, items)):
        where = "%s[%d]" % (path, i)
        entry = mapping(where, item, DV_PORTGROUP_KEYS if observed else DV_PORTGROUP_KEYS + ("state",),
                        DV_OBSERVED_REQUIRED if observed else ("name", "dvs"))
        for key in ("key", "name", "dvs"):
            if key in entry:
                text("%s.%s" % (where, key), entry[key])
        if entry.get("vlan") is not None:
            integer(where + ".vlan", entry["vlan"], 0, 4095)
        for key in ("teaming", "effective_teaming"):
            if entry.get(key) is not None:
                _teaming("%s.%s" % (where, key), entry[key], DVS_POLICIES)
        if entry.get("lags") is not None:
            names(where + ".lags", entry["lags"])
        if entry.get("state") is not None:
            choice(where + ".state", entry["state"], ("present", "absent"))
        if entry.get("uplinks") is not None:
            _uplink_map(where + ".uplinks", entry["uplinks"])
        out.append(entry)
    return out


def _uplink_map(where: str, uplinks: Any) -> None:
    if not isinstance(uplinks, Mapping):
        raise doc_error(where, "must map each uplink or LAG name to a list of pnics, got %s" % kind_of(uplinks))
    for name, pnics in uplinks.items():
        text(where, name)
        names("%s.%s" % (where, name), pnics)


def _dv_switch_entries(path: str, items: Any, observed: bool = True) -> list[Mapping[str, Any]]:
    """The ``dv_switches`` section (``dv_switch_to_doc``'s shape: what the host reports of each distributed switch
    its listed dvPortgroups belong to), values checked; a plan needs only ``name`` (and ``uplinks`` to declare)."""
    out = []
    for i, item in enumerate(_list(path, items)):
        where = "%s[%d]" % (path, i)
        entry = mapping(where, item, DV_SWITCH_KEYS, DV_SWITCH_KEYS if observed else ("name",))
        text(where + ".name", entry["name"])
        if entry.get("max_mtu") is not None:
            integer(where + ".max_mtu", entry["max_mtu"], MIN_MTU)
        if entry.get("teaming") is not None:
            _teaming(where + ".teaming", entry["teaming"], DVS_POLICIES)
        names(where + ".lags", entry.get("lags") or [])
        _uplink_map(where + ".uplinks", entry.get("uplinks") or {})
        out.append(entry)
    _unique(path.rpartition(".")[0], "dv_switches", out, "name")
    return out


def _options(path: str, value: Any) -> dict[str, Any]:
    """Advanced options by the module's names (login_timeout, ...) or API keys -> API keys."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise doc_error(path, "must be a dict, got %s" % kind_of(value))
    return {(OPTION_KEYS[k] if k in OPTION_KEYS else k): v for k, v in value.items()}


class DocTarget(NamedTuple):
    """One target entry: the target as written (``own`` = profile values + explicit options),
    the explicit options alone (rule TP-5) and the profile named, if any."""

    target: IscsiTarget
    explicit: Mapping[str, Any]
    profile: str | None
    chap: Any = OMIT  # Field[ChapSpec]
    mutual_chap: Any = OMIT


def _target(path: str, value: Any, static: bool, observed: bool) -> DocTarget:
    entry = mapping(path, value, TARGET_KEYS[:-1] if observed else TARGET_KEYS,
                    ("address", "iscsi_name") if static else ("address",))
    explicit = _options(path + ".options", entry.get("options"))
    profile = entry.get("profile")
    own: dict[str, Any] = {}
    if profile is not None:
        profile = checked_profile(profile, path + ".profile")
        own.update(PROFILES[profile].values)
    own.update(explicit)
    address = ipv4(path + ".address", entry["address"])
    problem = None if observed else address_problem(address)
    if problem:
        raise doc_error(path + ".address", problem)
    chap, mutual = chap_pair(path, entry)
    target = IscsiTarget(address=address,
                         port=integer(path + ".port", entry.get("port", 3260), 1, 65535),
                         iqn=text(path + ".iscsi_name", entry["iscsi_name"]) if static else "",
                         discovered_from=str(entry.get("discovered_from") or ""), own=own, values=dict(own),
                         chap=held_chap(chap, INHERITED_CHAP), mutual_chap=held_chap(mutual, INHERITED_CHAP))
    return DocTarget(target, explicit, profile, chap, mutual)


def held_chap(spec: Any, absent: Chap) -> Chap:
    """A document's CHAP as observed state (the secret, if any, is not state ESXi reports)."""
    return Chap(type=spec.type, name=spec.name if is_set(spec.name) else "") if is_set(spec) else absent


def _bindings(path: str, value: Any, observed: bool) -> tuple[BindingSpec, ...]:
    """Bound vmks: device names (the gathered shape) or, in a plan, also ``{portgroup: X}`` / ``{vmk: vmkN}``."""
    if observed:
        return tuple(BindingSpec(vmk=d) for d in names(path, value))
    return binding_specs(value, path)


def _iscsi_entries(path: str, items: Any, observed: bool) -> list[Mapping[str, Any]]:
    """The ``iscsi`` section: one entry per adapter (``iscsi_to_doc``'s shape), values checked."""
    out: list[Mapping[str, Any]] = []
    for i, item in enumerate(_list(path, items)):
        where = "%s[%d]" % (path, i)
        entry = dict(mapping(where, item, ISCSI_KEYS, ISCSI_OBSERVED if observed else ()))
        entry["chap"], entry["mutual_chap"] = chap_pair(where, entry)
        for key in ("software", "enabled", "protected"):
            if entry.get(key) is not None:
                boolean("%s.%s" % (where, key), entry[key])
        if entry.get("bindings") is not None:
            entry["bindings"] = _bindings(where + ".bindings", entry["bindings"], observed)
        for key, static in (("send_targets", False), ("static_targets", True)):
            targets = entry.get(key) or []
            if not isinstance(targets, (list, tuple)):
                raise doc_error("%s.%s" % (where, key), "must be a list, got %s" % kind_of(targets))
            entry[key] = [_target("%s.%s[%d]" % (where, key, j), t, static, observed) for j, t in enumerate(targets)]
        entry["options"] = _options(where + ".options", entry.get("options"))
        out.append(entry)
    _unique(path.rsplit(".", 1)[0], "iscsi", [e for e in out if e.get("adapter")], "adapter")
    return out


def _unique(path: str, section: str, entries: list[Mapping[str, Any]], key: str, why: str = "") -> None:
    seen: dict[str, int] = {}
    for i, entry in enumerate(entries):
        value = entry.get(key)
        if value is None:
            continue
        if value in seen:
            raise doc_error("%s.%s[%d].%s" % (path, section, i, key), "%r is also %s.%s[%d].%s%s"
                            % (value, path, section, seen[value], key, " (%s)" % why if why else ""))
        seen[value] = i


def index_by_name(path: str, entries: list[Mapping[str, Any]]) -> dict[str, tuple[str, Mapping[str, Any]]]:
    return {e["name"]: ("%s[%d]" % (path, i), e) for i, e in enumerate(entries)}
