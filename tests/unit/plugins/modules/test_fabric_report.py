# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fabric_report module door, in process: check mode through Ansible, changed only when the file changes,
a bad input fails the task with the option's name and writes nothing."""

from __future__ import annotations

import importlib
import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import host_to_doc
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

MODULE = "ansible_collections.vmkfabric.vsphere.plugins.modules.fabric_report"
H = "esx01.lab.local"


def run_module(capsys, args):
    with patch_module_args(args), pytest.raises(SystemExit):
        importlib.import_module(MODULE).main()
    return json.loads(capsys.readouterr().out)


def test_check_mode_then_write_then_unchanged(capsys, tmp_path):
    args = {"gathered": {H: host_to_doc(b.iscsi_host(H))}, "dest": str(tmp_path / "report.html")}
    out = run_module(capsys, dict(args, _ansible_check_mode=True))
    assert out["changed"] is True and not out.get("failed") and not (tmp_path / "report.html").exists()
    out = run_module(capsys, args)
    assert out["changed"] is True and out["hosts"] == [H] and out["junit"] is None
    assert out["counts"] == {"hosts": 1, "errors": 0, "warnings": 0, "actions": 0}
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")
    assert run_module(capsys, args)["changed"] is False


def test_bad_input_fails_the_task_and_writes_nothing(capsys, tmp_path):
    out = run_module(capsys, {"gathered": {H: host_to_doc(b.iscsi_host(H))}, "dest": str(tmp_path / "r.html"),
                              "plan": {"plan": [{"host": "esx09", "op": "add", "kind": "vmk", "name": "vmk1"}]}})
    assert out["failed"] is True and out["changed"] is False
    assert out["msg"].startswith("plan.plan[0].host: 'esx09' is not in gathered")
    assert list(tmp_path.iterdir()) == []
