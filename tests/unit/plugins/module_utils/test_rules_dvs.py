# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Binding by dvPortgroup name; PB-1, PB-2, PB-9, MV-6 and IP-6 on vmks on distributed port groups: the teaming is read from the
dvPortgroup (uplink / LAG names mapped to this host's pnics through the proxy switch)."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _validator as v
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    BindingSpec,
    Finding,
    Host,
    IscsiSpec,
    Teaming,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import plan_host
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

KEY = "dvportgroup-10"
OBJ = "dvportgroup:dvs-prod/dvpg [vmk3 -> hba:vmhba64]"


def bind(*devices: str) -> IscsiSpec:
    return IscsiSpec(bindings=tuple(BindingSpec(vmk=d) for d in devices))


def dv_bound(**dv_args: Any) -> Host:
    """bare_iscsi_host + vmk3 (10.10.20.77) on dvPortgroup "dvpg" of dvs-prod with ``dv_args``."""
    return b.with_dv_vmk(b.bare_iscsi_host(), "vmk3", KEY, "10.10.20.77", name="dvpg", **dv_args)


def findings(host: Host, *specs: Any, **flags: bool) -> list[Finding]:
    d = b.desired(*specs, host=host.name, **flags)
    return v.validate([v.Case(host, d, plan_host(host, d))])


def of(rule: str, found: list[Finding]) -> list[Finding]:
    return [f for f in found if f.rule == rule]


FIRES = [
    ("PB-9", dict(active=("lag1",), policy="srcid")),
    ("PB-9", dict(active=("dvUplink1",), standby=("lag1",))),
    ("PB-9", dict(active=("dvUplink1",), policy="iphash")),
    ("PB-1", dict(active=("dvUplink1", "dvUplink2"))),
    ("PB-1", dict(active=("dvUplink1",), uplinks={"dvUplink1": (), "dvUplink2": ("vmnic3",)})),  # no pnic behind it
    ("PB-2", dict(active=("dvUplink1",), standby=("dvUplink2",))),
]


@pytest.mark.parametrize("rule, dv_args", FIRES, ids=["%s-%d" % (r, i) for i, (r, _a) in enumerate(FIRES)])
def test_rule_fires_on_a_bound_dvportgroup_vmk(rule, dv_args):
    hits = of(rule, findings(dv_bound(**dv_args), bind("vmk3")))
    assert len(hits) == 1, [f.render() for f in findings(dv_bound(**dv_args), bind("vmk3"))]
    (f,) = hits
    assert (f.severity, f.host, f.object) == ("error", b.H, OBJ)
    assert "dvPortgroup dvpg (dvs-prod)" in f.change and "vCenter" in f.change


@pytest.mark.parametrize("rule", ["PB-1", "PB-2", "PB-9"])
def test_rule_passes_on_one_active_dv_uplink(rule):
    found = findings(dv_bound(active=("dvUplink1",)), bind("vmk3"))
    assert of(rule, found) == []
    assert [f.rule for f in found if f.is_error] == []  # the vmk can be bound


def test_pb9_names_the_lag_and_the_dvportgroup_and_pb1_leaves_it_to_pb9():
    found = findings(dv_bound(active=("lag1",), policy="srcid"), bind("vmk3"))
    (f,) = of("PB-9", found)
    assert "dvPortgroup dvpg on dvs-prod" in f.found and "LAG lag1" in f.found and "vmnic4, vmnic5" in f.found
    assert "lag1" in f.change or "LAG unused" in f.change
    assert of("PB-1", found) == []  # the more specific rule reports an active LAG


def test_pb9_ip_hash_on_a_dvportgroup_asks_for_explicit_failover():
    (f,) = of("PB-9", findings(dv_bound(active=("dvUplink1",), policy="iphash"), bind("vmk3")))
    assert "IP-hash" in f.found and "failover_explicit" in f.change


def test_pb1_refuses_a_dvportgroup_that_was_not_read():
    host = b.with_dv_vmk(b.bare_iscsi_host(), "vmk3", KEY, "10.10.20.77")
    host = Host(**{**host.__dict__, "dv_portgroups": {}})
    (f,) = of("PB-1", findings(host, bind("vmk3")))
    assert "could not be read" in f.found and "vCenter" in f.change and f.object == "vmk:vmk3 [vmk3 -> hba:vmhba64]"


def test_pb9_refuses_a_lag_name_in_a_standard_port_group_order():
    host = b.with_vmk(b.bare_iscsi_host(), "vmk3", "Lagged", "10.10.20.77", override=Teaming(active=("lag1",), standby=()))
    (f,) = of("PB-9", findings(host, bind("vmk3")))
    assert "LAG lag1" in f.found and f.object == "portgroup:vSwitch1/Lagged [vmk3 -> hba:vmhba64]"


def test_pb9_passes_a_standard_pinned_vmk():
    assert of("PB-9", findings(b.bare_iscsi_host(), bind("vmk1", "vmk2"))) == []


def test_pb4_and_pb5_see_the_pnic_behind_a_dv_uplink():
    host = b.with_dv_vmk(dv_bound(active=("dvUplink1",)), "vmk4", "dvportgroup-11", "10.10.20.78", name="dvpg-b",
                         active=("dvUplink1",))
    found = findings(host, bind("vmk3", "vmk4"))
    (f,) = of("PB-5", found)
    assert "vmk3, vmk4 all use active uplink vmnic2" in f.found


# --- MV-6 ----------------------------------------------------------------------------------------


def vmotion_dv(**dv_args: Any) -> Host:
    return b.with_dv_vmk(b.demo_host(), "vmk5", KEY, "10.20.0.10", services=("vmotion",), name="dv-vmotion", **dv_args)


@pytest.mark.parametrize("dv_args, text", [
    (dict(active=("lag1",), policy="srcid"), "teams through LAG [lag1]"),
    (dict(active=("dvUplink1",), standby=("lag1",)), "teams through LAG [lag1]"),
    (dict(active=("dvUplink1", "dvUplink2"), policy="iphash"), "teams by IP hash"),
], ids=["active-lag", "standby-lag", "iphash"])
def test_mv6_fires_for_a_vmotion_vmk_on_a_lag_or_iphash_dvportgroup(dv_args, text):
    (f,) = of("MV-6", findings(vmotion_dv(**dv_args)))
    assert f.object == "vmk:vmk5 [dvportgroup:dvs-prod/dv-vmotion]" and text in f.found and f.severity == "error"
    assert "dvPortgroup dv-vmotion" in f.change


def test_mv6_passes_a_vmotion_vmk_on_an_active_standby_dvportgroup():
    assert of("MV-6", findings(vmotion_dv(active=("dvUplink1",), standby=("dvUplink2",), policy="failover_explicit"))) == []


def test_mv6_ignores_a_lag_dvportgroup_without_vmotion():
    host = b.with_dv_vmk(b.demo_host(), "vmk5", KEY, "10.20.0.10", name="dv-data", active=("lag1",))
    assert of("MV-6", findings(host)) == []


# --- IP-6 ----------------------------------------------------------------------------------------


def test_ip6_on_an_existing_lag_dvportgroup_points_to_vcenter_and_names_the_vmk():
    host = b.with_dv_vmk(b.demo_host(), "vmk5", KEY, "10.60.0.10", name="dv-data", active=("lag1",),
                         standby=("dvUplink1",))
    (f,) = of("IP-6", findings(host))
    assert (f.severity, f.object) == ("error", "dvportgroup:dvs-prod/dv-data")
    assert "active [lag1], standby [dvUplink1] uses LAG [lag1]" in f.found
    assert f.change.startswith("in vCenter") and "active [lag1], standby []" in f.change and "move vmk5" in f.change


def test_ip6_and_pb9_both_report_a_bound_vmk_on_a_lag_with_a_standby():
    """Two mistakes: binding through a LAG (PB-9) and a LAG order vCenter does not support (IP-6)."""
    found = findings(dv_bound(active=("dvUplink1",), standby=("lag1",)), bind("vmk3"))
    assert of("PB-9", found) and of("IP-6", found)


def test_ip6_on_a_dvportgroup_the_plan_writes_asks_for_a_plan_change():
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import vmotion_desired
    host = b.with_dv_switch(b.demo_host())
    params = {"dvswitch": "dvs-prod", "uplinks": ["lag1", "dvUplink1"], "vlan": 31, "mtu": 9000,
              "portgroup_prefix": "vMotion-DV", "netstack": "default", "state": "present",
              "ip": {"netmask": "255.255.255.0", "addresses": ["10.31.0.11", "10.31.0.111"]}}
    desired = vmotion_desired(params, (host.name,), False)[host.name]
    found = v.validate([v.Case(host, desired, plan_host(host, desired))])
    ip6 = of("IP-6", found)
    assert {f.object for f in ip6} == {"dvportgroup:dvs-prod/vMotion-DV-1", "dvportgroup:dvs-prod/vMotion-DV-2"}
    assert all("(uplinks)" in f.change and "vCenter" not in f.change for f in ip6)
    assert of("MV-6", found)  # and the vMotion rule says why a LAG is wrong for vMotion at all


# --- bindings: [{portgroup: <dvPortgroup>}] -------------------------------------------------------


def bind_pg(name: str) -> IscsiSpec:
    return IscsiSpec(bindings=(BindingSpec(portgroup=name),))


def test_a_binding_by_dvportgroup_name_binds_the_vmk_on_it():
    host = dv_bound(active=("dvUplink1",))
    d = b.desired(bind_pg("dvpg"), host=host.name)
    plan = plan_host(host, d)
    assert [(a.op, a.kind, a.name) for a in plan.actions] == [("add", "binding", "vmhba64:vmk3")]
    assert [f.rule for f in v.validate([v.Case(host, d, plan)]) if f.is_error] == []


def test_a_standard_port_group_of_the_same_name_wins():
    host = b.with_vmk(dv_bound(active=("dvUplink1",)), "vmk4", "dvpg", "10.10.20.78",
                      override=Teaming(active=("vmnic2",), standby=()))
    plan = plan_host(host, b.desired(bind_pg("dvpg"), host=host.name))
    assert [a.name for a in plan.actions if a.kind == "binding"] == ["vmhba64:vmk4"]


def test_a_dvportgroup_with_two_vmks_of_the_host_asks_for_the_device():
    host = b.with_dv_vmk(dv_bound(active=("dvUplink1",)), "vmk4", KEY, "10.10.20.78")
    with pytest.raises(ArgumentError) as err:
        plan_host(host, b.desired(bind_pg("dvpg"), host=host.name))
    assert err.value.details["field"] == "bindings[0].portgroup"
    assert "dvPortgroup dvpg carries vmk3, vmk4" in err.value.message and "{vmk: vmk3}" in err.value.message


def test_an_unknown_port_group_name_lists_the_vmks():
    with pytest.raises(ArgumentError, match=r"no such vmk on this host \(vmks: vmk0, vmk1, vmk2, vmk3\)"):
        plan_host(dv_bound(), b.desired(bind_pg("nope"), host=b.H))


# --- PB-6 across standard and distributed port groups ----------------------------------------------


def test_pb6_refuses_a_standard_and_a_distributed_vmk_bound_together():
    found = findings(dv_bound(active=("dvUplink1",)), bind("vmk1", "vmk3"))
    (f,) = of("PB-6", found)
    assert f.object == OBJ and "distributed switch dvs-prod vs vSwitch vSwitch1" in f.found
    assert "one vSwitch or one distributed switch" in f.change


def test_pb6_compares_the_vlans_of_two_dvportgroups():
    host = b.with_dv_vmk(dv_bound(active=("dvUplink1",)), "vmk4", "dvportgroup-11", "10.10.20.78", name="dvpg-b",
                         active=("dvUplink2",), vlan=21)
    (f,) = of("PB-6", findings(host, bind("vmk3", "vmk4")))
    assert "vlan 21 vs 20" in f.found and "switch" not in f.found.split(":", 1)[1]


def test_pb6_passes_two_vmks_on_one_distributed_switch_and_vlan():
    host = b.with_dv_vmk(dv_bound(active=("dvUplink1",)), "vmk4", "dvportgroup-11", "10.10.20.78", name="dvpg-b",
                         active=("dvUplink2",))
    found = findings(host, bind("vmk3", "vmk4"))
    assert of("PB-6", found) == [] and [f.rule for f in found if f.is_error] == []
