# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""dvPortgroups as declared state: own teaming leaves over the switch's (planner), vmknic/replica ``dvswitch``
(arguments), the ``dv_portgroups`` section and vmks on dvPortgroups in the document, host_fabric's states."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _document as d
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._fabric import fabric_desired, kept
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    INHERIT,
    NEW_DV_KEY,
    OMIT,
    DvPortgroupSpec,
    Flags,
    Teaming,
    TeamingSpec,
    VmkSpec,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import replica_desired, vmknic_desired
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import overlay, plan_host
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

H = b.H
SWITCH = Teaming(policy="srcid", active=("dvUplink1", "dvUplink2"), standby=(), failback=True, notify_switches=True,
                 failure_detection="link_status")


def member():
    return b.with_dv_switch(b.demo_host())


def with_own(host, key, name, own, vlan=20):
    """``host`` plus dvPortgroup ``name`` whose own leaves are ``own`` over the switch's teaming."""
    host = b.with_dv_portgroup(host, key, name, vlan=vlan)
    dv = dataclasses.replace(host.dv_portgroups[key], own=own, teaming=overlay(own, SWITCH))
    return dataclasses.replace(host, dv_portgroups=dict(host.dv_portgroups, **{key: dv}))


def plan(host, *specs):
    return plan_host(host, b.desired(*specs, host=host.name))


# --- planner -----------------------------------------------------------------------------------


def test_overlay_takes_own_leaves_and_the_order_as_a_unit():
    own = Teaming(active=("dvUplink2",), standby=())
    assert overlay(own, SWITCH) == dataclasses.replace(SWITCH, active=("dvUplink2",), standby=())
    assert overlay(Teaming(failback=False), SWITCH).failback is False
    assert overlay(Teaming(), SWITCH) == SWITCH


def test_a_new_dvportgroup_sets_only_the_declared_leaves():
    spec = DvPortgroupSpec(name="iSCSI-A-dv", dvs="dvs-prod", vlan=20,
                           teaming=TeamingSpec(active=("dvUplink1",), standby=(), unused=("dvUplink2", "lag1")))
    p = plan(member(), spec)
    new = p.after.dv_portgroups[NEW_DV_KEY % ("dvs-prod", "iSCSI-A-dv")]
    assert new.own == Teaming(active=("dvUplink1",), standby=())
    assert new.teaming == dataclasses.replace(SWITCH, active=("dvUplink1",), standby=())  # the rest from the switch
    assert [(a.op, a.kind) for a in p.actions] == [("add", "dv_portgroup")]


def test_inherit_returns_leaves_to_the_switch_and_an_unchanged_declaration_is_no_action():
    host = with_own(member(), "dvportgroup-30", "dv-x", Teaming(policy="failover_explicit", active=("dvUplink1",), standby=()))
    same = DvPortgroupSpec(name="dv-x", dvs="dvs-prod", teaming=TeamingSpec(policy="failover_explicit"))
    assert plan(host, same).actions == ()
    back = DvPortgroupSpec(name="dv-x", dvs="dvs-prod", teaming=TeamingSpec(active=INHERIT, standby=INHERIT))
    after = plan(host, back).after.dv_portgroups["dvportgroup-30"]
    assert after.own == Teaming(policy="failover_explicit") and after.teaming.active == SWITCH.active


@pytest.mark.parametrize("teaming, unknown", [
    (TeamingSpec(active=("dvUplink9",), standby=()), "dvUplink9"),
    (TeamingSpec(active=("dvUplink1",), standby=(), unused=("lag7",)), "lag7"),
])
def test_a_name_the_switch_does_not_have_is_refused(teaming, unknown):
    with pytest.raises(ArgumentError, match=r"teaming .*%s is not an uplink or LAG of dvs-prod \(uplinks: dvUplink1, "
                                            r"dvUplink2; LAGs: lag1\)" % unknown):
        plan(member(), DvPortgroupSpec(name="dv-y", dvs="dvs-prod", teaming=teaming))


def test_a_switch_the_host_is_not_a_member_of_is_refused():
    with pytest.raises(ArgumentError, match="'dvs-other' is not a distributed switch this host is a member of"):
        plan(member(), DvPortgroupSpec(name="dv-y", dvs="dvs-other"))


