# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PB-10, SF-9 and SF-10 end to end on a small own inventory: one host with a dependent
hardware iSCSI adapter (vmhba2 on vmnic3) and the software adapter, vmk1 pinned to vmnic2 and
vmk2 pinned to vmnic3 on vSwitch1."""

from __future__ import annotations

import importlib
import os
import sys

import pytest
import yaml

from ansible_collections.vmkfabric.vsphere.tests.functional.conftest import SIM_DIR, credentials
from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import READ

H = "esx01.lab.local"
NETMASK = "255.255.255.0"
ONE = {"policy": "failover_explicit", "standby": []}
INVENTORY = {
    "credentials": credentials(),
    "host_defaults": {"version": "8.0.3",
                      "pnics": [{"device": "vmnic%d" % i, "link_speed": 10000} for i in range(4)],
                      "vswitches": [{"name": "vSwitch0", "uplinks": ["vmnic0", "vmnic1"], "mtu": 1500},
                                    {"name": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"], "mtu": 9000}],
                      "portgroups": [{"name": "Management Network", "vswitch": "vSwitch0"},
                                     {"name": "iSCSI-A", "vswitch": "vSwitch1", "vlan": 20, "teaming": dict(ONE, active=["vmnic2"])},
                                     {"name": "iSCSI-B", "vswitch": "vSwitch1", "vlan": 20, "teaming": dict(ONE, active=["vmnic3"])}]},
    "vcenter": {"datacenters": [{"name": "DC1", "clusters": [{"name": "Cluster-A", "hosts": [{
        "name": H,
        "vmks": [{"device": "vmk0", "portgroup": "Management Network", "ip": "192.168.10.11", "netmask": NETMASK,
                  "services": ["management"]},
                 {"device": "vmk1", "portgroup": "iSCSI-A", "ip": "10.10.20.11", "netmask": NETMASK, "mtu": 9000},
                 {"device": "vmk2", "portgroup": "iSCSI-B", "ip": "10.10.20.21", "netmask": NETMASK, "mtu": 9000}],
        "iscsi": {"software_iscsi": True, "dependent_adapters": [{"device": "vmhba2", "pnic": "vmnic3"}]}}]}]}]},
}


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    """This module's own simulator (overrides the demo one of conftest.py)."""
    path = tmp_path_factory.mktemp("inventory") / "dependent.yml"
    path.write_text(yaml.safe_dump(INVENTORY), encoding="utf-8")
    if SIM_DIR not in sys.path:
        sys.path.insert(0, SIM_DIR)
    launcher = importlib.import_module("vsphere_sim.launcher")
    with launcher.SimProcess(os.fspath(path)) as proc:
        yield proc


def task(module, **args):
    return {"vmkfabric.vsphere." + module: dict({"esxi_hostname": H}, **args)}


def rules(result):
    return {f["rule"] for f in result.get("refused", [])}


def bound(run, adapter):
    (doc,) = [a for a in run[0]["after"][H]["iscsi"] if a["adapter"] == adapter]
    return doc


def test_wrong_uplink_binding_to_a_dependent_adapter_is_refused_before_any_call(playbook):
    run = playbook.run(task("iscsi_adapter", adapter="vmhba2", bindings=["vmk1"]))
    assert run[0].get("failed") and rules(run[0]) == {"PB-10"}, run[0].get("msg")
    assert "vmnic2 is not vmnic3" in run[0]["refused"][0]["found"]
    assert run.writes == 0 and run.calls.get("BindVnic", 0) == 0


def test_right_uplink_binding_converges(playbook):
    run = playbook.run(task("iscsi_adapter", adapter="vmhba2", bindings=["vmk2"]))
    assert not run[0].get("failed"), run[0].get("msg")
    assert run[0]["changed"] and run.calls.get("BindVnic") == 1 and run.writes == 1
    again = playbook.run(task("iscsi_adapter", adapter="vmhba2", bindings=["vmk2"]))
    assert not again[0]["changed"] and again.writes == 0 and again.calls.get("BindVnic", 0) == 0


