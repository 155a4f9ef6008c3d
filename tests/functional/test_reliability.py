# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Unlucky runs end honestly: a connection dropped at any write step of the reference converge
reports changed=true with the steps done, the one whose outcome is unknown and those not done,
and the rerun converges to exactly the state of a clean converge; a task connected straight to
one ESXi host never changes it under another host's name; two concurrent converges of one
cluster: the loser stops at its first write having written nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

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
HOSTS = ("esx01.lab.local", "esx02.lab.local", "esx03.lab.local", "esx04.lab.local")
CONFIG = REFERENCE
INVENTORY = DEMO_INVENTORY
CONVERGE = {"vmkfabric.vsphere.host_fabric": {"cluster": "Cluster-A", "config": CONFIG}}


def converge(sim: Any, **extra: Any) -> dict[str, Any]:
    """The reference fabric as one host_fabric task, run in process (the playbook path is tested elsewhere)."""
    return run_in_process("host_fabric", dict(connection(sim), cluster="Cluster-A", config=CONFIG, **extra))


def gather(sim: Any) -> dict[str, Any]:
    return run_in_process("host_fabric_info", dict(connection(sim), cluster="Cluster-A"))["gathered"]


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The gathered fabric after one clean converge of the reference fabric."""
    with own_sim(INVENTORY, str(tmp_path_factory.mktemp("clean"))) as sim:
        run = converge(sim)
        assert not run.get("failed"), run.get("msg")
        return gather(sim)


# (method, nth): one write step of each kind in the reference converge; nth > 1 lands mid-run. The hosts are
# written one after the other (parallel_hosts: 1) so that the nth call is on a known host; a failure while
# hosts are written in parallel is tested in test_parallel_hosts.py.
WRITE_STEPS = [("UpdateNetworkConfig", 2), ("SelectVnicForNicType", 3), ("UpdateSoftwareInternetScsiEnabled", 1),
               ("BindVnic", 5), ("AddInternetScsiSendTargets", 4), ("UpdateInternetScsiAdvancedOptions", 2)]


@pytest.mark.parametrize("method, nth", WRITE_STEPS)
def test_a_dropped_connection_at_a_write_step_is_reported_and_the_rerun_converges(method, nth, clean, tmp_path):
    with own_sim(INVENTORY, str(tmp_path)) as sim:
        sim.arm_fault({"method": method, "nth": nth, "action": "drop"})
        try:
            result = converge(sim, parallel_hosts=1)
        finally:
            sim.disarm_faults()
        stats = sim.stats()
        assert result.get("failed") and result["changed"] is True, result
        assert "connection dropped" in result["msg"] and "is unknown" in result["msg"]
        steps = result["steps"]
        (host,) = [h for h, s in steps.items() if "failed" in s]
        assert steps[host]["outcome"] == "unknown" and steps[host]["failed"].startswith(method)
        done = Counter(label.split("(")[0] for s in steps.values() for label in s["done"])
        sent = {m: n - (1 if m == method else 0) for m, n in stats["calls"].items() if m in done or m == method}
        assert done == Counter({m: n for m, n in sent.items() if n}), (steps, stats)  # every confirmed call listed
        assert all(s["not_done"] for h, s in steps.items() if h > host)  # later hosts still have work
        rerun = converge(sim)
        assert not rerun.get("failed"), rerun.get("msg")
        assert gather(sim) == clean  # (the rerun of a converged fabric writing nothing is tested elsewhere)


ESXI = os.path.join(SIM_DIR, "inventories", "esxi.yml")
VMK = {"portgroup": "Scratch", "vswitch": "vSwitch0", "ip": {"address": "10.99.0.50", "netmask": "255.255.255.0"}}


@pytest.fixture(scope="module")
def esxi(collections_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Playbook]:
    with open(ESXI, encoding="utf-8") as fh:
        inventory = yaml.safe_load(fh)
    workdir = str(tmp_path_factory.mktemp("esxi"))
    with own_sim({k: v for k, v in inventory.items() if k != "credentials"}, workdir) as sim:
        yield Playbook(sim, collections_path, workdir)


def test_direct_esxi_refuses_another_hosts_name_with_zero_writes(esxi):
    run = esxi.run({"vmkfabric.vsphere.vmknic": dict(VMK, esxi_hostname="esx02.lab.local")},
                   {"vmkfabric.vsphere.vmknic": dict(VMK, esxi_hostname="esx02.lab.local")}, check=False)
    for result in run.results:
        assert result.get("failed") and not result["changed"]
        assert "esxi_hostname 'esx02.lab.local' is not the ESXi host at 127.0.0.1" in result["msg"]
        assert "esxi01.lab.local" in result["msg"]
    assert run.writes == 0


def test_direct_esxi_converges_under_its_own_name(esxi):
    run = esxi.run({"vmkfabric.vsphere.vmknic": dict(VMK, esxi_hostname="esxi01.lab.local")})
    assert not run[0].get("failed"), run[0].get("msg")
    assert run[0]["changed"] and run.calls.get("UpdateNetworkConfig") == 1
    again = esxi.run({"vmkfabric.vsphere.vmknic": dict(VMK, esxi_hostname="127.0.0.1")})  # the endpoint's address
    assert again[0]["changed"] is False and again.writes == 0


def test_validate_certs_false_warns(esxi):
    run = esxi.run({"vmkfabric.vsphere.host_fabric_info": {"esxi_hostname": "esxi01.lab.local", "validate_certs": False}})
    assert not run[0].get("failed"), run[0].get("msg")
    assert "validate_certs is false" in run.stdout


def test_two_concurrent_converges_the_loser_writes_nothing(collections_path, clean, tmp_path):
    """Both runs read and re-read before either writes (the re-read is slowed); the first
    UpdateNetworkConfig of the loser fails all or nothing, and it reports nothing done."""
    with own_sim(INVENTORY, str(tmp_path)) as sim:
        plays = [Playbook(sim, collections_path, str(tmp_path / name)) for name in ("a", "b")]
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
        paths = [p._write([CONVERGE], {}) for p in plays]  # pylint: disable=protected-access
        sim.arm_fault({"method": "UpdateNetworkConfig", "latency_ms": 300})
        procs = [subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i",
                                   os.path.join(ROOT, "playbooks", "inventory", "localhost.yml"), path],
                                  env=p.env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for p, path in zip(plays, paths, strict=True)]
        for proc in procs:
            proc.communicate(timeout=300)
        sim.disarm_faults()
        results = []
        for play in plays:
            with open(os.path.join(play.workdir, "results-1.json"), encoding="utf-8") as fh:
                results.append(json.load(fh)["r0"])
        winners = [r for r in results if not r.get("failed")]
        assert winners, results
        for loser in (r for r in results if r.get("failed")):
            assert loser["changed"] is False, loser["msg"]
            assert all(not s["done"] for s in loser.get("steps", {}).values()), loser["steps"]
            assert "AlreadyExists" in loser["msg"] or "SF-10" in loser["msg"], loser["msg"]
        assert gather(sim) == clean


def test_a_portgroup_entry_alone_is_applied_not_dropped(tmp_path):
    """A host_fabric port group entry without its vmknic entry changes that vmk's port group."""
    with own_sim(INVENTORY, str(tmp_path)) as sim:
        assert not converge(sim).get("failed")
        sim.reset_stats()
        doc = {"portgroups": [{"name": "Replica", "vlan": 41}]}
        args = dict(connection(sim), esxi_hostname="esx01.lab.local", config={"esx01.lab.local": doc})
        run = run_in_process("host_fabric", args)
        assert not run.get("failed") and run["changed"], run.get("msg")
        assert sim.stats()["calls"].get("UpdateNetworkConfig") == 1
        gathered = run_in_process("host_fabric_info", dict(connection(sim), esxi_hostname="esx01.lab.local"))
        (replica,) = [p for p in gathered["gathered"]["esx01.lab.local"]["portgroups"] if p["name"] == "Replica"]
        assert replica["vlan"] == 41
        assert run_in_process("host_fabric", args)["changed"] is False
