"""What common third-party clients read next to the networking (community.vmware's
vmware_host_vmnic_info, vmware_dvswitch_info, vmware_dvs_portgroup_info): the host's PCI
devices behind its NICs, QueryNetworkHint, a DVS's NetFlow and health-check settings, and the
MAC management policy of a distributed port."""

from __future__ import annotations

import pytest
from pyVmomi import vim

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_dvs import view_of
from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_protocol import hosts_by_name


@pytest.fixture(scope="module")
def host(si):
    return hosts_by_name(si)["esx01.lab.local"]


def test_every_nic_has_its_pci_device(host):
    pci = {d.id: d for d in host.hardware.pciDevice}
    for pnic in host.config.network.pnic:
        assert pnic.pci in pci and pci[pnic.pci].deviceName
    assert host.hardware.memorySize > 0 and len(host.hardware.cpuPkg) == host.hardware.cpuInfo.numCpuPackages
    summary = host.summary.hardware
    assert summary.numNics == len(host.config.network.pnic) and summary.cpuModel


def test_network_hints_for_every_nic_and_notfound_for_an_unknown_one(host):
    net = host.configManager.networkSystem
    hints = net.QueryNetworkHint()
    assert sorted(h.device for h in hints) == sorted(p.device for p in host.config.network.pnic)
    (one,) = net.QueryNetworkHint(device=["vmnic2"])
    assert one.device == "vmnic2" and list(one.subnet) == [] and one.connectedSwitchPort is None
    with pytest.raises(vim.fault.NotFound):
        net.QueryNetworkHint(device=["vmnic42"])


def test_a_dvs_reports_netflow_and_health_checks_off(si):
    config = view_of(si, vim.DistributedVirtualSwitch)["dvs-prod"].config
    assert (config.ipfixConfig.collectorIpAddress, config.ipfixConfig.activeFlowTimeout) == ("", 60)
    assert {type(c).__name__.rsplit(".", 1)[-1]: c.enable for c in config.healthCheckConfig} == {
        "VlanMtuHealthCheckConfig": False, "TeamingHealthCheckConfig": False}


def test_a_dvportgroup_inherits_the_mac_management_policy_as_one_unit(si):
    dvs = view_of(si, vim.DistributedVirtualSwitch)["dvs-prod"]
    switch = dvs.config.defaultPortConfig.macManagementPolicy
    assert (switch.inherited, switch.forgedTransmits, switch.macLearningPolicy.enabled) == (False, False, False)
    pg = next(p for p in dvs.portgroup if p.name == "dvpg-prod-lacp")
    mine = pg.config.defaultPortConfig.macManagementPolicy
    assert mine.inherited is True and mine.allowPromiscuous is False
