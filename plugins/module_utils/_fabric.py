# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""``host_fabric`` resource states: a fabric document + the observed host -> one ``Desired``.

Private to this collection. Pure: imports no pyVmomi and opens no connection.

The states, for the objects this collection manages (vSwitches, vmks with their standard port
groups, iSCSI adapters with their bindings and targets):

- ``merged``: the document's declared keys are applied; nothing else changes
  (``_document.doc_to_desired``).
- ``replaced``: each listed object is set to exactly its entry: a key the entry omits takes
  its unset value (port group: VLAN 0, every teaming field inherited from the vSwitch; vmk:
  MTU 1500, no services, the default netstack; vSwitch: MTU 1500, no uplinks; iSCSI adapter:
  only the listed bindings and targets, no own advanced options). A vSwitch's teaming always
  has values, so its omitted teaming keys are left as they are. Unlisted objects are untouched.
- ``overridden``: ``replaced`` for the listed objects, and every unlisted object is removed,
  except the kept ones (``kept``): the management vmks (vmk0 and any vmk tagged management),
  their port groups and vSwitches, vmks on distributed ports, and anything the document marks
  ``protected: true``. Unlisted iSCSI adapters lose their bindings and targets (software iSCSI
  is never disabled unless an entry says ``enabled: false``).
- ``deleted``: the listed objects are removed (an iSCSI entry removes its listed bindings and
  targets, or all of them when it lists neither).
- ``rendered``: the ``merged`` plan, reported and never applied.

Port groups that carry no vmk (VM networks) are outside this collection: they are checked, but
no state creates, edits or removes them (a vmk removed takes its own port group along). A vSwitch removed by ``overridden`` or ``deleted``
takes its port groups along, which rule SF-6 refuses while one of them has VM ports.

Entries marked ``protected: true`` are never managed in any state: the object (for a vSwitch,
everything on it; for a port group, its vmk) is left exactly as it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, NamedTuple

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._doc_shape import ALL_SECTIONS, check_document
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import doc_to_desired
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_params import update_secret
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    INHERIT,
    OMIT,
    BindingSpec,
    Desired,
    DvPortgroupSpec,
    Flags,
    Host,
    IscsiSpec,
    IscsiTarget,
    TargetSpec,
    TeamingSpec,
    Vmk,
    VmkSpec,
    VSwitchSpec,
    is_set,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import flags_from_args
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import match_vmk

STATES = ("merged", "replaced", "overridden", "deleted", "gathered", "rendered")
UNSET_VLAN = 0
UNSET_MTU = 1500
DEFAULT_NETSTACK = "default"


# ---------------------------------------------------------------------------------------
# config: host name -> document
# ---------------------------------------------------------------------------------------


def check_config(state: str, config: Any) -> dict[str, Mapping[str, Any]]:
    """``config`` as host name -> document. Raises ArgumentError for a missing or empty config
    (every state but ``gathered`` needs one; an empty one would make ``replaced`` a no-op and
    ``overridden`` remove everything, so it is refused as network resource modules do)."""
    if state == "gathered":
        if config:
            raise ArgumentError("config", "is not used with state=gathered (the result is returned under gathered)")
        return {}
    if not isinstance(config, Mapping) or not config:
        raise ArgumentError("config", "state=%s needs a non-empty config: host name -> fabric document (the shape "
                            "host_fabric_info returns under gathered)" % state)
    out: dict[str, Mapping[str, Any]] = {}
    for name, doc in config.items():
        if not isinstance(name, str) or not name:
            raise ArgumentError("config", "keys must be host names, got %r" % (name,))
        if not isinstance(doc, Mapping) or not any(doc.get(s) for s in ALL_SECTIONS):
            raise ArgumentError("config.%s" % name, "state=%s needs a non-empty document for this host (sections: %s)"
                                % (state, ", ".join(ALL_SECTIONS)))
        out[name] = doc
    return out


def check_scope(state: str, config: Mapping[str, Any], hosts: tuple[str, ...]) -> None:
    """Every host of ``config`` is in scope; ``overridden`` needs a document for every host."""
    unknown = sorted(set(config) - set(hosts))
    if unknown:
        raise ArgumentError("config.%s" % unknown[0], "this host is not in scope (hosts in scope: %s)"
                            % ", ".join(hosts))
    if state == "overridden":
        missing = [h for h in hosts if h not in config]
        if missing:
            raise ArgumentError("config", "state=overridden needs a document for every host in scope, missing: %s "
                                "(without one every unprotected object of that host would be removed)"
                                % ", ".join(missing), ", ".join(missing))


# ---------------------------------------------------------------------------------------
# Protection
# ---------------------------------------------------------------------------------------


