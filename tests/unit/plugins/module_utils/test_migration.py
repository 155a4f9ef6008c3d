# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Migration between a standard and a distributed switch, pure layers: pnics behind dvUplinks (DvSwitchSpec), vmks
moved in place, the one-path-at-a-time stages, rules MG-1..MG-3 and the document's ``dv_switches``."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _validator as v
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import doc_to_desired, host_to_doc
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    DvSwitchSpec,
    Host,
    IpSpec,
    VmkSpec,
    VSwitchSpec,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import plan_host
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

H = b.H


def plan(host: Host, *specs: Any, **flags: bool):
    return plan_host(host, b.desired(*specs, **flags))


def findings(host: Host, *specs: Any, **flags: bool):
    d = b.desired(*specs, host=host.name, **flags)
    return v.validate([v.Case(host, d, plan_host(host, d))])


def rules(host: Host, *specs: Any, **flags: bool) -> dict[str, str]:
    return {f.rule: f.severity for f in findings(host, *specs, **flags)}


def with_paths(host: Host, **paths: str) -> Host:
    """``host`` with the pathStatus of the named bindings of vmhba64 replaced."""
    adapter = host.iscsi["vmhba64"]
    bindings = {d: dataclasses.replace(bd, path=paths.get(d, bd.path)) for d, bd in adapter.bindings.items()}
    return dataclasses.replace(host, iscsi={"vmhba64": dataclasses.replace(adapter, bindings=bindings)})


def on_dvs() -> Host:
    """The state after the migration (what a rerun reads): vmk1/vmk2 on iSCSI-A-dv/iSCSI-B-dv, vmnic2/3 behind
    dvUplink1/2, vSwitch1 without uplinks."""
    return plan(b.vss_fabric_on_dvs_member(), *b.migration_specs()).after


# --- the plan -----------------------------------------------------------------------------------------


def test_bound_vmks_migrate_one_path_at_a_time_with_their_own_nic():
    host = b.vss_fabric_on_dvs_member()
    p = plan(host, *b.migration_specs())
    assert [(s.adapter, s.vmk, s.pnics) for s in p.stages] == [("vmhba64", "vmk1", ("vmnic2",)),
                                                               ("vmhba64", "vmk2", ("vmnic3",))]
    first = p.stages[0].state
    assert first.vmks["vmk1"].dv_portgroup == "dvportgroup-21" and not first.vmks["vmk2"].distributed
    assert first.vswitches["vSwitch1"].uplinks == ("vmnic3",)
    assert first.dv_switches["dvs-prod"].uplinks["dvUplink1"] == ("vmnic2",)
    assert first.dv_portgroups["dvportgroup-21"].uplinks["dvUplink1"] == ("vmnic2",)  # the host's view follows
    after = p.after
    for device, key in (("vmk1", "dvportgroup-21"), ("vmk2", "dvportgroup-22")):
        vmk, old = after.vmks[device], host.vmks[device]
        assert (vmk.dv_portgroup, vmk.portgroup, vmk.vswitch) == (key, "", "")
        assert (vmk.ip, vmk.mtu, vmk.services, vmk.netstack) == (old.ip, old.mtu, old.services, old.netstack)
    assert after.iscsi["vmhba64"].bindings == host.iscsi["vmhba64"].bindings  # never unbound
    assert after.vswitches["vSwitch1"].uplinks == ()
    assert not [a for a in p.actions if a.kind == "binding"]


def test_the_actions_show_the_order_step_by_step():
    p = plan(b.vss_fabric_on_dvs_member(), *b.migration_specs())
    shown = [(a.step, a.kind, a.name) for a in p.actions]
    assert shown == [
        (1, "vswitch", "vSwitch1"), (1, "uplink", "dvs-prod/dvUplink1"), (1, "portgroup", "Base-A"), (1, "vmk", "vmk1"),
        (2, "vswitch", "vSwitch1"), (2, "uplink", "dvs-prod/dvUplink2"), (2, "portgroup", "Base-B"),
        (2, "vmk", "vmk2")], shown
    step1 = {(a.kind, a.name): a for a in p.actions if a.step == 1}
    assert step1[("vswitch", "vSwitch1")].changes["uplinks"] == (["vmnic2", "vmnic3"], ["vmnic3"])
    assert step1[("uplink", "dvs-prod/dvUplink1")].changes == {"pnics": ([], ["vmnic2"])}
    assert step1[("vmk", "vmk1")].changes == {
        "dv_portgroup": (None, "dvportgroup-21"), "portgroup": ("Base-A", None), "vswitch": ("vSwitch1", None)}
    assert step1[("vmk", "vmk1")].describe().startswith("step 1: edit vmk vmk1")
    assert step1[("vmk", "vmk1")].as_dict()["step"] == 1


def test_the_migrated_fabric_validates_and_reruns_as_a_no_op():
    host = b.vss_fabric_on_dvs_member()
    assert not [f.render() for f in findings(host, *b.migration_specs()) if f.is_error]
    rerun = plan(on_dvs(), *b.migration_specs())
    assert rerun.actions == () and rerun.stages == ()


