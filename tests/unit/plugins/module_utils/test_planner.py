# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planner: R field by field (OMIT / INHERIT / explicit), actions, safe order, devices, cascades."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    INHERIT,
    OMIT,
    Ip,
    IpSpec,
    Teaming,
    TeamingSpec,
    VSwitchSpec,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import (
    ORDER,
    Plan,
    apply_teaming,
    drop_nics,
    match_vmk,
    plan_host,
)
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

H = b.H


def ops(plan: Plan):
    return [(a.op, a.kind, a.name) for a in plan.actions]


def one(plan: Plan, op: str, kind: str, name: str):
    found = [a for a in plan.actions if (a.op, a.kind, a.name) == (op, kind, name)]
    assert len(found) == 1, ops(plan)
    return found[0]


# --- no-op and OMIT ------------------------------------------------------------------------


@pytest.mark.parametrize("specs", [
    (),
    (b.vmk_spec("Base-A"),),
    (b.vmk_spec("Base-A", vswitch=OMIT),),
    (b.vmk_spec("Base-A", ip="10.10.20.11", vlan=20, mtu=1500, netstack="default", services=frozenset(),
                teaming={"active": ["vmnic2"], "unused": ["vmnic3"]}),),
    (VSwitchSpec("vSwitch1"),),
    (VSwitchSpec("vSwitch1", uplinks=("vmnic2", "vmnic3"), mtu=9000, teaming=b.team(policy="srcid")),),
    (VSwitchSpec("vSwitch9", state="absent"), b.vmk_spec("Gone", state="absent")),
    (b.vmk_spec("Base-A", device="vmk1"),),
])
def test_no_op_gives_no_actions_and_after_is_observed(specs):
    host = b.storage_host()
    plan = plan_host(host, b.desired(*specs))
    assert plan.actions == () and not plan.changed
    assert plan.after == host and plan.host == H


def test_omitted_fields_never_write():
    host = b.storage_host()
    plan = plan_host(host, b.desired(b.vmk_spec("Base-A", mtu=9000)))
    assert ops(plan) == [("edit", "vmk", "vmk1")]
    assert dict(plan.actions[0].changes) == {"mtu": (1500, 9000)}
    after = plan.after
    assert after.portgroups == host.portgroups and after.vswitches == host.vswitches
    assert dataclasses.replace(after.vmks["vmk1"], mtu=1500) == host.vmks["vmk1"]


# --- port groups and teaming ----------------------------------------------------------------


def test_apply_teaming_three_states():
    current = Teaming(policy="srcid", active=("a",), standby=("b",), failback=False)
    assert apply_teaming(current, TeamingSpec()) == current
    assert apply_teaming(current, TeamingSpec(policy=INHERIT, active=INHERIT, standby=INHERIT)) == \
        Teaming(failback=False)
    explicit = apply_teaming(current, TeamingSpec(active=("b",), standby=OMIT, failback=True))
    assert explicit == Teaming(policy="srcid", active=("b",), standby=(), failback=True)


def test_drop_nics():
    t = Teaming(active=("a", "b"), standby=("c",))
    assert drop_nics(t, frozenset({"a", "c"})) == Teaming(active=("b",), standby=())
    assert drop_nics(Teaming(policy="srcid"), frozenset({"a"})) == Teaming(policy="srcid")


def test_inherit_clears_override_and_recomputes_effective():
    host = b.storage_host()
    plan = plan_host(host, b.desired(b.vmk_spec("Base-A", teaming=TeamingSpec(active=INHERIT, standby=INHERIT))))
    pg = plan.after.portgroups["Base-A"]
    assert pg.override == Teaming() and pg.effective == host.vswitches["vSwitch1"].teaming
    action = one(plan, "edit", "portgroup", "Base-A")
    assert dict(action.changes) == {"teaming.active": (["vmnic2"], None), "teaming.standby": ([], None)}


def test_explicit_override_fields_and_effective():
    host = b.storage_host()
    wanted = {"active": ["vmnic3"], "standby": ["vmnic2"], "policy": "failover_explicit", "failback": False}
    spec = b.vmk_spec("Base-A", teaming=wanted)
    plan = plan_host(host, b.desired(spec))
    pg = plan.after.portgroups["Base-A"]
    assert pg.override == Teaming("failover_explicit", ("vmnic3",), ("vmnic2",), False)
    assert pg.effective == Teaming("failover_explicit", ("vmnic3",), ("vmnic2",), False, True, "link_status")
    changes = dict(one(plan, "edit", "portgroup", "Base-A").changes)
    assert changes == {"teaming.active": (["vmnic2"], ["vmnic3"]), "teaming.standby": ([], ["vmnic2"]),
                       "teaming.policy": (None, "failover_explicit"), "teaming.failback": (None, False)}


