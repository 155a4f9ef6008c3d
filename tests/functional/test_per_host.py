# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Per-host inventory mode, as AWX job slicing runs it: the ESXi hosts are the inventory, every
task runs with ``esxi_hostname: "{{ inventory_hostname }}"`` and ``delegate_to: localhost``.
The reference fabric converges host by host (one login and one UpdateNetworkConfig each, in
parallel forks), ends in the same state as the cluster-mode demo, reruns with no write, and a
``--limit`` slice touches only its own host."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import HOSTS
from conftest import BIN, ROOT, Playbook  # pylint: disable=import-error

PLAY = [{
    "name": "per-host fabric",
    "hosts": "esxi",
    "gather_facts": False,
    "vars_files": [os.path.join(ROOT, "playbooks", "vars", "reference_fabric.yml")],
    "tasks": [
        {"name": "converge this host", "delegate_to": "localhost", "register": "fabric",
         "vmkfabric.vsphere.host_fabric": {"esxi_hostname": "{{ inventory_hostname }}", "ca_path": "{{ ca_path }}",
                                           "config": "{{ {inventory_hostname: fabric_config[inventory_hostname]} }}"}},
        {"name": "keep the result", "delegate_to": "localhost", "check_mode": False, "diff": False,
         "ansible.builtin.copy": {"content": "{{ fabric | to_json }}", "dest": "{{ out_dir }}/{{ inventory_hostname }}.json",
                                  "mode": "0600"}},
    ],
}]


class PerHost:
    def __init__(self, sim, collections_path, workdir):
        self.sim, self.workdir = sim, workdir
        self.env = Playbook(sim, collections_path, workdir).env()
        self.play = os.path.join(workdir, "per-host.yml")
        with open(self.play, "w", encoding="utf-8") as fh:
            json.dump(PLAY, fh)
        self.inventory = os.path.join(workdir, "hosts.json")  # YAML/JSON: an ini value cannot hold "{{ x }}"
        with open(self.inventory, "w", encoding="utf-8") as fh:
            json.dump({"all": {
                "hosts": {"localhost": {"ansible_connection": "local",
                                        "ansible_python_interpreter": "{{ ansible_playbook_python }}"}},
                "children": {"esxi": {"hosts": {h: {} for h in HOSTS}}}}}, fh)

    def run(self, *extra):
        out = os.path.join(self.workdir, "out-%d" % len(os.listdir(self.workdir)))
        os.makedirs(out)
        self.sim.reset_stats()
        proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", self.inventory, "-f", "4", self.play,
                               "-e", json.dumps({"ca_path": self.sim.ca_file, "out_dir": out}), *extra],
                              env=self.env, capture_output=True, text=True, timeout=300, check=False)
        results = {}
        for name in os.listdir(out):
            with open(os.path.join(out, name), encoding="utf-8") as fh:
                results[name[:-5]] = json.load(fh)
        return proc, results, self.sim.stats()


@pytest.fixture(scope="module")
def per_host(sim, collections_path, tmp_path_factory):
    return PerHost(sim, collections_path, str(tmp_path_factory.mktemp("per-host")))


@pytest.fixture(scope="module")
def converged(per_host):
    return per_host.run()


def test_every_host_converges_with_its_own_login_and_one_write(converged):
    proc, results, stats = converged
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(results) == set(HOSTS) and all(r["changed"] and not r.get("failed") for r in results.values())
    calls = stats["calls"]
    assert calls["Login"] == 4 and calls["UpdateNetworkConfig"] == 4 and calls["BindVnic"] == 8
    for h, r in results.items():
        assert set(r["hosts"]) == {h}  # each run saw only its own host
        (adapter,) = r["after"][h]["iscsi"]
        assert adapter["bindings"] == ["vmk1", "vmk2"]


def test_the_hosts_end_as_the_cluster_run_leaves_them(converged, playbook):
    info = playbook.run({"vmkfabric.vsphere.host_fabric_info": {"cluster": "Cluster-A"}})
    for h in HOSTS:
        doc = info[0]["gathered"][h]
        vmks = {v["portgroup"]: (v["device"], v["ip"]["address"], v["services"]) for v in doc["vmknics"]}
        assert vmks["vMotion-A"][2] == ["vmotion"] and vmks["Replica"][2] == []
        assert [vmks[p][0] for p in ("iSCSI-A", "iSCSI-B", "vMotion-A", "vMotion-B", "Replica")] == [
            "vmk1", "vmk2", "vmk3", "vmk4", "vmk5"]
        (send,) = doc["iscsi"][0]["send_targets"]
        assert send["options"] == {"delayed_ack": False, "login_timeout": 30}


def test_rerun_writes_nothing(converged, per_host):
    proc, results, stats = per_host.run()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert all(r["changed"] is False for r in results.values()) and stats["writes"] == 0
    assert stats["calls"]["Login"] == 4 and stats["calls"]["RetrievePropertiesEx"] == 4


def test_a_slice_touches_only_its_host(converged, per_host, playbook):
    moved = {"vmkfabric.vsphere.vmknic": {"esxi_hostname": HOSTS[1], "portgroup": "Replica", "mtu": 1500}}
    assert not playbook.run(moved)[0].get("failed")
    proc, results, stats = per_host.run("--limit", HOSTS[1])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(results) == {HOSTS[1]} and results[HOSTS[1]]["changed"]
    assert stats["calls"]["Login"] == 1 and stats["calls"]["UpdateNetworkConfig"] == 1
