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

import os

import pytest
from conftest import ROOT, PerHost  # pylint: disable=import-error

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import HOSTS, READ

TASK = {"vmkfabric.vsphere.host_fabric": {
    "esxi_hostname": "{{ inventory_hostname }}", "config": "{{ {inventory_hostname: fabric_config[inventory_hostname]} }}"}}


@pytest.fixture(scope="module")
def per_host(sim, collections_path, tmp_path_factory):
    return PerHost(sim, collections_path, str(tmp_path_factory.mktemp("per-host")), HOSTS, TASK,
                   vars_files=[os.path.join(ROOT, "playbooks", "vars", "reference_fabric.yml")])


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
    assert stats["calls"]["Login"] == 4 and stats["calls"]["RetrievePropertiesEx"] == 4 * READ


def test_a_slice_touches_only_its_host(converged, per_host, playbook):
    moved = {"vmkfabric.vsphere.vmknic": {"esxi_hostname": HOSTS[1], "portgroup": "Replica", "mtu": 1500}}
    assert not playbook.run(moved)[0].get("failed")
    proc, results, stats = per_host.run("--limit", HOSTS[1])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(results) == {HOSTS[1]} and results[HOSTS[1]]["changed"]
    assert stats["calls"]["Login"] == 1 and stats["calls"]["UpdateNetworkConfig"] == 1