def test_new_portgroup_and_vmk():
    host = b.storage_host()
    spec = b.vmk_spec("Storage-B", ip="10.10.30.11", vlan=30, mtu=9000,
                      teaming={"active": ["vmnic3"], "unused": ["vmnic2"]})
    plan = plan_host(host, b.desired(spec))
    assert ops(plan) == [("add", "portgroup", "Storage-B"), ("add", "vmk", "vmk2")]
    pg = plan.after.portgroups["Storage-B"]
    assert (pg.vswitch, pg.vlan, pg.override.active, pg.override.standby) == ("vSwitch1", 30, ("vmnic3",), ())
    assert pg.effective.policy == "srcid" and pg.effective.active == ("vmnic3",)
    vmk = plan.after.vmks["vmk2"]
    assert (vmk.portgroup, vmk.vswitch, vmk.mtu, vmk.netstack, vmk.services) == \
        ("Storage-B", "vSwitch1", 9000, "default", frozenset())
    assert vmk.ip == Ip(address="10.10.30.11", netmask="255.255.255.0")
    add = dict(one(plan, "add", "vmk", "vmk2").changes)
    assert add["ip"] == (None, {"address": "10.10.30.11", "netmask": "255.255.255.0"}) and add["mtu"] == (None, 9000)
    assert dict(one(plan, "add", "portgroup", "Storage-B").changes) == {
        "vswitch": (None, "vSwitch1"), "vlan": (None, 30),
        "teaming.active": (None, ["vmnic3"]), "teaming.standby": (None, [])}


def test_new_portgroup_defaults_vlan_0_and_dhcp():
    plan = plan_host(b.storage_host(), b.desired(b.vmk_spec("New", ip=IpSpec(dhcp=True))))
    assert plan.after.portgroups["New"].vlan == 0
    assert plan.after.vmks["vmk2"].ip == Ip(dhcp=True)
    assert dict(one(plan, "add", "vmk", "vmk2").changes)["ip"] == (None, {"dhcp": True})


def test_vlan_edit_only_when_declared():
    plan = plan_host(b.storage_host(), b.desired(b.vmk_spec("Base-A", vlan=21)))
    assert ops(plan) == [("edit", "portgroup", "Base-A")]
    assert dict(plan.actions[0].changes) == {"vlan": (20, 21)}


@pytest.mark.parametrize("spec, field", [
    (b.vmk_spec("New", vswitch=OMIT, ip="10.1.1.1"), "vswitch"),
    (b.vmk_spec("New", vswitch="vSwitch7", ip="10.1.1.1"), "vswitch"),
    (b.vmk_spec("New"), "ip"),
    (b.vmk_spec("Base-A", vswitch="vSwitch7"), "vswitch"),
])
def test_missing_required_values_name_field_and_host(spec, field):
    with pytest.raises(ArgumentError) as err:
        plan_host(b.storage_host(), b.desired(spec))
    assert err.value.field == field and err.value.host == H


# --- vmks: matching, devices, edits ---------------------------------------------------------


def test_match_by_device_then_portgroup():
    host = b.storage_host()
    assert match_vmk(host, b.vmk_spec("Base-A")).device == "vmk1"
    assert match_vmk(host, b.vmk_spec("Other", device="vmk1")).device == "vmk1"
    assert match_vmk(host, b.vmk_spec("Base-A", device="vmk7")) is None


def test_device_given_moves_vmk_to_new_portgroup():
    host = b.storage_host()
    plan = plan_host(host, b.desired(b.vmk_spec("Moved", device="vmk1", vlan=5)))
    assert ops(plan) == [("add", "portgroup", "Moved"), ("edit", "vmk", "vmk1")]
    assert dict(plan.actions[1].changes) == {"portgroup": ("Base-A", "Moved")}
    assert "Base-A" in plan.after.portgroups  # never removed implicitly


def test_new_vmk_with_explicit_device():
    plan = plan_host(b.storage_host(), b.desired(b.vmk_spec("New", device="vmk7", ip="10.1.1.1")))
    assert "vmk7" in plan.after.vmks and ("add", "vmk", "vmk7") in ops(plan)


