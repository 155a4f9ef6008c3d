# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""IP-6 end to end: a dvPortgroup mid-way through a LACP migration (uplink active, LAG standby:
vCenter accepts it) that carries a vmk refuses every plan on that host before any write; once
the order is fixed in vCenter the same task converges. A host with no vmk on that dvPortgroup
is not blocked: without a vmk it is not this collection's object."""

from __future__ import annotations

import time

import pytest
from conftest import find, pyvmomi  # pylint: disable=import-error

HOST = "esx01.lab.local"
PG = "dvpg-migrating"
VMK = {"vmkfabric.vsphere.vmknic": {"esxi_hostname": HOST, "portgroup": "Backup", "vswitch": "vSwitch0",
                                    "ip": {"address": "10.10.90.11", "netmask": "255.255.255.0"}}}


def wait(task):
    from pyVmomi import vim
    for _poll in range(200):
        if task.info.state in (vim.TaskInfo.State.success, vim.TaskInfo.State.error):
            break
        time.sleep(0.05)
    assert task.info.state == vim.TaskInfo.State.success, task.info.error
    return task.info.result


def order(active, standby):
    from pyVmomi import vim
    VDS = vim.dvs.VmwareDistributedVirtualSwitch
    return VDS.VmwarePortConfigPolicy(uplinkTeamingPolicy=VDS.UplinkPortTeamingPolicy(
        inherited=False, uplinkPortOrder=VDS.UplinkPortOrderPolicy(
            inherited=False, activeUplinkPort=list(active), standbyUplinkPort=list(standby))))


@pytest.fixture(scope="module")
def migrating(sim):
    """dvpg-migrating on dvs-prod (active dvUplink1, standby lag1) with a vmk of esx01 on it."""
    from pyVmomi import vim
    with pyvmomi(sim) as si:
        dvs = find(si, vim.DistributedVirtualSwitch, "dvs-prod")
        spec = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name=PG, type="earlyBinding", numPorts=8,
                                                              defaultPortConfig=order(["dvUplink1"], ["lag1"]))
        wait(dvs.CreateDVPortgroup_Task(spec=spec))
        pg = next(p for p in dvs.portgroup if p.name == PG)
        host = find(si, vim.HostSystem, HOST)
        nic = vim.host.VirtualNic.Specification(
            ip=vim.host.IpConfig(dhcp=False, ipAddress="10.10.60.11", subnetMask="255.255.255.0"), mtu=1500,
            distributedVirtualPort=vim.dvs.PortConnection(switchUuid=dvs.uuid, portgroupKey=pg.key))
        device = host.configManager.networkSystem.AddVirtualNic(portgroup="", nic=nic)
        return device, pg.key


def test_a_vmk_on_a_lag_dvportgroup_with_a_standby_refuses_the_host_with_ip6(migrating, playbook):
    device, _key = migrating
    run = playbook.run(VMK)
    result = run[0]
    assert result.get("failed") and "IP-6" in result["msg"], run.stdout
    (f,) = [f for f in result["refused"] if f["rule"] == "IP-6"]
    assert (f["host"], f["object"]) == (HOST, "dvportgroup:dvs-prod/%s" % PG)
    assert "active [dvUplink1], standby [lag1] uses LAG [lag1]" in f["found"]
    assert f["change"].startswith("in vCenter") and "move %s" % device in f["change"]
    assert run.writes == 0 and run.calls.get("UpdateNetworkConfig", 0) == 0


def test_another_host_is_not_blocked(migrating, playbook):
    other = {"vmkfabric.vsphere.vmknic": dict(VMK["vmkfabric.vsphere.vmknic"], esxi_hostname="esx02.lab.local",
                                              ip={"address": "10.10.90.12", "netmask": "255.255.255.0"})}
    run = playbook.run(other, check=True)
    assert not run[0].get("failed"), run[0].get("msg")
    assert run[0]["changed"] and run.writes == 0


def test_fixed_in_vcenter_the_same_task_converges(migrating, playbook, sim):
    from pyVmomi import vim
    _device, key = migrating
    with pyvmomi(sim) as si:
        dvs = find(si, vim.DistributedVirtualSwitch, "dvs-prod")
        pg = next(p for p in dvs.portgroup if p.key == key)
        spec = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(configVersion=pg.config.configVersion,
                                                              defaultPortConfig=order(["lag1"], []))
        wait(pg.ReconfigureDVPortgroup_Task(spec=spec))
    run = playbook.run(VMK)
    assert not run[0].get("failed"), run[0].get("msg")
    assert run[0]["changed"] and run.calls.get("UpdateNetworkConfig") == 1
    assert "IP-6" not in {f["rule"] for f in run[0].get("findings", [])}
