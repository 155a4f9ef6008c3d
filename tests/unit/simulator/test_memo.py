"""The simulator keeps computed values (and their XML) per state generation: a read after a write
always shows the write. Each cached thing is read twice first (so the memo and the serialised XML
are warm), then written, then read again."""

from __future__ import annotations

import pytest
from pyVmomi import vim, vmodl

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.simtools import DEMO
from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_protocol import hosts_by_name

PC = vmodl.query.PropertyCollector
V = vim.host


@pytest.fixture(scope="module")
def hosts(si):
    return hosts_by_name(si)


def read(si, host, path):
    """One path of one host through RetrievePropertiesEx (the memo of paths and their XML)."""
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=host)], propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=[path])])
    (content,) = si.content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions()).objects
    return {p.name: p.val for p in content.propSet}.get(path)


def warm(si, host, *paths):
    for path in paths:
        read(si, host, path)
        read(si, host, path)


def portgroup(info, name):
    return next(p for p in info.portgroup if p.spec.name == name)


def vnic(info, device):
    return next(v for v in info.vnic if v.device == device)


def test_config_network_and_networkinfo_show_a_port_group_change(si, hosts):
    host = hosts["esx01.lab.local"]
    ns = host.configManager.networkSystem
    warm(si, host, "config.network")
    assert portgroup(ns.networkInfo, "VM Network").spec.vlanId == portgroup(ns.networkInfo, "VM Network").spec.vlanId == 0
    spec = portgroup(ns.networkInfo, "VM Network").spec
    spec.vlanId = 7
    ns.UpdatePortGroup("VM Network", spec)
    assert portgroup(read(si, host, "config.network"), "VM Network").spec.vlanId == 7
    assert portgroup(ns.networkInfo, "VM Network").spec.vlanId == 7  # Fetch of the network system
    assert portgroup(host.config.network, "VM Network").spec.vlanId == 7  # Fetch of the whole config


def test_a_vmk_spec_shared_by_network_and_nic_manager_info_shows_a_change_in_both(si, hosts):
    host = hosts["esx02.lab.local"]
    ns = host.configManager.networkSystem
    warm(si, host, "config.network", "config.virtualNicManagerInfo")
    spec = vnic(ns.networkInfo, "vmk0").spec
    spec.mtu = 9000
    ns.UpdateVirtualNic("vmk0", spec)
    assert vnic(read(si, host, "config.network"), "vmk0").spec.mtu == 9000
    for config in read(si, host, "config.virtualNicManagerInfo").netConfig:
        assert [v.spec.mtu for v in config.candidateVnic if v.device == "vmk0"] == [9000]


def test_nic_manager_info_shows_a_selection(si, hosts):
    host = hosts["esx02.lab.local"]
    warm(si, host, "config.virtualNicManagerInfo")
    host.configManager.virtualNicManager.SelectVnicForNicType("vmotion", "vmk0")
    selected = {c.nicType: list(c.selectedVnic) for c in read(si, host, "config.virtualNicManagerInfo").netConfig}
    assert selected["vmotion"] == ["vmotion.key-vim.host.VirtualNic-vmk0"]


def test_storage_device_shows_targets_and_options_without_leaking_to_a_host_with_the_same_values(si, hosts):
    a, b = hosts["esx03.lab.local"], hosts["esx04.lab.local"]
    path = "config.storageDevice.hostBusAdapter"
    for host in (a, b):
        warm(si, host, path)
        host.configManager.storageSystem.UpdateSoftwareInternetScsiEnabled(True)
        warm(si, host, path)
        target = V.InternetScsiHba.SendTarget(address="10.10.20.100", port=3260)
        host.configManager.storageSystem.AddInternetScsiSendTargets("vmhba64", [target])
    for host in (a, b):  # the same values on both hosts: shared option lists
        (hba,) = [h for h in read(si, host, path) if h.device == "vmhba64"]
        assert len(hba.configuredSendTarget) == 1 and len(hba.configuredStaticTarget) == 2
    targets = V.InternetScsiHba.TargetSet(sendTargets=[V.InternetScsiHba.SendTarget(address="10.10.20.100", port=3260)])
    a.configManager.storageSystem.UpdateInternetScsiAdvancedOptions(
        "vmhba64", targets, [V.InternetScsiHba.ParamValue(key="LoginTimeout", value=30)])

    def login_timeouts(host):
        (hba,) = [h for h in read(si, host, path) if h.device == "vmhba64"]
        return [next(o.value for o in t.advancedOptions if o.key == "LoginTimeout")
                for t in list(hba.configuredSendTarget) + list(hba.configuredStaticTarget)]

    assert login_timeouts(a) == [30, 30, 30]  # the send target and the static targets discovered from it
    assert login_timeouts(b) == [5, 5, 5]


