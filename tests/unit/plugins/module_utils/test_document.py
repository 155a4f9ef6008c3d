# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The document layer: doc_to_host is the inverse of host_to_doc, doc_to_desired declares only what
is present, and every shape error names the path of the offending value."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _document as d
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import host_to_doc, teaming_to_doc
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    INHERIT,
    OMIT,
    Flags,
    Host,
    Ip,
    IpSpec,
    Teaming,
    Vmk,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import plan_host
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

H = b.H


def _varied() -> Host:
    """Many shapes at once: DHCP, gateway, other netstacks, partial overrides, beacon, a dvport vmk."""
    beacon = Teaming("failover_explicit", ("vmnic1", "vmnic2", "vmnic3"), (), False, False, "beacon_probing")
    host = b.with_vswitch(b.storage_host(), "vSwitch2", ("vmnic1", "vmnic2", "vmnic3"), mtu=1500, teaming=beacon,
                          beacon_interval=1)
    host = b.with_vmk(host, "vmk2", "DHCP-Net", vswitch="vSwitch2", vlan=4095,
                      override=Teaming(policy="srcmac", failback=True))
    host = b.with_vmk(host, "vmk3", "VMo", "10.10.50.11", mtu=9000, netstack="vmotion", vlan=50,
                      override=Teaming(active=("vmnic3",), standby=("vmnic2",)))
    host = b.with_vmk(host, "vmk10", "Prov", "10.10.60.11", netstack="provisioning", services=("vSphereProvisioning",),
                      override=Teaming(failure_detection="link_status", notify_switches=False))
    vmks = dict(host.vmks)
    vmks["vmk3"] = dataclasses.replace(vmks["vmk3"], gateway="10.10.50.1")
    vmks["vmk7"] = Vmk("vmk7", "", "", Ip(address="10.10.70.11", netmask="255.255.255.0"), mtu=9000)
    vmks["vmk8"] = Vmk("vmk8", "DHCP-Net2", "vSwitch2", Ip())  # no address reported
    host = b.with_portgroup(dataclasses.replace(host, vmks=vmks), "DHCP-Net2", "vSwitch2")
    return b.with_portgroup(host, "Orphan", "vSwitch1", vlan=7, vm_ports=3)


def _distributed() -> Host:
    """Two vmks on one LACP dvPortgroup, one on an iSCSI dvPortgroup, one on an unread distributed port."""
    host = b.with_dv_vmk(b.storage_host(), "vmk5", "dvportgroup-10", "10.10.20.50", name="dvpg-prod-lacp",
                         active=("lag1",), policy="srcid", vlan=50)
    host = b.with_dv_vmk(host, "vmk6", "dvportgroup-10", "10.10.20.51")
    host = b.with_dv_vmk(host, "vmk7", "dvportgroup-11", "10.10.20.52", name="dv-iSCSI-A", policy="loadbased",
                         standby=("dvUplink2",))
    vmks = dict(host.vmks, vmk8=Vmk("vmk8", "", "", Ip(address="10.10.20.53", netmask="255.255.255.0"),
                                    dv_portgroup="dvportgroup-99"))
    return b.with_dv_portgroup(dataclasses.replace(host, vmks=vmks), "dvportgroup-12", "no-vmk-here")


HOSTS: dict[str, Callable[[], Host]] = {
    "demo": b.demo_host,
    "storage": b.storage_host,
    "storage-esx02": lambda: b.storage_host("esx02.lab.local"),
    "vswitch-only": lambda: b.with_vswitch(b.demo_host()),
    "empty": lambda: Host(name=H),
    "varied": _varied,
    "iscsi": b.iscsi_host,
    "iscsi-bare": b.bare_iscsi_host,
    "distributed": _distributed,
}


@pytest.mark.parametrize("make", HOSTS.values(), ids=list(HOSTS))
def test_round_trip(make):
    host = make()
    doc = host_to_doc(host)
    back = d.doc_to_host(host.name, doc)
    assert host_to_doc(back) == doc
    assert host_to_doc(d.doc_to_host(host.name, host_to_doc(back))) == doc


