# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Site policies: JMESPath queries over the document, their findings, and every policy error."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _policies as p
from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _validator as v
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError

H = "esx01.lab.local"
ISCSI_9000 = "vmknics[?purpose=='iscsi' && mtu != `9000`]"


def doc() -> dict[str, Any]:
    return {
        "vswitches": [{"name": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"], "mtu": 9000, "teaming": {}}],
        "portgroups": [{"name": "iSCSI-A", "vswitch": "vSwitch1", "vlan": 20, "teaming": {}},
                       {"name": "iSCSI-B", "vswitch": "vSwitch1", "vlan": 0, "teaming": {}}],
        "vmknics": [
            {"device": "vmk1", "portgroup": "iSCSI-A", "vswitch": "vSwitch1", "mtu": 9000, "purpose": "iscsi"},
            {"device": "vmk2", "portgroup": "iSCSI-B", "vswitch": "vSwitch1", "mtu": 1500, "purpose": "iscsi"},
            {"device": "vmk3", "portgroup": "VMo", "vswitch": "vSwitch0", "mtu": 1500, "purpose": "vmotion"},
        ],
    }


def policy(**kw: Any) -> dict[str, Any]:
    base = {"id": "SITE-1", "severity": "error", "query": ISCSI_9000, "message": "every iSCSI vmk has MTU 9000"}
    base.update(kw)
    return base


def findings(*policies: dict[str, Any], document: Any = None) -> list[Any]:
    return list(p.evaluate(p.parse_policies(list(policies)), H, document if document is not None else doc()))


def test_iscsi_mtu_policy_matches_the_offending_vmk():
    (f,) = findings(policy(fix="set mtu: 9000 on the vmk"))
    assert (f.rule, f.severity, f.host, f.object) == ("SITE-1", "error", H, "vmk:vmk2")
    assert f.found.startswith("every iSCSI vmk has MTU 9000 (matched ") and "mtu=1500" in f.found
    assert f.change == "set mtu: 9000 on the vmk" and f.source == "site policy" and f.is_error


def test_no_match_is_no_finding():
    fixed = doc()
    fixed["vmknics"][1]["mtu"] = 9000
    assert findings(policy(), document=fixed) == []


def test_warning_severity_and_default_error():
    (warn,) = findings(policy(severity="warning"))
    assert warn.severity == "warning" and not warn.is_error
    no_severity = policy()
    del no_severity["severity"]
    (err,) = findings(no_severity)
    assert err.severity == "error"
    assert "SITE-1" in err.change  # the generic hint names the policy when no fix is given


def test_query_sees_host_and_every_section():
    (f,) = findings(policy(query="host == 'esx01.lab.local' && length(portgroups) == `2` && vswitches[0].mtu == `9000`"))
    assert f.object == "host:%s" % H and f.found == "every iSCSI vmk has MTU 9000"
    assert p.subject(H, {}) == {"host": H, "vswitches": [], "portgroups": [], "vmknics": []}


@pytest.mark.parametrize("query, objects", [
    ("portgroups[?vlan == `0`]", ["portgroup:vSwitch1/iSCSI-B"]),
    ("vswitches[?mtu == `9000`]", ["vswitch:vSwitch1"]),
    ("vmknics[?mtu == `1500`].device", ["vmk2", "vmk3"]),
    ("vmknics[?mtu == `1500`].mtu", ["host:%s" % H, "host:%s" % H]),
    ("length(vmknics[?purpose=='vmotion']) < `2`", ["host:%s" % H]),
    ("vmknics[?purpose=='replica']", []),
    ("`false`", []),
    ("`null`", []),
    ("`{}`", []),
    ("''", []),
])
def test_result_semantics_and_object_names(query, objects):
    assert [f.object for f in findings(policy(query=query))] == objects


def test_policy_findings_sort_with_builtin_findings():
    (site,) = findings(policy())
    builtin = v.Finding("MTU-1", "error", H, "vmk:vmk2", "f", "c")
    other = v.Finding("XH-1", "error", H, "vmk:vmk2", "f", "c")
    ordered = sorted([other, site, builtin], key=lambda f: (f.sort_key(), f.found))
    assert [f.rule for f in ordered] == ["MTU-1", "SITE-1", "XH-1"]


BAD = [
    ("not a list", "policies", "must be a list"),
    (["SITE-1"], "policies[0]", "must be a mapping"),
    ([policy(query="vmknics[?mtu != `9000`")], "policies[0] (SITE-1).query", "malformed JMESPath expression"),
    ([policy(query="vmknics[?")], "policies[0] (SITE-1).query", "malformed JMESPath expression"),
    ([policy(query="nosuchfn(vmknics)")], "policies[0] (SITE-1).query", "Unknown function"),
    ([policy(query="length(vmknics, portgroups)")], "policies[0] (SITE-1).query", "malformed"),
    ([policy(), policy(query="vmknics")], "policies[1] (SITE-1).id", "also the id of policies[0]"),
    ([policy(), policy(id="site-1")], "policies[1] (site-1).id", "also the id of policies[0]"),
    ([policy(id="MTU-9")], "policies[0] (MTU-9).id", "built-in rule family MTU"),
    ([policy(id="xh-7")], "policies[0] (xh-7).id", "built-in rule family XH"),
    ([policy(id="PB-20")], "policies[0] (PB-20).id", "built-in rule family PB"),
    ([policy(id="SF")], "policies[0] (SF).id", "built-in rule family SF"),
    ([policy(id="SITE 1")], "policies[0] (SITE 1).id", "must look like SITE-1"),
    ([policy(severity="fatal")], "policies[0] (SITE-1).severity", "must be one of error, warning"),
    ([policy(severity="info")], "policies[0] (SITE-1).severity", "must be one of"),
    ([policy(query="")], "policies[0] (SITE-1).query", "required"),
    ([policy(message=None)], "policies[0] (SITE-1).message", "required"),
    ([{"query": ISCSI_9000, "message": "m"}], "policies[0].id", "required"),
    ([policy(fix=3)], "policies[0] (SITE-1).fix", "must be a string"),
    ([policy(when="always")], "policies[0] (SITE-1).when", "unknown key"),
]


@pytest.mark.parametrize("raw, field, text", BAD, ids=["%s:%s" % (b[1], b[2]) for b in BAD])
def test_policy_errors_name_the_policy(raw, field, text):
    with pytest.raises(ArgumentError) as err:
        p.parse_policies(raw)
    assert err.value.field == field and text in str(err.value), str(err.value)


def test_every_builtin_family_in_the_rule_table_is_reserved():
    assert {r.rule.split("-")[0] for r in v.RULES} <= set(p.RESERVED_FAMILIES)


def test_runtime_type_error_names_policy_and_host():
    checked = p.parse_policies([policy(query="length(vmknics[0].mtu) > `1`")])
    with pytest.raises(ArgumentError) as err:
        list(p.evaluate(checked, H, doc()))
    assert err.value.field == "policies (SITE-1).query" and H in str(err.value) and "length()" in str(err.value)


def test_no_policies():
    assert p.parse_policies(None) == () and p.parse_policies([]) == ()
    assert list(p.evaluate((), H, doc())) == []
