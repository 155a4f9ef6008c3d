# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vmotion_multinic and replica_vmknic against the 4-host demo cluster.

The demo hosts have vmnic2 and vmnic3 free, so the setup creates vSwitch1 on them. One chain of
module-scoped fixtures builds the state in a fixed order (xdist may send the tests of this file to
different workers; each worker builds the same chain on its own simulator):

  early refusal (IP-hash vSwitch) -> 2-vmk set: --check, converge, rerun + read back ->
  replica: converge, rerun + shared on vMotion-1 + read back -> bad inputs (0 writes) -> absent.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import HOSTS, READ, portgroup_of, vmk_of

H = HOSTS[0]
MASK = "255.255.255.0"
SET_ADDRESSES = {h: ["10.20.0.%d" % (11 + i), "10.20.0.%d" % (111 + i)] for i, h in enumerate(HOSTS)}
REPLICA_ADDRESSES = {h: "10.40.0.%d" % (11 + i) for i, h in enumerate(HOSTS)}


def vmotion(**args: Any) -> dict[str, Any]:
    base = {"cluster": "Cluster-A", "vswitch": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"], "vlan": 30, "mtu": 9000,
            "ip": {"netmask": MASK, "addresses": SET_ADDRESSES}}
    base.update(args)
    return {"vmkfabric.vsphere.vmotion_multinic": base}


def replica(**args: Any) -> dict[str, Any]:
    base = {"cluster": "Cluster-A", "portgroup": "FVP-Replica", "vswitch": "vSwitch1", "vlan": 40, "mtu": 9000,
            "ip": {"netmask": MASK, "addresses": REPLICA_ADDRESSES}}
    base.update(args)
    return {"vmkfabric.vsphere.replica_vmknic": base}


def on_esx01(task: dict[str, Any], **args: Any) -> dict[str, Any]:
    (module, params), = task.items()
    params = {k: v for k, v in params.items() if k not in ("cluster", "ip")}
    params.update(esxi_hostname=H, **args)
    return {module: params}


SET = vmotion()
REPLICA = replica()
INFO = {"vmkfabric.vsphere.host_fabric_info": {"cluster": "Cluster-A"}}
VSWITCH1 = {"vmkfabric.vsphere.vswitch": {"cluster": "Cluster-A", "name": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"],
                                          "mtu": 9000}}


def ok(run: Any) -> None:
    assert all(not r.get("failed") for r in run.results), [r.get("msg") for r in run.results]


def assert_refused(result: dict[str, Any], rule: str) -> None:
    assert result.get("failed") and not result.get("changed"), result
    msg = result["msg"]
    assert "\n" not in msg.strip() and re.search(r"\b%s\b" % re.escape(rule), msg), msg
    assert (rule, H) in {(f["rule"], f["host"]) for f in result["refused"]}, result["refused"]
    assert all(f["severity"] == "error" and f["object"] and f["change"] for f in result["refused"])


# --- the fixture chain ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def early(playbook):
    """vSwitch1 on every host; a set on an IP-hash vSwitch (esx01) is refused; vSwitch1 back to srcid."""
    ok(playbook.run(VSWITCH1, {"vmkfabric.vsphere.vswitch": {"esxi_hostname": H, "name": "vSwitch1",
                                                             "teaming": {"policy": "iphash"},
                                                             "physical_etherchannel_confirmed": True}}))
    refused = playbook.run(on_esx01(SET, ip={"netmask": MASK, "addresses": SET_ADDRESSES[H]}))
    ok(playbook.run({"vmkfabric.vsphere.vswitch": {"esxi_hostname": H, "name": "vSwitch1",
                                                   "teaming": {"policy": "srcid"}}}))
    return refused


@pytest.fixture(scope="module")
def vmotion_set(playbook, early):
    check = playbook.run(SET, check=True, diff=True)
    real = playbook.run(SET)
    again = playbook.run(SET, INFO)  # the rerun, then a read-back through the info module
    return {"check": check, "real": real, "again": again, "info": again[1]}


@pytest.fixture(scope="module")
def replica_vmk(playbook, vmotion_set):
    iscsi = playbook.run({"vmkfabric.vsphere.vmknic": {
        "esxi_hostname": H, "portgroup": "iSCSI-A", "vswitch": "vSwitch1", "vlan": 20, "purpose": "iscsi",
        "ip": {"address": "10.10.20.11", "netmask": MASK}, "teaming": {"active": ["vmnic2"], "unused": ["vmnic3"]}}})
    ok(iscsi)
    real = playbook.run(REPLICA)
    shared = replica(portgroup="vMotion-1", vlan=None, mtu=None, vswitch=None, shared_with_vmotion=True,
                     ip={"netmask": MASK, "addresses": {h: a[0] for h, a in SET_ADDRESSES.items()}})
    again = playbook.run(REPLICA, shared, INFO)  # rerun, the shared variant, read-back: all without writes
    return {"real": real, "again": again, "shared": again[1], "info": again[2]}


