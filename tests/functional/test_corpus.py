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
import json
import os
import pkgutil
import subprocess
import sys
from collections import Counter
from typing import Any

import pytest
import yaml

from ansible_collections.vmkfabric.vsphere.tests.functional.conftest import (
    BIN,
    LOCALHOST,
    SIM_DIR,
    Playbook,
    connection,
    own_sim,
    run_in_process,
)
from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import DEMO_INVENTORY, REFERENCE

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(ROOT, "tests", "corpus", "cases.yml"), encoding="utf-8") as _fh:
    _CORPUS = yaml.safe_load(_fh)
CASES: list[dict[str, Any]] = _CORPUS["cases"]
ROLE_CASES: list[dict[str, Any]] = _CORPUS["role_cases"]
CONFIG = REFERENCE
INVENTORY = DEMO_INVENTORY


def write_methods() -> frozenset[str]:
    """Every method some simulated managed object declares as changing state (its WRITES), over
    every module of the simulator package."""
    if SIM_DIR not in sys.path:
        sys.path.insert(0, SIM_DIR)
    package = importlib.import_module("vsphere_sim")
    out: set = set()
    for info in pkgutil.iter_modules(package.__path__):
        if info.name == "__main__":
            continue
        module = importlib.import_module("vsphere_sim." + info.name)
        for _n, cls in inspect.getmembers(module, inspect.isclass):
            out |= set(getattr(cls, "WRITES", ()))
    assert {"UpdateNetworkConfig", "BindVnic", "CreateDVPortgroup_Task", "UpdateDnsConfig"} <= out
    return frozenset(out)


def test_the_corpus_is_large_and_well_formed():
    ids = [c["id"] for c in CASES + ROLE_CASES]
    assert len(ids) >= 80 and len(ids) == len(set(ids))
    assert {c["role"] for c in ROLE_CASES} == {"host_fabric", "iscsi_multipath", "vmotion_multinic", "replica_network"}
    assert {c["baseline"] for c in CASES} <= {"fresh", "converged"}
    assert all(c.get("expect") for c in CASES)
    assert len({c["module"] for c in CASES}) >= 9  # every module


@pytest.mark.parametrize("baseline, part", [("fresh", 0), ("converged", 0), ("converged", 1)])
def test_every_bad_input_is_refused_with_its_field_or_rule_and_no_write(baseline, part, tmp_path, record_property):
    """Run in process (the module exactly as Ansible runs it), in two halves so that xdist can share them."""
    cases = [c for c in CASES if c["baseline"] == baseline]
    cases = cases[part::2] if baseline == "converged" else cases
    writes = write_methods()
    problems: list[str] = []
    counts: Counter = Counter()
    with own_sim(INVENTORY, str(tmp_path)) as sim:
        if baseline == "converged":
            ready = run_in_process("host_fabric", dict(connection(sim), cluster="Cluster-A", config=CONFIG))
            assert not ready.get("failed"), ready.get("msg")
        for check in (False, True):
            mode = "check" if check else "normal"
            sim.reset_stats()
            for case in cases:
                args = dict(case["args"], _ansible_check_mode=check)
                if case["module"] not in ("fabric_validate", "fabric_report"):  # no connection options
                    args = dict(connection(sim), **args)
                result = run_in_process(case["module"], args)
                msg = str(result.get("msg", ""))
                where = "%s [%s]" % (case["id"], mode)
                if not result.get("failed"):
                    problems.append("%s: not refused: %s" % (where, {k: result.get(k) for k in ("changed", "plan")}))
                elif case["expect"] not in msg:
                    problems.append("%s: %r not in message: %s" % (where, case["expect"], msg))
                elif "Traceback" in msg or "Unexpected error" in msg or result.get("exception"):
                    counts["tracebacks"] += 1
                    problems.append("%s: traceback or unexpected error: %s" % (where, msg))
                elif result.get("changed"):
                    problems.append("%s: reports changed" % where)
                else:
                    counts["refused"] += 1
            attempted = {m: n for m, n in sim.stats()["calls"].items() if m in writes}
            if attempted:
                problems.append("%s runs attempted writes: %s" % (mode, attempted))
            counts["write calls"] += sum(attempted.values())
    record_property("corpus", "modules, %s baseline (part %d): %d cases x 2 modes: %d refused as expected, %d write "
                    "calls, %d tracebacks, %d problems" % (baseline, part + 1, len(cases), counts["refused"],
                                                           counts["write calls"], counts["tracebacks"], len(problems)))
    assert not problems, "\n".join(problems)


def test_every_bad_role_input_is_refused_before_any_connection(collections_path, tmp_path, record_property):
    """Each role case as include_role in a block whose rescue records the failure: refused with
    its variable or rule, normally and in check mode, and the simulator sees no call at all."""
    problems: list[str] = []
    with own_sim(INVENTORY, str(tmp_path)) as sim:
        play = Playbook(sim, collections_path, str(tmp_path))
        tasks: list[dict[str, Any]] = [{"name": case["id"], "block": [
            {"name": "run", "ansible.builtin.include_role": {"name": "vmkfabric.vsphere." + case["role"]},
             "vars": case["vars"]},
            {"name": "accepted", "ansible.builtin.set_fact": {"outcome": "NOT REFUSED"}}],
            "rescue": [{"name": "refused", "ansible.builtin.set_fact": {
                "outcome": "{{ ansible_failed_result.msg | default(ansible_failed_result) | string }}"}}],
            "always": [{"name": "keep", "ansible.builtin.set_fact": {
                "outcomes": "{{ outcomes | default({}) | combine({%r: outcome}) }}" % case["id"]}}]}
            for case in ROLE_CASES]
        out = os.path.join(str(tmp_path), "outcomes.json")
        tasks.append({"name": "keep the outcomes", "ansible.builtin.copy": {
            "content": "{{ outcomes | to_json }}", "dest": out, "mode": "0600"}, "check_mode": False})
        path = os.path.join(str(tmp_path), "roles.yml")
        with open(path, "w", encoding="utf-8") as fh:
            yaml.safe_dump([{"name": "role corpus", "hosts": "localhost", "gather_facts": False, "module_defaults": {
                "group/vmkfabric.vsphere.vsphere": {"ca_path": sim.ca_file}}, "tasks": tasks}], fh, sort_keys=False)
        for check in (False, True):
            sim.reset_stats()
            proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", LOCALHOST, path] + (["--check"] if check else []),
                                  env=play.env(), capture_output=True, text=True, timeout=600, check=False)
            assert os.path.exists(out), proc.stdout + proc.stderr
            with open(out, encoding="utf-8") as fh:
                outcomes = json.load(fh)
            os.unlink(out)
            for case in ROLE_CASES:
                msg = outcomes.get(case["id"], "NOT RUN")
                if msg in ("NOT REFUSED", "NOT RUN") or case["expect"] not in msg:
                    problems.append("%s [%s]: %r not in %s" % (case["id"], "check" if check else "normal",
                                                               case["expect"], msg[:400]))
            if sim.stats().get("total"):
                problems.append("the simulator saw calls: %s" % sim.stats()["calls"])
    record_property("corpus", "roles: %d cases x 2 modes: %d refused as expected, 0 simulator calls, %d problems"
                    % (len(ROLE_CASES), 2 * len(ROLE_CASES) - len(problems), len(problems)))
    assert not problems, "\n".join(problems)
