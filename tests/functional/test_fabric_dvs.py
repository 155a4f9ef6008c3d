# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reference fabric on a distributed switch with one host_fabric task: two bound iSCSI vmks on
dvPortgroups (one active dvUplink each, the other uplink and the LAG unused), the 2-vmk vMotion set
(mirrored active/standby) and the replica vmk. Converges from scratch (each dvPortgroup created once),
the rerun writes nothing, gathered -> overridden is a no-op, and a dvPortgroup is removed only once no
vmk uses it (SF-12)."""

from __future__ import annotations

import pytest
from conftest import objects, own_sim, pyvmomi  # pylint: disable=import-error

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import NETMASK, dvs_inventory

HOSTS = ("esx01.lab.local", "esx02.lab.local")
DVS = "dvs-fab"
INVENTORY = dvs_inventory("Cluster-F", DVS, HOSTS)


def dv_portgroups():
    def pg(name, vlan, active, standby=(), unused=()):
        return {"name": name, "dvs": DVS, "vlan": vlan, "teaming": {
            "policy": "failover_explicit", "active": list(active), "standby": list(standby), "unused": list(unused)}}
    return [pg("iSCSI-A-dv", 20, ["dvUplink1"], unused=["dvUplink2", "lag1"]),
            pg("iSCSI-B-dv", 20, ["dvUplink2"], unused=["dvUplink1", "lag1"]),
            pg("vMotion-A-dv", 30, ["dvUplink1"], ["dvUplink2"], ["lag1"]),
            pg("vMotion-B-dv", 30, ["dvUplink2"], ["dvUplink1"], ["lag1"]),
            {"name": "Replica-dv", "dvs": DVS, "vlan": 40}]


def host_doc(i):
    def vmk(pg, net, **extra):
        return dict({"portgroup": pg, "dvswitch": DVS, "mtu": 9000,
                     "ip": {"address": "10.%d.0.%d" % (net, 11 + i), "netmask": NETMASK}}, **extra)
    return {"dv_portgroups": dv_portgroups(),
            "vmknics": [vmk("iSCSI-A-dv", 20, purpose="iscsi"),
                        dict(vmk("iSCSI-B-dv", 20, purpose="iscsi"), ip={"address": "10.20.0.%d" % (21 + i), "netmask": NETMASK}),
                        vmk("vMotion-A-dv", 30, purpose="vmotion", services=["vmotion"]),
                        dict(vmk("vMotion-B-dv", 30, purpose="vmotion", services=["vmotion"]),
                             ip={"address": "10.30.0.%d" % (21 + i), "netmask": NETMASK}),
                        vmk("Replica-dv", 40, purpose="replica")],
            "iscsi": [{"software": True, "enabled": True,
                       "bindings": [{"portgroup": "iSCSI-A-dv"}, {"portgroup": "iSCSI-B-dv"}]}]}


CONFIG = {h: host_doc(i) for i, h in enumerate(HOSTS)}


def fabric(state="merged", config=None, **extra):
    return {"vmkfabric.vsphere.host_fabric": dict({"cluster": "Cluster-F", "state": state,
                                                   "config": CONFIG if config is None else config}, **extra)}


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    with own_sim(INVENTORY, str(tmp_path_factory.mktemp("fabric-dvs"))) as proc:
        yield proc


@pytest.fixture(scope="module")
def converged(playbook):
    check = playbook.run(fabric(), check=True)
    real = playbook.run(fabric())
    assert not check[0].get("failed") and not real[0].get("failed"), real.stdout
    return check, real


def switch_state(sim):
    """dvPortgroup name -> (vlan, active, standby); host -> bound vmks of its software adapter."""
    from pyVmomi import vim
    with pyvmomi(sim) as si:
        (dvs,) = objects(si, vim.DistributedVirtualSwitch)
        pgs = {}
        for pg in dvs.portgroup:
            if pg.config.uplink:
                continue
            order = pg.config.defaultPortConfig.uplinkTeamingPolicy.uplinkPortOrder
            pgs[pg.name] = (pg.config.defaultPortConfig.vlan.vlanId, list(order.activeUplinkPort or []),
                            list(order.standbyUplinkPort or []))
        hosts = objects(si, vim.HostSystem)
        bound = {h.name: sorted(p.vnicDevice for p in h.configManager.iscsiManager.QueryBoundVnics(iScsiHbaName="vmhba64"))
                 for h in hosts}
        return pgs, bound


def test_the_fabric_converges_from_scratch_with_each_dvportgroup_created_once(converged, sim):
    check, real = converged
    assert check.writes == 0 and check[0]["plan"] == real[0]["plan"]
    assert real.calls.get("CreateDVPortgroup_Task") == 5 and real.calls.get("UpdateNetworkConfig") == 2
    assert real.calls.get("BindVnic") == 4 and real.calls.get("Login") == 1
    pgs, bound = switch_state(sim)
    assert pgs == {"iSCSI-A-dv": (20, ["dvUplink1"], []), "iSCSI-B-dv": (20, ["dvUplink2"], []),
                   "vMotion-A-dv": (30, ["dvUplink1"], ["dvUplink2"]), "vMotion-B-dv": (30, ["dvUplink2"], ["dvUplink1"]),
                   "Replica-dv": (40, ["dvUplink1", "dvUplink2"], [])}  # the replica inherits the switch's order
    assert bound == {h: ["vmk1", "vmk2"] for h in HOSTS}
    doc = real[0]["after"][HOSTS[1]]
    assert [(v["device"], v["portgroup"], v["ip"]["address"]) for v in doc["vmknics"] if v["device"] != "vmk0"] == [
        ("vmk1", "iSCSI-A-dv", "10.20.0.12"), ("vmk2", "iSCSI-B-dv", "10.20.0.22"), ("vmk3", "vMotion-A-dv", "10.30.0.12"),
        ("vmk4", "vMotion-B-dv", "10.30.0.22"), ("vmk5", "Replica-dv", "10.40.0.12")]


def test_the_rerun_writes_nothing(converged, playbook):
    again = playbook.run(fabric())
    assert not again[0].get("failed") and again[0]["changed"] is False and again.writes == 0, again.stdout


def test_gathered_fed_back_as_overridden_is_a_no_op(converged, playbook):
    gathered = playbook.run(fabric(state="gathered", config=None) | {"vmkfabric.vsphere.host_fabric": {
        "cluster": "Cluster-F", "state": "gathered"}})
    docs = gathered[0]["gathered"]
    assert {p["name"] for p in docs[HOSTS[0]]["dv_portgroups"]} == {p["name"] for p in dv_portgroups()}
    back = playbook.run(fabric(state="overridden", config=docs))
    assert not back[0].get("failed"), back.stdout
    assert back[0]["changed"] is False and back[0]["plan"] == [] and back.writes == 0


def test_a_dvportgroup_in_use_is_not_removed_and_an_unused_one_is(converged, playbook, sim):
    in_use = {h: {"dv_portgroups": [{"name": "Replica-dv", "dvs": DVS, "state": "absent"}]} for h in HOSTS}
    refused = playbook.run(fabric(config=in_use))
    assert refused[0].get("failed") and "SF-12" in refused[0]["msg"] and "vmk5" in refused[0]["msg"], refused[0].get("msg")
    assert refused.writes == 0
    gone = {h: {"dv_portgroups": [{"name": "Replica-dv", "dvs": DVS, "state": "absent"}],
                "vmknics": [{"portgroup": "Replica-dv", "dvswitch": DVS, "device": "vmk5"}]} for h in HOSTS}
    run = playbook.run(fabric(state="deleted", config=gone))
    assert not run[0].get("failed"), run.stdout
    assert run.calls.get("Destroy_Task") == 1 and run.calls.get("UpdateNetworkConfig") == 2
    pgs, _bound = switch_state(sim)
    assert "Replica-dv" not in pgs and "iSCSI-A-dv" in pgs
