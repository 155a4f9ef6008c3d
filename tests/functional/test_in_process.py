# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The modules' action plugin: with ansible-playbook's own interpreter on a local connection (the inventories'
setting) a module runs inside ansible-playbook's worker process; with another interpreter it runs as a module
process (an AnsiballZ payload). Both give the same result, calls and refusals; the task's ``environment``
reaches the module either way."""

from __future__ import annotations

import os

import pytest
from conftest import BIN  # pylint: disable=import-error

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import HOSTS

CLUSTER = "Cluster-A"


@pytest.fixture(scope="module")
def other_python(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A different interpreter path (a wrapper around the same Python): the module then runs as its own process."""
    path = str(tmp_path_factory.mktemp("python") / "python.sh")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write('#!/bin/sh\nexec "%s" "$@"\n' % os.path.join(BIN, "python"))
    os.chmod(path, 0o755)
    return path


def both(playbook, other_python, task, **kw):
    """(in-process run, module-process run) of one task."""
    here = playbook.run(task, verbose=True, **kw)
    apart = playbook.run(dict(task, vars={"ansible_python_interpreter": other_python}), verbose=True, **kw)
    return here, apart


def payloads(run, module: str) -> int:
    """How often ansible-playbook put the module's AnsiballZ payload on disk (the harness's own tasks have theirs)."""
    return run.stdout.count("AnsiballZ_%s.py" % module)


def test_a_read_gives_the_same_result_in_process_and_as_a_module_process(playbook, other_python):
    here, apart = both(playbook, other_python, {"vmkfabric.vsphere.host_fabric_info": {"cluster": CLUSTER}})
    assert payloads(here, "host_fabric_info") == 0 and payloads(apart, "host_fabric_info") > 0
    assert not here[0].get("failed") and here[0]["gathered"] == apart[0]["gathered"]
    assert set(here[0]["gathered"]) == set(HOSTS)
    assert here.calls == apart.calls and here.writes == apart.writes == 0


def test_check_mode_and_refusals_are_the_same_in_process(playbook, other_python):
    task = {"vmkfabric.vsphere.vswitch": {"cluster": CLUSTER, "name": "vSwitch9", "uplinks": ["vmnic0"]}}
    here, apart = both(playbook, other_python, task, check=True)
    assert payloads(here, "vswitch") == 0 and payloads(apart, "vswitch") > 0
    assert here[0].get("failed") and here[0]["msg"] == apart[0]["msg"]  # vmnic0 carries vSwitch0 (management)
    assert [f["rule"] for f in here[0]["refused"]] == [f["rule"] for f in apart[0]["refused"]]
    assert here.writes == apart.writes == 0
    bad = {"vmkfabric.vsphere.host_fabric_info": {"cluster": CLUSTER, "parallel_hosts": 0}}
    here, apart = both(playbook, other_python, bad)
    assert here[0]["msg"] == apart[0]["msg"] and "parallel_hosts" in here[0]["msg"] and here.calls.get("Login", 0) == 0


def test_the_task_environment_reaches_the_module_in_process(playbook, other_python):
    task = {"vmkfabric.vsphere.host_fabric_info": {"cluster": CLUSTER}, "environment": {"VMWARE_PASSWORD": "wrong-password"}}
    here, apart = both(playbook, other_python, task)
    for run in (here, apart):
        assert run[0].get("failed") and run.calls.get("Login") == 1 and "gathered" not in run[0], run[0]
    assert here[0]["msg"] == apart[0]["msg"]
    assert "wrong-password" not in here.stdout


def test_a_task_delegated_to_localhost_runs_in_process(playbook, other_python):
    task = {"vmkfabric.vsphere.host_fabric_info": {"cluster": CLUSTER}, "delegate_to": "localhost"}
    here, apart = both(playbook, other_python, task)
    assert payloads(here, "host_fabric_info") == 0 and payloads(apart, "host_fabric_info") > 0
    assert here[0]["gathered"] == apart[0]["gathered"]
