# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""fabric_validate's logic: cases from config (+ gathered), built-in rules + site policies, the result."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _offline as o
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import host_to_doc
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import Finding, Flags
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

HOSTS = ("esx01.lab.local", "esx02.lab.local")
SITE_1 = {"id": "SITE-1", "severity": "error", "message": "iSCSI vmks use MTU 9000",
          "query": "vmknics[?starts_with(portgroup, 'Base-') && mtu != `9000`]"}


def gathered() -> dict[str, Any]:
    return {h: host_to_doc(b.storage_host(h)) for h in HOSTS}


def vmk(doc: dict[str, Any], device: str) -> dict[str, Any]:
    return next(v for v in doc["vmknics"] if v["device"] == device)


def rules(result: dict[str, Any]) -> list:
    return [(f["host"], f["rule"]) for f in result["findings"]]


def test_gathered_fed_back_is_valid_with_no_plan():
    result = o.validate_documents(gathered(), gathered())
    assert result["valid"] and result["findings"] == [] and result["refused"] == [] and result["plan"] == []
    assert result["rendered"] == "plan accepted: 0 errors, 0 warnings"
    assert o.failure(result) is None
    for h in HOSTS:
        expected = gathered()[h]
        for entry in expected["vmknics"]:
            entry["purpose"] = "general"
        assert result["after"][h] == expected


def test_without_gathered_the_config_is_the_resulting_state():
    result = o.validate_documents(gathered())
    assert result["valid"] and result["plan"] == [] and result["findings"] == []


def test_without_gathered_transition_rules_do_not_fire_but_state_rules_do():
    config = gathered()
    vmk(config[HOSTS[0]], "vmk0")["mtu"] = 9000  # an SF-1 change against gathered state
    assert ("esx01.lab.local", "SF-1") in rules(o.validate_documents(config, gathered()))
    alone = o.validate_documents(config)
    assert "SF-1" not in [r for _h, r in rules(alone)]
    assert ("esx01.lab.local", "MTU-1") in rules(alone)  # vmk0 mtu 9000 on a 1500 vSwitch, in R