def test_round_trip_keeps_what_the_rules_need():
    host = _varied()
    back = d.doc_to_host(H, host_to_doc(host))
    assert back.portgroups["VMo"].effective == host.portgroups["VMo"].effective
    assert back.portgroups["DHCP-Net"].effective.policy == "srcmac"
    assert back.vswitches["vSwitch2"].beacon_interval == 1 and back.vswitches["vSwitch1"].beacon_interval is None
    assert set(back.pnics) == {"vmnic0", "vmnic1", "vmnic2", "vmnic3"}
    assert back.vmks["vmk3"].gateway == "10.10.50.1" and back.vmks["vmk7"].portgroup == ""
    assert {"vmotion", "provisioning", "default"} <= back.netstacks and "vSphereProvisioning" in back.nic_types
    assert back.portgroups["Orphan"].vm_ports == 0  # the document does not carry VM ports


def test_doc_to_host_extra_pnics_and_declared_facts():
    host = d.doc_to_host(H, host_to_doc(b.storage_host()), pnics=["vmnic7"], nic_types=["management"],
                         netstacks=["default"])
    assert "vmnic7" in host.pnics and host.nic_types == {"management"} and host.netstacks == {"default"}


def test_doc_to_desired_of_gathered_state_is_a_no_op_plan():
    for make in HOSTS.values():
        host = make()
        desired = d.doc_to_desired(host.name, host_to_doc(host))
        observed = d.doc_to_host(host.name, host_to_doc(host))
        plan = plan_host(observed, desired)
        assert plan.actions == (), [a.describe() for a in plan.actions]


def test_doc_to_desired_declares_only_present_keys():
    teaming = {"active": ["vmnic2"], "standby": [], "unused": ["vmnic3"]}
    ip = {"address": "10.10.20.11", "netmask": "255.255.255.0"}
    doc = {"vswitches": [{"name": "vSwitch1", "mtu": 9000}],
           "portgroups": [{"name": "iSCSI-A", "vlan": 20, "teaming": teaming}],
           "vmknics": [{"portgroup": "iSCSI-A", "vswitch": "vSwitch1", "ip": ip, "purpose": "iscsi"},
                       {"portgroup": "Bare"}]}
    desired = d.doc_to_desired(H, doc, Flags(allow_recreate=True))
    (sw,) = desired.vswitches
    assert (sw.name, sw.mtu, sw.uplinks, sw.teaming.is_omitted) == ("vSwitch1", 9000, OMIT, True)
    iscsi, bare = desired.vmks
    assert (iscsi.portgroup, iscsi.vswitch, iscsi.vlan, iscsi.purpose) == ("iSCSI-A", "vSwitch1", 20, "iscsi")
    assert iscsi.ip == IpSpec(address="10.10.20.11", netmask="255.255.255.0")
    assert (iscsi.teaming.active, iscsi.teaming.standby, iscsi.teaming.unused) == (("vmnic2",), (), ("vmnic3",))
    assert iscsi.teaming.policy is OMIT and iscsi.teaming.failback is OMIT
    assert (iscsi.device, iscsi.mtu, iscsi.netstack, iscsi.services) == (OMIT, OMIT, OMIT, OMIT)
    assert (bare.vswitch, bare.vlan, bare.ip, bare.purpose, bare.teaming.is_omitted) == (OMIT, OMIT, OMIT, "general", True)
    assert desired.flags.allow_recreate and desired.host == H
    assert d.doc_to_desired(H, doc).flags == Flags()


def test_doc_to_desired_takes_vswitch_and_teaming_from_the_portgroup_entry():
    doc = {"portgroups": [{"name": "P", "vswitch": "vSwitch1", "teaming": {"policy": "srcid", "failback": False}}],
           "vmknics": [{"portgroup": "P", "device": "vmk4", "services": ["vmotion"], "ip": {"dhcp": True}}]}
    (spec,) = d.doc_to_desired(H, doc).vmks
    assert (spec.vswitch, spec.device, spec.services, spec.ip) == ("vSwitch1", "vmk4", frozenset({"vmotion"}),
                                                                   IpSpec(dhcp=True))
    assert (spec.teaming.policy, spec.teaming.failback, spec.teaming.active) == ("srcid", False, OMIT)
    assert INHERIT not in (spec.teaming.policy, spec.teaming.active)


def test_doc_to_desired_skips_distributed_port_vmks():
    desired = d.doc_to_desired(H, host_to_doc(_varied()))
    assert [s.device for s in desired.vmks] == ["vmk0", "vmk1", "vmk2", "vmk3", "vmk8", "vmk10"]