BAD = [
    ("vmotion-two-subnets", on_esx01(SET, ip={"netmask": MASK, "addresses": ["10.20.0.11", "10.20.1.111"]}), "MV-5"),
    ("vmotion-same-active-uplink", {"vmkfabric.vsphere.vmknic": {
        "esxi_hostname": H, "portgroup": "vMotion-3", "vswitch": "vSwitch1", "vlan": 30, "mtu": 9000,
        "purpose": "vmotion", "services": ["vmotion"], "ip": {"address": "10.20.0.211", "netmask": MASK},
        "teaming": {"active": ["vmnic2"], "standby": ["vmnic3"]}}}, "MV-3"),
    ("vmotion-netstack-plus-default-service",
     on_esx01(SET, netstack="vmotion", portgroup_prefix="vMotion-Stack",
              ip={"netmask": MASK, "addresses": ["10.21.0.11", "10.21.0.111"]}), "MV-8"),
    ("replica-in-management-subnet",
     on_esx01(REPLICA, portgroup="Bad-Replica", vlan=41, ip={"address": "192.168.10.50", "netmask": MASK}), "PR-2"),
    ("replica-in-iscsi-subnet",
     on_esx01(REPLICA, portgroup="Bad-Replica", vlan=41, ip={"address": "10.10.20.50", "netmask": MASK}), "PR-2"),
    ("replica-with-gateway",
     on_esx01(REPLICA, gateway="10.40.0.1", ip={"address": REPLICA_ADDRESSES[H], "netmask": MASK}), "PR-4"),
    ("replica-shares-vmotion-not-lowest",
     on_esx01(REPLICA, portgroup="Replica-Shared", vlan=30, shared_with_vmotion=True,
              ip={"address": "10.20.0.50", "netmask": MASK}), "PR-7"),
]


@pytest.fixture(scope="module")
def refused(playbook, replica_vmk):
    return playbook.run(*[task for _name, task, _rule in BAD])


@pytest.fixture(scope="module")
def removed(playbook, refused):
    gone = playbook.run(replica(state="absent"), vmotion(state="absent"))
    again = playbook.run(replica(state="absent"), vmotion(state="absent"), INFO)
    return {"gone": gone, "again": again, "info": again[2]}


# --- the vMotion set ----------------------------------------------------------------------------


def test_set_on_an_iphash_vswitch_is_refused_with_mv6_and_writes_nothing(early):
    assert early.writes == 0, early.calls
    assert_refused(early[0], "MV-6")
    mv6 = [f for f in early[0]["refused"] if f["rule"] == "MV-6"]
    assert {f["object"] for f in mv6} == {"vmk:vmk1 [portgroup:vSwitch1/vMotion-1]", "vmk:vmk2 [portgroup:vSwitch1/vMotion-2]"}


def test_cluster_converge_builds_the_mirrored_set_on_every_host(vmotion_set):
    real, gathered = vmotion_set["real"][0], vmotion_set["info"]["gathered"]
    assert real["changed"] and not real.get("failed"), real.get("msg")
    for host in HOSTS:
        doc = gathered[host]  # read back from the simulator, not the module's prediction
        a, b = portgroup_of(doc, "vMotion-1"), portgroup_of(doc, "vMotion-2")
        assert (a["vswitch"], a["vlan"], b["vlan"]) == ("vSwitch1", 30, 30)
        assert (a["teaming"]["active"], a["teaming"]["standby"], a["teaming"]["unused"]) == (["vmnic2"], ["vmnic3"], [])
        assert (b["teaming"]["active"], b["teaming"]["standby"]) == (["vmnic3"], ["vmnic2"])
        vmks = {v["portgroup"]: v for v in doc["vmknics"]}
        for pg, device, address in (("vMotion-1", "vmk1", SET_ADDRESSES[host][0]),
                                    ("vMotion-2", "vmk2", SET_ADDRESSES[host][1])):
            vmk = vmks[pg]
            assert (vmk["device"], vmk["ip"], vmk["mtu"], vmk["netstack"], vmk["services"]) == \
                (device, {"address": address, "netmask": MASK}, 9000, "default", ["vmotion"])
        assert real["after"][host] == doc