def marked_protected(host: Host, doc: Mapping[str, Any]) -> frozenset[str]:
    """Objects the document marks ``protected: true``, with what protection extends to:
    a vSwitch's port groups and their vmks, a port group's vmk, a vmk's port group."""
    out: set[str] = set()
    for entry in doc.get("vswitches") or ():
        if entry.get("protected"):
            out.add("vswitch:%s" % entry["name"])
            for pg in host.portgroups.values():
                if pg.vswitch == entry["name"]:
                    out.add("portgroup:%s" % pg.name)
    for entry in doc.get("portgroups") or ():
        if entry.get("protected"):
            out.add("portgroup:%s" % entry["name"])
    for entry in doc.get("vmknics") or ():
        if entry.get("protected"):
            if entry.get("device"):
                out.add("vmk:%s" % entry["device"])
            vmk = host.vmks.get(entry.get("device") or "") or host.vmk_on_portgroup(entry.get("portgroup") or "")
            if vmk is not None and vmk.portgroup:
                out.add("portgroup:%s" % vmk.portgroup)
            elif entry.get("portgroup"):
                out.add("portgroup:%s" % entry["portgroup"])
    for vmk in host.vmks.values():
        if vmk.portgroup and "portgroup:%s" % vmk.portgroup in out:
            out.add("vmk:%s" % vmk.device)
    for entry in doc.get("iscsi") or ():
        if entry.get("protected"):
            device = entry.get("adapter") or (host.software_adapter.device if host.software_adapter else "")
            if device:
                out.add("adapter:%s" % device)
    return frozenset(out)


def kept(host: Host, protected: frozenset[str]) -> frozenset[str]:
    """What ``overridden`` never removes: ``protected`` plus the management vmks, their port
    groups and vSwitches, and vmks on distributed ports whose switch was not read (nothing
    about them is known)."""
    out = set(protected)
    for device in host.management_vmks:
        vmk = host.vmks[device]
        out.add("vmk:%s" % device)
        if vmk.portgroup:
            out.add("portgroup:%s" % vmk.portgroup)
        if vmk.vswitch:
            out.add("vswitch:%s" % vmk.vswitch)
    out.update("vmk:%s" % v.device for v in host.vmks.values() if not v.portgroup and v.dv_portgroup not in host.dv_portgroups)
    return frozenset(out)


def _unprotected(doc: Mapping[str, Any], host: Host, protected: frozenset[str]) -> dict[str, Any]:
    """The document without the entries ``protected`` covers (they are not managed)."""
    def vmk_covered(entry: Mapping[str, Any]) -> bool:
        vmk = host.vmks.get(entry.get("device") or "") or host.vmk_on_portgroup(entry.get("portgroup") or "")
        return bool(entry.get("protected")) or "portgroup:%s" % entry.get("portgroup") in protected \
            or (vmk is not None and "vmk:%s" % vmk.device in protected)
    out = dict(doc)
    out["vswitches"] = [e for e in doc.get("vswitches") or () if "vswitch:%s" % e.get("name") not in protected]
    out["portgroups"] = [e for e in doc.get("portgroups") or () if "portgroup:%s" % e.get("name") not in protected]
    out["vmknics"] = [e for e in doc.get("vmknics") or () if not vmk_covered(e)]
    software = host.software_adapter.device if host.software_adapter else ""
    out["iscsi"] = [e for e in doc.get("iscsi") or () if "adapter:%s" % (e.get("adapter") or software) not in protected]
    return out


# ---------------------------------------------------------------------------------------
# States
# ---------------------------------------------------------------------------------------


def _whole_teaming(spec: TeamingSpec) -> TeamingSpec:
    """A port-group override written whole: every omitted field inherits from the vSwitch."""
    values = {f.name: getattr(spec, f.name) for f in dataclasses.fields(TeamingSpec) if f.name != "conflicts"}
    if values["active"] is OMIT:
        values["active"] = values["standby"] = INHERIT
        values["unused"] = OMIT
    filled = {k: (INHERIT if v is OMIT and k != "unused" else v) for k, v in values.items()}
    return TeamingSpec(conflicts=spec.conflicts, **filled)


def _or(value: Any, unset: Any) -> Any:
    return value if value is not OMIT else unset


def _whole_vmk(spec: VmkSpec, listed_pgs: frozenset[str], listed_vmks: frozenset[str]) -> VmkSpec:
    """A vmk written whole; its port group's VLAN and teaming too when the port group is listed.
    A port group listed without its vmk (``_document.portgroup_only``) is written whole alone."""
    if spec.portgroup in listed_vmks:
        spec = dataclasses.replace(spec, mtu=_or(spec.mtu, UNSET_MTU), services=_or(spec.services, frozenset()),
                                   netstack=_or(spec.netstack, DEFAULT_NETSTACK))
    if spec.portgroup not in listed_pgs:
        return spec
    return dataclasses.replace(spec, vlan=_or(spec.vlan, UNSET_VLAN), teaming=_whole_teaming(spec.teaming))


