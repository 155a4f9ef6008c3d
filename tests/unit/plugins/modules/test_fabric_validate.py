# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fabric_validate module door, in process: exit/fail contract, warnings, no connection layer."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import host_to_doc
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

MODULE = "ansible_collections.vmkfabric.vsphere.plugins.modules.fabric_validate"
H, H2 = "esx01.lab.local", "esx02.lab.local"


def docs():
    return {h: host_to_doc(b.storage_host(h)) for h in (H, H2)}


@pytest.fixture(autouse=True)
def no_leftover_warnings(monkeypatch):
    """Ansible keeps module warnings in a process-global registry: start every test empty."""
    from ansible.module_utils.common import warnings

    monkeypatch.setattr(warnings, "_global_warnings", {})


def run_module(capsys, args):
    mod = importlib.import_module(MODULE)
    with patch_module_args(args), pytest.raises(SystemExit):
        mod.main()
    return json.loads(capsys.readouterr().out)


def test_valid_plan_exits_unchanged(capsys):
    out = run_module(capsys, {"config": docs(), "gathered": docs()})
    assert not out.get("failed") and out["changed"] is False and out["valid"] is True
    assert out["plan"] == [] and out["findings"] == [] and "warnings" not in out


def test_refused_plan_fails_with_the_refusal_format(capsys):
    config = docs()
    config[H2]["vmknics"][1]["ip"]["address"] = config[H]["vmknics"][1]["ip"]["address"]
    out = run_module(capsys, {"config": config, "gathered": docs()})
    assert out["failed"] and out["changed"] is False and out["valid"] is False
    assert out["msg"].startswith("plan refused: 2 errors, 0 warnings (no changes made) [XH-1] host=esx01.lab.local")
    assert [f["rule"] for f in out["refused"]] == ["XH-1", "XH-1"] and out["rendered"].startswith("plan refused")


def test_warnings_are_ansible_warnings_and_fail_on_never_reports(capsys):
    policy = {"id": "SITE-1", "severity": "warning", "message": "use MTU 9000", "query": "vmknics[?mtu != `9000`]"}
    out = run_module(capsys, {"config": docs(), "policies": [policy]})
    assert not out.get("failed") and out["valid"] and len(out["warnings"]) == len(out["findings"]) == 4
    first = out["warnings"][0]
    text = first["event"]["msg"] if isinstance(first, dict) else first  # ansible-core 2.19 returns warning summaries
    assert text.startswith("[SITE-1] host=esx01.lab.local object=vmk:vmk0: use MTU 9000")
    out = run_module(capsys, {"config": docs(), "policies": [dict(policy, severity="error")], "fail_on": "never"})
    assert not out.get("failed") and out["valid"] is False and len(out["refused"]) == 4


def test_argument_errors_fail_cleanly(capsys):
    out = run_module(capsys, {"config": {H: {"vmknics": [{"portgroup": "P", "ip": {"address": "1.2.3.4"}}]}}})
    assert out["failed"] and out["msg"] == "config.esx01.lab.local.vmknics[0].ip.netmask: required with a static " \
        "address (or set dhcp: true)"
    out = run_module(capsys, {"config": docs(), "policies": [{"id": "SITE-1", "query": "[?", "message": "m"}]})
    assert out["failed"] and out["msg"].startswith("policies[0] (SITE-1).query: malformed JMESPath expression")


def test_missing_jmespath_is_reported_only_when_policies_are_given(capsys, monkeypatch):
    mod = importlib.import_module(MODULE)
    monkeypatch.setattr(mod, "HAS_JMESPATH", False)
    out = run_module(capsys, {"config": docs(), "policies": [{"id": "SITE-1", "query": "vmknics", "message": "m"}]})
    assert out["failed"] and "jmespath" in out["msg"]
    assert run_module(capsys, {"config": docs()})["valid"] is True


def test_connection_options_are_not_accepted(capsys):
    out = run_module(capsys, {"config": docs(), "hostname": "vc.lab.local"})
    assert out["failed"] and "hostname" in out["msg"]


def test_the_module_loads_no_connection_layer():
    import ansible_collections.vmkfabric.vsphere as coll  # importable through tests/conftest.py

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(list(coll.__path__)[0]))))
    code = ("import sys; sys.path.insert(0, %r); sys.modules['pyVmomi'] = None; import %s; "
            "print(sorted(m for m in sys.modules if m.split('.')[-1] in ('_client', '_reader', '_network', '_run', '_module')))"
            % (root, MODULE))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_fabric_validate_accepts_exactly_the_flags_of_the_rules_it_evaluates():
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._validator import FLAG_RULES, RULES
    from ansible_collections.vmkfabric.vsphere.plugins.modules import fabric_validate as fv
    flags = {k for k, v in fv.ARGUMENT_SPEC.items() if v.get("type") == "bool"}
    assert flags == {r.flag for r in RULES if r.flag} == set(FLAG_RULES)


@pytest.mark.parametrize("module", ["vswitch", "vmknic", "vmotion_multinic", "replica_vmknic", "iscsi_adapter",
                                    "iscsi_target", "host_fabric"])
def test_every_module_takes_only_flags_that_some_rule_honours(module):
    import importlib
    import re

    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._validator import FLAG_RULES
    with open(importlib.import_module("ansible_collections.vmkfabric.vsphere.plugins.modules." + module).__file__,
              encoding="utf-8") as fh:
        source = fh.read()
    named = set(re.findall(r'"((?:allow|physical)_[a-z_]+)"', source))
    assert named <= set(FLAG_RULES), named - set(FLAG_RULES)


def test_a_tp5_deviation_downgrades_offline_with_its_flag():
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._offline import run as offline
    config = {"esx01.lab.local": {"iscsi": [{"software": True, "enabled": True, "send_targets": [
        {"address": "10.10.20.100", "profile": "pure", "options": {"login_timeout": 60}}]}]}}
    base = {"config": config, "gathered": None, "policies": None, "fail_on": "error"}
    failed, _result = offline(dict(base))
    assert failed and "TP-5" in failed
    failed, result = offline(dict(base, allow_profile_deviation=True))
    assert not failed and [f["rule"] for f in result["findings"] if f["rule"] == "TP-5"] == ["TP-5"]