def test_unreadable_bindings_refuse_iscsi_plans_with_sf9(playbook, sim):
    sim.arm_fault({"method": "QueryBoundVnics", "nth": 1, "fault": "IscsiFault"})
    try:
        run = playbook.run(task("iscsi_adapter", bindings=["vmk1"]))
    finally:
        sim.disarm_faults()
    assert run[0].get("failed") and "SF-9" in rules(run[0]), run[0].get("msg")
    assert "QueryBoundVnics failed" in run[0]["refused"][0]["found"]
    assert run.writes == 0 and run.calls.get("BindVnic", 0) == 0


def test_unreadable_bindings_do_not_block_a_plan_that_cannot_touch_a_bound_vmk(playbook, sim):
    sim.arm_fault({"method": "QueryBoundVnics", "nth": 1, "fault": "IscsiFault"})
    try:
        run = playbook.run(task("vmknic", portgroup="Replication", vswitch="vSwitch0",
                                ip={"address": "10.10.70.11", "netmask": NETMASK}))
    finally:
        sim.disarm_faults()
    assert not run[0].get("failed"), run[0].get("msg")
    assert run[0]["changed"] and run.calls.get("UpdateNetworkConfig") == 1


def test_host_changed_between_read_and_write_is_refused_with_sf10(playbook, sim):
    drift = task("vmknic", portgroup="Drift", vswitch="vSwitch0", ip={"address": "10.10.80.11", "netmask": NETMASK})
    made = playbook.run(drift)
    assert made[0]["changed"] and made.calls.get("RetrievePropertiesEx") == READ + 1  # the read, and the re-read before the write
    # the RetrievePropertiesEx after the read of the next run is the re-read just before its first write
    sim.arm_fault({"method": "RetrievePropertiesEx", "nth": READ + 1, "action": "mutate", "host": H,
                   "portgroup": "iSCSI-A", "vlan": 77})
    try:
        run = playbook.run(dict(drift, **{"vmkfabric.vsphere.vmknic": dict(drift["vmkfabric.vsphere.vmknic"], mtu=1400)}))
    finally:
        sim.disarm_faults()
    assert run[0].get("failed") and rules(run[0]) == {"SF-10"}, run[0].get("msg")
    assert "re-run the task" in run[0]["msg"] and "portgroup iSCSI-A changed" in run[0]["msg"]
    assert run.writes == 0 and run.calls.get("UpdateNetworkConfig", 0) == 0
    assert run.calls.get("RetrievePropertiesEx") == READ + 1
    info = playbook.run(task("host_fabric_info"))
    doc = info[0]["gathered"][H]
    assert [pg["vlan"] for pg in doc["portgroups"] if pg["name"] == "iSCSI-A"] == [77]  # the other client's change
    assert [v["mtu"] for v in doc["vmknics"] if v["portgroup"] == "Drift"] == [1500]  # the task's change was not made


def test_a_binding_made_between_read_and_write_is_refused_with_sf10(playbook, sim):
    sim.arm_fault({"method": "RetrievePropertiesEx", "nth": READ + 1, "action": "mutate", "host": H,
                   "bind": "vmk1", "adapter": "vmhba64"})
    try:
        run = playbook.run(task("iscsi_adapter", bindings=["vmk2"]))
    finally:
        sim.disarm_faults()
    assert run[0].get("failed") and rules(run[0]) == {"SF-10"}, run[0].get("msg")
    assert "bindings of vmhba64 changed" in run[0]["msg"]
    assert run.writes == 0 and run.calls.get("BindVnic", 0) == 0


def test_a_no_op_run_pays_no_recheck(playbook):
    run = playbook.run(task("vmknic", portgroup="iSCSI-B", mtu=9000))
    assert not run[0].get("failed") and not run[0]["changed"], run[0].get("msg")
    assert run.calls.get("RetrievePropertiesEx") == READ and run.writes == 0
