# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vmotion_multinic on dvPortgroups (``dvswitch``): the arguments, the plan (switch-wide
dv_portgroup actions, vmks on distributed ports), MV-1/MV-2/MV-3/MV-4/MV-6 and MTU-1 through the
distributed switch, and the specs the switch-wide writer sends."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _validator as v
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import host_to_doc
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import NEW_DV_KEY, OMIT, Teaming
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import vmotion_desired
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import plan_host
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules import _mv
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

H = b.H


def params(**kw: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"dvswitch": "dvs-prod", "uplinks": ["dvUplink1", "dvUplink2"], "vlan": 31, "mtu": 9000,
                           "portgroup_prefix": "vMotion-DV", "netstack": "default", "state": "present",
                           "ip": {"netmask": "255.255.255.0", "addresses": [("10.31.0.11"), "10.31.0.111"]}}
    out.update(kw)
    return out


def member(**kw: Any):
    return b.with_dv_switch(b.demo_host(), **kw)


def plan_of(host, **kw):
    desired = vmotion_desired(params(**kw), (H,), False)[H]
    return desired, plan_host(host, desired)


def rules_of(host, **kw) -> list[str]:
    desired, plan = plan_of(host, **kw)
    return [f.rule for f in v.validate([v.Case(host, desired, plan)]) if f.severity == "error"]


# --- arguments --------------------------------------------------------------------------------

def test_dvswitch_puts_order_and_vlan_on_the_dvportgroups_not_the_vmks():
    d = vmotion_desired(params(), (H,), False)[H]
    assert [(p.name, p.dvs, p.vlan, p.teaming.active, p.teaming.standby) for p in d.dv_portgroups] == [
        ("vMotion-DV-1", "dvs-prod", 31, ("dvUplink1",), ("dvUplink2",)),
        ("vMotion-DV-2", "dvs-prod", 31, ("dvUplink2",), ("dvUplink1",))]
    assert all(s.dvswitch == "dvs-prod" and s.teaming.is_omitted and s.vlan is OMIT for s in d.vmks)


def test_vswitch_and_dvswitch_together_are_refused():
    with pytest.raises(ArgumentError, match="dvswitch.*not both"):
        vmotion_desired(params(vswitch="vSwitch1"), (H,), False)


def test_absent_names_the_vmks_on_the_switch_and_declares_no_dvportgroup():
    d = vmotion_desired(params(state="absent", ip=None), (H,), False)[H]
    assert d.dv_portgroups == () and {(s.portgroup, s.dvswitch, s.state) for s in d.vmks} == {
        ("vMotion-DV-1", "dvs-prod", "absent"), ("vMotion-DV-2", "dvs-prod", "absent")}


# --- plan -------------------------------------------------------------------------------------

def test_new_set_creates_two_dvportgroups_and_two_vmks_on_their_ports():
    host = member()
    _d, plan = plan_of(host)
    kinds = [(a.op, a.kind, a.name) for a in plan.actions]
    assert kinds[:2] == [("add", "dv_portgroup", "dvs-prod/vMotion-DV-1"), ("add", "dv_portgroup", "dvs-prod/vMotion-DV-2")]
    assert ("add", "vmk", "vmk1") in kinds and ("select", "service", "vmk2:vmotion") in kinds
    new = plan.after.dv_portgroups[NEW_DV_KEY % ("dvs-prod", "vMotion-DV-1")]
    assert (new.vlan, new.teaming.active, new.teaming.standby, new.teaming.policy) == (31, ("dvUplink1",), ("dvUplink2",), "srcid")
    assert new.uplinks["dvUplink1"] == ("vmnic2",)
    vmk1 = plan.after.vmks["vmk1"]
    assert (vmk1.portgroup, vmk1.vswitch, vmk1.dv_portgroup, vmk1.mtu) == ("", "", new.key, 9000)
    entry = host_to_doc(plan.after)["vmknics"][1]
    assert (entry["portgroup"], entry["vswitch"]) == ("vMotion-DV-1", "dvs-prod")
    assert rules_of(host) == []