def test_distributed_vmks_show_their_dvportgroup_and_are_declared_on_their_switch():
    doc = host_to_doc(_distributed())
    entries = {v["device"]: v for v in doc["vmknics"]}
    assert (entries["vmk5"]["portgroup"], entries["vmk5"]["vswitch"], entries["vmk5"]["dv_portgroup"]) == (
        "dvpg-prod-lacp", "dvs-prod", "dvportgroup-10")
    assert entries["vmk6"]["portgroup"] == "dvpg-prod-lacp"  # a dvPortgroup carries many vmks
    assert (entries["vmk8"]["portgroup"], entries["vmk8"]["vswitch"]) == ("", "")  # switch not read
    assert "dv_portgroup" not in entries["vmk1"]
    assert [p["key"] for p in doc["dv_portgroups"]] == ["dvportgroup-11", "dvportgroup-10"]  # by switch, name
    lacp = doc["dv_portgroups"][1]
    assert lacp == {"key": "dvportgroup-10", "name": "dvpg-prod-lacp", "dvs": "dvs-prod", "vlan": 50,
                    "teaming": teaming_to_doc(_distributed().dv_portgroups["dvportgroup-10"].own),
                    "effective_teaming": {"policy": "srcid", "active": ["lag1"], "standby": [], "failback": True,
                                          "notify_switches": True, "failure_detection": "link_status"},
                    "lags": ["lag1"], "uplinks": {"dvUplink1": ["vmnic2"], "dvUplink2": ["vmnic3"], "lag1": ["vmnic4", "vmnic5"]}}
    back = d.doc_to_host(H, doc)
    assert back.vmks["vmk5"] == _distributed().vmks["vmk5"] and back.vmks["vmk5"].portgroup == ""
    assert back.dv_portgroups["dvportgroup-10"] == _distributed().dv_portgroups["dvportgroup-10"]
    assert "dvportgroup-12" not in back.dv_portgroups  # the document shows only dvPortgroups a vmk is on
    desired = d.doc_to_desired(H, doc)
    # vmks on a read dvPortgroup are declared (on their switch); one whose switch was not read stays observed only
    assert [(s.device, s.dvswitch) for s in desired.vmks] == [("vmk0", OMIT), ("vmk1", OMIT), ("vmk5", "dvs-prod"),
                                                              ("vmk6", "dvs-prod"), ("vmk7", "dvs-prod")]
    assert [(p.name, p.dvs) for p in desired.dv_portgroups] == [("dv-iSCSI-A", "dvs-prod"), ("dvpg-prod-lacp", "dvs-prod")]
    assert "dv_portgroups" not in host_to_doc(b.storage_host())


def test_empty_and_missing_sections_are_an_empty_plan():
    assert d.doc_to_desired(H, {}).vmks == () and d.doc_to_desired(H, None).vswitches == ()
    assert d.doc_to_desired(H, {"vswitches": None}).vswitches == ()


# --- shape errors ------------------------------------------------------------------------------

P = "config.%s" % H


def _plan() -> dict[str, Any]:
    return {"vswitches": [{"name": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"], "mtu": 9000,
                           "teaming": {"policy": "srcid", "active": ["vmnic2", "vmnic3"], "standby": []}}],
            "portgroups": [{"name": "iSCSI-A", "vswitch": "vSwitch1", "vlan": 20, "protected": True,
                            "teaming": {"active": ["vmnic2"], "standby": [], "unused": ["vmnic3"]}}],
            "vmknics": [{"device": "vmk0", "portgroup": "Management Network"},
                        {"device": "vmk1", "portgroup": "iSCSI-A", "vswitch": "vSwitch1", "mtu": 9000,
                         "ip": {"address": "10.10.20.11", "netmask": "255.255.255.0"}, "netstack": "default",
                         "services": [], "gateway": "10.10.20.1", "purpose": "iscsi", "protected": False}]}


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], Any]:
    """A mutation: set (or with value ``...`` delete) the dotted/indexed path in the plan."""
    def mutate(doc: dict[str, Any]) -> Any:
        parts = path.replace("[", ".").replace("]", "").split(".")
        node: Any = doc
        for part in parts[:-1]:
            node = node[int(part)] if part.isdigit() else node[part]
        last = int(parts[-1]) if parts[-1].isdigit() else parts[-1]
        if value is ...:
            del node[last]
        else:
            node[last] = value
        return doc
    return mutate