def test_without_gathered_a_partial_plan_gets_creation_defaults():
    config = {HOSTS[0]: {"vswitches": [{"name": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"], "mtu": 9000}],
                         "vmknics": [{"portgroup": "iSCSI-A", "vswitch": "vSwitch1", "purpose": "iscsi", "mtu": 9000,
                                      "ip": {"address": "10.10.20.11", "netmask": "255.255.255.0"}}]}}
    result = o.validate_documents(config)
    (entry,) = result["after"][HOSTS[0]]["vmknics"]
    assert (entry["device"], entry["netstack"], entry["purpose"], entry["services"]) == ("vmk0", "default", "iscsi", [])
    (sw,) = result["after"][HOSTS[0]]["vswitches"]
    assert sw["teaming"]["policy"] == "srcid" and sw["teaming"]["active"] == ["vmnic2", "vmnic3"]
    # MTU-4: jumbo iSCSI vmk; PB-14: the iSCSI vmk is not bound to an adapter in the plan
    assert [f["rule"] for f in result["findings"]] == ["MTU-4", "PB-14"] and result["valid"]


def test_with_gathered_the_plan_lists_what_config_changes():
    config = gathered()
    vmk(config[HOSTS[1]], "vmk1")["mtu"] = 9000
    result = o.validate_documents(config, gathered())
    assert [(a["host"], a["op"], a["kind"], a["name"]) for a in result["plan"]] == [(HOSTS[1], "edit", "vmk", "vmk1")]
    assert result["plan"][0]["changes"] == {"mtu": {"before": 1500, "after": 9000}}
    # esx01 keeps 1500 on the same logical network (Base-A): XH-4 warns on the host that deviates
    assert rules(result) == [(HOSTS[1], "XH-4")] and result["valid"]


def test_duplicate_ip_across_hosts_and_site_policy_refuse():
    config = gathered()
    vmk(config[HOSTS[1]], "vmk1")["ip"]["address"] = vmk(config[HOSTS[0]], "vmk1")["ip"]["address"]
    result = o.validate_documents(config, gathered(), [SITE_1])
    assert not result["valid"]
    assert rules(result) == [(HOSTS[0], "SITE-1"), (HOSTS[0], "XH-1"), (HOSTS[1], "SITE-1"), (HOSTS[1], "XH-1")]
    assert [f["rule"] for f in result["refused"]] == [f["rule"] for f in result["findings"] if f["severity"] == "error"]
    msg = o.failure(result)
    first = result["refused"][0]
    assert msg.startswith("plan refused: %d errors, 0 warnings (no changes made) [%s] host=%s object=%s: "
                          % (len(result["refused"]), first["rule"], first["host"], first["object"]))
    assert result["rendered"].splitlines()[0] == "plan refused: %d errors, 0 warnings (no changes made)" % len(
        result["refused"])


def test_failure_message_matches_the_mutating_modules():
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _module

    f = Finding("XH-1", "error", HOSTS[0], "vmk:vmk1", "found it", "change it", "src")
    assert o.one_line is _module.one_line  # the one formatter of the collection
    assert o.one_line(f.as_dict()) == "[XH-1] host=%s object=vmk:vmk1: found it; change: change it" % HOSTS[0]


def test_policy_sees_purpose_from_config_and_general_for_the_rest():
    config = gathered()
    vmk(config[HOSTS[0]], "vmk1")["purpose"] = "iscsi"
    query = {"id": "SITE-3", "message": "m", "query": "vmknics[?purpose=='iscsi'].device"}
    result = o.validate_documents(config, gathered(), [query])
    assert [(f["host"], f["object"]) for f in result["findings"] if f["rule"] == "SITE-3"] == [(HOSTS[0], "vmk1")]
    assert [v["purpose"] for v in result["after"][HOSTS[1]]["vmknics"]] == ["general", "general"]


def test_fail_on():
    warning_only = o.validate_documents(gathered(), gathered(), [dict(SITE_1, severity="warning")])
    assert warning_only["valid"] and len(warning_only["findings"]) == 2
    assert o.failure(warning_only, "error") is None and o.failure(warning_only, "never") is None
    assert o.failure(warning_only, "warning").startswith("plan accepted: 0 errors, 2 warnings [SITE-1]")
    refused = o.validate_documents(gathered(), gathered(), [SITE_1])
    assert o.failure(refused, "never") is None and o.failure(refused, "warning").startswith("plan refused")
    with pytest.raises(ArgumentError, match="fail_on"):
        o.failure(refused, "sometimes")


def test_flags_downgrade_like_the_modules():
    config = gathered()
    vmk(config[HOSTS[0]], "vmk1")["netstack"] = "vmotion"
    refused = o.validate_documents(config, gathered())
    assert ("esx01.lab.local", "NS-1") in rules(refused) and not refused["valid"]
    accepted = o.validate_documents(config, gathered(), flags=Flags(allow_recreate=True))
    ns1 = [f for f in accepted["findings"] if f["rule"] == "NS-1"]
    assert ns1 and ns1[0]["severity"] == "warning"
    failed, result = o.run({"config": config, "gathered": gathered(), "allow_recreate": True, "fail_on": "error"})
    assert [f["severity"] for f in result["findings"] if f["rule"] == "NS-1"] == ["warning"]
    assert failed is None or "NS-1" not in failed


def test_new_uplinks_in_config_are_taken_as_host_nics():
    config = gathered()
    config[HOSTS[0]]["vswitches"][1]["uplinks"] = ["vmnic2", "vmnic3", "vmnic4"]
    config[HOSTS[0]]["vswitches"][1]["teaming"] = {}
    result = o.validate_documents(config, gathered())
    assert "TS-2" not in [r for _h, r in rules(result)]
    assert [a["name"] for a in result["plan"]] == ["vSwitch1"]


@pytest.mark.parametrize("config, gathered_state, field, text", [
    ({}, None, "config", "is empty"),
    ([], None, "config", "must map each host name"),
    ({HOSTS[0]: {}}, {}, "gathered", "no observed state for esx01.lab.local"),
    ({HOSTS[0]: {}}, [], "gathered", "must map each host name"),
    ({HOSTS[0]: {"vmknics": [{"portgroup": "X", "mtu": 100}]}}, None, "config.esx01.lab.local.vmknics[0].mtu",
     "at least 1280"),
    ({HOSTS[0]: {}}, {HOSTS[0]: {"vmknics": [{"device": "vmk1"}]}}, "gathered.esx01.lab.local.vmknics[0].portgroup",
     "required"),
    ({HOSTS[0]: {"vmknics": [{"portgroup": "X", "vswitch": "vSwitch9", "ip": {"dhcp": True}}]}},
     {HOSTS[0]: host_to_doc(b.demo_host())}, "vswitch", "does not exist"),
])
def test_input_errors(config, gathered_state, field, text):
    with pytest.raises(ArgumentError) as err:
        o.validate_documents(config, gathered_state)
    assert err.value.field == field and text in str(err.value), str(err.value)


def test_malformed_policy_fails_before_validation():
    with pytest.raises(ArgumentError, match=r"policies\[0\] \(SITE-1\)\.query: malformed JMESPath"):
        o.validate_documents(gathered(), None, [dict(SITE_1, query="vmknics[?")])


def test_hosts_only_in_gathered_are_out_of_scope():
    state = gathered()
    extra = copy.deepcopy(state[HOSTS[0]])
    state["esx09.lab.local"] = extra  # same addresses as esx01: would be XH-1 if it were in scope
    result = o.validate_documents({HOSTS[0]: gathered()[HOSTS[0]]}, state)
    assert result["valid"] and sorted(result["after"]) == [HOSTS[0]]
