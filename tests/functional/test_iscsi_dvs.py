# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 5, LAG and IP hash on the bound path: a vmk on the LACP dvPortgroup of the demo's
distributed switch, and a vmk on an IP-hash vSwitch (its own small inventory), are both refused
by PB-9 before any write; host_fabric_info shows the dvPortgroup vmk with its dvPortgroup."""

from __future__ import annotations

import pytest
from conftest import Playbook, find, own_sim, pyvmomi  # pylint: disable=import-error

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import READ

HOST = "esx01.lab.local"
NETMASK = "255.255.255.0"


@pytest.fixture(scope="module")
def lag_vmk(sim):
    """vmk on dvpg-prod-lacp (active uplink: LAG lag1) of esx01, created with plain pyVmomi."""
    from pyVmomi import vim
    with pyvmomi(sim) as si:
        dvs = find(si, vim.DistributedVirtualSwitch, "dvs-prod")
        pg = next(p for p in dvs.portgroup if p.name == "dvpg-prod-lacp")
        host = find(si, vim.HostSystem, HOST)
        spec = vim.host.VirtualNic.Specification(
            ip=vim.host.IpConfig(dhcp=False, ipAddress="10.10.20.61", subnetMask=NETMASK), mtu=1500,
            distributedVirtualPort=vim.dvs.PortConnection(switchUuid=dvs.uuid, portgroupKey=pg.key))
        device = host.configManager.networkSystem.AddVirtualNic(portgroup="", nic=spec)
        return device, pg.key


def bound_calls(run):
    return {c: run.calls.get(c, 0) for c in ("BindVnic", "UpdateSoftwareInternetScsiEnabled", "UpdateNetworkConfig")}


@pytest.mark.parametrize("by", ["device", "dvportgroup name"])
def test_binding_a_vmk_on_a_lag_dvportgroup_is_refused_by_pb9_with_no_write(lag_vmk, playbook, by):
    device, _key = lag_vmk
    binding = device if by == "device" else {"portgroup": "dvpg-prod-lacp"}  # the name finds the same vmk
    run = playbook.run({"vmkfabric.vsphere.iscsi_adapter": {"esxi_hostname": HOST, "software_iscsi": "enabled",
                                                            "bindings": [binding]}})
    result = run[0]
    assert result.get("failed") and result["msg"].startswith("plan refused: "), run.stdout
    (pb9,) = [f for f in result["refused"] if f["rule"] == "PB-9"]
    assert pb9["object"] == "dvportgroup:dvs-prod/dvpg-prod-lacp [%s -> hba:vmhba64]" % device
    assert "LAG lag1" in pb9["found"] and "dvpg-prod-lacp" in pb9["found"] and "vmnic4, vmnic5" in pb9["found"]
    assert "dvpg-prod-lacp" in pb9["change"] and "PB-9" in result["msg"]
    assert "PB-1" not in {f["rule"] for f in result["refused"]}  # not the misleading "no active uplink"
    assert run.writes == 0 and bound_calls(run) == {"BindVnic": 0, "UpdateSoftwareInternetScsiEnabled": 0,
                                                    "UpdateNetworkConfig": 0}
    assert run.calls.get("RetrievePropertiesEx") == READ and run.calls.get("Fetch", 0) == 0


def test_the_dvportgroup_vmk_is_gathered_with_its_dvportgroup(lag_vmk, playbook):
    device, key = lag_vmk
    run = playbook.run({"vmkfabric.vsphere.host_fabric_info": {"esxi_hostname": HOST}})
    doc = run[0]["gathered"][HOST]
    (entry,) = [v for v in doc["vmknics"] if v["device"] == device]
    assert (entry["portgroup"], entry["vswitch"], entry["dv_portgroup"]) == ("dvpg-prod-lacp", "dvs-prod", key)
    (dvpg,) = doc["dv_portgroups"]
    assert (dvpg["name"], dvpg["vlan"], dvpg["lags"], dvpg["teaming"]["active"]) == ("dvpg-prod-lacp", 50, ["lag1"], ["lag1"])
    assert dvpg["uplinks"]["lag1"] == ["vmnic4", "vmnic5"]
    assert run.writes == 0 and run.calls.get("RetrievePropertiesEx") == READ and run.calls.get("Fetch", 0) == 0


def test_gathered_with_a_dvportgroup_vmk_fed_back_as_overridden_is_a_no_op(lag_vmk, playbook):
    """A vmk on a distributed port is declared state: the gathered document, with its dv_portgroups section,
    round-trips through state=overridden without a plan or a write, and overridden without it removes it."""
    device, _key = lag_vmk
    gathered = playbook.run({"vmkfabric.vsphere.host_fabric": {"esxi_hostname": HOST, "state": "gathered"}})
    doc = gathered[0]["gathered"][HOST]
    assert device in [v["device"] for v in doc["vmknics"]] and doc["dv_portgroups"]
    back = playbook.run({"vmkfabric.vsphere.host_fabric": {"esxi_hostname": HOST, "state": "overridden",
                                                           "config": {HOST: doc}}})
    assert not back[0].get("failed"), back.stdout
    assert back[0]["changed"] is False and back[0]["plan"] == [] and back.writes == 0
    # without the vmk in the document, overridden removes it like any unlisted vmk (checked in check mode);
    # the dvPortgroup itself is switch-wide and stays
    doc = dict(doc, vmknics=[v for v in doc["vmknics"] if v["device"] != device])
    doc.pop("dv_portgroups")
    gone = playbook.run({"vmkfabric.vsphere.host_fabric": {"esxi_hostname": HOST, "state": "overridden",
                                                           "config": {HOST: doc}}}, check=True)
    assert not gone[0].get("failed"), gone.stdout
    assert [(a["op"], a["kind"], a["name"]) for a in gone[0]["plan"]] == [("remove", "vmk", device)]
    assert gone.writes == 0


# --- IP hash: its own inventory (the demo hosts have no free NICs for an IP-hash vSwitch) -------

IPHASH_INVENTORY = {
    "credentials": None,  # filled from the demo inventory
    "vcenter": {"datacenters": [{"name": "DC1", "clusters": [{"name": "Cluster-H", "hosts": [{
        "name": HOST, "version": "8.0.3",
        "pnics": [{"device": "vmnic%d" % i, "link_speed": 10000} for i in range(4)],
        "vswitches": [{"name": "vSwitch0", "uplinks": ["vmnic0", "vmnic1"]},
                      {"name": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"], "mtu": 9000,
                       "teaming": {"policy": "iphash", "active": ["vmnic2", "vmnic3"], "standby": []}}],
        "portgroups": [{"name": "Management Network", "vswitch": "vSwitch0"},
                       {"name": "iSCSI-H", "vswitch": "vSwitch1", "vlan": 20}],
        "vmks": [{"device": "vmk0", "portgroup": "Management Network", "ip": "192.168.10.11", "netmask": NETMASK,
                  "services": ["management"]},
                 {"device": "vmk1", "portgroup": "iSCSI-H", "ip": "10.10.20.11", "netmask": NETMASK, "mtu": 9000}],
        "iscsi": {"software_iscsi": True}}]}]}]},
}


@pytest.fixture(scope="module")
def iphash_playbook(collections_path, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("iphash"))
    with own_sim(IPHASH_INVENTORY, workdir) as proc:
        yield Playbook(proc, collections_path, workdir)


def test_binding_a_vmk_on_an_iphash_vswitch_is_refused_by_pb9_with_no_write(iphash_playbook):
    run = iphash_playbook.run({"vmkfabric.vsphere.iscsi_adapter": {"esxi_hostname": HOST, "bindings": ["vmk1"]}})
    result = run[0]
    assert result.get("failed") and result["msg"].startswith("plan refused: "), run.stdout
    (pb9,) = [f for f in result["refused"] if f["rule"] == "PB-9"]
    assert pb9["object"] == "portgroup:vSwitch1/iSCSI-H [vmk1 -> hba:vmhba64]"
    assert "IP-hash" in pb9["found"] and "failover_explicit" in pb9["change"]
    assert run.writes == 0 and run.calls.get("BindVnic", 0) == 0 and run.calls.get("RetrievePropertiesEx") == READ
