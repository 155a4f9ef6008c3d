# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The canonical fabric document, both directions: document -> ``Host`` and -> ``Desired`` (after
``_doc_shape.check_document``), and ``Host`` -> document.

Private to this collection. Pure: imports no pyVmomi and opens no connection.

The document of one host is what ``host_to_doc`` (below) returns and what ``host_fabric_info``
returns per host under ``gathered``::

    vswitches:  [{name, uplinks, mtu, teaming, protected?}]
    portgroups: [{name, vswitch, vlan, teaming, protected?}]
    vmknics:    [{device, portgroup, vswitch, ip, mtu, netstack, services, gateway?, dv_portgroup?, purpose?, protected?}]
    dv_portgroups: [{key, name, dvs, vlan, teaming, effective_teaming, lags, uplinks}]   (those the vmks are on)
    dv_switches: [{name, max_mtu, teaming, lags, uplinks}]   (their switches; a plan declares only uplinks)
    iscsi:      [{adapter, software, enabled, iqn, alias, bindings, send_targets, static_targets, options,
                  chap?, mutual_chap?}]   (targets: {address, port, iscsi_name?, discovered_from?, options, chap?, mutual_chap?})

``chap`` / ``mutual_chap`` are ``{type, name}`` as read (a target's only when it does not inherit it, an
adapter's only when not prohibited without a name); a plan document may add ``secret``, which is never
written back into a document.

``teaming`` holds any of ``policy``, ``active``, ``standby``, ``unused``, ``failback``,
``notify_switches``, ``failure_detection``; ``ip`` is ``{address, netmask}`` or ``{dhcp: true}``.
``purpose`` (general, iscsi, vmotion, replica) and ``protected`` (bool) are the only keys a
plan adds to the gathered shape; ``gateway`` is read back but not managed yet.

A vmknic on a distributed port names its distributed port group: ``portgroup`` and ``vswitch``
are the dvPortgroup's and the distributed switch's names and ``dv_portgroup`` its key, which
``dv_portgroups`` describes (its own ``teaming`` leaves and the ``effective_teaming`` in the switch's
uplink / LAG names, the switch's ``lags``, and ``uplinks``: each uplink or LAG name -> this host's
pnics). When the distributed switch could not be read (ESXi without vCenter) ``portgroup`` and
``vswitch`` are "". A plan may name the switch of such a vmknic with ``dvswitch`` instead.

In a plan, ``dv_switches[].uplinks`` declares this host's pnics behind each listed uplink (``[]`` frees it; a LAG
only as read); a pnic declared there leaves its vSwitch, and a vmknic entry that names a dvPortgroup for a vmk on a
standard port group (by ``device``) migrates it in place - and back.

Invariants
- Every shape error is an ``ArgumentError`` whose field is the full path of the offending
  value, for example ``config.esx01.lab.local.vmknics[1].ip.netmask``. Unknown keys are errors.
- ``doc_to_host`` is the inverse of ``host_to_doc``:
  ``host_to_doc(doc_to_host(n, host_to_doc(h))) == host_to_doc(h)``. What the document does
  not carry is filled conservatively: pnics = the uplinks of the vSwitches (plus ``pnics``),
  the effective teaming of a port group = its override over its vSwitch's teaming, no VM ports.