def test_two_new_vmks_get_consecutive_lowest_free_devices():
    host = b.with_vmk(b.storage_host(), "vmk3", "Other", "10.10.50.1")
    plan = plan_host(host, b.desired(b.vmk_spec("N1", ip="10.1.1.1"), b.vmk_spec("N2", ip="10.1.2.1"),
                                     b.vmk_spec("N3", ip="10.1.3.1")))
    assert {d: v.portgroup for d, v in plan.after.vmks.items() if d not in host.vmks} == {
        "vmk2": "N1", "vmk4": "N2", "vmk5": "N3"}


def test_explicit_device_is_not_reused_by_allocation():
    plan = plan_host(b.storage_host(), b.desired(b.vmk_spec("N1", device="vmk2", ip="10.1.1.1"),
                                                 b.vmk_spec("N2", ip="10.1.2.1")))
    assert plan.after.vmks["vmk2"].portgroup == "N1" and plan.after.vmks["vmk3"].portgroup == "N2"


def test_ip_edit_canonical():
    plan = plan_host(b.storage_host(), b.desired(b.vmk_spec("Base-A", ip=IpSpec(dhcp=True))))
    assert dict(plan.actions[0].changes) == {"ip": ({"address": "10.10.20.11", "netmask": "255.255.255.0"},
                                                    {"dhcp": True})}


# --- services --------------------------------------------------------------------------------


def test_services_exactly_the_declared_list():
    host = b.with_vmk(b.storage_host(), "vmk2", "VMo", "10.10.60.1", services=("vmotion", "vSphereReplication"))
    plan = plan_host(host, b.desired(b.vmk_spec("VMo", services=frozenset({"vmotion", "vsan"}))))
    assert ops(plan) == [("deselect", "service", "vmk2:vSphereReplication"), ("select", "service", "vmk2:vsan")]
    assert plan.after.vmks["vmk2"].services == frozenset({"vmotion", "vsan"})
    assert dict(plan.actions[0].changes) == {"selected": (True, False)}


def test_services_omitted_left_alone():
    host = b.with_vmk(b.storage_host(), "vmk2", "VMo", "10.10.60.1", services=("vmotion",))
    assert plan_host(host, b.desired(b.vmk_spec("VMo", mtu=1500))).actions == ()


def test_vmotion_netstack_selects_nothing():
    plan = plan_host(b.storage_host(), b.desired(b.vmk_spec("VMo", ip="10.10.60.1", netstack="vmotion",
                                                            services=frozenset({"vmotion"}))))
    assert ops(plan) == [("add", "portgroup", "VMo"), ("add", "vmk", "vmk2")]
    assert plan.after.vmks["vmk2"].netstack == "vmotion" and plan.after.vmks["vmk2"].services == frozenset()


def test_new_vmk_services_selected_after_add():
    plan = plan_host(b.storage_host(), b.desired(b.vmk_spec("VMo", ip="10.10.60.1",
                                                            services=frozenset({"vmotion", "faultToleranceLogging"}))))
    assert ops(plan)[-2:] == [("select", "service", "vmk2:faultToleranceLogging"), ("select", "service", "vmk2:vmotion")]


# --- netstack change -------------------------------------------------------------------------


def test_netstack_change_without_flag_keeps_vmk():
    host = b.storage_host()
    plan = plan_host(host, b.desired(b.vmk_spec("Base-A", netstack="vmotion")))
    assert plan.actions == () and plan.after.vmks["vmk1"].netstack == "default"


def test_netstack_change_with_allow_recreate():
    host = b.with_vmk(b.storage_host(), "vmk2", "Prov", "10.10.70.1", services=("vSphereProvisioning", "vsan"))
    plan = plan_host(host, b.desired(b.vmk_spec("Prov", netstack="default", mtu=9000), allow_recreate=True))
    assert ops(plan) == [("edit", "vmk", "vmk2")]  # already default: nothing to recreate
    plan = plan_host(host, b.desired(b.vmk_spec("Prov", netstack="provisioning"), allow_recreate=True))
    assert ops(plan) == [("remove", "vmk", "vmk2"), ("add", "vmk", "vmk2")]
    assert plan.after.vmks["vmk2"].netstack == "provisioning"
    assert plan.after.vmks["vmk2"].services == frozenset()  # dedicated stack: nothing selected


