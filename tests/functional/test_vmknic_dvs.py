# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vmknic and replica_vmknic with ``dvswitch``: the dvPortgroup is created once per run with its VLAN and its own
teaming (one active dvUplink, the rest unused, failure detection), each host gets its vmk on a port of it in
one UpdateNetworkConfig, the rerun writes nothing, ``inherit`` returns leaves to the switch, and bad teaming
(an unknown dvUplink, a LAG with a standby uplink) or both switch kinds are refused with zero writes."""

from __future__ import annotations

import pytest
from conftest import objects, own_sim, pyvmomi  # pylint: disable=import-error

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import NETMASK, dvs_inventory

HOSTS = ("esx01.lab.local", "esx02.lab.local")
INVENTORY = dvs_inventory("Cluster-V", "dvs-stor", HOSTS)
ISCSI_A = {"cluster": "Cluster-V", "dvswitch": "dvs-stor", "portgroup": "iSCSI-A-dv", "vlan": 20, "mtu": 9000,
           "purpose": "iscsi", "ip": {"netmask": NETMASK, "addresses": {HOSTS[0]: "10.20.0.11", HOSTS[1]: "10.20.0.12"}},
           "teaming": {"policy": "failover_explicit", "active": ["dvUplink1"], "unused": ["dvUplink2", "lag1"],
                       "failure_detection": "link_status"}}


def vmknic(**changes):
    return {"vmkfabric.vsphere.vmknic": {k: v for k, v in dict(ISCSI_A, **changes).items() if v is not None}}


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    with own_sim(INVENTORY, str(tmp_path_factory.mktemp("vmknic-dvs"))) as proc:
        yield proc


def dvportgroup(sim, name):
    """What vCenter reports for dvPortgroup ``name``: (key, vlan, policy (value, inherited), order (active,
    standby, inherited), beacon (value, inherited))."""
    from pyVmomi import vim
    with pyvmomi(sim) as si:
        (dvs,) = objects(si, vim.DistributedVirtualSwitch)
        pg = next(p for p in dvs.portgroup if p.name == name)
        setting = pg.config.defaultPortConfig
        team = setting.uplinkTeamingPolicy
        order = team.uplinkPortOrder
        return (pg.key, setting.vlan.vlanId, (team.policy.value, team.policy.inherited),
                (list(order.activeUplinkPort or []), list(order.standbyUplinkPort or []), order.inherited),
                (team.failureCriteria.checkBeacon.value, team.failureCriteria.checkBeacon.inherited))


def vmks_on(sim, key):
    from pyVmomi import vim
    with pyvmomi(sim) as si:
        return {h.name: [(v.device, v.spec.ip.ipAddress, v.spec.mtu) for v in h.config.network.vnic
                         if v.spec.distributedVirtualPort and v.spec.distributedVirtualPort.portgroupKey == key]
                for h in objects(si, vim.HostSystem)}


@pytest.fixture(scope="module")
def converged(playbook):
    check = playbook.run(vmknic(), check=True)
    real = playbook.run(vmknic())
    assert not check[0].get("failed") and not real[0].get("failed"), real.stdout
    return check, real


def test_the_dvportgroup_is_created_once_and_each_host_gets_its_vmk(converged, sim):
    check, real = converged
    assert check.writes == 0 and check[0]["plan"] == real[0]["plan"]
    assert real.calls.get("CreateDVPortgroup_Task") == 1 and real.calls.get("UpdateNetworkConfig") == 2
    key, vlan, policy, order, beacon = dvportgroup(sim, "iSCSI-A-dv")
    assert (vlan, policy, order, beacon) == (20, ("failover_explicit", False), (["dvUplink1"], [], False), (False, False))
    assert vmks_on(sim, key) == {HOSTS[0]: [("vmk1", "10.20.0.11", 9000)], HOSTS[1]: [("vmk1", "10.20.0.12", 9000)]}
    entry = next(v for v in real[0]["after"][HOSTS[0]]["vmknics"] if v["device"] == "vmk1")
    assert (entry["portgroup"], entry["dv_portgroup"]) == ("iSCSI-A-dv", key)


def test_the_rerun_writes_nothing(converged, playbook):
    again = playbook.run(vmknic())
    assert not again[0].get("failed") and again[0]["changed"] is False and again.writes == 0, again.stdout


def test_inherit_returns_the_order_to_the_switch_and_reconfigures_once(converged, playbook, sim):
    run = playbook.run(vmknic(purpose="general", teaming={"inherit": ["order"]}))
    assert not run[0].get("failed"), run.stdout
    assert run.calls.get("ReconfigureDVPortgroup_Task") == 1 and run.calls.get("UpdateNetworkConfig", 0) == 0
    _key, _vlan, policy, order, _beacon = dvportgroup(sim, "iSCSI-A-dv")
    assert order[2] is True and order[0] == ["dvUplink1", "dvUplink2"]  # the switch's order, inherited
    assert policy == ("failover_explicit", False)  # untouched leaves keep their own value
    back = playbook.run(vmknic())
    assert not back[0].get("failed") and back.calls.get("ReconfigureDVPortgroup_Task") == 1, back.stdout
    assert dvportgroup(sim, "iSCSI-A-dv")[3] == (["dvUplink1"], [], False)


def test_replica_vmknic_on_a_dvportgroup(converged, playbook, sim):
    task = {"vmkfabric.vsphere.replica_vmknic": {
        "cluster": "Cluster-V", "dvswitch": "dvs-stor", "portgroup": "Replica-dv", "vlan": 40,
        "ip": {"netmask": NETMASK, "addresses": {HOSTS[0]: "10.40.0.11", HOSTS[1]: "10.40.0.12"}},
        "teaming": {"active": ["dvUplink2"], "standby": ["dvUplink1"]}}}
    run = playbook.run(task)
    assert not run[0].get("failed"), run.stdout
    key, vlan, _policy, order, _beacon = dvportgroup(sim, "Replica-dv")
    assert (vlan, order) == (40, (["dvUplink2"], ["dvUplink1"], False))
    assert sorted(vmks_on(sim, key)[HOSTS[1]]) == [("vmk2", "10.40.0.12", 1500)]
    assert playbook.run(task).writes == 0


@pytest.mark.parametrize("changes, field_or_rule", [
    ({"vswitch": "vSwitch0"}, "dvswitch"),
    ({"teaming": {"active": ["dvUplink9"]}}, "teaming"),
    ({"purpose": "general", "teaming": {"policy": "loadbased", "active": ["lag1"], "standby": ["dvUplink1"]}}, "IP-6"),
    ({"dvswitch": "dvs-nope"}, "dvswitch"),
])
def test_bad_input_is_refused_with_no_write(converged, playbook, changes, field_or_rule):
    run = playbook.run(vmknic(portgroup="iSCSI-X-dv", **changes))
    assert run[0].get("failed") and field_or_rule in run[0]["msg"], run[0].get("msg")
    assert run.writes == 0 and "Traceback" not in run.stdout


def test_a_vmk_named_by_device_migrates_to_the_dvportgroup_and_back_in_place(converged, playbook, sim):
    """A vMotion vmk created on vSwitch0, moved by device onto a dvPortgroup and back: same device and IP, one
    UpdateNetworkConfig per host each way, no vmk removed or added."""
    std = {"vmkfabric.vsphere.vmknic": {
        "cluster": "Cluster-V", "vswitch": "vSwitch0", "portgroup": "vMotion-S", "vlan": 30, "purpose": "vmotion",
        "services": ["vmotion"], "ip": {"netmask": NETMASK, "addresses": {HOSTS[0]: "10.30.0.11", HOSTS[1]: "10.30.0.12"}}}}
    created = playbook.run(std)
    assert not created[0].get("failed"), created.stdout
    device = next(v["device"] for v in created[0]["after"][HOSTS[0]]["vmknics"] if v["portgroup"] == "vMotion-S")
    on_dv = playbook.run(vmknic(portgroup="vMotion-DV", purpose="vmotion", device=device, ip=None, mtu=None,
                                teaming={"active": ["dvUplink1"], "standby": ["dvUplink2"], "unused": ["lag1"]},
                                vlan=30, cluster=None, esxi_hostname=HOSTS[0]))
    assert not on_dv[0].get("failed"), on_dv.stdout
    assert on_dv.calls["UpdateNetworkConfig"] == 1 and not on_dv.calls.get("RemoveVirtualNic")
    key = dvportgroup(sim, "vMotion-DV")[0]
    assert vmks_on(sim, key)[HOSTS[0]] == [(device, "10.30.0.11", 1500)]
    (moved,) = [a for a in on_dv[0]["plan"] if a["kind"] == "vmk"]
    assert moved["op"] == "edit" and moved["changes"]["portgroup"] == {"before": "vMotion-S", "after": None}
    back = playbook.run({"vmkfabric.vsphere.vmknic": {"esxi_hostname": HOSTS[0], "vswitch": "vSwitch0",
                                                      "portgroup": "vMotion-S", "device": device}})
    assert not back[0].get("failed") and back.calls["UpdateNetworkConfig"] == 1, back.stdout
    assert vmks_on(sim, key)[HOSTS[0]] == []
    vmk = next(v for v in back[0]["after"][HOSTS[0]]["vmknics"] if v["device"] == device)
    assert (vmk["portgroup"], vmk["ip"]["address"], vmk["services"]) == ("vMotion-S", "10.30.0.11", ["vmotion"])
