# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cost on the wire: cluster mode (4 hosts, one login, one read) and the exact call count of
creating one vmk with a teaming override and one service on one host."""

from __future__ import annotations

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import HOSTS, READ, portgroup_of, vmk_of

# Connect: RetrieveServiceContent (kept for the whole run) + Login; disconnect: Logout with that content.
SESSION_CALLS = {"RetrieveServiceContent": 1, "Login": 1, "Logout": 1}


def test_one_vmk_with_teaming_override_and_a_service_costs_the_minimum(playbook):
    run = playbook.run({"vmkfabric.vsphere.vmknic": {
        "esxi_hostname": "esx02.lab.local", "portgroup": "vMotion-Solo", "vswitch": "vSwitch0", "vlan": 31,
        "ip": {"address": "10.10.30.112", "netmask": "255.255.255.0"}, "services": ["vmotion"],
        "teaming": {"active": ["vmnic1"], "standby": ["vmnic0"]}}})
    r = run[0]
    assert r["changed"] and not r.get("failed"), r.get("msg")
    # two reads: the one read, and the re-read just before the first write (rule SF-10)
    expected = dict(SESSION_CALLS, RetrievePropertiesEx=READ + 1, UpdateNetworkConfig=1, SelectVnicForNicType=1)
    assert run.calls == expected, run.calls
    assert run.writes == 2 and run.stats["total"] == sum(expected.values())
    vmk = vmk_of(r, "esx02.lab.local", "vMotion-Solo")
    assert vmk["services"] == ["vmotion"]


def test_cluster_mode_configures_four_hosts_with_one_login_and_one_read(playbook):
    """One read for all hosts (a no-op rerun pays only that); a write run adds one re-read (SF-10)."""
    addresses = {h: "10.10.30.%d" % (11 + i) for i, h in enumerate(HOSTS)}
    task = {"vmkfabric.vsphere.vmknic": {
        "cluster": "Cluster-A", "portgroup": "vMotion-A", "vswitch": "vSwitch0", "vlan": 30, "services": ["vmotion"],
        "ip": {"netmask": "255.255.255.0", "addresses": addresses},
        "teaming": {"active": ["vmnic0"], "standby": ["vmnic1"], "policy": "failover_explicit"}}}
    run = playbook.run(task)
    r = run[0]
    assert r["changed"] and not r.get("failed"), r.get("msg")
    assert sorted(r["after"]) == list(HOSTS)
    for host in HOSTS:
        vmk = vmk_of(r, host, "vMotion-A")
        assert vmk["ip"]["address"] == addresses[host] and vmk["services"] == ["vmotion"]
        assert portgroup_of(r["after"][host], "vMotion-A")["teaming"]["standby"] == ["vmnic1"]
    calls = run.calls
    # one read for the four hosts, and one re-read of all four just before the first write (SF-10)
    assert (calls["Login"], calls["RetrievePropertiesEx"], calls.get("Fetch", 0)) == (1, READ + 1, 0), calls
    assert calls.get("ContinueRetrievePropertiesEx", 0) == 0
    assert (calls["UpdateNetworkConfig"], calls["SelectVnicForNicType"]) == (4, 4), calls

    again = playbook.run(task)
    assert not again[0]["changed"] and again.writes == 0
    assert (again.calls["Login"], again.calls["RetrievePropertiesEx"], again.calls.get("Fetch", 0)) == (1, READ, 0)
