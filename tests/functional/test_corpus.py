# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The bad-input corpus (tests/corpus/cases.yml): every case, normally and in check mode, fails
with a message naming its field or rule, shows no traceback, and no write method is even
attempted on the simulator (counted from its per-method call counters, failed calls included)."""

from __future__ import annotations

import importlib
import inspect
import os
import sys
from collections import Counter
from typing import Any, Dict, FrozenSet, List

import pytest
import yaml

from ansible_collections.vmkfabric.vsphere.tests.functional.conftest import (
    SIM_DIR,
    Playbook,
    connection,
    own_sim,
    run_in_process,
)
from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import DEMO_INVENTORY, REFERENCE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(ROOT, "tests", "corpus", "cases.yml"), encoding="utf-8") as _fh:
    CASES: List[Dict[str, Any]] = yaml.safe_load(_fh)["cases"]
CONFIG = REFERENCE
INVENTORY = DEMO_INVENTORY


def write_methods() -> FrozenSet[str]:
    """Every method some simulated managed object declares as changing state (its WRITES)."""
    if SIM_DIR not in sys.path:
        sys.path.insert(0, SIM_DIR)
    out: set = set()
    for name in ("objects", "dvs", "iscsi", "storage"):
        module = importlib.import_module("vsphere_sim." + name)
        for _n, cls in inspect.getmembers(module, inspect.isclass):
            out |= set(getattr(cls, "WRITES", ()))
    return frozenset(out)


def test_the_corpus_is_large_and_well_formed():
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 80 and len(ids) == len(set(ids))
    assert {c["baseline"] for c in CASES} <= {"fresh", "converged"}
    assert all(c.get("expect") for c in CASES)
    assert len({c["module"] for c in CASES}) >= 9  # every module


@pytest.mark.parametrize("baseline", ["fresh", "converged"])
def test_every_bad_input_is_refused_with_its_field_or_rule_and_no_write(baseline, collections_path, tmp_path, capsys):
    cases = [c for c in CASES if c["baseline"] == baseline]
    writes = write_methods()
    problems: List[str] = []
    counts: Counter = Counter()
    with own_sim(INVENTORY, str(tmp_path)) as sim:
        if baseline == "converged":
            ready = Playbook(sim, collections_path, str(tmp_path)).run(
                {"vmkfabric.vsphere.host_fabric": {"cluster": "Cluster-A", "config": CONFIG}})
            assert not ready[0].get("failed"), ready.stdout
        for check in (False, True):
            mode = "check" if check else "normal"
            sim.reset_stats()
            for case in cases:
                args = dict(case["args"], _ansible_check_mode=check)
                if case["module"] != "fabric_validate":
                    args = dict(connection(sim), **args)
                result = run_in_process(case["module"], args)
                msg = str(result.get("msg", ""))
                where = "%s [%s]" % (case["id"], mode)
                if not result.get("failed"):
                    problems.append("%s: not refused: %s" % (where, {k: result.get(k) for k in ("changed", "plan")}))
                elif case["expect"] not in msg:
                    problems.append("%s: %r not in message: %s" % (where, case["expect"], msg))
                elif "Traceback" in msg or "Unexpected error" in msg or result.get("exception"):
                    problems.append("%s: traceback or unexpected error: %s" % (where, msg))
                elif result.get("changed"):
                    problems.append("%s: reports changed" % where)
                else:
                    counts["refused"] += 1
            attempted = {m: n for m, n in sim.stats()["calls"].items() if m in writes}
            if attempted:
                problems.append("%s runs attempted writes: %s" % (mode, attempted))
            counts["write calls"] += sum(attempted.values())
    with capsys.disabled():
        print("\ncorpus %s: %d cases x 2 modes: %d refused as expected, %d write calls, %d problems"
              % (baseline, len(cases), counts["refused"], counts["write calls"], len(problems)))
    assert not problems, "\n".join(problems)
