# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""First-time software iSCSI on a cluster: the applier turns software iSCSI on on every host
first and finds all the new adapters with one PropertyCollector read (no read per host). A
fault while enabling stops the run before any binding, names the hosts already changed, and
the rerun converges the rest; a fault on the third host's send target names the two hosts done.
These runs serve one host at a time (``parallel_hosts: 1``, hosts in name order); hosts in parallel
are in test_parallel_hosts.py."""

from __future__ import annotations

import pytest

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import BIND, HOSTS, ISCSI_FABRIC, READ, C

INFO = {"vmkfabric.vsphere.host_fabric_info": {"cluster": C}}
SEQUENTIAL_BIND = {"vmkfabric.vsphere.iscsi_adapter": dict(BIND["vmkfabric.vsphere.iscsi_adapter"], parallel_hosts=1)}


def software_enabled(playbook):
    info = playbook.run(INFO)
    assert not info[0].get("failed"), info.stdout
    return {h: [a["adapter"] for a in info[0]["gathered"][h]["iscsi"] if a["software"]] for h in HOSTS}


@pytest.fixture(scope="module")
def failed_enable(playbook, sim):
    base = playbook.run(*ISCSI_FABRIC)
    assert all(not r.get("failed") for r in base.results), base.stdout
    sim.arm_fault({"method": "UpdateSoftwareInternetScsiEnabled", "nth": 2, "fault": "HostConfigFault"})
    try:
        return playbook.run(SEQUENTIAL_BIND)
    finally:
        sim.disarm_faults()


def test_a_fault_while_enabling_stops_before_any_binding_and_names_what_changed(failed_enable):
    run = failed_enable
    assert run[0].get("failed") and run[0]["changed"] is True, run.stdout
    msg = run[0]["msg"]
    assert "esx02.lab.local: UpdateSoftwareInternetScsiEnabled failed" in msg
    assert "already changed in this run: esx01.lab.local (done: UpdateSoftwareInternetScsiEnabled(vmhba64))" in msg
    # per host: what was done, the call that failed, what was not done
    steps = run[0]["steps"]
    assert steps["esx01.lab.local"] == {"done": ["UpdateSoftwareInternetScsiEnabled(vmhba64)"],
                                        "not_done": ["BindVnic(vmhba64, vmk1)", "BindVnic(vmhba64, vmk2)"]}
    assert steps["esx02.lab.local"]["failed"] == "UpdateSoftwareInternetScsiEnabled(vmhba64)"
    assert steps["esx02.lab.local"]["outcome"] == "failed" and steps["esx02.lab.local"]["done"] == []
    assert steps["esx04.lab.local"] == {
        "done": [], "not_done": ["UpdateSoftwareInternetScsiEnabled(vmhba64)", "BindVnic(vmhba64, vmk1)",
                                 "BindVnic(vmhba64, vmk2)"]}
    # no network change in this task: software iSCSI goes on everywhere before any binding, so the
    # fault on the 2nd host leaves one host enabled and nothing bound, nothing read for adapters
    assert run.calls.get("UpdateSoftwareInternetScsiEnabled") == 2
    assert run.calls.get("BindVnic", 0) == 0 and run.calls.get("UpdateNetworkConfig", 0) == 0
    assert run.calls.get("RetrievePropertiesEx") == READ + 1  # the read and the SF-10 re-read


def test_the_simulator_holds_exactly_the_one_enabled_host(failed_enable, playbook):
    enabled = software_enabled(playbook)
    assert enabled["esx01.lab.local"] == ["vmhba64"]
    assert all(enabled[h] == [] for h in HOSTS[1:])


def test_the_rerun_enables_the_rest_and_reads_their_adapters_once(failed_enable, playbook):
    run = playbook.run(BIND)
    assert not run[0].get("failed"), run[0].get("msg")
    assert run.calls.get("UpdateSoftwareInternetScsiEnabled") == 3 and run.calls.get("BindVnic") == 8
    # read, SF-10 re-read, the 3 new adapters' names in one call, the iSCSI read-back
    assert run.calls.get("RetrievePropertiesEx") == READ + 3
    for h in HOSTS:
        (adapter,) = run[0]["after"][h]["iscsi"]
        assert adapter["adapter"] == "vmhba64" and adapter["bindings"] == ["vmk1", "vmk2"]
    again = playbook.run(BIND)
    assert again[0]["changed"] is False and again.writes == 0


TARGET = {"vmkfabric.vsphere.iscsi_target": {"cluster": C, "profile": "pure", "send_targets": [{"address": "10.10.20.100"}],
                                             "parallel_hosts": 1}}


def test_a_fault_on_the_third_host_names_the_two_done_and_the_rerun_finishes(failed_enable, playbook, sim):
    sim.arm_fault({"method": "AddInternetScsiSendTargets", "nth": 3, "fault": "HostConfigFault"})
    try:
        run = playbook.run(TARGET)
    finally:
        sim.disarm_faults()
    assert run[0].get("failed") and run[0]["changed"] is True, run.stdout
    msg = run[0]["msg"]
    assert "esx03.lab.local: AddInternetScsiSendTargets failed" in msg
    assert "already changed in this run: esx01.lab.local, esx02.lab.local" in msg
    assert run.calls.get("AddInternetScsiSendTargets") == 3 and run.calls.get("UpdateInternetScsiAdvancedOptions") == 2
    again = playbook.run(TARGET)
    assert not again[0].get("failed"), again[0].get("msg")
    assert again.calls.get("AddInternetScsiSendTargets") == 2  # only esx03 and esx04 were left
    assert {a["host"] for a in again[0]["plan"]} == {"esx03.lab.local", "esx04.lab.local"}