def test_recreate_reselects_services():
    host = b.with_vmk(b.storage_host(), "vmk2", "Rep", "10.10.70.1", services=("vSphereReplication",))
    host = dataclasses.replace(host, vmks=dict(host.vmks, vmk2=dataclasses.replace(host.vmks["vmk2"],
                                                                                   netstack="provisioning")))
    plan = plan_host(host, b.desired(b.vmk_spec("Rep", netstack="default"), allow_recreate=True))
    assert ops(plan) == [("remove", "vmk", "vmk2"), ("add", "vmk", "vmk2"),
                         ("select", "service", "vmk2:vSphereReplication")]
    add = dict(plan.actions[1].changes)
    assert add["netstack"] == (None, "default")


# --- absent ------------------------------------------------------------------------------------


def test_absent_removes_vmk_then_portgroup():
    plan = plan_host(b.storage_host(), b.desired(b.vmk_spec("Base-A", state="absent")))
    assert ops(plan) == [("remove", "vmk", "vmk1"), ("remove", "portgroup", "Base-A")]
    assert "vmk1" not in plan.after.vmks and "Base-A" not in plan.after.portgroups
    assert dict(plan.actions[0].changes)["mtu"] == (1500, None)


def test_absent_keeps_portgroup_with_vm_ports_or_other_vmk():
    host = b.with_vmk(b.storage_host(), "vmk2", "VMs", "10.1.1.1", vm_ports=3)
    plan = plan_host(host, b.desired(b.vmk_spec("VMs", state="absent")))
    assert ops(plan) == [("remove", "vmk", "vmk2")]
    host = b.with_vmk(b.storage_host(), "vmk2", "Base-A", "10.1.1.1")
    plan = plan_host(host, b.desired(b.vmk_spec("Base-A", device="vmk2", state="absent")))
    assert ops(plan) == [("remove", "vmk", "vmk2")]


def test_absent_removes_empty_portgroup_without_vmk():
    host = b.with_portgroup(b.storage_host(), "Empty")
    plan = plan_host(host, b.desired(b.vmk_spec("Empty", state="absent")))
    assert ops(plan) == [("remove", "portgroup", "Empty")]


# --- vSwitches -----------------------------------------------------------------------------------


def test_add_vswitch_defaults():
    plan = plan_host(b.demo_host(), b.desired(VSwitchSpec("vSwitch1", uplinks=("vmnic2", "vmnic3"))))
    sw = plan.after.vswitches["vSwitch1"]
    assert (sw.uplinks, sw.mtu, sw.beacon_interval) == (("vmnic2", "vmnic3"), 1500, None)
    assert sw.teaming == Teaming("srcid", ("vmnic2", "vmnic3"), (), True, True, "link_status")
    assert ops(plan) == [("add", "vswitch", "vSwitch1")]
    assert dict(plan.actions[0].changes)["uplinks"] == (None, ["vmnic2", "vmnic3"])


def test_add_vswitch_without_uplinks_and_declared_teaming():
    plan = plan_host(b.demo_host(), b.desired(VSwitchSpec("vSwitch1", mtu=9000, teaming=b.team(failback=False))))
    sw = plan.after.vswitches["vSwitch1"]
    assert sw.uplinks == () and sw.mtu == 9000 and sw.teaming.failback is False and sw.teaming.active == ()


def test_edit_vswitch_declared_fields_only():
    plan = plan_host(b.storage_host(), b.desired(VSwitchSpec("vSwitch1", mtu=1500)))
    assert ops(plan) == [("edit", "vswitch", "vSwitch1")] and dict(plan.actions[0].changes) == {"mtu": (9000, 1500)}


def test_edit_vswitch_teaming_recomputes_inheriting_portgroups():
    host = b.with_portgroup(b.storage_host(), "Inherit")
    plan = plan_host(host, b.desired(VSwitchSpec("vSwitch1", teaming=b.team(active=["vmnic3"], standby=["vmnic2"]))))
    assert plan.after.portgroups["Inherit"].effective.active == ("vmnic3",)
    assert plan.after.portgroups["Base-A"].effective.active == ("vmnic2",)
    assert ops(plan) == [("edit", "vswitch", "vSwitch1")]