def _whole_dv(spec: DvPortgroupSpec) -> DvPortgroupSpec:
    """A dvPortgroup written whole: every teaming leaf it does not declare inherits from the switch."""
    if spec.state != "present":
        return spec
    return dataclasses.replace(spec, vlan=_or(spec.vlan, 0), teaming=_whole_teaming(spec.teaming))


def _whole_vswitch(spec: VSwitchSpec) -> VSwitchSpec:
    return dataclasses.replace(spec, uplinks=_or(spec.uplinks, ()), mtu=_or(spec.mtu, UNSET_MTU))


def _whole_iscsi(spec: IscsiSpec) -> IscsiSpec:
    return dataclasses.replace(spec, bindings=_or(spec.bindings, ()), purge_bindings=True, purge_targets=True,
                               exact=True)


def _vmk_ids(host: Host, specs: tuple[VmkSpec, ...]) -> set[str]:
    """The observed vmks the specs refer to (by device, else by port group or dvPortgroup)."""
    return {vmk.device for vmk in (match_vmk(host, spec) for spec in specs) if vmk is not None}


def _absent_vmk(host: Host, vmk: Vmk) -> VmkSpec:
    """A spec removing ``vmk`` (on its dvPortgroup's switch when it has one)."""
    dv = host.dv_portgroups.get(vmk.dv_portgroup) if vmk.dv_portgroup else None
    if dv is not None:
        return VmkSpec(portgroup=dv.name, dvswitch=dv.dvs, device=vmk.device, state="absent")
    return VmkSpec(portgroup=vmk.portgroup, device=vmk.device, state="absent")


def _removals(host: Host, desired: Desired, keep: frozenset[str]) -> tuple[list[VmkSpec], list[VSwitchSpec], list[IscsiSpec]]:
    """``overridden``: absent specs for every unlisted object that is not kept."""
    listed_vmks = _vmk_ids(host, desired.vmks)
    listed_pgs = {s.portgroup for s in desired.vmks}
    vmks = [_absent_vmk(host, v) for d, v in sorted(host.vmks.items()) if d not in listed_vmks and "vmk:%s" % d not in keep]
    listed_sw = {s.name for s in desired.vswitches}
    listed_sw.update(s.vswitch for s in desired.vmks if is_set(s.vswitch))
    listed_sw.update(host.portgroups[p].vswitch for p in listed_pgs if p in host.portgroups)
    vswitches = [VSwitchSpec(name=n, state="absent") for n in sorted(host.vswitches)
                 if n not in listed_sw and "vswitch:%s" % n not in keep
                 and not any("portgroup:%s" % p.name in keep for p in host.portgroups.values() if p.vswitch == n)]
    named = {s.adapter for s in desired.iscsi if is_set(s.adapter)}
    software = host.software_adapter
    if any(not is_set(s.adapter) for s in desired.iscsi) and software is not None:
        named.add(software.device)
    iscsi = [IscsiSpec(adapter=d, bindings=(), purge_bindings=True, purge_targets=True, exact=True)
             for d, a in sorted(host.iscsi.items()) if d not in named and "adapter:%s" % d not in keep
             and (a.bindings or a.send_targets or a.static_targets or a.own)]
    return vmks, vswitches, iscsi


_Specs = tuple[tuple[VmkSpec, ...], tuple[VSwitchSpec, ...], tuple[IscsiSpec, ...]]


def _deleted(host: Host, name: str, doc: Mapping[str, Any], root: str) -> _Specs:
    """``deleted``: absent specs for every listed object."""
    named = dict(doc)  # a vmk to delete may be named by its device alone
    named["vmknics"] = [dict(e, portgroup="") if isinstance(e, Mapping) and e.get("device") and e.get("portgroup") is None
                        else e for e in doc.get("vmknics") or ()]
    sections = check_document("%s.%s" % (root, name), named, observed=False)
    vmks: list[VmkSpec] = []
    for entry in sections["vmknics"]:
        dvs = entry.get("dvswitch") or (entry.get("vswitch") if entry.get("dv_portgroup") else None)
        vmks.append(VmkSpec(portgroup=entry.get("portgroup") or "", state="absent", dvswitch=dvs or OMIT,
                            device=entry["device"] if entry.get("device") else OMIT))
    listed = {s.portgroup for s in vmks}
    vmks.extend(VmkSpec(portgroup=e["name"], state="absent") for e in sections["portgroups"] if e["name"] not in listed)
    vswitches = tuple(VSwitchSpec(name=e["name"], state="absent") for e in sections["vswitches"])
    iscsi: list[IscsiSpec] = []
    for entry in sections["iscsi"]:
        adapter = host.iscsi.get(entry["adapter"]) if entry.get("adapter") else host.software_adapter
        if adapter is None:
            raise ArgumentError("%s.%s.iscsi" % (root, name), "adapter %s: no such iSCSI adapter on this host"
                                % (entry.get("adapter") or "(software)"), name)
        drop = tuple(entry.get("bindings") or ())
        sends, statics = entry["send_targets"], entry["static_targets"]
        if not drop and not sends and not statics:  # the entry names the adapter alone: all of it
            drop = tuple(BindingSpec(vmk=v) for v in adapter.bindings)
            sends = [_Named(t) for t in adapter.send_targets.values()]
            statics = [_Named(t) for t in adapter.static_targets.values() if not t.discovered_from]
        absent = [TargetSpec(address=t.target.address, port=t.target.port, iqn=t.target.iqn, state="absent", index=i)
                  for i, t in enumerate(list(sends) + list(statics))]
        iscsi.append(IscsiSpec(adapter=adapter.device, unbind=drop, send_targets=tuple(t for t in absent if not t.iqn),
                               static_targets=tuple(t for t in absent if t.iqn)))
    return tuple(vmks), vswitches, tuple(iscsi)


