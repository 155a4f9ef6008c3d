"""IscsiManager: port binding, ESXi's compliance checks, path status, candidate and status queries."""

from __future__ import annotations

import pytest
from pyVmomi import vim

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_protocol import hosts_by_name

V = vim.host


def order(active, standby=(), policy=None):
    return V.NetworkPolicy(nicTeaming=V.NetworkPolicy.NicTeamingPolicy(policy=policy, nicOrder=V.NetworkPolicy.NicOrderPolicy(
        activeNic=list(active), standbyNic=list(standby))))


@pytest.fixture(scope="module")
def managers(si):
    """esx02: vSwitch1 on vmnic2+vmnic3 with one vmk per teaming shape, software iSCSI, the array's send target."""
    cm = hosts_by_name(si)["esx02.lab.local"].configManager
    ns = cm.networkSystem
    ns.AddVirtualSwitch("vSwitch1", V.VirtualSwitch.Specification(numPorts=128, mtu=9000, bridge=V.VirtualSwitch.BondBridge(nicDevice=["vmnic2", "vmnic3"])))
    shapes = {"iSCSI-A": order(["vmnic2"]), "iSCSI-B": order(["vmnic3"]), "Two-Active": order(["vmnic2", "vmnic3"]),
              "Standby": order(["vmnic2"], ["vmnic3"]), "IP-Hash": order(["vmnic2"], policy="loadbalance_ip")}
    for i, (name, policy) in enumerate(shapes.items()):
        ns.AddPortGroup(V.PortGroup.Specification(name=name, vswitchName="vSwitch1", vlanId=20, policy=policy))
        ns.AddVirtualNic(name, V.VirtualNic.Specification(ip=V.IpConfig(dhcp=False, ipAddress="10.10.20.%d" % (40 + i), subnetMask="255.255.255.0")))
    cm.storageSystem.UpdateSoftwareInternetScsiEnabled(True)
    cm.storageSystem.AddInternetScsiSendTargets("vmhba64", [V.InternetScsiHba.SendTarget(address="10.10.20.100", port=3260)])
    return cm


def vmk_of(cm, portgroup):
    return next(v.device for v in cm.networkSystem.networkInfo.vnic if v.portgroup == portgroup)


@pytest.mark.parametrize("portgroup, fault", [
    ("Two-Active", vim.fault.IscsiFaultVnicHasMultipleUplinks),
    ("Standby", vim.fault.IscsiFaultVnicHasMultipleUplinks),
    ("IP-Hash", vim.fault.IscsiFaultVnicHasMultipleUplinks),
])
def test_bind_refuses_non_compliant_teaming(managers, portgroup, fault):
    with pytest.raises(fault) as err:
        managers.iscsiManager.BindVnic("vmhba64", vmk_of(managers, portgroup))
    assert err.value.vnicDevice == vmk_of(managers, portgroup)


def test_bind_faults(managers):
    iscsi = managers.iscsiManager
    with pytest.raises(vim.fault.NotFound):
        iscsi.BindVnic("vmhba99", "vmk1")
    with pytest.raises(vim.fault.IscsiFaultVnicNotFound):
        iscsi.BindVnic("vmhba64", "vmk42")
    with pytest.raises(vim.fault.IscsiFaultVnicNotBound):
        iscsi.UnbindVnic("vmhba64", vmk_of(managers, "iSCSI-A"), False)


def test_candidates_list_unbound_vmks_with_uplink_and_compliance(managers):
    cands = {c.vnicDevice: c for c in managers.iscsiManager.QueryCandidateNics("vmhba64") if c.vnicDevice}
    a, two = cands[vmk_of(managers, "iSCSI-A")], cands[vmk_of(managers, "Two-Active")]
    assert (a.pnicDevice, a.switchName, a.portgroupName, list(a.complianceStatus.reason)) == ("vmnic2", "vSwitch1", "iSCSI-A", [])
    assert isinstance(two.complianceStatus.reason[0], vim.fault.IscsiFaultVnicHasMultipleUplinks) and two.pnicDevice is None
    assert "vmk0" not in cands  # management is not offered


