# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action plugin of this collection's modules: run the module inside ansible-playbook's worker process
when that is the process it would run in anyway.

Private to this collection.

A module task normally costs a Python process of its own: ansible-playbook builds the module's payload (it
parses the source of every module_util the module imports), starts the interpreter, which compiles the
collection and ansible-core's module_utils from the payload's zip, and parses the printed result. For a
module that talks to vCenter from the controller that is most of a small task's time. When the task's
connection is ``local`` and its Python interpreter is ansible-playbook's own (what the collection's
inventories set: ``ansible_python_interpreter: "{{ ansible_playbook_python }}"``), the module would run on
this machine, with this Python and these libraries: the action runs the module's ``main()`` here instead, in
the worker process ansible-playbook forked for this task (so nothing it sets outlives the task), with the
arguments, check/diff/no_log flags and environment the module process would get, and returns the result
through the same parsing. Anything else (another interpreter, another connection, ``async``, ``become``,
an ansible-core other than 2.19 and 2.20) runs the module the usual way.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import sys
from typing import Any

from ansible.plugins.action import ActionBase
from ansible.plugins.action.normal import ActionModule as NormalAction

try:
    # ansible-core 2.19 and 2.20: serialization profiles for module arguments and results, results as dicts.
    # Older releases have no profiles, and 2.21 parses module results into its own result type: there the
    # module runs as its own process, as it always did.
    from ansible.module_utils import basic
    from ansible.module_utils.common.json import Direction, get_module_encoder
    from ansible.vars.clean import remove_internal_keys
    IN_PROCESS_SUPPORTED = hasattr(basic, "_ANSIBLE_PROFILE")  # what this module uses is all there
except ImportError:
    IN_PROCESS_SUPPORTED = False

PROFILE = "legacy"
"""The serialization profile of this collection's modules (they declare none, so ansible-core uses this one)."""
MODULES = "ansible_collections.vmkfabric.vsphere.plugins.modules."


class InProcessAction(NormalAction):
    """``normal`` (the action of every plain module), run in this process when it may."""

    def run(self, tmp: Any = None, task_vars: dict[str, Any] | None = None) -> dict[str, Any]:
        task_vars = task_vars if task_vars is not None else {}
        if not self._runs_here(task_vars):
            return dict(super().run(tmp, task_vars))
        result = dict(ActionBase.run(self, tmp, task_vars))  # not normal's run (it runs the module process)
        result.update(self._run_here(task_vars))
        return result

    def _runs_here(self, task_vars: dict[str, Any]) -> bool:
        """True when the module would run on this machine with this Python as this user: local connection, no
        async, no become, the task's interpreter is ansible-playbook's own."""
        if not IN_PROCESS_SUPPORTED or self._task.async_val or getattr(self._connection, "transport", None) != "local":
            return False
        if self._play_context.become:
            return False  # the module process runs as the become user; this process is ansible-playbook's user
        host_vars = task_vars
        if self._task.delegate_to:
            host_vars = (task_vars.get("ansible_delegated_vars") or {}).get(self._task.delegate_to, task_vars)
        interpreter = host_vars.get("ansible_python_interpreter")
        if not interpreter:
            return False  # discovered: whichever Python that is, it is found by running it
        interpreter = self._templar.template(interpreter)
        return isinstance(interpreter, str) and os.path.realpath(interpreter) == os.path.realpath(sys.executable)

    def _run_here(self, task_vars: dict[str, Any]) -> dict[str, Any]:
        name = self._task.resolved_action or self._task.action
        args = dict(self._task.args)
        self._update_module_args(name, args, task_vars)
        environment: dict[str, str] = {}
        self._compute_environment_string(environment)
        basic._ANSIBLE_ARGS = json.dumps({"ANSIBLE_MODULE_ARGS": args},
                                         cls=get_module_encoder(PROFILE, Direction.CONTROLLER_TO_MODULE)).encode()
        basic._ANSIBLE_PROFILE = PROFILE
        module = importlib.import_module(MODULES + name.rpartition(".")[2])
        out = io.StringIO()
        saved = dict(os.environ)
        os.environ.update({k: str(v) for k, v in environment.items()})
        try:
            with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
                module.main()  # exit_json / fail_json print the result and raise SystemExit
        finally:
            os.environ.clear()
            os.environ.update(saved)
            basic._ANSIBLE_ARGS = None
        data: dict[str, Any] = self._parse_returned_data({"stdout": out.getvalue(), "stderr": "", "rc": 0}, PROFILE)
        remove_internal_keys(data)
        return data