def test_existing_set_is_a_no_op():
    host = member()
    _d, plan = plan_of(host)
    _d, again = plan_of(plan.after)
    assert again.actions == () and again.after == plan.after


def test_changed_vlan_edits_the_dvportgroup_only():
    host = member()
    _d, plan = plan_of(host)
    _d, edit = plan_of(plan.after, vlan=32)
    assert [(a.op, a.kind, a.name, dict(a.changes)) for a in edit.actions] == [
        ("edit", "dv_portgroup", "dvs-prod/vMotion-DV-1", {"vlan": (31, 32)}),
        ("edit", "dv_portgroup", "dvs-prod/vMotion-DV-2", {"vlan": (31, 32)})]


def test_absent_removes_the_vmks_and_keeps_the_dvportgroups():
    _d, plan = plan_of(member())
    _d, gone = plan_of(plan.after, state="absent", ip=None)
    assert {(a.op, a.kind) for a in gone.actions} == {("remove", "vmk")}
    assert len(gone.after.dv_portgroups) == 2 and set(gone.after.vmks) == {"vmk0"}


def test_a_switch_the_host_is_no_member_of_is_an_argument_error():
    with pytest.raises(ArgumentError, match="dvswitch.*'dvs-prod' is not a distributed switch"):
        plan_of(b.demo_host())


def test_an_unknown_uplink_name_lists_the_switch_uplinks():
    with pytest.raises(ArgumentError, match=r"uplinks.*dvUplink7 is not an uplink or LAG of dvs-prod \(uplinks: dvUplink1, dvUplink2; LAGs: lag1\)"):
        plan_of(member(), uplinks=["dvUplink1", "dvUplink7"])


def test_a_vmk_on_a_standard_port_group_named_by_device_migrates_in_place():
    host = b.with_vmk(b.with_portgroup(b.with_vswitch(member()), "vMotion-A"), "vmk1", "vMotion-A", "10.31.0.11")
    desired = vmotion_desired(params(), (H,), False)[H]
    desired = dataclasses.replace(desired, vmks=(dataclasses.replace(desired.vmks[0], device="vmk1"), desired.vmks[1]))
    plan = plan_host(host, desired)
    vmk1 = plan.after.vmks["vmk1"]
    assert (vmk1.portgroup, vmk1.vswitch, plan.after.dv_portgroups[vmk1.dv_portgroup].name) == ("", "", "vMotion-DV-1")
    assert vmk1.ip == host.vmks["vmk1"].ip  # same device, same address
    edit = next(a for a in plan.actions if a.kind == "vmk" and a.name == "vmk1")
    assert edit.op == "edit" and edit.changes["portgroup"] == ("vMotion-A", None) and edit.changes["vswitch"][1] is None
    assert plan.stages == ()  # not bound: one network write


def test_a_vmk_on_another_dvportgroup_is_not_moved_between_dvportgroups():
    host = plan_host(member(), vmotion_desired(params(), (H,), False)[H]).after
    desired = vmotion_desired(params(portgroup_prefix="vMotion-X"), (H,), False)[H]
    desired = dataclasses.replace(desired, vmks=(dataclasses.replace(desired.vmks[0], device="vmk1"), desired.vmks[1]))
    with pytest.raises(ArgumentError, match="vmk1 is on another dvPortgroup.*remove it"):
        plan_host(host, desired)


# --- rules through the distributed switch (each refuses and passes) --------------------------

def test_mv6_refuses_a_switch_teaming_by_ip_hash_and_passes_srcid():
    assert "MV-6" in rules_of(member(policy="iphash"))
    assert "MV-6" not in rules_of(member(policy="srcid"))


def test_mv6_refuses_a_lag_in_uplinks():
    assert "MV-6" in rules_of(member(), uplinks=["lag1", "dvUplink2"])