class _Named(NamedTuple):
    """An observed target in the shape of a document target (``.target``)."""

    target: IscsiTarget


def fabric_desired(state: str, host: Host, doc: Mapping[str, Any] | None, flags: Flags,
                   root: str = "config") -> Desired:
    """The ``Desired`` of one host for ``state`` (not ``gathered``); ``doc`` None = not in config."""
    name = host.name
    if doc is None:
        return Desired(host=name, flags=flags)
    if state == "deleted":
        vmks, vswitches, iscsi = _deleted(host, name, doc, root)  # checks the document
        marked = marked_protected(host, doc)
        if marked:
            raise ArgumentError("%s.%s" % (root, name), "protected: true contradicts state=deleted (%s); remove the "
                                "entry or the mark" % ", ".join(sorted(marked)), name)
        # the entries were checked with the whole document by _deleted
        gone_dv = tuple(DvPortgroupSpec(name=e["name"], dvs=e["dvs"], state="absent") for e in doc.get("dv_portgroups") or ())
        return Desired(host=name, vswitches=vswitches, vmks=vmks, iscsi=iscsi, flags=flags, dv_portgroups=gone_dv)
    check_document("%s.%s" % (root, name), doc, observed=False)  # every entry checked, protected ones too
    protected = marked_protected(host, doc)
    base = doc_to_desired(name, _unprotected(doc, host, protected), flags, root, observed=host)
    base = dataclasses.replace(base, protected=protected)
    if state in ("merged", "rendered"):
        return base
    listed_pgs = frozenset(e.get("name") for e in doc.get("portgroups") or ())
    listed_vmks = frozenset(e.get("portgroup") for e in doc.get("vmknics") or ())
    whole = dataclasses.replace(
        base, vswitches=tuple(_whole_vswitch(s) for s in base.vswitches),
        vmks=tuple(_whole_vmk(s, listed_pgs, listed_vmks) for s in base.vmks),
        iscsi=tuple(_whole_iscsi(s) for s in base.iscsi),
        dv_portgroups=tuple(_whole_dv(s) for s in base.dv_portgroups))
    if state == "replaced":
        return whole
    keep = kept(host, protected)
    for i, entry in enumerate(doc.get("portgroups") or ()):
        vmk = host.vmk_on_portgroup(entry.get("name") or "")
        if entry.get("name") not in listed_vmks and vmk is not None and "vmk:%s" % vmk.device not in keep:
            raise ArgumentError("%s.%s.portgroups[%d]" % (root, name, i), "state=overridden lists port group %r but not "
                                "its vmk %s, which overridden would remove together with the port group: list %s under "
                                "vmknics, or remove this entry" % (entry["name"], vmk.device, vmk.device), name)
    gone_vmks, gone_switches, gone_iscsi = _removals(host, whole, keep)
    return dataclasses.replace(whole, authoritative=True, vmks=whole.vmks + tuple(gone_vmks),
                               vswitches=whole.vswitches + tuple(gone_switches), iscsi=whole.iscsi + tuple(gone_iscsi))


def host_fabric_desired(params: Mapping[str, Any], hosts: Mapping[str, Host], cluster_mode: bool) -> dict[str, Desired]:
    """``host_fabric`` arguments + the observed hosts -> one Desired per host in scope."""
    state = params.get("state") or "merged"
    config = check_config(state, params.get("config"))
    check_scope(state, config, tuple(hosts))
    flags = flags_from_args(params)
    secrets = update_secret(params)
    out = {h: fabric_desired(state, host, config.get(h), flags) for h, host in hosts.items()}
    return {h: dataclasses.replace(d, iscsi=tuple(dataclasses.replace(s, update_secret=secrets) for s in d.iscsi))
            for h, d in out.items()}