def test_removal_drops_the_dvportgroup_after_the_vmks_and_is_one_action():
    host = b.with_dv_vmk(member(), "vmk5", "dvportgroup-30", "10.60.0.10", name="dv-x")
    gone = DvPortgroupSpec(name="dv-x", dvs="dvs-prod", state="absent")
    both = plan(host, gone, VmkSpec(portgroup="dv-x", dvswitch="dvs-prod", state="absent"))
    assert [(a.op, a.kind, a.name) for a in both.actions] == [("remove", "vmk", "vmk5"), ("remove", "dv_portgroup",
                                                                                          "dvs-prod/dv-x")]
    assert "dvportgroup-30" not in both.after.dv_portgroups and "vmk5" not in both.after.vmks
    assert plan(host, DvPortgroupSpec(name="nope", dvs="dvs-prod", state="absent")).actions == ()


# --- module arguments --------------------------------------------------------------------------


def test_vmknic_with_dvswitch_moves_vlan_and_teaming_to_the_dvportgroup():
    params = {"portgroup": "iSCSI-A-dv", "dvswitch": "dvs-prod", "vlan": 20, "state": "present",
              "ip": {"address": "10.10.20.11", "netmask": "255.255.255.0"},
              "teaming": {"active": ["dvUplink1"], "unused": ["dvUplink2"]}}
    desired = vmknic_desired(params, (H,), False)[H]
    (vmk,) = desired.vmks
    (dv,) = desired.dv_portgroups
    assert (vmk.dvswitch, vmk.vswitch, vmk.vlan, vmk.teaming.is_omitted) == ("dvs-prod", OMIT, OMIT, True)
    assert (dv.name, dv.dvs, dv.vlan) == ("iSCSI-A-dv", "dvs-prod", 20)
    assert (dv.teaming.active, dv.teaming.unused) == (("dvUplink1",), ("dvUplink2",))
    gone = vmknic_desired(dict(params, state="absent"), (H,), False)[H]
    assert gone.dv_portgroups == () and gone.vmks[0].dvswitch == "dvs-prod"  # the dvPortgroup stays


def test_replica_with_dvswitch_and_both_switch_kinds_refused():
    params = {"portgroup": "Replica-dv", "dvswitch": "dvs-prod", "ip": {"address": "10.10.40.11", "netmask": "255.255.255.0"}}
    desired = replica_desired(params, (H,), False)[H]
    assert desired.vmks[0].purpose == "replica" and desired.dv_portgroups[0].name == "Replica-dv"
    with pytest.raises(ArgumentError, match="^dvswitch: give vswitch .* or dvswitch .*, not both"):
        replica_desired(dict(params, vswitch="vSwitch2"), (H,), False)


# --- document ----------------------------------------------------------------------------------

DOC = {"dv_portgroups": [{"name": "iSCSI-A-dv", "dvs": "dvs-prod", "vlan": 20, "teaming": {"active": ["dvUplink1"]}}],
       "vmknics": [{"portgroup": "iSCSI-A-dv", "dvswitch": "dvs-prod",
                    "ip": {"address": "10.10.20.11", "netmask": "255.255.255.0"}}]}


def test_the_document_declares_dvportgroups_and_vmks_on_them():
    desired = d.doc_to_desired(H, DOC)
    (dv,) = desired.dv_portgroups
    (vmk,) = desired.vmks
    assert (dv.name, dv.dvs, dv.vlan, dv.teaming.active, dv.state) == ("iSCSI-A-dv", "dvs-prod", 20, ("dvUplink1",), "present")
    assert (vmk.portgroup, vmk.dvswitch, vmk.vswitch) == ("iSCSI-A-dv", "dvs-prod", OMIT)


