"""HostNetworkSystem and HostVirtualNicManager: every method's success path and its faults."""

from __future__ import annotations

import pytest
from pyVmomi import vim, vmodl

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_protocol import hosts_by_name

V = vim.host


@pytest.fixture(scope="module")
def host(si):
    return hosts_by_name(si)["esx03.lab.local"]


@pytest.fixture(scope="module")
def ns(host):
    return host.configManager.networkSystem


@pytest.fixture(scope="module")
def vnm(host):
    return host.configManager.virtualNicManager


def switch_spec(nics, mtu=9000, policy=None):
    return V.VirtualSwitch.Specification(numPorts=128, mtu=mtu, bridge=V.VirtualSwitch.BondBridge(nicDevice=list(nics)), policy=policy)


def order_policy(active, standby=()):
    return V.NetworkPolicy(nicTeaming=V.NetworkPolicy.NicTeamingPolicy(
        nicOrder=V.NetworkPolicy.NicOrderPolicy(activeNic=list(active), standbyNic=list(standby))))


def pg_spec(name, vswitch="vSwitchT", vlan=0, policy=None):
    return V.PortGroup.Specification(name=name, vswitchName=vswitch, vlanId=vlan, policy=policy or V.NetworkPolicy())


def vnic_spec(address, mtu=1500, stack=None):
    return V.VirtualNic.Specification(ip=V.IpConfig(dhcp=False, ipAddress=address, subnetMask="255.255.255.0"), mtu=mtu,
                                      netStackInstanceKey=stack)


def pg(ns, name):
    return next(p for p in ns.networkInfo.portgroup if p.spec.name == name)


def test_vswitch_lifecycle_and_faults(ns):
    ns.AddVirtualSwitch("vSwitchT", switch_spec(["vmnic2"]))
    sw = next(s for s in ns.networkInfo.vswitch if s.name == "vSwitchT")
    assert sw.mtu == 9000 and sw.spec.policy.nicTeaming.nicOrder.activeNic == ["vmnic2"]  # ESXi default: bridge NICs active
    with pytest.raises(vim.fault.AlreadyExists):
        ns.AddVirtualSwitch("vSwitchT", switch_spec(["vmnic3"]))
    with pytest.raises(vim.fault.ResourceInUse):
        ns.AddVirtualSwitch("vSwitchU", switch_spec(["vmnic0"]))  # vmnic0 belongs to vSwitch0
    with pytest.raises(vmodl.fault.InvalidArgument):
        ns.AddVirtualSwitch("vSwitchU", switch_spec(["vmnic9"]))  # AddVirtualSwitch declares no NotFound
    with pytest.raises(vim.fault.NotFound):
        ns.UpdateVirtualSwitch("vSwitch0", switch_spec(["vmnic0", "vmnic9"]))
    with pytest.raises(vmodl.fault.InvalidArgument) as err:
        ns.AddVirtualSwitch("vSwitchU", switch_spec(["vmnic3"], mtu=9216))
    assert err.value.invalidProperty == "spec.mtu"
    ns.UpdateVirtualSwitch("vSwitchT", switch_spec(["vmnic2", "vmnic3"]))
    sw = next(s for s in ns.networkInfo.vswitch if s.name == "vSwitchT")
    assert sw.spec.bridge.nicDevice == ["vmnic2", "vmnic3"] and sw.spec.policy.nicTeaming.nicOrder.activeNic == ["vmnic2"]
    with pytest.raises(vim.fault.NotFound):
        ns.UpdateVirtualSwitch("nope", switch_spec(["vmnic3"]))
    with pytest.raises(vmodl.fault.InvalidArgument):
        ns.UpdateVirtualSwitch("vSwitchT", switch_spec(["vmnic2", "vmnic3"], policy=order_policy(["vmnic2"], ["vmnic2"])))


