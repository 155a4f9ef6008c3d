# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 6, vmotion_multinic on dvPortgroups: a two-host cluster whose distributed switch has
dvUplink1/dvUplink2 on vmnic2/vmnic3 of each host. Check mode predicts the real run; the real run
creates each dvPortgroup once (mirrored order, VLAN) and attaches each host's vmks in one
UpdateNetworkConfig; the rerun writes nothing; a VLAN change reconfigures the dvPortgroups only;
a LAG or an unknown uplink is refused with zero writes; absent removes the vmks only."""

from __future__ import annotations

import pytest
from conftest import PerHost, objects, own_sim, pyvmomi  # pylint: disable=import-error

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import READ, dvs_inventory

HOSTS = ("esx01.lab.local", "esx02.lab.local")
NETMASK = "255.255.255.0"


INVENTORY = dvs_inventory("Cluster-D", "dvs-vmo", HOSTS)

ADDRESSES = {HOSTS[0]: ["10.31.0.11", "10.31.0.111"], HOSTS[1]: ["10.31.0.12", "10.31.0.112"]}


def task(**kw):
    args = {"cluster": "Cluster-D", "dvswitch": "dvs-vmo", "uplinks": ["dvUplink1", "dvUplink2"],
            "portgroup_prefix": "vMotion-DV", "vlan": 31, "mtu": 9000, "ip": {"netmask": NETMASK, "addresses": ADDRESSES}}
    args.update(kw)
    return {"vmkfabric.vsphere.vmotion_multinic": {k: v for k, v in args.items() if v is not None}}


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    with own_sim(INVENTORY, str(tmp_path_factory.mktemp("vmotion-dvs"))) as proc:
        yield proc


def state(sim):
    """(dvPortgroup name -> (key, vlan, active, standby)), host -> {vmk: (portgroupKey, address, mtu)}."""
    from pyVmomi import vim
    with pyvmomi(sim) as si:
        (dvs,) = objects(si, vim.DistributedVirtualSwitch)
        pgs = {}
        for pg in dvs.portgroup:
            setting = pg.config.defaultPortConfig
            order = setting.uplinkTeamingPolicy.uplinkPortOrder
            pgs[pg.name] = (pg.key, getattr(setting.vlan, "vlanId", None), list(order.activeUplinkPort or []),
                            list(order.standbyUplinkPort or []))
        hosts = {}
        for host in objects(si, vim.HostSystem):
            hosts[host.name] = {v.device: (v.spec.distributedVirtualPort.portgroupKey if v.spec.distributedVirtualPort else None,
                                           v.spec.ip.ipAddress, v.spec.mtu) for v in host.config.network.vnic}
        return pgs, hosts


def summary(run):
    return sorted((a["host"], a["op"], a["kind"], a["name"]) for a in run[0]["plan"])


@pytest.fixture(scope="module")
def converged(playbook, sim):
    check = playbook.run(task(), check=True, diff=True)
    assert not check[0].get("failed"), check.stdout
    assert check.writes == 0
    real = playbook.run(task(), diff=True)
    assert not real[0].get("failed"), real.stdout
    return check, real


def test_check_mode_predicts_the_real_run(converged):
    check, real = converged
    assert check[0]["changed"] and summary(check) == summary(real)
    assert ("esx01.lab.local", "add", "dv_portgroup", "dvs-vmo/vMotion-DV-1") in summary(check)
    after = check[0]["after"][HOSTS[0]]
    entry = next(v for v in after["vmknics"] if v["device"] == "vmk1")
    assert (entry["portgroup"], entry["vswitch"], entry["dv_portgroup"]) == ("vMotion-DV-1", "dvs-vmo", "new:dvs-vmo/vMotion-DV-1")


def test_each_dvportgroup_is_created_once_and_each_host_written_once(converged, sim):
    _check, real = converged
    calls = real.calls
    assert calls.get("CreateDVPortgroup_Task") == 2 and calls.get("UpdateNetworkConfig") == 2
    assert calls.get("SelectVnicForNicType") == 4 and calls.get("Login") == 1
    assert calls.get("ReconfigureDVPortgroup_Task", 0) == 0
    pgs, hosts = state(sim)
    assert pgs["vMotion-DV-1"][1:] == (31, ["dvUplink1"], ["dvUplink2"])
    assert pgs["vMotion-DV-2"][1:] == (31, ["dvUplink2"], ["dvUplink1"])
    for h in HOSTS:
        assert hosts[h]["vmk1"] == (pgs["vMotion-DV-1"][0], ADDRESSES[h][0], 9000)
        assert hosts[h]["vmk2"] == (pgs["vMotion-DV-2"][0], ADDRESSES[h][1], 9000)
    after = real[0]["after"][HOSTS[1]]
    entry = next(v for v in after["vmknics"] if v["device"] == "vmk2")
    assert entry["dv_portgroup"] == pgs["vMotion-DV-2"][0]  # the key vCenter gave it, not the planned one


def test_rerun_writes_nothing_with_one_read(converged, playbook):
    again = playbook.run(task())
    assert not again[0].get("failed"), again.stdout
    assert again[0]["changed"] is False and again[0]["plan"] == [] and again.writes == 0
    assert again.calls.get("RetrievePropertiesEx") == READ


def test_vlan_change_reconfigures_the_dvportgroups_only(converged, playbook, sim):
    run = playbook.run(task(vlan=32))
    assert not run[0].get("failed"), run.stdout
    assert run.calls.get("ReconfigureDVPortgroup_Task") == 2 and run.calls.get("UpdateNetworkConfig", 0) == 0
    pgs, _hosts = state(sim)
    assert pgs["vMotion-DV-1"][1] == 32 and pgs["vMotion-DV-2"][1] == 32
    assert playbook.run(task(vlan=32)).writes == 0


@pytest.mark.parametrize("uplinks, expected", [
    (["lag1", "dvUplink2"], "MV-6"),
    (["dvUplink1", "dvUplink9"], "dvUplink9 is not an uplink or LAG of dvs-vmo"),
])
def test_bad_uplinks_are_refused_with_zero_writes(converged, playbook, uplinks, expected):
    run = playbook.run(task(uplinks=uplinks, portgroup_prefix="vMotion-X",
                            ip={"netmask": NETMASK, "addresses": {HOSTS[0]: ["10.32.0.11", "10.32.0.111"],
                                                                  HOSTS[1]: ["10.32.0.12", "10.32.0.112"]}}))
    assert run[0].get("failed") and expected in run[0]["msg"], run.stdout
    assert run.writes == 0 and run.calls.get("CreateDVPortgroup_Task", 0) == 0


def test_absent_removes_the_vmks_and_leaves_the_dvportgroups(converged, playbook, sim):
    run = playbook.run(task(state="absent", ip=None, vlan=None, mtu=None))
    assert not run[0].get("failed"), run.stdout
    assert run.calls.get("UpdateNetworkConfig") == 2 and run.calls.get("Destroy_Task", 0) == 0
    pgs, hosts = state(sim)
    assert set(pgs) >= {"vMotion-DV-1", "vMotion-DV-2"}
    assert all(set(vmks) == {"vmk0"} for vmks in hosts.values())


RACE_ADDRESSES = {HOSTS[0]: ["10.33.0.11", "10.33.0.111"], HOSTS[1]: ["10.33.0.12", "10.33.0.112"]}
RACE_TASK = {"vmkfabric.vsphere.vmotion_multinic": {
    "esxi_hostname": "{{ inventory_hostname }}", "dvswitch": "dvs-vmo", "uplinks": ["dvUplink1", "dvUplink2"],
    "portgroup_prefix": "vMotion-R", "vlan": 33, "mtu": 9000,
    "ip": {"netmask": NETMASK, "addresses": "{{ {inventory_hostname: race_addresses[inventory_hostname]} }}"}}}


def test_parallel_per_host_runs_share_the_dvportgroups_one_of_them_creates(
        converged, sim, collections_path, tmp_path_factory):
    """AWX job slicing: both hosts' runs read before either creates (slow reads make sure), so
    both create each dvPortgroup; the loser gets DuplicateName, reads the winner's, finds the
    same VLAN and order, and attaches its vmks to it."""
    per_host = PerHost(sim, collections_path, str(tmp_path_factory.mktemp("vmotion-race")), HOSTS, RACE_TASK)
    sim.arm_fault({"method": "RetrievePropertiesEx", "latency_ms": 2500})
    try:
        proc, results, stats = per_host.run(race_addresses=RACE_ADDRESSES)
    finally:
        sim.disarm_faults()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert set(results) == set(HOSTS) and all(r["changed"] and not r.get("failed") for r in results.values()), results
    assert stats["calls"]["CreateDVPortgroup_Task"] == 4  # both runs tried each of the two
    pgs, hosts = state(sim)
    assert [n for n in pgs if n.startswith("vMotion-R")] == ["vMotion-R-1", "vMotion-R-2"]  # once each
    assert pgs["vMotion-R-1"][1:] == (33, ["dvUplink1"], ["dvUplink2"])
    assert pgs["vMotion-R-2"][1:] == (33, ["dvUplink2"], ["dvUplink1"])
    keys = {pgs["vMotion-R-1"][0], pgs["vMotion-R-2"][0]}
    for h in HOSTS:
        assert sorted(key for key, address, _mtu in hosts[h].values() if address in RACE_ADDRESSES[h]) == sorted(keys)