@pytest.mark.parametrize("doc, path, message", [
    ({"dv_portgroups": [{"name": "x"}]}, "dv_portgroups[0].dvs", "required"),
    ({"dv_portgroups": [{"name": "x", "dvs": "d", "state": "gone"}]}, "dv_portgroups[0].state", "must be one of"),
    ({"dv_portgroups": [{"name": "x", "dvs": "d", "teaming": {"policy": "roundrobin"}}]}, "dv_portgroups[0].teaming.policy",
     "must be one of"),
    ({"dv_portgroups": [{"name": "x", "dvs": "d"}, {"name": "x", "dvs": "d"}]}, "dv_portgroups[1].name", "already listed"),
    ({"vmknics": [{"portgroup": "x", "dvswitch": "d", "vswitch": "vSwitch1"}]}, "vmknics[0].dvswitch", "not both"),
])
def test_bad_dv_entries_name_their_path(doc, path, message):
    with pytest.raises(ArgumentError) as info:
        d.doc_to_desired(H, doc)
    assert info.value.field == "config.%s.%s" % (H, path) and message in info.value.message


def test_a_0_2_0_document_whose_teaming_is_the_effective_one_still_reads():
    host = b.with_dv_vmk(member(), "vmk5", "dvportgroup-30", "10.60.0.10", name="dv-x")
    doc = d.host_to_doc(host)
    (entry,) = doc["dv_portgroups"]
    old = dict(entry, teaming=entry["effective_teaming"])
    del old["effective_teaming"]
    back = d.doc_to_host(H, dict(doc, dv_portgroups=[old]))
    assert back.dv_portgroups["dvportgroup-30"].teaming == host.dv_portgroups["dvportgroup-30"].teaming


# --- host_fabric states ------------------------------------------------------------------------


def test_overridden_removes_an_unlisted_dv_vmk_on_its_switch_and_keeps_one_whose_switch_was_not_read():
    host = b.with_dv_vmk(member(), "vmk5", "dvportgroup-30", "10.60.0.10", name="dv-x")
    host = dataclasses.replace(host, vmks=dict(host.vmks, vmk8=dataclasses.replace(host.vmks["vmk5"], device="vmk8",
                                                                                   dv_portgroup="dvportgroup-99")))
    assert "vmk:vmk8" in kept(host, frozenset()) and "vmk:vmk5" not in kept(host, frozenset())
    desired = fabric_desired("overridden", host, {"vswitches": [{"name": "vSwitch0"}]}, Flags())
    gone = [s for s in desired.vmks if s.state == "absent"]
    assert [(s.device, s.dvswitch, s.portgroup) for s in gone] == [("vmk5", "dvs-prod", "dv-x")]


def test_replaced_writes_a_listed_dvportgroup_whole_and_deleted_removes_it():
    host = with_own(member(), "dvportgroup-30", "dv-x", Teaming(policy="failover_explicit", failback=False))
    doc = {"dv_portgroups": [{"name": "dv-x", "dvs": "dvs-prod", "vlan": 20, "teaming": {"policy": "failover_explicit"}}]}
    (dv,) = fabric_desired("replaced", host, doc, Flags()).dv_portgroups
    assert dv.teaming.failback is INHERIT and dv.teaming.policy == "failover_explicit"  # the rest inherits
    (gone,) = fabric_desired("deleted", host, doc, Flags()).dv_portgroups
    assert (gone.name, gone.state) == ("dv-x", "absent")


def test_the_gathered_document_carries_the_switch_so_a_plan_can_be_checked_offline():
    host = b.with_dv_vmk(member(), "vmk5", "dvportgroup-30", "10.60.0.10", name="dv-x")
    doc = d.host_to_doc(host)
    (sw,) = doc["dv_switches"]
    assert (sw["name"], sw["max_mtu"], sw["lags"], sw["uplinks"]["lag1"]) == ("dvs-prod", 9000, ["lag1"], ["vmnic4", "vmnic5"])
    back = d.doc_to_host(H, doc)
    assert back.dv_switches["dvs-prod"] == dataclasses.replace(host.dv_switches["dvs-prod"], uuid="")  # uuid: vCenter's
    # a new dvPortgroup of that switch plans from the document alone (fabric_validate), and the section declares nothing
    plan_doc = dict(DOC, vmknics=[dict(DOC["vmknics"][0], mtu=9000)])
    p = plan_host(back, d.doc_to_desired(H, dict(plan_doc, dv_switches=doc["dv_switches"])))
    assert ("add", "dv_portgroup", "dvs-prod/iSCSI-A-dv") in [(a.op, a.kind, a.name) for a in p.actions]
    assert d.doc_to_desired(H, {"dv_switches": doc["dv_switches"]}).dv_portgroups == ()