- ``doc_to_desired`` declares only the keys present: an absent key is OMIT, so a document
  never resets anything it does not name. A port-group entry is joined into the VmkSpec of the
  vmknic on it (VLAN, teaming); port groups without a vmknic are checked but not managed, and
  a vmknic on a distributed port whose switch was not read (``portgroup: ""``) is observed only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._doc_shape import (
    DocTarget,
    check_document,
    doc_error,
    held_chap,
    index_by_name,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    OMIT,
    Binding,
    Chap,
    Desired,
    DvPortgroup,
    DvPortgroupSpec,
    DvSwitch,
    DvSwitchSpec,
    Flags,
    Host,
    Ip,
    IpSpec,
    IscsiAdapter,
    IscsiSpec,
    IscsiTarget,
    Pnic,
    PortGroup,
    TargetSpec,
    Teaming,
    Vmk,
    VmkSpec,
    VSwitch,
    VSwitchSpec,
    target_key,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import (
    teaming_from_args,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._profiles import OPTION_NAMES


def _dv_portgroup_of(entry: Mapping[str, Any]) -> DvPortgroup:
    effective = entry.get("effective_teaming")
    own = _observed_teaming(entry["teaming"])
    return DvPortgroup(key=entry["key"], name=entry["name"], dvs=entry["dvs"], vlan=entry["vlan"],
                       teaming=_observed_teaming(effective) if effective is not None else own,
                       own=own if effective is not None else Teaming(), lags=tuple(entry["lags"]),
                       uplinks={n: tuple(p) for n, p in entry["uplinks"].items()})


def _adapter_of(entry: Mapping[str, Any]) -> IscsiAdapter:
    own = dict(entry["options"])
    return IscsiAdapter(device=entry["adapter"], software=bool(entry["software"]), enabled=bool(entry["enabled"]),
                        iqn=entry["iqn"] or "", alias=entry["alias"] or "", own=own, values=dict(own),
                        send_targets={target_key(t.target): t.target for t in entry["send_targets"]},
                        static_targets={target_key(t.target): t.target for t in entry["static_targets"]},
                        bindings={str(b.vmk): Binding(str(b.vmk)) for b in entry["bindings"]},
                        chap=held_chap(entry["chap"], Chap()), mutual_chap=held_chap(entry["mutual_chap"], Chap()))


def _iscsi_spec(entry: Mapping[str, Any]) -> IscsiSpec:
    def spec(t: DocTarget, index: int) -> TargetSpec:
        return TargetSpec(address=t.target.address, port=t.target.port, iqn=t.target.iqn, options=dict(t.target.own),
                          explicit=dict(t.explicit), profile=t.profile, index=index, chap=t.chap, mutual_chap=t.mutual_chap)
    return IscsiSpec(
        adapter=entry["adapter"] if entry.get("adapter") else OMIT,
        software=entry["enabled"] if entry.get("software") and entry.get("enabled") is not None else OMIT,
        iqn=entry["iqn"] if entry.get("iqn") else OMIT,
        alias=entry["alias"] if entry.get("alias") else OMIT,
        bindings=tuple(entry["bindings"]) if entry.get("bindings") is not None else OMIT,
        send_targets=tuple(spec(t, j) for j, t in enumerate(entry["send_targets"])),
        static_targets=tuple(spec(t, j) for j, t in enumerate(entry["static_targets"]) if not t.target.discovered_from),
        adapter_options=dict(entry["options"]),
        chap=entry["chap"],
        mutual_chap=entry["mutual_chap"],
    )


# ---------------------------------------------------------------------------------------
# Observed document -> Host
# ---------------------------------------------------------------------------------------


def _observed_teaming(doc: Mapping[str, Any]) -> Teaming:
    """A teaming as the document shows it: absent leaves stay None (inherited / unset)."""
    active = doc.get("active")
    return Teaming(
        policy=doc.get("policy"),
        active=tuple(active) if active is not None else None,
        standby=tuple(doc.get("standby") or ()) if active is not None else None,
        failback=doc.get("failback"),
        notify_switches=doc.get("notify_switches"),
        failure_detection=doc.get("failure_detection"),
    )


def doc_to_host(name: str, doc: Any, root: str = "gathered", pnics: Iterable[str] = (),
                nic_types: Iterable[str] | None = None, netstacks: Iterable[str] | None = None) -> Host:
    """The observed ``Host`` a document describes (the inverse of ``host_to_doc``).

    The document does not list free NICs, the service types the host offers or its netstack
    instances: ``pnics`` are the vSwitch uplinks plus the given ones; ``nic_types`` and
    ``netstacks`` default to what the document uses on top of the ``Host`` defaults.
    """
    path = "%s.%s" % (root, name)
    sections = check_document(path, doc, observed=True)
    vswitches: dict[str, VSwitch] = {}
    for entry in sections["vswitches"]:
        team = _observed_teaming(entry["teaming"])
        beacon = 1 if team.failure_detection == "beacon_probing" else None
        vswitches[entry["name"]] = VSwitch(name=entry["name"], uplinks=tuple(entry["uplinks"]), mtu=entry["mtu"],
                                           teaming=team, beacon_interval=beacon)
    portgroups: dict[str, PortGroup] = {}
    for entry in sections["portgroups"]:
        override = _observed_teaming(entry["teaming"])
        sw = vswitches.get(entry["vswitch"])
        effective = override.merged_over(sw.teaming) if sw is not None else override
        portgroups[entry["name"]] = PortGroup(name=entry["name"], vswitch=entry["vswitch"], vlan=entry["vlan"],
                                              override=override, effective=effective)
    for pg_name, pg in portgroups.items():
        if pg.vswitch not in vswitches:
            where = index_by_name(path + ".portgroups", sections["portgroups"])[pg_name][0]
            raise doc_error(where + ".vswitch", "%r is not in %s.vswitches" % (pg.vswitch, path))
    dv_portgroups = {e["key"]: _dv_portgroup_of(e) for e in sections["dv_portgroups"]}
    vmks: dict[str, Vmk] = {}
    for i, entry in enumerate(sections["vmknics"]):
        pg_name = entry["portgroup"]
        dv_key = entry.get("dv_portgroup") or ""
        if dv_key:
            _check_dv_vmk("%s.vmknics[%d]" % (path, i), entry, dv_portgroups.get(dv_key), path)
            pg_name = ""
        elif pg_name and pg_name not in portgroups:
            raise doc_error("%s.vmknics[%d].portgroup" % (path, i), "%r is not in %s.portgroups" % (pg_name, path))
        if pg_name and portgroups[pg_name].vswitch != entry["vswitch"]:
            raise doc_error("%s.vmknics[%d].vswitch" % (path, i), "%r, but port group %r is on %r"
                            % (entry["vswitch"], pg_name, portgroups[pg_name].vswitch))
        ip = entry["ip"]
        vmks[entry["device"]] = Vmk(
            device=entry["device"], portgroup=pg_name, vswitch="" if dv_key else entry["vswitch"], dv_portgroup=dv_key,
            ip=Ip(dhcp=bool(ip.get("dhcp")), address=ip.get("address"), netmask=ip.get("netmask")),
            mtu=entry["mtu"], netstack=entry["netstack"], services=frozenset(entry["services"]),
            gateway=entry.get("gateway"))
    dv_switches = {e["name"]: DvSwitch(name=e["name"], max_mtu=e["max_mtu"], teaming=_observed_teaming(e["teaming"]),
                                       lags=tuple(e["lags"]), uplinks={n: tuple(p) for n, p in e["uplinks"].items()})
                   for e in sections["dv_switches"]}
    nics = {n for sw in vswitches.values() for n in sw.uplinks} | set(pnics) \
        | {p for ds in dv_switches.values() for held in ds.uplinks.values() for p in held}
    used_services: frozenset[str] = frozenset(s for v in vmks.values() for s in v.services)
    used_stacks: frozenset[str] = frozenset(v.netstack for v in vmks.values())
    return Host(
        name=name,
        pnics={n: Pnic(device=n) for n in sorted(nics)},
        vswitches=vswitches,
        portgroups=portgroups,
        vmks=vmks,
        nic_types=frozenset(nic_types) if nic_types is not None else KNOWN_SERVICES | used_services,
        netstacks=frozenset(netstacks) if netstacks is not None else DEFAULT_NETSTACKS | used_stacks,
        iscsi={e["adapter"]: _adapter_of(e) for e in sections["iscsi"]},
        dv_portgroups=dv_portgroups,
        dv_switches=dv_switches,
    )


def _check_dv_vmk(where: str, entry: Mapping[str, Any], dv: DvPortgroup | None, path: str) -> None:
    """A vmknic on a distributed port names its dvPortgroup and switch as ``dv_portgroups`` does
    (both "" when the distributed switch was not read)."""
    names = {"portgroup": dv.name, "vswitch": dv.dvs} if dv is not None else {"portgroup": "", "vswitch": ""}
    for key, expected in names.items():
        if entry[key] != expected:
            raise doc_error("%s.%s" % (where, key), "%r, but dv_portgroup %r is %s" % (
                entry[key], entry["dv_portgroup"],
                "%r in %s.dv_portgroups" % (expected, path) if dv is not None else "not in %s.dv_portgroups (give \"\")" % path))


KNOWN_SERVICES: frozenset[str] = frozenset((
    "faultToleranceLogging", "management", "nvmeRdma", "nvmeTcp", "ptp", "vSphereBackupNFC",
    "vSphereProvisioning", "vSphereReplication", "vSphereReplicationNFC", "vmotion", "vsan", "vsanWitness",
))
"""The VMkernel NIC service types an ESXi 8 host offers (VirtualNicManager nic types)."""

DEFAULT_NETSTACKS: frozenset[str] = Host(name="").netstacks
"""The netstack instances every ESXi host has (canonical names)."""


# ---------------------------------------------------------------------------------------
# Plan document -> Desired
# ---------------------------------------------------------------------------------------


def _teaming_spec(path: str, doc: Mapping[str, Any] | None) -> Any:
    return teaming_from_args(dict(doc) if doc else None, prefix=path, allow_inherit=False)


def _opt(entry: Mapping[str, Any], key: str, convert: Any = None) -> Any:
    value = entry.get(key)
    if value is None:
        return OMIT
    return convert(value) if convert else value


def _ip_spec(ip: Mapping[str, Any]) -> Any:
    if ip.get("dhcp"):
        return IpSpec(dhcp=True)
    if ip.get("address") is None:
        return OMIT  # {address: null, netmask: null}: not declared
    return IpSpec(address=str(ipaddress.IPv4Address(ip["address"])), netmask=str(ip["netmask"]))


def doc_to_desired(name: str, doc: Any, flags: Flags | None = None, root: str = "config",
                   observed: Host | None = None) -> Desired:
    """The ``Desired`` of one host from its plan document: only the keys present are declared.

    vSwitches become VSwitchSpecs; each vmknic becomes a VmkSpec joined with the entry of its
    port group (``vlan``, ``teaming``; ``vswitch`` from either, and they must agree). A port
    group entry without a vmknic entry is resolved against ``observed`` (``portgroup_only``):
    nothing declared is ever dropped.
    """
    path = "%s.%s" % (root, name)
    sections = check_document(path, doc, observed=False)
    vswitches = tuple(
        VSwitchSpec(name=e["name"], uplinks=_opt(e, "uplinks", tuple), mtu=_opt(e, "mtu"),
                    teaming=_teaming_spec("%s.vswitches[%d].teaming" % (path, i), e.get("teaming")))
        for i, e in enumerate(sections["vswitches"]))
    pgs = index_by_name(path + ".portgroups", sections["portgroups"])
    vmks = []
    for i, entry in enumerate(sections["vmknics"]):
        if entry["portgroup"] == "" and entry.get("vswitch") == "":
            continue  # a vmk on a distributed port whose switch was not read (as gathered): observed only
        if entry.get("dv_portgroup") or entry.get("dvswitch"):
            vmks.append(_dv_vmk_spec("%s.vmknics[%d]" % (path, i), entry))
            continue
        if not entry["portgroup"]:
            raise doc_error("%s.vmknics[%d].portgroup" % (path, i), "must name the vmk's standard port group (\"\" is "
                            "only for a vmk on a distributed port, which names its dv_portgroup)")
        where = "%s.vmknics[%d]" % (path, i)
        pg_path, pg = pgs.get(entry["portgroup"], (None, {}))
        vswitch = entry.get("vswitch")
        if vswitch is not None and pg.get("vswitch") is not None and vswitch != pg["vswitch"]:
            raise doc_error(where + ".vswitch", "%r, but %s.vswitch is %r" % (vswitch, pg_path, pg["vswitch"]))
        vmks.append(VmkSpec(
            portgroup=entry["portgroup"],
            vswitch=vswitch if vswitch is not None else _opt(pg, "vswitch"),
            device=_opt(entry, "device"),
            vlan=_opt(pg, "vlan"),
            ip=_opt(entry, "ip", _ip_spec),
            mtu=_opt(entry, "mtu"),
            netstack=_opt(entry, "netstack"),
            services=_opt(entry, "services", frozenset),
            teaming=_teaming_spec("%s.teaming" % pg_path, pg.get("teaming")),
            purpose=entry.get("purpose") or "general",
            gateway=_opt(entry, "gateway"),  # declared, never applied: rule PR-4 refuses it on a replica vmk
        ))
    listed = {e["portgroup"] for e in sections["vmknics"] if e["portgroup"]}
    for pg_name, (pg_path, pg) in pgs.items():
        if pg_name not in listed and observed is not None:
            vmks.extend(portgroup_only(pg_path, pg, observed))
    return Desired(host=name, vswitches=vswitches, vmks=tuple(vmks), flags=flags or Flags(),
                   iscsi=tuple(_iscsi_spec(e) for e in sections["iscsi"]),
                   dv_portgroups=tuple(_dv_spec("%s.dv_portgroups[%d]" % (path, i), e)
                                       for i, e in enumerate(sections["dv_portgroups"])),
                   dv_switches=tuple(DvSwitchSpec(e["name"], {n: tuple(p) for n, p in (e.get("uplinks") or {}).items()})
                                     for e in sections["dv_switches"] if e.get("uplinks")))


def _dv_vmk_spec(where: str, entry: Mapping[str, Any]) -> VmkSpec:
    """A vmknic entry on a dvPortgroup: ``dvswitch`` names the switch (as written by hand), or, as gathered,
    ``vswitch`` does next to the ``dv_portgroup`` key; ``portgroup`` is the dvPortgroup's name."""
    if entry.get("dvswitch") and entry.get("vswitch") and not entry.get("dv_portgroup"):
        raise doc_error(where + ".dvswitch", "give vswitch (a standard port group) or dvswitch (a dvPortgroup), not both")
    dvs = entry.get("dvswitch") or entry.get("vswitch")
    if not entry["portgroup"] or not dvs:
        raise doc_error(where + ".portgroup", "a vmk on a dvPortgroup names the dvPortgroup (portgroup) and its switch "
                        "(dvswitch)")
    return VmkSpec(portgroup=entry["portgroup"], dvswitch=dvs, device=_opt(entry, "device"), ip=_opt(entry, "ip", _ip_spec),
                   mtu=_opt(entry, "mtu"), netstack=_opt(entry, "netstack"), services=_opt(entry, "services", frozenset),
                   purpose=entry.get("purpose") or "general", gateway=_opt(entry, "gateway"))


def _dv_spec(where: str, entry: Mapping[str, Any]) -> DvPortgroupSpec:
    return DvPortgroupSpec(name=entry["name"], dvs=entry["dvs"], vlan=_opt(entry, "vlan"),
                           teaming=_teaming_spec(where + ".teaming", entry.get("teaming")),
                           state=entry.get("state") or "present")


def portgroup_only(path: str, entry: Mapping[str, Any], observed: Host) -> list[VmkSpec]:
    """A ``portgroups`` entry that no ``vmknics`` entry names.

    - The port group carries a vmk on the host: the entry declares that vmk's port group (VLAN,
      vSwitch, teaming) and nothing of the vmk itself (one VmkSpec naming the vmk's device).
    - It carries no vmk (a VM network): this collection never writes it, so the entry must
      match the host as it is (checked, nothing to do); a difference, or a port group the host
      does not have, is an error naming the entry rather than a silent no-op.
    """
    vmk = observed.vmk_on_portgroup(entry["name"])
    if vmk is not None:
        return [VmkSpec(portgroup=entry["name"], device=vmk.device, vswitch=_opt(entry, "vswitch"),
                        vlan=_opt(entry, "vlan"), teaming=_teaming_spec(path + ".teaming", entry.get("teaming")))]
    current = {e["name"]: e for e in host_to_doc(observed)["portgroups"]}.get(entry["name"])
    if current is None:
        raise doc_error(path, "port group %r is not on host %s and no vmknics entry creates it: this collection creates a "
                        "standard port group only with its vmk (add a vmknics entry with portgroup: %s, or remove this entry)"
                        % (entry["name"], observed.name, entry["name"]))
    differs = sorted(k for k in entry if k != "protected" and not _same(entry[k], current.get(k)))
    if differs:
        raise doc_error("%s.%s" % (path, differs[0]), "port group %r on host %s carries no vmk (a VM network): this collection "
                        "does not change it; declared %s=%r, the host has %r (remove the key, or manage VM networks with "
                        "another module)" % (entry["name"], observed.name, differs[0], entry[differs[0]], current.get(differs[0])))
    return []


def _same(declared: Any, current: Any) -> bool:
    """A declared value equals the gathered one (a teaming mapping: every declared key)."""
    if isinstance(declared, Mapping) and isinstance(current, Mapping):
        return all(_same(v, current.get(k)) for k, v in declared.items() if v is not None)
    if isinstance(declared, (list, tuple)) and isinstance(current, (list, tuple)):
        return list(declared) == list(current)
    return bool(declared == current)


# ---------------------------------------------------------------------------------------
# Host -> document (before / after / diff / gathered): the inverse of doc_to_host
# ---------------------------------------------------------------------------------------


def teaming_to_doc(t: Teaming) -> dict[str, Any]:
    """Only the fields that are set; an order always shows active and standby."""
    doc: dict[str, Any] = {}
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


def host_to_doc(host: Host) -> dict[str, Any]:
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
        pg_sw = host.vswitches.get(pg.vswitch)
        team = teaming_to_doc(pg.override)
        if "active" in team and pg_sw is not None:
            team["unused"] = list(pg.override.unused(pg_sw.uplinks))
        portgroups.append({"name": pg.name, "vswitch": pg.vswitch, "vlan": pg.vlan, "teaming": team})
    vmknics = []
    for vmk in sorted(host.vmks.values(), key=lambda v: v.number):
        ip: dict[str, Any] = (
            {"dhcp": True} if vmk.ip.dhcp else {"address": vmk.ip.address, "netmask": vmk.ip.netmask}
        )
        dv = host.dv_portgroup_of(vmk)
        entry: dict[str, Any] = {
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
        switches = sorted({host.dv_portgroups[k].dvs for k in used} & set(host.dv_switches))
        if switches:
            doc["dv_switches"] = [dv_switch_to_doc(host.dv_switches[n]) for n in switches]
    return doc


def dv_switch_to_doc(sw: DvSwitch) -> dict[str, Any]:
    """A distributed switch of a listed dvPortgroup, as the host sees it: its largest MTU, default port teaming,
    LAGs and this host's pnics behind each uplink and LAG name (what a new dvPortgroup starts from)."""
    return {"name": sw.name, "max_mtu": sw.max_mtu, "teaming": teaming_to_doc(sw.teaming), "lags": list(sw.lags),
            "uplinks": {n: list(p) for n, p in sorted(sw.uplinks.items())}}


def dv_portgroup_to_doc(dv: DvPortgroup) -> dict[str, Any]:
    """A distributed port group a vmk of the host is on: its own teaming leaves and its effective teaming (the
    switch's default under them) in the switch's uplink / LAG names, the switch's LAGs, and this host's pnics
    behind each name."""
    return {"key": dv.key, "name": dv.name, "dvs": dv.dvs, "vlan": dv.vlan, "teaming": teaming_to_doc(dv.own),
            "effective_teaming": teaming_to_doc(dv.teaming),
            "lags": list(dv.lags), "uplinks": {n: list(p) for n, p in sorted(dv.uplinks.items())}}


def options_to_doc(options: Mapping[str, Any]) -> dict[str, Any]:
    """API-keyed advanced options -> the module's option names (other keys stay as they are)."""
    return {OPTION_NAMES.get(k, k): v for k, v in sorted(options.items())}


def _target_doc(t: IscsiTarget) -> dict[str, Any]:
    doc: dict[str, Any] = {"address": t.address, "port": t.port}
    if t.iqn:
        doc["iscsi_name"] = t.iqn
    if t.discovered_from:
        doc["discovered_from"] = t.discovered_from
    doc["options"] = options_to_doc(t.own)
    doc.update(chap_to_doc(t))
    return doc


def chap_to_doc(level: IscsiAdapter | IscsiTarget) -> dict[str, Any]:
    """``chap`` / ``mutual_chap`` a level holds: type and name as read (ESXi never reports a secret, so the
    document shows none); nothing for an inherited direction or an adapter's default (prohibited, no name)."""
    doc: dict[str, Any] = {}
    for key, c in (("chap", level.chap), ("mutual_chap", level.mutual_chap)):
        if c.held is None or (isinstance(level, IscsiAdapter) and c.held == ("prohibited", "")):
            continue
        doc[key] = {"type": c.type, "name": c.name} if c.name else {"type": c.type}
    return doc


def iscsi_to_doc(a: IscsiAdapter) -> dict[str, Any]:
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
        **chap_to_doc(a),
    }