def test_mv2_refuses_an_uplink_without_a_nic_of_the_host():
    host = member(uplinks={"dvUplink1": ("vmnic2",), "dvUplink2": ()})
    desired, plan = plan_of(host)
    found = [f for f in v.validate([v.Case(host, desired, plan)]) if f.rule == "MV-2"]
    assert found and "[dvUplink1]" in found[0].found and "no NIC of this host" in found[0].found
    assert "connect a NIC" in found[0].change
    assert "MV-2" not in rules_of(member())


def test_mv3_refuses_the_same_active_uplink_twice_and_mv1_a_shared_dvportgroup():
    host = member()
    desired, plan = plan_of(host)
    first = desired.dv_portgroups[0]
    same = dataclasses.replace(desired, dv_portgroups=(first, dataclasses.replace(desired.dv_portgroups[1], teaming=first.teaming)))
    found = {f.rule for f in v.validate([v.Case(host, same, plan_host(host, same))])}
    assert {"MV-3", "MV-4"} <= found
    shared = dataclasses.replace(desired, vmks=tuple(dataclasses.replace(s, portgroup="vMotion-DV-1") for s in desired.vmks))
    plan = plan_host(host, dataclasses.replace(shared, dv_portgroups=desired.dv_portgroups[:1]))
    # the second spec matches the first vmk (one vmk per dvPortgroup by name): put a second one there by hand
    extra = dataclasses.replace(plan.after.vmks["vmk1"], device="vmk2", ip=b.ipspec("10.31.0.111").as_ip())
    after = dataclasses.replace(plan.after, vmks=dict(plan.after.vmks, vmk2=extra))
    mv1 = list(_mv.mv1_one_portgroup_per_vmk(v.Case(host, shared, dataclasses.replace(plan, after=after))))
    assert [f.object for f in mv1] == ["dvportgroup:dvs-prod/vMotion-DV-1"]
    assert list(_mv.mv1_one_portgroup_per_vmk(v.Case(host, desired, plan_of(host)[1]))) == []


def test_mtu1_refuses_a_vmk_above_the_distributed_switch_mtu():
    found = [f for f in v.validate([v.Case(member(max_mtu=1500), *plan_of(member(max_mtu=1500)))]) if f.rule == "MTU-1"]
    assert found and found[0].object == "vmk:vmk1 [dvswitch:dvs-prod]" and "raise the MTU of dvs-prod" in found[0].change
    assert "MTU-1" not in rules_of(member(max_mtu=9000))


# --- the switch-wide specs ---------------------------------------------------------------------

def test_create_spec_sets_vlan_and_order_and_inherits_the_rest():
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._apply import _dvs
    host = member()
    _d, plan = plan_of(host)
    new = plan.after.dv_portgroups[NEW_DV_KEY % ("dvs-prod", "vMotion-DV-2")]
    spec = _dvs.create_spec(new)
    assert (spec.name, spec.type, spec.configVersion) == ("vMotion-DV-2", "earlyBinding", None)
    setting = spec.defaultPortConfig
    assert (setting.vlan.vlanId, setting.vlan.inherited) == (31, False)
    team = setting.uplinkTeamingPolicy
    assert list(team.uplinkPortOrder.activeUplinkPort) == ["dvUplink2"] and list(team.uplinkPortOrder.standbyUplinkPort) == ["dvUplink1"]
    assert team.policy is None and team.rollingOrder is None and team.notifySwitches is None  # inherited


def test_edit_spec_carries_the_config_version_and_only_the_change():
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._apply import _dvs
    before = b.with_dv_portgroup(member(), "dvportgroup-40", "vMotion-DV-1", active=("dvUplink1",),
                                 standby=("dvUplink2",), vlan=31).dv_portgroups["dvportgroup-40"]
    after = dataclasses.replace(before, vlan=32)
    spec = _dvs.edit_spec(after, before, "7")
    assert spec.configVersion == "7" and spec.defaultPortConfig.vlan.vlanId == 32
    assert spec.defaultPortConfig.uplinkTeamingPolicy is None
    assert _dvs.teaming_policy(Teaming(policy="srcid"), Teaming(policy="failover_explicit")).policy.value == "failover_explicit"


