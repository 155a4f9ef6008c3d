# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a no-op run costs: exactly the session, the one read and the bound sets (no re-read, no write), the
applier is never loaded, and the garbage collector paused for the run is enabled again afterwards."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _module
from ansible_collections.vmkfabric.vsphere.tests.functional.conftest import connection, run_in_process
from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import HOSTS, READ, REFERENCE, C

# A no-op run in a fresh interpreter, as AnsiballZ runs it; prints its result, then whether the applier was imported.
_FRESH = """
import contextlib, io, json, sys
from ansible.module_utils.testing import patch_module_args
from ansible_collections.vmkfabric.vsphere.plugins.modules import host_fabric
out = io.StringIO()
with patch_module_args(json.loads(sys.argv[1])), contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
    host_fabric.main()
print(json.dumps({"result": json.loads(out.getvalue()),
                  "applier": "ansible_collections.vmkfabric.vsphere.plugins.module_utils._apply._run" in sys.modules}))
"""


def args(sim):
    return dict(connection(sim), cluster=C, state="merged", config={h: REFERENCE[h] for h in HOSTS})


def test_a_no_op_run_reads_once_writes_nothing_and_never_loads_the_applier(sim):
    first = run_in_process("host_fabric", args(sim))
    assert first["changed"] and not first.get("failed"), first.get("msg")
    sim.reset_stats()
    proc = subprocess.run([sys.executable, "-c", _FRESH, json.dumps(args(sim))], capture_output=True, text=True, check=False,
                          timeout=300, env=dict(os.environ))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["result"]["changed"] is False and out["result"]["plan"] == [] and not out["result"].get("failed")
    assert out["applier"] is False
    stats = sim.stats()
    # one software iSCSI adapter with bindings per host: its bound set is read (rules MH-1, PB-*)
    assert stats["calls"] == {"RetrieveServiceContent": 1, "Login": 1, "RetrievePropertiesEx": READ,
                              "QueryBoundVnics": len(HOSTS), "Logout": 1}
    assert stats["writes"] == 0


def test_the_collector_is_paused_for_the_run_and_restored_after(sim, monkeypatch):
    seen = []
    read = _module.read

    def spy(*a, **k):
        seen.append(gc.isenabled())
        return read(*a, **k)
    monkeypatch.setattr(_module, "read", spy)
    assert gc.isenabled()
    result = run_in_process("host_fabric", dict(args(sim), _ansible_check_mode=True))
    assert not result.get("failed"), result.get("msg")
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        run_in_process("host_fabric", dict(args(sim), _ansible_check_mode=True))
        assert not gc.isenabled()  # a caller's own setting is kept
    finally:
        gc.enable()