SHAPE_ERRORS = [
    (lambda doc: ["not", "a", "mapping"], P, "must be a mapping"),
    (_set("vlans", []), P + ".vlans", "unknown key"),
    (_set("vmknics", {"a": 1}), P + ".vmknics", "must be a list"),
    (_set("vswitches[0]", "vSwitch1"), P + ".vswitches[0]", "must be a mapping"),
    (_set("vswitches[0].nics", []), P + ".vswitches[0].nics", "unknown key"),
    (_set("vswitches[0].name", ...), P + ".vswitches[0].name", "required"),
    (_set("portgroups[0].name", None), P + ".portgroups[0].name", "required"),
    (_set("vmknics[1].portgroup", ...), P + ".vmknics[1].portgroup", "required"),
    (_set("vswitches[0].name", 7), P + ".vswitches[0].name", "non-empty string"),
    (_set("portgroups[0].name", ""), P + ".portgroups[0].name", "non-empty string"),
    (_set("vmknics[1].device", "eth1"), P + ".vmknics[1].device", "vmk device name"),
    (_set("vmknics[1].mtu", "9000"), P + ".vmknics[1].mtu", "must be an integer"),
    (_set("vmknics[1].mtu", True), P + ".vmknics[1].mtu", "must be an integer"),
    (_set("vmknics[1].mtu", 576), P + ".vmknics[1].mtu", "at least 1280"),
    (_set("portgroups[0].vlan", 4096), P + ".portgroups[0].vlan", "between 0 and 4095"),
    (_set("vswitches[0].uplinks", "vmnic2"), P + ".vswitches[0].uplinks", "list of names"),
    (_set("vswitches[0].uplinks[1]", 3), P + ".vswitches[0].uplinks[1]", "non-empty string"),
    (_set("vmknics[1].services", "vmotion"), P + ".vmknics[1].services", "list of names"),
    (_set("portgroups[0].teaming", ["vmnic2"]), P + ".portgroups[0].teaming", "must be a mapping"),
    (_set("portgroups[0].teaming.inherit", True), P + ".portgroups[0].teaming.inherit", "unknown key"),
    (_set("vswitches[0].teaming.policy", "loadbased"), P + ".vswitches[0].teaming.policy", "must be one of"),
    (_set("portgroups[0].teaming.failure_detection", "beacon"), P + ".portgroups[0].teaming.failure_detection",
     "must be one of"),
    (_set("portgroups[0].teaming.failback", "yes"), P + ".portgroups[0].teaming.failback", "true or false"),
    (_set("portgroups[0].teaming.active", ...), P + ".portgroups[0].teaming.active", "failover order"),
    (_set("vmknics[1].ip", "10.10.20.11/24"), P + ".vmknics[1].ip", "must be a mapping"),
    (_set("vmknics[1].ip.prefix", 24), P + ".vmknics[1].ip.prefix", "unknown key"),
    (_set("vmknics[1].ip.dhcp", True), P + ".vmknics[1].ip.dhcp", "cannot be combined"),
    (_set("vmknics[1].ip.dhcp", "no"), P + ".vmknics[1].ip.dhcp", "true or false"),
    (_set("vmknics[1].ip.netmask", ...), P + ".vmknics[1].ip.netmask", "required"),
    (_set("vmknics[1].ip.address", "10.10.20.300"), P + ".vmknics[1].ip.address", "not an IPv4 address"),
    (_set("vmknics[1].ip.netmask", "255.0.255.0"), P + ".vmknics[1].ip.netmask", "not a contiguous netmask"),
    (_set("vmknics[1].ip.netmask", "0.0.0.0"), P + ".vmknics[1].ip.netmask", "not a usable netmask"),
    (_set("vmknics[1].gateway", "router"), P + ".vmknics[1].gateway", "not an IPv4 address"),
    (_set("vmknics[1].purpose", "storage"), P + ".vmknics[1].purpose", "must be one of"),
    (_set("portgroups[0].protected", "yes"), P + ".portgroups[0].protected", "true or false"),
    (lambda doc: doc["vswitches"].append({"name": "vSwitch1"}) or doc, P + ".vswitches[1].name",
     "also %s.vswitches[0].name" % P),
    (lambda doc: doc["portgroups"].append({"name": "iSCSI-A"}) or doc, P + ".portgroups[1].name", "also"),
    (_set("vmknics[0].device", "vmk1"), P + ".vmknics[1].device", "also %s.vmknics[0].device" % P),
    (_set("vmknics[0].portgroup", "iSCSI-A"), P + ".vmknics[1].portgroup", "at most one vmk"),
    (_set("vmknics[1].vswitch", "vSwitch0"), P + ".vmknics[1].vswitch", "%s.portgroups[0].vswitch" % P),
]