def test_a_rerun_after_the_first_step_moves_only_the_second_path():
    host = b.vss_fabric_on_dvs_member()
    halfway = dataclasses.replace(plan(host, *b.migration_specs()).stages[0].state, iscsi=host.iscsi)
    p = plan(halfway, *b.migration_specs())
    assert [(s.vmk, s.pnics) for s in p.stages] == [("vmk2", ("vmnic3",))]
    assert {a.name for a in p.actions if a.kind == "vmk"} == {"vmk2"}


def test_a_vmk_that_is_not_bound_moves_with_its_nics_in_one_write():
    host = b.vss_fabric_on_dvs_member()
    host = dataclasses.replace(host, iscsi={})
    p = plan(host, *b.migration_specs())
    assert p.stages == () and {a.step for a in p.actions} == {0}
    assert p.after.vmks["vmk1"].dv_portgroup == "dvportgroup-21"


def test_moving_back_to_the_standard_switch_is_one_path_at_a_time_too():
    back = (DvSwitchSpec("dvs-prod", {"dvUplink1": (), "dvUplink2": ()}),
            VSwitchSpec("vSwitch1", uplinks=("vmnic2", "vmnic3")),
            VmkSpec(portgroup="Base-A", vswitch="vSwitch1", device="vmk1", teaming=b.team(active=["vmnic2"])),
            VmkSpec(portgroup="Base-B", vswitch="vSwitch1", device="vmk2", teaming=b.team(active=["vmnic3"])))
    p = plan(on_dvs(), *back)
    assert [(s.vmk, s.pnics) for s in p.stages] == [("vmk1", ("vmnic2",)), ("vmk2", ("vmnic3",))]
    first = p.stages[0].state
    assert first.vswitches["vSwitch1"].uplinks == ("vmnic2",) and first.vmks["vmk1"].portgroup == "Base-A"
    assert p.after.vmks["vmk1"] == b.vss_fabric_on_dvs_member().vmks["vmk1"]
    assert not [f.render() for f in findings(on_dvs(), *back) if f.is_error]


def test_moving_back_onto_a_new_vswitch_creates_it_in_the_first_step_with_only_the_nic_that_moved():
    host = on_dvs()
    host = dataclasses.replace(host, vswitches={k: v for k, v in host.vswitches.items() if k != "vSwitch1"},
                               portgroups={k: v for k, v in host.portgroups.items() if v.vswitch != "vSwitch1"})
    back = (DvSwitchSpec("dvs-prod", {"dvUplink1": (), "dvUplink2": ()}),
            VSwitchSpec("vSwitch2", uplinks=("vmnic2", "vmnic3"), mtu=9000),
            VmkSpec(portgroup="Back-A", vswitch="vSwitch2", device="vmk1", teaming=b.team(active=["vmnic2"])),
            VmkSpec(portgroup="Back-B", vswitch="vSwitch2", device="vmk2", teaming=b.team(active=["vmnic3"])))
    p = plan(host, *back)
    first = p.stages[0].state
    assert first.vswitches["vSwitch2"].uplinks == ("vmnic2",) and first.vswitches["vSwitch2"].mtu == 9000
    assert first.vmks["vmk1"].portgroup == "Back-A" and "Back-B" not in first.portgroups
    assert [(a.step, a.op, a.kind, a.name) for a in p.actions if a.kind in ("vswitch", "portgroup")][:2] == [
        (1, "add", "vswitch", "vSwitch2"), (1, "add", "portgroup", "Back-A")]
    assert not [f.render() for f in findings(host, *back) if f.is_error]


def test_migration_does_not_count_as_changing_a_bound_vmk_in_place():
    host = b.vss_fabric_on_dvs_member()
    assert "SF-3" not in rules(host, *b.migration_specs())
    readdressed = b.migration_specs()[:2] + (VmkSpec(portgroup="iSCSI-B-dv", dvswitch="dvs-prod", device="vmk2",
                                                     ip=IpSpec(address="10.10.20.99", netmask="255.255.255.0")),)
    assert rules(host, *readdressed).get("SF-3") == "error"


# --- rules MG-1..MG-3: a refusing and a passing case each --------------------------------------------------

def _mgmt_spec() -> tuple[Any, ...]:
    return (VmkSpec(portgroup="iSCSI-A-dv", dvswitch="dvs-prod", device="vmk0"),)


def _one_path_down() -> Host:
    return with_paths(b.vss_fabric_on_dvs_member(), vmk1="lastActive", vmk2="notUsed")


BAD = [
    ("MG-1", b.vss_fabric_on_dvs_member, b.migration_specs(crossed=True), {}),
    ("MG-2", _one_path_down, b.migration_specs(), {}),
    ("MG-3", b.vss_fabric_on_dvs_member, _mgmt_spec(), {}),
]
GOOD = [
    ("MG-1", b.vss_fabric_on_dvs_member, b.migration_specs(), {}),
    ("MG-2", b.vss_fabric_on_dvs_member, b.migration_specs(), {}),
    ("MG-3", b.vss_fabric_on_dvs_member, b.migration_specs()[:2], {}),
]