def test_portgroup_inheritance_and_full_replacement(ns):
    ns.AddPortGroup(pg_spec("PG-A", vlan=20, policy=order_policy(["vmnic3"])))
    got = pg(ns, "PG-A")
    assert got.computedPolicy.nicTeaming.nicOrder.activeNic == ["vmnic3"] and got.computedPolicy.nicTeaming.nicOrder.standbyNic == []
    assert got.computedPolicy.nicTeaming.policy == "loadbalance_srcid"  # inherited leaf
    assert got.spec.policy.security is not None and got.spec.policy.security.allowPromiscuous is None  # empty, like hosts return
    with pytest.raises(vim.fault.AlreadyExists):
        ns.AddPortGroup(pg_spec("PG-A"))
    with pytest.raises(vim.fault.NotFound):
        ns.AddPortGroup(pg_spec("PG-X", vswitch="nope"))
    with pytest.raises(vmodl.fault.InvalidArgument):
        ns.AddPortGroup(pg_spec("PG-X", vlan=5000))
    with pytest.raises(vmodl.fault.InvalidArgument):
        ns.AddPortGroup(pg_spec("PG-X", policy=order_policy(["vmnic0"])))  # not in this vSwitch's bridge
    ns.UpdatePortGroup("PG-A", pg_spec("PG-A", vlan=21))  # full replacement: the order override is gone
    got = pg(ns, "PG-A")
    assert got.spec.vlanId == 21 and got.computedPolicy.nicTeaming.nicOrder.activeNic == ["vmnic2"]
    with pytest.raises(vim.fault.NotFound):
        ns.UpdatePortGroup("nope", pg_spec("nope"))


def test_switch_change_reaches_computed_policy(ns):
    ns.UpdateVirtualSwitch("vSwitchT", switch_spec(["vmnic2", "vmnic3"], policy=V.NetworkPolicy(nicTeaming=V.NetworkPolicy.NicTeamingPolicy(
        policy="failover_explicit", nicOrder=V.NetworkPolicy.NicOrderPolicy(activeNic=["vmnic3"], standbyNic=["vmnic2"])))))
    got = pg(ns, "PG-A")
    assert got.computedPolicy.nicTeaming.policy == "failover_explicit"
    assert got.computedPolicy.nicTeaming.nicOrder.standbyNic == ["vmnic2"]


def test_vmk_lifecycle_lowest_free_name_and_faults(ns):
    ns.AddPortGroup(pg_spec("PG-B"))
    first = ns.AddVirtualNic("PG-A", vnic_spec("10.3.0.1"))
    second = ns.AddVirtualNic("PG-B", vnic_spec("10.3.1.1", stack="vmotion"))
    assert (first, second) == ("vmk1", "vmk2")
    with pytest.raises(vim.fault.AlreadyExists):
        ns.AddVirtualNic("PG-A", vnic_spec("10.3.0.2"))  # one vmk per vSS port group
    with pytest.raises(vmodl.fault.InvalidArgument):
        ns.AddVirtualNic("nope", vnic_spec("10.3.0.2"))
    ns.UpdateVirtualNic("vmk1", V.VirtualNic.Specification(mtu=9000))
    vmk1 = next(v for v in ns.networkInfo.vnic if v.device == "vmk1")
    assert vmk1.spec.mtu == 9000 and vmk1.spec.ip.ipAddress == "10.3.0.1"
    with pytest.raises(vim.fault.HostConfigFault):
        ns.UpdateVirtualNic("vmk1", V.VirtualNic.Specification(netStackInstanceKey="vmotion"))
    with pytest.raises(vim.fault.NotFound):
        ns.UpdateVirtualNic("vmk9", V.VirtualNic.Specification(mtu=9000))
    with pytest.raises(vim.fault.ResourceInUse):
        ns.RemovePortGroup("PG-A")
    ns.RemoveVirtualNic("vmk1")
    assert ns.AddVirtualNic("PG-A", vnic_spec("10.3.0.1")) == "vmk1"  # the lowest free name again
    with pytest.raises(vim.fault.NotFound):
        ns.RemoveVirtualNic("vmk9")


def test_vnic_manager_select_deselect_and_query(ns, vnm):
    vnm.SelectVnicForNicType("vsan", "vmk1")
    cfg = vnm.QueryNetConfig("vsan")
    assert cfg.selectedVnic == ["vsan.key-vim.host.VirtualNic-vmk1"] and cfg.multiSelectAllowed
    vmotion = next(c for c in vnm.info.netConfig if c.nicType == "vmotion")
    assert "vmotion.key-vim.host.VirtualNic-vmk2" in vmotion.selectedVnic  # implied by the vmotion netstack
    with pytest.raises(vmodl.fault.InvalidArgument):
        vnm.SelectVnicForNicType("vsan", "vmk2")  # a vmotion-stack vmk is no vsan candidate
    with pytest.raises(vmodl.fault.InvalidArgument):
        vnm.SelectVnicForNicType("bogus", "vmk1")
    with pytest.raises(vmodl.fault.InvalidArgument):
        vnm.QueryNetConfig("bogus")
    vnm.DeselectVnicForNicType("vsan", "vmk1")
    with pytest.raises(vmodl.fault.InvalidArgument):
        vnm.DeselectVnicForNicType("vsan", "vmk1")