def test_iscsi_compliance_follows_a_teaming_change_after_a_warm_query(si, hosts):
    host = hosts["esx01.lab.local"]
    cm = host.configManager
    ns = cm.networkSystem
    ns.AddVirtualSwitch("vSwitchM", V.VirtualSwitch.Specification(numPorts=128, mtu=9000,
                                                                  bridge=V.VirtualSwitch.BondBridge(nicDevice=["vmnic2", "vmnic3"])))
    one = V.NetworkPolicy(nicTeaming=V.NetworkPolicy.NicTeamingPolicy(nicOrder=V.NetworkPolicy.NicOrderPolicy(activeNic=["vmnic2"])))
    ns.AddPortGroup(V.PortGroup.Specification(name="iSCSI-M", vswitchName="vSwitchM", vlanId=20, policy=one))
    device = ns.AddVirtualNic("iSCSI-M", V.VirtualNic.Specification(
        ip=V.IpConfig(dhcp=False, ipAddress="10.10.20.31", subnetMask="255.255.255.0"), mtu=9000))
    cm.storageSystem.UpdateSoftwareInternetScsiEnabled(True)
    cm.iscsiManager.BindVnic("vmhba64", device)
    for _query in range(2):
        (bound,) = cm.iscsiManager.QueryBoundVnics("vmhba64")
        assert not bound.complianceStatus.reason
    two = V.NetworkPolicy(nicTeaming=V.NetworkPolicy.NicTeamingPolicy(
        nicOrder=V.NetworkPolicy.NicOrderPolicy(activeNic=["vmnic2", "vmnic3"])))
    ns.UpdatePortGroup("iSCSI-M", V.PortGroup.Specification(name="iSCSI-M", vswitchName="vSwitchM", vlanId=20, policy=two))
    (bound,) = cm.iscsiManager.QueryBoundVnics("vmhba64")
    assert [type(r) for r in bound.complianceStatus.reason] == [vim.fault.IscsiFaultVnicHasMultipleUplinks]


def test_a_test_mutation_shows_in_the_read_it_is_armed_on(si, hosts, sim):
    host = hosts["esx04.lab.local"]
    warm(si, host, "config.network")
    sim.arm_fault({"method": "RetrievePropertiesEx", "nth": 1, "action": "mutate", "host": "esx04.lab.local",
                   "portgroup": "VM Network", "vlan": 99})
    try:
        assert portgroup(read(si, host, "config.network"), "VM Network").spec.vlanId == 99
    finally:
        sim.disarm_faults()


def test_memo_builds_once_per_generation_and_only_while_a_read_is_served():
    from vsphere_sim import inventory  # pylint: disable=import-outside-toplevel,import-error
    sim = inventory.load(DEMO)
    built = []

    def build():
        built.append(1)
        return object()

    assert sim.memo(("k",), build) is not sim.memo(("k",), build)  # outside a call: never kept
    sim._memo_on = True  # pylint: disable=protected-access  # as while RetrievePropertiesEx is served
    first = sim.memo(("k",), build)
    assert sim.memo(("k",), build) is first and len(built) == 3
    sim.changed()
    assert sim.memo(("k",), build) is not first and len(built) == 4


def test_a_repeated_read_is_answered_with_the_same_bytes_and_a_write_changes_them(si, hosts, sim):
    """The XML kept per generation is the XML a fresh serialisation gives (the first answer computes it)."""
    import ssl  # pylint: disable=import-outside-toplevel
    import urllib.request  # pylint: disable=import-outside-toplevel

    from pyVmomi import SoapAdapter, VmomiSupport  # pylint: disable=import-outside-toplevel
    version = VmomiSupport.versionMap["vim25/8.0.3.0"]
    stub = SoapAdapter.SoapStubAdapterBase(version=version)
    stub.requestContext = {}
    host = hosts["esx04.lab.local"]
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=host)],
                         propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=["config.network", "config.virtualNicManagerInfo"])])
    body = stub.SerializeRequest(si.content.propertyCollector, PC._GetMethodInfo("RetrievePropertiesEx"),  # pylint: disable=protected-access
                                 [[spec], PC.RetrieveOptions()])

    def answer():
        request = urllib.request.Request(sim.url, data=body, method="POST", headers={
            "Content-Type": "text/xml", "SOAPAction": '"urn:vim25/8.0.3.0"', "Cookie": si._stub.cookie})  # pylint: disable=protected-access
        with urllib.request.urlopen(request, context=ssl.create_default_context(cafile=sim.ca_file), timeout=30) as resp:
            return resp.read()

    first = answer()
    assert answer() == first and b"<name>config.network</name>" in first
    host.configManager.networkSystem.UpdateVirtualNic("vmk0", V.VirtualNic.Specification(mtu=1600))
    changed = answer()
    assert changed != first and b"<mtu>1600</mtu>" in changed and b"<mtu>1600</mtu>" not in first