def test_bind_two_paths_then_status_and_unbind_rules(managers):
    iscsi, a, b = managers.iscsiManager, vmk_of(managers, "iSCSI-A"), vmk_of(managers, "iSCSI-B")
    iscsi.BindVnic("vmhba64", a)
    with pytest.raises(vim.fault.IscsiFaultVnicAlreadyBound):
        iscsi.BindVnic("vmhba64", a)
    assert [p.pathStatus for p in iscsi.QueryBoundVnics("vmhba64")] == ["lastActive"]
    with pytest.raises(vim.fault.IscsiFaultVnicIsLastPath):
        iscsi.UnbindVnic("vmhba64", a, False)
    iscsi.BindVnic("vmhba64", b)
    bound = {p.vnicDevice: p for p in iscsi.QueryBoundVnics("vmhba64")}
    assert {d: p.pathStatus for d, p in bound.items()} == {a: "active", b: "active"}
    assert bound[b].pnicDevice == "vmnic3" and not bound[b].complianceStatus.reason
    with pytest.raises(vim.fault.IscsiFaultVnicHasActivePaths):
        iscsi.UnbindVnic("vmhba64", b, False)
    status = iscsi.QueryVnicStatus(a)
    assert isinstance(status.reason[0], vim.fault.IscsiFaultVnicInUse)
    assert not iscsi.QueryVnicStatus(vmk_of(managers, "Two-Active")).reason
    assert isinstance(iscsi.QueryPnicStatus("vmnic3").reason[0], vim.fault.IscsiFaultPnicInUse)
    assert not iscsi.QueryPnicStatus("vmnic0").reason
    deps = iscsi.QueryMigrationDependencies(["vmnic2"])
    assert not deps.migrationAllowed and [(d.vnicDevice, d.vmhbaName) for d in deps.dependency] == [(a, "vmhba64")]
    assert iscsi.QueryMigrationDependencies(["vmnic0"]).migrationAllowed


def test_a_later_teaming_change_makes_a_bound_vmk_non_compliant(managers):
    b = vmk_of(managers, "iSCSI-B")
    managers.networkSystem.UpdatePortGroup("iSCSI-B", V.PortGroup.Specification(name="iSCSI-B", vswitchName="vSwitch1", vlanId=20,
                                                                                policy=order(["vmnic3"], ["vmnic2"])))
    info = next(p for p in managers.iscsiManager.QueryBoundVnics("vmhba64") if p.vnicDevice == b)
    assert isinstance(info.complianceStatus.reason[0], vim.fault.IscsiFaultVnicHasMultipleUplinks)
    assert info.pathStatus == "notUsed"


def test_removing_a_bound_vmk_fails_until_unbound(managers):
    b = vmk_of(managers, "iSCSI-B")
    with pytest.raises(vim.fault.HostConfigFault):
        managers.networkSystem.RemoveVirtualNic(b)
    managers.iscsiManager.UnbindVnic("vmhba64", b, True)  # force skips the path checks
    managers.networkSystem.RemoveVirtualNic(b)
    assert b not in [p.vnicDevice for p in managers.iscsiManager.QueryBoundVnics("vmhba64")]


