# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""First-time software iSCSI on a cluster: the applier turns software iSCSI on on every host
first and finds all the new adapters with one PropertyCollector read (no read per host). A
fault while enabling stops the run before any binding, names the hosts already changed, and
the rerun converges the rest."""

from __future__ import annotations

import pytest

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import BIND, C, HOSTS, ISCSI_FABRIC

INFO = {"vmkfabric.vsphere.host_fabric_info": {"cluster": C}}


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
        return playbook.run(BIND)
    finally:
        sim.disarm_faults()


def test_a_fault_while_enabling_stops_before_any_binding_and_names_what_changed(failed_enable):
    run = failed_enable
    assert run[0].get("failed") and run[0]["changed"] is True, run.stdout
    msg = run[0]["msg"]
    assert "esx02.lab.local: UpdateSoftwareInternetScsiEnabled failed" in msg
    assert "already changed in this run: esx01.lab.local (software iSCSI enabled)" in msg
    # software iSCSI goes on everywhere before anything else: the fault on the 2nd host leaves
    # one host enabled and nothing bound, nothing read for adapters
    assert run.calls.get("UpdateSoftwareInternetScsiEnabled") == 2
    assert run.calls.get("BindVnic", 0) == 0 and run.calls.get("UpdateNetworkConfig", 0) == 0
    assert run.calls.get("RetrievePropertiesEx") == 2  # the read and the SF-10 re-read


def test_the_simulator_holds_exactly_the_one_enabled_host(failed_enable, playbook):
    enabled = software_enabled(playbook)
    assert enabled["esx01.lab.local"] == ["vmhba64"]
    assert all(enabled[h] == [] for h in HOSTS[1:])


def test_the_rerun_enables_the_rest_and_reads_their_adapters_once(failed_enable, playbook):
    run = playbook.run(BIND)
    assert not run[0].get("failed"), run[0].get("msg")
    assert run.calls.get("UpdateSoftwareInternetScsiEnabled") == 3 and run.calls.get("BindVnic") == 8
    # read, SF-10 re-read, the 3 new adapters' names in one call, the iSCSI read-back
    assert run.calls.get("RetrievePropertiesEx") == 4
    for h in HOSTS:
        (adapter,) = run[0]["after"][h]["iscsi"]
        assert adapter["adapter"] == "vmhba64" and adapter["bindings"] == ["vmk1", "vmk2"]
    again = playbook.run(BIND)
    assert again[0]["changed"] is False and again.writes == 0