def test_update_network_config_is_all_or_nothing(sim, ns):
    before = ns.networkInfo
    config = V.NetworkConfig(
        portgroup=[V.PortGroup.Config(changeOperation="add", spec=pg_spec("PG-C"))],
        vnic=[V.VirtualNic.Config(changeOperation="add", portgroup="PG-C", spec=vnic_spec("10.3.2.1")),
              V.VirtualNic.Config(changeOperation="edit", device="vmk7", portgroup="", spec=V.VirtualNic.Specification(mtu=9000))])
    sim.reset_stats()
    with pytest.raises(vim.fault.NotFound):
        ns.UpdateNetworkConfig(config, "modify")
    after = ns.networkInfo
    assert [p.spec.name for p in after.portgroup] == [p.spec.name for p in before.portgroup]
    assert [v.device for v in after.vnic] == [v.device for v in before.vnic]
    assert sim.stats()["writes"] == 0
    config.vnic = config.vnic[:1]
    result = ns.UpdateNetworkConfig(config, "modify")
    assert result.vnicDevice == ["vmk3"] and sim.stats()["writes"] == 1


def test_update_network_config_remove_order_and_refresh(ns):
    config = V.NetworkConfig(
        vnic=[V.VirtualNic.Config(changeOperation="remove", device="vmk3", portgroup="")],
        portgroup=[V.PortGroup.Config(changeOperation="remove", spec=pg_spec("PG-C"))])
    ns.UpdateNetworkConfig(config, "modify")
    assert "PG-C" not in [p.spec.name for p in ns.networkInfo.portgroup]
    ns.RefreshNetworkSystem()
    with pytest.raises(vim.fault.ResourceInUse):
        ns.RemoveVirtualSwitch("vSwitchT")  # vmks still attached
    with pytest.raises(vim.fault.NotFound):
        ns.RemoveVirtualSwitch("nope")
    with pytest.raises(vim.fault.NotFound):
        ns.RemovePortGroup("nope")


def test_remove_switch_after_its_vmks(ns):
    for device in ("vmk1", "vmk2"):
        ns.RemoveVirtualNic(device)
    ns.RemovePortGroup("PG-B")
    ns.RemoveVirtualSwitch("vSwitchT")
    assert [s.name for s in ns.networkInfo.vswitch] == ["vSwitch0"]
    assert ns.networkConfig.vswitch[0].name == "vSwitch0" and ns.capabilities.supportsNicTeaming


def test_a_partial_switch_policy_is_completed_with_esxi_defaults(ns):
    ns.AddVirtualSwitch("vSwitchP", switch_spec(["vmnic2"], policy=order_policy(["vmnic2"])))
    sw = next(s for s in ns.networkInfo.vswitch if s.name == "vSwitchP")
    team = sw.spec.policy.nicTeaming
    assert team.nicOrder.activeNic == ["vmnic2"] and team.policy == "loadbalance_srcid" and team.rollingOrder is False
    assert sw.spec.policy.security.allowPromiscuous is False
    ns.RemoveVirtualSwitch("vSwitchP")


def test_beacon_probing_needs_a_bridge_beacon(ns):
    policy = V.NetworkPolicy(nicTeaming=V.NetworkPolicy.NicTeamingPolicy(failureCriteria=V.NetworkPolicy.NicFailureCriteria(checkBeacon=True)))
    with pytest.raises(vim.fault.HostConfigFault):
        ns.AddVirtualSwitch("vSwitchB", switch_spec(["vmnic2"], policy=policy))


def test_update_network_config_replace_destroys_what_is_not_listed(connect):
    from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_protocol import hosts_by_name as by_name  # pylint: disable=import-outside-toplevel

    ns = by_name(connect())["esx02.lab.local"].configManager.networkSystem
    current = ns.networkConfig
    keep = [p for p in current.portgroup if p.spec.name == "Management Network"]
    config = V.NetworkConfig(vswitch=current.vswitch, portgroup=keep, vnic=current.vnic)
    ns.UpdateNetworkConfig(config, "replace")
    assert [p.spec.name for p in ns.networkInfo.portgroup] == ["Management Network"]
    assert [v.device for v in ns.networkInfo.vnic] == ["vmk0"]
    with pytest.raises(vmodl.fault.InvalidArgument):
        ns.UpdateNetworkConfig(config, "merge")