def test_teaming_policy_writes_own_leaves_and_returns_inherited_ones_to_the_switch():
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._apply import _dvs
    own = Teaming(policy="failover_explicit", active=("dvUplink1",), standby=(), failback=False, notify_switches=True,
                  failure_detection="beacon_probing")
    team = _dvs.teaming_policy(Teaming(), own)
    assert (team.policy.value, team.policy.inherited) == ("failover_explicit", False)
    assert (team.rollingOrder.value, team.notifySwitches.value) == (True, True)  # failback false = rolling order
    assert team.failureCriteria.checkBeacon.value is True and team.failureCriteria.checkBeacon.inherited is False
    assert list(team.uplinkPortOrder.activeUplinkPort) == ["dvUplink1"] and not team.uplinkPortOrder.standbyUplinkPort
    back = _dvs.teaming_policy(own, Teaming())  # every leaf inherit: back to the switch's values
    assert back.policy.inherited and back.rollingOrder.inherited and back.notifySwitches.inherited
    assert back.uplinkPortOrder.inherited and back.failureCriteria.checkBeacon.inherited
    assert _dvs.teaming_policy(own, own) is None


# --- a create that lost the race to a parallel run ------------------------------------------------

class _Ref:
    def __init__(self, moid: str) -> None:
        self._moId = moid


def _raced(monkeypatch, vlan: int, active, standby, name: str = "vMotion-DV-2"):
    """_dvs._adopt against a switch that holds dvPortgroup ``name`` with that VLAN and order."""
    from pyVmomi import vim

    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._apply import _dvs
    vds = vim.dvs.VmwareDistributedVirtualSwitch
    setting = vds.VmwarePortConfigPolicy(vlan=vds.VlanIdSpec(inherited=False, vlanId=vlan), uplinkTeamingPolicy=vds.UplinkPortTeamingPolicy(
        inherited=False, uplinkPortOrder=vds.UplinkPortOrderPolicy(inherited=False, activeUplinkPort=list(active),
                                                                   standbyUplinkPort=list(standby))))
    reads: list[Any] = []

    def props_of(_session, refs, kind, paths, error=None):
        reads.append((kind, tuple(paths)))
        if kind is vim.DistributedVirtualSwitch:
            return {"dvs-1": {"portgroup": [_Ref("dvportgroup-77")]}}
        return {"dvportgroup-77": {"name": name, "key": "dvportgroup-77", "config.defaultPortConfig": setting}}

    monkeypatch.setattr(_dvs, "props_of", props_of)
    host = member()
    _d, plan = plan_of(host)
    after = plan.after.dv_portgroups[NEW_DV_KEY % ("dvs-prod", "vMotion-DV-2")]
    return _dvs._adopt(object(), _Ref("dvs-1"), after, host.dv_switches["dvs-prod"].teaming, ["done-before"]), reads


def test_a_raced_create_adopts_the_same_dvportgroup(monkeypatch):
    key, reads = _raced(monkeypatch, 31, ["dvUplink2"], ["dvUplink1"])
    assert key == "dvportgroup-77" and len(reads) == 2  # the switch's dvPortgroups, then theirs


@pytest.mark.parametrize("vlan, active, standby, name, text", [
    (32, ["dvUplink2"], ["dvUplink1"], "vMotion-DV-2", "with VLAN 32, active ['dvUplink2'], standby ['dvUplink1']"),
    (31, ["dvUplink1"], ["dvUplink2"], "vMotion-DV-2", "this task wants VLAN 31, active ['dvUplink2'], standby ['dvUplink1']"),
    (31, ["dvUplink2"], ["dvUplink1"], "other", "no dvPortgroup of that name"),
], ids=["other-vlan", "other-order", "gone"])
def test_a_raced_create_with_other_settings_stops_the_run(monkeypatch, vlan, active, standby, name, text):
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ApplyError
    with pytest.raises(ApplyError) as err:
        _raced(monkeypatch, vlan, active, standby, name)
    assert text in err.value.message and "already applied: done-before" in err.value.message
    assert err.value.details["changed"] is True
