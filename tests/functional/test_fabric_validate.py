# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fabric_validate against real gathered state: host_fabric_info's output fed back is valid with no
plan; a modified plan is refused by XH-1 and a site policy; and fabric_validate makes no SOAP call."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import HOSTS

ADDRESSES = {h: "10.10.20.%d" % (11 + i) for i, h in enumerate(HOSTS)}
SITE_1 = {"id": "SITE-1", "severity": "error", "message": "every iSCSI vmk has MTU 9000",
          "query": "vmknics[?starts_with(portgroup, 'iSCSI-') && mtu != `9000`]",
          "fix": "set mtu 9000 on the iSCSI vmk"}


def iscsi_vmk(doc: dict[str, Any]) -> dict[str, Any]:
    return next(v for v in doc["vmknics"] if v["portgroup"] == "iSCSI-A")


@pytest.fixture(scope="module")
def gathered(playbook) -> dict[str, Any]:
    """The demo cluster with vSwitch1 and an iSCSI-A vmk (mtu 9000) per host, as host_fabric_info gathers it."""
    run = playbook.run(
        {"vmkfabric.vsphere.vswitch": {"cluster": "Cluster-A", "name": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"],
                                       "mtu": 9000}},
        {"vmkfabric.vsphere.vmknic": {"cluster": "Cluster-A", "portgroup": "iSCSI-A", "vswitch": "vSwitch1",
                                      "vlan": 20, "mtu": 9000, "purpose": "iscsi",
                                      "ip": {"netmask": "255.255.255.0", "addresses": ADDRESSES},
                                      "teaming": {"active": ["vmnic2"], "unused": ["vmnic3"]}}},
        {"vmkfabric.vsphere.host_fabric_info": {"cluster": "Cluster-A"}})
    for r in run.results:
        assert not r.get("failed"), r.get("msg")
    state = run[2]["gathered"]
    assert sorted(state) == list(HOSTS) and all(iscsi_vmk(state[h])["mtu"] == 9000 for h in HOSTS)
    return state


def validate(**args: Any) -> dict[str, Any]:
    return {"vmkfabric.vsphere.fabric_validate": args}


def test_gathered_fed_back_is_valid_with_no_plan_and_no_soap_call(playbook, gathered):
    run = playbook.run(validate(config=gathered, gathered=gathered, policies=[SITE_1]), validate(config=gathered))
    for r in run.results:
        assert not r.get("failed"), r.get("msg")
        assert r["valid"] is True and r["changed"] is False
        assert r["plan"] == [] and r["findings"] == [] and r["refused"] == []
        assert r["rendered"] == "plan accepted: 0 errors, 0 warnings"
    assert run.stats["total"] == 0 and run.calls == {} and run.writes == 0, run.stats


def test_modified_plan_is_refused_with_xh1_and_the_site_policy(playbook, gathered):
    config = copy.deepcopy(gathered)
    iscsi_vmk(config[HOSTS[1]])["ip"]["address"] = ADDRESSES[HOSTS[0]]  # duplicate of esx01's iSCSI address
    iscsi_vmk(config[HOSTS[2]])["mtu"] = 1500  # breaks SITE-1 on esx03
    run = playbook.run(validate(config=config, gathered=gathered, policies=[SITE_1]))
    r = run[0]
    assert r.get("failed") and r["changed"] is False and r["valid"] is False
    refused = sorted((f["rule"], f["host"]) for f in r["refused"])
    assert refused == [("SITE-1", HOSTS[2]), ("XH-1", HOSTS[0]), ("XH-1", HOSTS[1])], refused
    assert r["msg"].startswith("plan refused: 3 errors, ")
    assert "[SITE-1] error   host=esx03.lab.local  object=vmk:vmk1" in r["rendered"]
    site = next(f for f in r["refused"] if f["rule"] == "SITE-1")
    assert site["change"] == "set mtu 9000 on the iSCSI vmk" and site["source"] == "site policy"
    assert {f["rule"] for f in r["findings"]} >= {"XH-1", "XH-4", "SITE-1"}  # XH-4: esx03 differs in MTU
    # the plan the config would take against the gathered state, without writing it
    assert sorted((a["host"], a["op"], a["kind"], a["name"]) for a in r["plan"]) == [
        (HOSTS[1], "edit", "vmk", "vmk1"), (HOSTS[2], "edit", "vmk", "vmk1")]
    assert run.stats["total"] == 0 and run.writes == 0, run.stats


def test_malformed_policy_is_a_clear_error(playbook, gathered):
    bad = dict(SITE_1, query="vmknics[?mtu != `9000`")
    run = playbook.run(validate(config=gathered, policies=[bad]))
    assert run[0].get("failed")
    assert run[0]["msg"].startswith("policies[0] (SITE-1).query: malformed JMESPath expression")
    assert run.stats["total"] == 0