@pytest.mark.parametrize("mutate, path, text", SHAPE_ERRORS, ids=[e[1].replace(P, "") + ":" + e[2] for e in SHAPE_ERRORS])
def test_plan_shape_errors_name_the_path(mutate, path, text):
    doc = mutate(copy.deepcopy(_plan()))
    with pytest.raises(ArgumentError) as err:
        d.doc_to_desired(H, doc)
    assert err.value.field == path
    assert str(err.value).startswith(path + ": ") and text in str(err.value), str(err.value)


def test_the_unmodified_plan_is_valid():
    assert len(d.doc_to_desired(H, _plan()).vmks) == 2


G = "gathered.%s" % H


def _gathered() -> dict[str, Any]:
    return host_to_doc(b.storage_host())


OBSERVED_ERRORS = [
    (_set("vmknics[1].mtu", ...), G + ".vmknics[1].mtu", "required"),
    (_set("vswitches[0].teaming", ...), G + ".vswitches[0].teaming", "required"),
    (_set("portgroups[0].vlan", ...), G + ".portgroups[0].vlan", "required"),
    (_set("vmknics[1].portgroup", "Nowhere"), G + ".vmknics[1].portgroup", "not in %s.portgroups" % G),
    (_set("vmknics[1].vswitch", "vSwitch0"), G + ".vmknics[1].vswitch", "is on 'vSwitch1'"),
    (_set("portgroups[0].vswitch", "vSwitch9"), G + ".portgroups[0].vswitch", "not in %s.vswitches" % G),
    (_set("vmknics[1].ip.netmask", "255.255.0.255"), G + ".vmknics[1].ip.netmask", "contiguous"),
]


@pytest.mark.parametrize("mutate, path, text", OBSERVED_ERRORS, ids=[e[1].replace(G, "") for e in OBSERVED_ERRORS])
def test_observed_shape_errors_name_the_path(mutate, path, text):
    doc = mutate(_gathered())
    with pytest.raises(ArgumentError) as err:
        d.doc_to_host(H, doc)
    assert err.value.field == path and text in str(err.value), str(err.value)


def test_observed_documents_order_is_irrelevant_but_keys_are_complete():
    doc = _gathered()
    doc["vmknics"].reverse()
    assert host_to_doc(d.doc_to_host(H, doc)) == _gathered()
    partial = {"vmknics": [{"portgroup": "iSCSI-A"}]}
    with pytest.raises(ArgumentError, match=r"gathered\.esx01\.lab\.local\.vmknics\[0\]\.device: required"):
        d.doc_to_host(H, partial)


def _dv_gathered() -> dict[str, Any]:
    return host_to_doc(_distributed())


DV_ERRORS = [
    (_set("vmknics[2].portgroup", "other"), G + ".vmknics[2].portgroup", "'dvpg-prod-lacp' in %s.dv_portgroups" % G),
    (_set("vmknics[2].vswitch", "vSwitch1"), G + ".vmknics[2].vswitch", "'dvs-prod'"),
    (_set("vmknics[5].portgroup", "guess"), G + ".vmknics[5].portgroup", "not in %s.dv_portgroups" % G),
    (_set("dv_portgroups[0].lags", ...), G + ".dv_portgroups[0].lags", "required"),
    (_set("dv_portgroups[0].vlan", 5000), G + ".dv_portgroups[0].vlan", "between 0 and 4095"),
    (_set("dv_portgroups[0].teaming.policy", "lacp"), G + ".dv_portgroups[0].teaming.policy", "must be one of"),
    (_set("dv_portgroups[0].uplinks", ["vmnic2"]), G + ".dv_portgroups[0].uplinks", "must map each uplink"),
    (_set("dv_portgroups[0].uplinks.lag1", "vmnic4"), G + ".dv_portgroups[0].uplinks.lag1", "list of names"),
    (_set("dv_portgroups[1].key", "dvportgroup-11"), G + ".dv_portgroups[1].key", "also"),
    (_set("dv_portgroups", {}), G + ".dv_portgroups", "must be a list"),
]


@pytest.mark.parametrize("mutate, path, text", DV_ERRORS, ids=[e[1].replace(G, "") + ":" + e[2] for e in DV_ERRORS])
def test_distributed_shape_errors_name_the_path(mutate, path, text):
    doc = mutate(_dv_gathered())
    with pytest.raises(ArgumentError) as err:
        d.doc_to_host(H, doc)
    assert err.value.field == path and text in str(err.value), str(err.value)