def test_cluster_converge_costs_one_read_and_one_network_write_per_host(vmotion_set):
    calls = vmotion_set["real"].calls
    # the one read, and one re-read of the hosts just before the first write (rule SF-10)
    assert (calls["Login"], calls["RetrievePropertiesEx"], calls.get("Fetch", 0)) == (1, READ + 1, 0), calls
    assert calls["UpdateNetworkConfig"] == len(HOSTS) and calls["SelectVnicForNicType"] == 2 * len(HOSTS), calls
    assert vmotion_set["real"].writes == 3 * len(HOSTS)


def test_check_mode_predicts_the_same_plan_and_writes_nothing(vmotion_set):
    check, real = vmotion_set["check"], vmotion_set["real"]
    assert check.writes == 0 and check[0]["changed"], check.calls
    assert check[0]["plan"] == real[0]["plan"] and check[0]["after"] == real[0]["after"]
    assert len(check[0]["diff"]) == len(HOSTS)
    assert sorted({(a["op"], a["kind"]) for a in real[0]["plan"]}) == [
        ("add", "portgroup"), ("add", "vmk"), ("select", "service")]


def test_rerun_changes_nothing_and_writes_nothing(vmotion_set):
    again = vmotion_set["again"]
    assert not again[0]["changed"] and again[0]["plan"] == [] and again.writes == 0, again.calls
    assert again.calls["RetrievePropertiesEx"] == 2 * READ and again.calls["Login"] == 2  # one each: rerun, info
    assert "MV-" not in str([f["rule"] for f in again[0]["findings"]])


# --- the replica vmk ------------------------------------------------------------------------------


def test_replica_converges_isolated_and_is_idempotent(replica_vmk):
    real, again, gathered = replica_vmk["real"], replica_vmk["again"], replica_vmk["info"]["gathered"]
    assert real[0]["changed"] and not real[0].get("failed"), real[0].get("msg")
    assert real.calls["UpdateNetworkConfig"] == len(HOSTS) and real.calls["RetrievePropertiesEx"] == READ + 1, real.calls  # read + SF-10 re-read
    assert real.calls.get("SelectVnicForNicType", 0) == 0
    for host in HOSTS:
        vmk = next(v for v in gathered[host]["vmknics"] if v["portgroup"] == "FVP-Replica")
        assert (vmk["ip"]["address"], vmk["mtu"], vmk["services"], vmk.get("gateway")) == \
            (REPLICA_ADDRESSES[host], 9000, [], None)
        assert portgroup_of(gathered[host], "FVP-Replica")["vlan"] == 40
    assert vmk_of(real[0], H, "FVP-Replica")["device"] == "vmk4"  # after vmk1-2 (set) and vmk3 (iSCSI on esx01)
    assert not again[0]["changed"] and again[0]["plan"] == [] and again.writes == 0


def test_replica_shared_on_the_lowest_vmotion_vmk_is_accepted_with_a_warning(replica_vmk):
    shared = replica_vmk["shared"]
    assert not shared.get("failed") and not shared["changed"], shared.get("msg")
    assert replica_vmk["again"].writes == 0
    assert {(f["rule"], f["object"]) for f in shared["findings"] if f["host"] == H} >= {("PR-6", "vmk:vmk1")}
    assert not [f for f in shared["findings"] if f["severity"] == "error"]


# --- bad inputs -----------------------------------------------------------------------------------


def test_bad_inputs_write_nothing(refused):
    assert refused.writes == 0, refused.calls
    assert all(r.get("failed") for r in refused.results)


@pytest.mark.parametrize("index", range(len(BAD)), ids=[c[0] for c in BAD])
def test_bad_input_is_refused_with_its_rule(refused, index):
    assert_refused(refused[index], BAD[index][2])


# --- state: absent --------------------------------------------------------------------------------


def test_absent_removes_the_set_and_the_replica(removed):
    gone, again, gathered = removed["gone"], removed["again"], removed["info"]["gathered"]
    assert gone[0]["changed"] and gone[1]["changed"], [r.get("msg") for r in gone.results]
    assert gone.calls["UpdateNetworkConfig"] == 2 * len(HOSTS)
    for host in HOSTS:
        names = {pg["name"] for pg in gathered[host]["portgroups"]}
        assert not names & {"vMotion-1", "vMotion-2", "FVP-Replica"}
        assert not [v for v in gathered[host]["vmknics"] if v["portgroup"] in ("vMotion-1", "vMotion-2", "FVP-Replica")]
    assert [r["changed"] for r in again.results] == [False, False, False] and again.writes == 0