def test_removed_uplink_leaves_every_order_added_uplink_joins_active():
    plan = plan_host(b.storage_host(), b.desired(VSwitchSpec("vSwitch1", uplinks=("vmnic3", "vmnic1"))))
    sw = plan.after.vswitches["vSwitch1"]
    assert sw.teaming.active == ("vmnic3", "vmnic1")
    base = plan.after.portgroups["Base-A"]
    assert base.override.active == () and base.effective.active == ()
    assert ops(plan) == [("edit", "vswitch", "vSwitch1"), ("edit", "portgroup", "Base-A")]


def test_remove_vswitch_cascades():
    plan = plan_host(b.storage_host(), b.desired(VSwitchSpec("vSwitch1", state="absent")))
    assert ops(plan) == [("remove", "vmk", "vmk1"), ("remove", "portgroup", "Base-A"), ("remove", "vswitch", "vSwitch1")]
    assert set(plan.after.vswitches) == {"vSwitch0"}


# --- ordering --------------------------------------------------------------------------------------


def test_mixed_plan_is_in_safe_order():
    host = b.with_vmk(b.storage_host(), "vmk2", "Old", "10.10.80.1", vswitch="vSwitch1")
    host = b.with_vmk(host, "vmk3", "Svc", "10.10.81.1", services=("vsan",))
    host = b.with_vswitch(host, "vSwitchOld", uplinks=(), mtu=1500)
    d = b.desired(
        VSwitchSpec("vSwitch2", uplinks=()),
        VSwitchSpec("vSwitch1", mtu=1500),
        VSwitchSpec("vSwitchOld", state="absent"),
        b.vmk_spec("Old", state="absent"),
        b.vmk_spec("Svc", services=frozenset({"vmotion"})),
        b.vmk_spec("New", vswitch="vSwitch2", ip="10.10.90.1", services=frozenset({"vsan"})),
        b.vmk_spec("Base-A", vlan=22, mtu=1500, ip="10.10.20.12"),
    )
    plan = plan_host(host, d)
    assert ops(plan) == [
        ("add", "vswitch", "vSwitch2"), ("edit", "vswitch", "vSwitch1"),
        ("add", "portgroup", "New"), ("edit", "portgroup", "Base-A"),
        ("add", "vmk", "vmk4"), ("edit", "vmk", "vmk1"),
        ("deselect", "service", "vmk3:vsan"), ("select", "service", "vmk3:vmotion"),
        ("select", "service", "vmk4:vsan"),
        ("remove", "vmk", "vmk2"), ("remove", "portgroup", "Old"), ("remove", "vswitch", "vSwitchOld"),
    ]
    groups = [ORDER.index((a.op, a.kind)) for a in plan.actions]
    assert groups == sorted(groups)
    assert plan_host(host, d) == plan  # deterministic


def test_natural_device_order():
    host = b.storage_host()
    for n in range(2, 11):
        host = b.with_vmk(host, "vmk%d" % n, "P%d" % n, "10.20.%d.1" % n)
    plan = plan_host(host, b.desired(*[b.vmk_spec("P%d" % n, mtu=9000) for n in (10, 2, 9)]))
    assert [a.name for a in plan.actions] == ["vmk2", "vmk9", "vmk10"]


def test_lifecycle_on_predicted_state():
    """create -> rerun is a no-op on the predicted state -> update -> absent -> absent again."""
    switch = VSwitchSpec("vSwitch1", uplinks=("vmnic2", "vmnic3"), mtu=9000)
    create = b.vmk_spec(ip="10.10.20.11", vlan=20, mtu=9000, teaming={"active": ["vmnic2"], "unused": ["vmnic3"]})
    host = plan_host(b.demo_host(), b.desired(switch)).after
    first = plan_host(host, b.desired(create))
    assert ops(first) == [("add", "portgroup", "Storage-A"), ("add", "vmk", "vmk1")]
    host = first.after
    assert plan_host(host, b.desired(switch, create)).actions == ()
    wanted = {"active": ["vmnic3"], "standby": ["vmnic2"], "policy": "failover_explicit", "failback": False}
    update = b.vmk_spec(mtu=1500, teaming=wanted)
    second = plan_host(host, b.desired(update))
    assert ops(second) == [("edit", "portgroup", "Storage-A"), ("edit", "vmk", "vmk1")]
    gone = plan_host(second.after, b.desired(b.vmk_spec(state="absent")))
    assert ops(gone) == [("remove", "vmk", "vmk1"), ("remove", "portgroup", "Storage-A")]
    assert plan_host(gone.after, b.desired(b.vmk_spec(state="absent"))).actions == ()