@pytest.mark.parametrize("rule, host_fn, specs, flags", BAD, ids=[r[0] for r in BAD])
def test_rule_refuses(rule, host_fn, specs, flags):
    hits = [f for f in findings(host_fn(), *specs, **flags) if f.rule == rule]
    assert hits and all(f.severity == "error" and f.found and f.change and f.source == v.RULE_INDEX[rule].source
                        for f in hits), hits


@pytest.mark.parametrize("rule, host_fn, specs, flags", GOOD, ids=[r[0] for r in GOOD])
def test_rule_passes(rule, host_fn, specs, flags):
    assert rule not in rules(host_fn(), *specs, **flags)


def test_mg1_names_the_step_and_the_path_it_breaks():
    (hit,) = [f for f in findings(b.vss_fabric_on_dvs_member(), *b.migration_specs(crossed=True)) if f.rule == "MG-1"]
    assert "step 1" in hit.found and "vmk2" in hit.found and "vmnic3" in hit.found and "dv_switches" in hit.change


def test_mg2_both_paths_when_one_is_down_is_refused_and_the_flag_downgrades_it():
    host = _one_path_down()
    hit = next(f for f in findings(host, *b.migration_specs()) if f.rule == "MG-2")
    assert "vmk1" in hit.found and "vmk2 has no active path" in hit.found
    assert rules(host, *b.migration_specs(), allow_path_disruption=True)["MG-2"] == "warning"
    # moving only the path that is down is fine
    assert "MG-2" not in rules(host, b.migration_specs()[0], b.migration_specs()[2])


def test_mg3_management_vmk_needs_the_flag_and_sf1_leaves_the_move_to_it():
    host = b.vss_fabric_on_dvs_member()
    assert rules(host, *_mgmt_spec())["MG-3"] == "error" and "SF-1" not in rules(host, *_mgmt_spec())
    assert rules(host, *_mgmt_spec(), allow_management_path_change=True)["MG-3"] == "warning"


# --- declaring pnics behind dvUplinks: argument errors name the field ---------------------------------------

@pytest.mark.parametrize("specs, field, text", [
    ((DvSwitchSpec("dvs-other", {"dvUplink1": ("vmnic2",)}),), "dv_switches", "not a distributed switch this host"),
    ((DvSwitchSpec("dvs-prod", {"dvUplink9": ("vmnic2",)}),), "dv_switches.dvs-prod.uplinks.dvUplink9",
     "not an uplink of dvs-prod (uplinks: dvUplink1, dvUplink2)"),
    ((DvSwitchSpec("dvs-prod", {"lag1": ("vmnic4",)}),), "dv_switches.dvs-prod.uplinks.lag1", "LAG membership"),
    ((DvSwitchSpec("dvs-prod", {"dvUplink1": ("vmnic2", "vmnic3")}),), "dv_switches.dvs-prod.uplinks.dvUplink1",
     "one physical NIC"),
    ((DvSwitchSpec("dvs-prod", {"dvUplink1": ("vmnic9",)}),), "dv_switches.dvs-prod.uplinks.dvUplink1",
     "vmnic9 is not a physical NIC"),
    ((DvSwitchSpec("dvs-prod", {"dvUplink1": ("vmnic2",), "dvUplink2": ("vmnic2",)}),), "dv_switches.dvs-prod.uplinks",
     "behind both"),
    ((DvSwitchSpec("dvs-prod", {"dvUplink1": ("vmnic2",)}), VSwitchSpec("vSwitch1", uplinks=("vmnic2", "vmnic3"))),
     "dv_switches.dvs-prod.uplinks", "also declared on vSwitch1"),
])
def test_bad_uplink_declarations_are_argument_errors(specs, field, text):
    with pytest.raises(ArgumentError) as err:
        plan(b.vss_fabric_on_dvs_member(), *specs)
    assert err.value.field == field and text in str(err.value) and H in str(err.value)


def test_a_lag_listed_as_read_is_accepted():
    p = plan(b.vss_fabric_on_dvs_member(), DvSwitchSpec("dvs-prod", {"lag1": ("vmnic4", "vmnic5")}))
    assert p.actions == ()


# --- the document ---------------------------------------------------------------------------------------

def test_a_plan_document_declares_pnics_behind_uplinks_and_gathered_round_trips():
    doc = {"dv_switches": [{"name": "dvs-prod", "uplinks": {"dvUplink1": ["vmnic2"], "dvUplink2": ["vmnic3"]}}],
           "vmknics": [{"device": "vmk1", "portgroup": "iSCSI-A-dv", "dvswitch": "dvs-prod"}]}
    desired = doc_to_desired(H, doc)
    assert desired.dv_switches == (DvSwitchSpec("dvs-prod", {"dvUplink1": ("vmnic2",), "dvUplink2": ("vmnic3",)}),)
    after = on_dvs()
    gathered = host_to_doc(after)
    assert gathered["dv_switches"][0]["uplinks"]["dvUplink1"] == ["vmnic2"]
    assert plan_host(after, doc_to_desired(H, gathered, observed=after)).actions == ()
