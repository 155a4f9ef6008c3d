# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""When the modules' action runs a module in ansible-playbook's process, and when it leaves it to a module process."""

from __future__ import annotations

import os
import sys
from types import SimpleNamespace
from typing import Any

import pytest
from ansible.module_utils import _internal

from ansible_collections.vmkfabric.vsphere.plugins.plugin_utils import _in_process

# Importing controller code (the action plugin) marks this process as ansible-playbook's: module warnings would
# then go to the controller's display instead of the module result that the module unit tests, run in this same
# pytest process, read. Nothing below needs the mark.
_internal.is_controller = False

HERE = sys.executable


def action(transport: str = "local", async_val: int = 0, delegate_to: str | None = None, become: bool = False) -> Any:
    """An InProcessAction with just what ``_runs_here`` looks at (no ActionBase construction)."""
    obj = _in_process.InProcessAction.__new__(_in_process.InProcessAction)
    obj._task = SimpleNamespace(async_val=async_val, delegate_to=delegate_to)
    obj._connection = SimpleNamespace(transport=transport)
    obj._play_context = SimpleNamespace(become=become)
    obj._templar = SimpleNamespace(template=lambda v: HERE if v == "{{ ansible_playbook_python }}" else v)
    return obj


@pytest.fixture(autouse=True)
def profiles(monkeypatch):
    monkeypatch.setattr(_in_process, "IN_PROCESS_SUPPORTED", True)


@pytest.mark.parametrize("interpreter", [HERE, "{{ ansible_playbook_python }}", os.path.join(os.path.dirname(HERE), ".", os.path.basename(HERE))])
def test_local_connection_with_ansible_playbooks_python_runs_here(interpreter):
    assert action()._runs_here({"ansible_python_interpreter": interpreter})


@pytest.mark.parametrize("make, task_vars", [
    (action, {}),  # discovered interpreter: found by running it
    (action, {"ansible_python_interpreter": "/usr/bin/python3.9"}),
    (lambda: action(transport="ssh"), {"ansible_python_interpreter": HERE}),
    (lambda: action(async_val=60), {"ansible_python_interpreter": HERE}),
    (lambda: action(become=True), {"ansible_python_interpreter": HERE}),
], ids=["discovered", "another-python", "ssh", "async", "become"])
def test_anything_else_runs_as_a_module_process(make, task_vars):
    assert not make()._runs_here(task_vars)


def test_an_ansible_core_without_serialization_profiles_runs_a_module_process(monkeypatch):
    monkeypatch.setattr(_in_process, "IN_PROCESS_SUPPORTED", False)
    assert not action()._runs_here({"ansible_python_interpreter": HERE})


def test_a_delegated_task_looks_at_the_delegate_hosts_interpreter():
    task_vars = {"ansible_python_interpreter": "/opt/esxi-has-no-python",
                 "ansible_delegated_vars": {"localhost": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}
    assert action(delegate_to="localhost")._runs_here(task_vars)
    assert not action()._runs_here(task_vars)
    other = {"ansible_python_interpreter": HERE,
             "ansible_delegated_vars": {"jump": {"ansible_python_interpreter": "/usr/bin/python3"}}}
    assert not action(delegate_to="jump")._runs_here(other)