def test_host_with_two_adapters_and_a_dependent_adapters_own_uplink():
    import ssl  # pylint: disable=import-outside-toplevel

    from pyVim.connect import Disconnect, SmartConnect  # pylint: disable=import-outside-toplevel

    from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.simtools import ESXI, SimProcess, credentials  # pylint: disable=import-outside-toplevel

    with SimProcess(ESXI) as sim:
        user, pwd = credentials(ESXI)
        si = SmartConnect(host="127.0.0.1", port=sim.port, user=user, pwd=pwd, sslContext=ssl.create_default_context(cafile=sim.ca_file))
        cm = hosts_by_name(si)["esxi01.lab.local"].configManager
        hbas = {h.device: h for h in cm.storageSystem.storageDeviceInfo.hostBusAdapter}
        assert sorted(hbas) == ["vmhba2", "vmhba64"] and not hbas["vmhba2"].isSoftwareBased
        assert hbas["vmhba2"].networkBindingSupport == "required"
        ns = cm.networkSystem
        ns.AddVirtualSwitch("vSwitch1", V.VirtualSwitch.Specification(numPorts=128, bridge=V.VirtualSwitch.BondBridge(nicDevice=["vmnic2", "vmnic3"])))
        for name, nic, addr in (("On-2", "vmnic2", "10.1.1.2"), ("On-3", "vmnic3", "10.1.1.3")):
            ns.AddPortGroup(V.PortGroup.Specification(name=name, vswitchName="vSwitch1", vlanId=0, policy=order([nic])))
            ns.AddVirtualNic(name, V.VirtualNic.Specification(ip=V.IpConfig(dhcp=False, ipAddress=addr, subnetMask="255.255.255.0")))
        with pytest.raises(vim.fault.IscsiFaultVnicHasWrongUplink):
            cm.iscsiManager.BindVnic("vmhba2", vmk_of(cm, "On-2"))
        cm.iscsiManager.BindVnic("vmhba2", vmk_of(cm, "On-3"))
        cm.iscsiManager.BindVnic("vmhba64", vmk_of(cm, "On-2"))
        assert [p.vnicDevice for p in cm.iscsiManager.QueryBoundVnics("vmhba2")] == [vmk_of(cm, "On-3")]
        assert [p.vnicDevice for p in cm.iscsiManager.QueryBoundVnics("vmhba64")] == [vmk_of(cm, "On-2")]
        Disconnect(si)


def test_dependent_adapter_offers_only_vmks_on_its_own_nic_and_reports_its_pci():
    """A dependent adapter's candidates are the vmks whose single active uplink is its NIC; its
    ``pci`` is that NIC's ``PhysicalNic.pci`` (how a client finds the adapter's pnic)."""
    import ssl  # pylint: disable=import-outside-toplevel

    from pyVim.connect import Disconnect, SmartConnect  # pylint: disable=import-outside-toplevel

    from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.simtools import ESXI, SimProcess, credentials  # pylint: disable=import-outside-toplevel

    with SimProcess(ESXI) as sim:
        user, pwd = credentials(ESXI)
        si = SmartConnect(host="127.0.0.1", port=sim.port, user=user, pwd=pwd, sslContext=ssl.create_default_context(cafile=sim.ca_file))
        cm = hosts_by_name(si)["esxi01.lab.local"].configManager
        ns = cm.networkSystem
        ns.AddVirtualSwitch("vSwitch1", V.VirtualSwitch.Specification(numPorts=128, bridge=V.VirtualSwitch.BondBridge(nicDevice=["vmnic2", "vmnic3"])))
        shapes = (("On-2", order(["vmnic2"]), "10.1.1.2"), ("On-3", order(["vmnic3"]), "10.1.1.3"),
                  ("Both", order(["vmnic2", "vmnic3"]), "10.1.1.4"))
        for name, policy, addr in shapes:
            ns.AddPortGroup(V.PortGroup.Specification(name=name, vswitchName="vSwitch1", vlanId=0, policy=policy))
            ns.AddVirtualNic(name, V.VirtualNic.Specification(ip=V.IpConfig(dhcp=False, ipAddress=addr, subnetMask="255.255.255.0")))
        dependent = [c.vnicDevice for c in cm.iscsiManager.QueryCandidateNics("vmhba2")]
        assert dependent == [vmk_of(cm, "On-3")]
        software = {c.vnicDevice for c in cm.iscsiManager.QueryCandidateNics("vmhba64") if c.vnicDevice}
        assert software == {vmk_of(cm, n) for n in ("On-2", "On-3", "Both")}
        hbas = {h.device: h for h in cm.storageSystem.storageDeviceInfo.hostBusAdapter}
        pcis = {p.device: p.pci for p in ns.networkInfo.pnic}
        assert hbas["vmhba2"].pci == pcis["vmnic3"] and len(set(pcis.values())) == len(pcis)
        assert not hbas["vmhba64"].pci
        for name in ("On-2", "Both"):
            with pytest.raises(vim.fault.IscsiFaultVnicHasWrongUplink if name == "On-2" else vim.fault.IscsiFaultVnicHasMultipleUplinks):
                cm.iscsiManager.BindVnic("vmhba2", vmk_of(cm, name))
        assert not cm.iscsiManager.QueryBoundVnics("vmhba2")
        Disconnect(si)
