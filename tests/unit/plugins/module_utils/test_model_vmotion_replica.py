# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vmotion_desired / replica_desired: module arguments -> one Desired per host (mirrored teaming,
port group naming, per-host addresses, purposes) and argument errors naming the field and host."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import OMIT
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import (
    mirrored_teaming,
    replica_desired,
    vmotion_desired,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import plan_host
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

H1, H2 = "esx01.lab.local", "esx02.lab.local"
MASK = "255.255.255.0"


def vm(**params: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"vswitch": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"], "netstack": "default",
                            "state": "present",
                            "ip": {"netmask": MASK, "addresses": {H1: ["10.20.0.11", "10.20.0.111"],
                                                                  H2: ["10.20.0.12", "10.20.0.112"]}}}
    base.update(params)
    return base


def rep(**params: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"portgroup": "Replica", "vswitch": "vSwitch1", "vlan": 40, "state": "present",
                            "shared_with_vmotion": False,
                            "ip": {"netmask": MASK, "addresses": {H1: "10.40.0.11", H2: "10.40.0.12"}}}
    base.update(params)
    return base


def orders(specs):
    return [(s.portgroup, s.teaming.active, s.teaming.standby) for s in specs]


# --- vmotion_desired ------------------------------------------------------------------------------


def test_two_uplinks_are_mirrored():
    out = vmotion_desired(vm(), (H1, H2), True)
    assert orders(out[H1].vmks) == [("vMotion-1", ("vmnic2",), ("vmnic3",)), ("vMotion-2", ("vmnic3",), ("vmnic2",))]
    assert orders(out[H2].vmks) == orders(out[H1].vmks)


def test_three_uplinks_round_robin():
    ip = {"netmask": MASK, "addresses": {H1: ["10.20.0.11", "10.20.0.111", "10.20.0.211"]}}
    specs = vmotion_desired(vm(uplinks=["vmnic2", "vmnic3", "vmnic4"], ip=ip), (H1,), False)[H1].vmks
    assert orders(specs) == [("vMotion-1", ("vmnic2",), ("vmnic3",)), ("vMotion-2", ("vmnic3",), ("vmnic4",)),
                             ("vMotion-3", ("vmnic4",), ("vmnic2",))]
    assert all(s.teaming.unused is OMIT for s in specs)  # unused is derived, never declared


def test_mirrored_teaming_each_uplink_active_once_and_standby_once():
    nics = ("a", "b", "c", "d")
    teams = [mirrored_teaming(nics, i) for i in range(4)]
    assert sorted(t.active[0] for t in teams) == sorted(nics) == sorted(t.standby[0] for t in teams)
    assert all(t.active != t.standby for t in teams)


def test_default_stack_selects_exactly_vmotion_and_per_host_addresses():
    out = vmotion_desired(vm(vlan=30, mtu=9000), (H1, H2), True)
    a, c = out[H2].vmks
    assert (a.ip.address, c.ip.address, a.ip.netmask) == ("10.20.0.12", "10.20.0.112", MASK)
    assert {s.purpose for s in out[H1].vmks} == {"vmotion"}
    assert a.services == frozenset({"vmotion"}) and a.netstack == "default"
    assert (a.vlan, a.mtu, a.vswitch, a.state) == (30, 9000, "vSwitch1", "present")


def test_vmotion_stack_selects_nothing():
    spec = vmotion_desired(vm(netstack="vmotion"), (H1, H2), True)[H1].vmks[0]
    assert spec.netstack == "vmotion" and spec.services is OMIT


def test_omitted_vlan_and_mtu_stay_omitted():
    spec = vmotion_desired(vm(), (H1, H2), True)[H1].vmks[0]
    assert spec.vlan is OMIT and spec.mtu is OMIT


def test_portgroup_naming():
    assert [s.portgroup for s in vmotion_desired(vm(portgroup_prefix="VMO"), (H1, H2), True)[H1].vmks] == ["VMO-1", "VMO-2"]
    named = vmotion_desired(vm(portgroups=["vMotion-A", "vMotion-B"]), (H1, H2), True)[H1].vmks
    assert [s.portgroup for s in named] == ["vMotion-A", "vMotion-B"]


def test_single_host_accepts_a_plain_address_list():
    ip = {"netmask": MASK, "addresses": ["10.20.0.11", "10.20.0.111"]}
    specs = vmotion_desired(vm(ip=ip), (H1,), False)[H1].vmks
    assert [s.ip.address for s in specs] == ["10.20.0.11", "10.20.0.111"]


def test_absent_removes_the_set_without_addresses():
    specs = vmotion_desired(vm(state="absent", ip=None), (H1,), False)[H1].vmks
    assert [(s.portgroup, s.state, s.ip) for s in specs] == [("vMotion-1", "absent", OMIT), ("vMotion-2", "absent", OMIT)]
    by_names = vmotion_desired(vm(state="absent", uplinks=None, portgroups=["A", "B"]), (H1,), False)[H1].vmks
    assert [s.portgroup for s in by_names] == ["A", "B"]


def test_the_planned_set_matches_the_mirror():
    host = b.with_vswitch(b.demo_host())
    ip = {"netmask": MASK, "addresses": {H1: ["10.20.0.11", "10.20.0.111"]}}
    plan = plan_host(host, vmotion_desired(vm(ip=ip), (H1,), False)[H1])
    r = plan.after
    assert (r.vmks["vmk1"].portgroup, r.vmks["vmk2"].portgroup) == ("vMotion-1", "vMotion-2")
    assert r.portgroups["vMotion-1"].override.active == ("vmnic2",) and r.portgroups["vMotion-2"].override.standby == ("vmnic2",)
    assert r.vmks["vmk1"].services == frozenset({"vmotion"})


@pytest.mark.parametrize("params, field, host", [
    ({"uplinks": ["vmnic2"]}, "uplinks", None),
    ({"uplinks": ["vmnic2", "vmnic2"]}, "uplinks", None),
    ({"uplinks": None}, "uplinks", None),
    ({"portgroups": ["A"], "portgroup_prefix": "B"}, "portgroups", None),
    ({"portgroups": ["A", "B", "C"]}, "portgroups", None),
    ({"portgroups": ["A", "A"]}, "portgroups", None),
    ({"vlan": 4096}, "vlan", None),
    ({"mtu": 1000}, "mtu", None),
    ({"netstack": "provisioning"}, "netstack", None),
    ({"ip": None}, "ip.addresses", None),
    ({"ip": {"addresses": {H1: ["10.20.0.11", "10.20.0.111"], H2: ["10.20.0.12", "10.20.0.112"]}}}, "ip.netmask", None),
    ({"ip": {"netmask": MASK, "addresses": {H1: ["10.20.0.11", "10.20.0.111"]}}}, "ip.addresses", H2),
    ({"ip": {"netmask": MASK, "addresses": {H1: ["10.20.0.11"], H2: ["10.20.0.12", "10.20.0.112"]}}}, "ip.addresses", H1),
    ({"ip": {"netmask": MASK, "addresses": {H1: "10.20.0.11", H2: ["10.20.0.12", "10.20.0.112"]}}}, "ip.addresses", H1),
    ({"ip": {"netmask": MASK, "addresses": {H1: ["10.20.0.11", "10.20.0.300"], H2: ["10.20.0.12", "10.20.0.112"]}}},
     "ip.addresses", H1),
    ({"ip": {"netmask": "255.0.255.0", "addresses": {H1: ["10.20.0.11", "10.20.0.111"],
                                                     H2: ["10.20.0.12", "10.20.0.112"]}}}, "ip.netmask", H1),
    ({"ip": {"netmask": MASK, "addresses": ["10.20.0.11", "10.20.0.111"]}}, "ip.addresses", None),
    ({"ip": {"netmask": MASK, "addresses": {H1: ["10.20.0.11", "10.20.0.111"], H2: ["10.20.0.12", "10.20.0.112"],
                                            "esx09.lab.local": ["10.20.0.19", "10.20.0.119"]}}}, "ip.addresses", None),
])
def test_vmotion_argument_errors_name_the_field_and_host(params, field, host):
    with pytest.raises(ArgumentError) as err:
        vmotion_desired(vm(**params), (H1, H2), True)
    assert err.value.field == field and err.value.host == host, err.value.message
    if host:
        assert "(host %s)" % host in err.value.message


# --- replica_desired ------------------------------------------------------------------------------


def test_replica_one_spec_per_host_with_its_address():
    out = replica_desired(rep(), (H1, H2), True)
    spec = out[H2].vmks[0]
    assert len(out[H1].vmks) == 1 and spec.purpose == "replica" and spec.ip.address == "10.40.0.12"
    assert (spec.portgroup, spec.vswitch, spec.vlan, spec.gateway, spec.shared_with_vmotion) == \
        ("Replica", "vSwitch1", 40, OMIT, False)
    assert spec.services is OMIT and spec.teaming.is_omitted and spec.netstack is OMIT


def test_replica_gateway_shared_services_teaming_are_carried():
    spec = replica_desired(rep(gateway="10.40.0.1", shared_with_vmotion=True, services=[],
                               teaming={"active": ["vmnic2"], "standby": ["vmnic3"]}), (H1, H2), True)[H1].vmks[0]
    assert spec.gateway == "10.40.0.1" and spec.shared_with_vmotion and spec.services == frozenset()
    assert spec.teaming.active == ("vmnic2",)


def test_replica_single_host_address():
    spec = replica_desired(rep(ip={"address": "10.40.0.11", "netmask": MASK}), (H1,), False)[H1].vmks[0]
    assert spec.ip.address == "10.40.0.11"


def test_replica_absent_ignores_ip():
    spec = replica_desired(rep(state="absent", ip={"address": "bad"}), (H1,), False)[H1].vmks[0]
    assert spec.state == "absent" and spec.ip is OMIT


@pytest.mark.parametrize("params, field, host", [
    ({"ip": {"dhcp": True}}, "ip.dhcp", None),
    ({"ip": {"netmask": MASK, "addresses": {H1: "10.40.0.11"}}}, "ip.addresses", H2),
    ({"ip": {"netmask": MASK, "addresses": {H1: "10.40.0.311", H2: "10.40.0.12"}}}, "ip.address", H1),
    ({"ip": {"address": "10.40.0.11", "netmask": MASK}}, "ip.addresses", None),
    ({"gateway": "10.40.0.999"}, "gateway", H1),
    ({"vlan": 5000}, "vlan", None),
    ({"mtu": 100}, "mtu", None),
])
def test_replica_argument_errors_name_the_field_and_host(params, field, host):
    with pytest.raises(ArgumentError) as err:
        replica_desired(rep(**params), (H1, H2), True)
    assert err.value.field == field and err.value.host == host, err.value.message
