"""LUN topology: scsiLun, scsiTopology and multipathInfo follow discovery and port binding."""

from __future__ import annotations

import pytest
from pyVmomi import vim

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_iscsi import order
from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_protocol import hosts_by_name

V = vim.host


@pytest.fixture(scope="module")
def esx01(si):
    """vSwitch1 on vmnic2+vmnic3, iSCSI-A (vmnic2) and iSCSI-B (vmnic3) vmks in 10.10.20.0/24, software iSCSI on."""
    host = hosts_by_name(si)["esx01.lab.local"]
    ns = host.configManager.networkSystem
    ns.AddVirtualSwitch("vSwitch1", V.VirtualSwitch.Specification(numPorts=128, bridge=V.VirtualSwitch.BondBridge(nicDevice=["vmnic2", "vmnic3"])))
    for i, (name, nic) in enumerate((("iSCSI-A", "vmnic2"), ("iSCSI-B", "vmnic3"))):
        ns.AddPortGroup(V.PortGroup.Specification(name=name, vswitchName="vSwitch1", vlanId=20, policy=order([nic])))
        ns.AddVirtualNic(name, V.VirtualNic.Specification(ip=V.IpConfig(dhcp=False, ipAddress="10.10.20.%d" % (11 + 10 * i), subnetMask="255.255.255.0")))
    host.configManager.storageSystem.UpdateSoftwareInternetScsiEnabled(True)
    return host


def paths_by_lun(device_info):
    disks = {d.key: d.canonicalName for d in device_info.scsiLun}
    return {disks[u.lun]: {p.name: p.pathState for p in u.path} for u in device_info.multipathInfo.lun}


def test_no_luns_before_discovery(esx01):
    info = esx01.config.storageDevice
    assert not info.scsiLun and not info.multipathInfo.lun
    assert [(i.adapter, list(i.target)) for i in info.scsiTopology.adapter] == [("key-vim.host.InternetScsiHba-vmhba64", [])]


def test_discovery_presents_the_arrays_luns_on_every_portal(esx01):
    esx01.configManager.storageSystem.AddInternetScsiSendTargets("vmhba64", [V.InternetScsiHba.SendTarget(address="10.10.20.100", port=3260)])
    info = esx01.config.storageDevice
    assert len(info.scsiLun) == 2 and all(d.canonicalName.startswith("naa.624a9370") for d in info.scsiLun)
    assert sorted(d.capacity.block * d.capacity.blockSize // 2 ** 30 for d in info.scsiLun) == [2048, 2048]
    targets = info.scsiTopology.adapter[0].target
    assert sorted(t.transport.address[0] for t in targets) == ["10.10.20.100:3260", "10.10.20.101:3260"]
    assert all([lun.lun for lun in t.lun] == [1, 2] for t in targets)
    # unbound: one host-routed channel per target, live through a vmk in the portal subnet
    paths = paths_by_lun(info)
    for n, disk in zip((1, 2), _by_lun(info), strict=True):
        assert paths[disk.canonicalName] == {"vmhba64:C0:T0:L%d" % n: "active", "vmhba64:C0:T1:L%d" % n: "active"}
    assert {u.policy.policy for u in info.multipathInfo.lun} == {"VMW_PSP_RR"}


def _by_lun(info):
    lun_of = {lun.scsiLun: lun.lun for lun in info.scsiTopology.adapter[0].target[0].lun}
    return sorted(info.scsiLun, key=lambda d: lun_of[d.key])


def test_bound_vmks_are_channels_and_path_state_follows_compliance(esx01):
    iscsi, ns = esx01.configManager.iscsiManager, esx01.configManager.networkSystem
    vmks = {v.portgroup: v.device for v in ns.networkInfo.vnic}
    iscsi.BindVnic("vmhba64", vmks["iSCSI-A"])
    iscsi.BindVnic("vmhba64", vmks["iSCSI-B"])
    info = esx01.config.storageDevice
    paths = paths_by_lun(info)
    for n, disk in zip((1, 2), _by_lun(info), strict=True):
        assert paths[disk.canonicalName] == {"vmhba64:C%d:T%d:L%d" % (c, t, n): "active" for c in (0, 1) for t in (0, 1)}
    # iSCSI-B turns non-compliant: its channel's paths die and iSCSI-A becomes the last active path
    ns.UpdatePortGroup("iSCSI-B", V.PortGroup.Specification(name="iSCSI-B", vswitchName="vSwitch1", vlanId=20, policy=order(["vmnic2", "vmnic3"])))
    states = {name: state for p in paths_by_lun(esx01.config.storageDevice).values() for name, state in p.items()}
    assert {s for n, s in states.items() if ":C0:" in n} == {"active"} and {s for n, s in states.items() if ":C1:" in n} == {"dead"}
    assert {b.vnicDevice: b.pathStatus for b in iscsi.QueryBoundVnics("vmhba64")} == {vmks["iSCSI-A"]: "lastActive", vmks["iSCSI-B"]: "notUsed"}
