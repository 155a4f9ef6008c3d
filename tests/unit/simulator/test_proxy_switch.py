"""UpdateNetworkConfig with config.proxySwitch: physical NICs move between a standard switch and the
host's proxy switch together with the vmks that depend on them, in one all-or-nothing call (what
vCenter's "Migrate networking" and PowerCLI's Add-VDSwitchPhysicalNetworkAdapter do)."""

from __future__ import annotations

import ssl

import pytest
import yaml
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.simtools import SimProcess
from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_dvs import read, view_of
from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_protocol import hosts_by_name

PG = vim.dvs.DistributedVirtualPortgroup
HostMember = vim.dvs.HostMember


def iscsi_vmk(device, portgroup, last_octet):
    return {"device": device, "portgroup": portgroup, "ip": "10.10.20.%d" % last_octet, "netmask": "255.255.255.0"}


INVENTORY = {
    "credentials": {"username": "root", "password": "pw"},
    "host_defaults": {
        "pnics": [{"device": "vmnic%d" % i} for i in range(8)],
        "vswitches": [{"name": "vSwitch0", "uplinks": ["vmnic0", "vmnic1"]},
                      {"name": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"], "mtu": 9000}],
        "portgroups": [{"name": "Management Network", "vswitch": "vSwitch0"},
                       {"name": "iscsi-a", "vswitch": "vSwitch1", "teaming": {"active": ["vmnic2"], "standby": []}},
                       {"name": "iscsi-b", "vswitch": "vSwitch1", "teaming": {"active": ["vmnic3"], "standby": []}}],
    },
    "storage_arrays": [{"name": "array", "portals": [{"address": "10.10.20.100"}], "targets": [{"iqn": "iqn.2010-06.com.example:a"}]}],
    "vcenter": {"datacenters": [{
        "name": "DC1",
        "clusters": [{"name": "C", "hosts": [
            {"name": "h1", "iscsi": {"software_iscsi": True},
             "vmks": [{"device": "vmk0", "portgroup": "Management Network", "ip": "192.168.10.11"},
                      iscsi_vmk("vmk1", "iscsi-a", 11), iscsi_vmk("vmk2", "iscsi-b", 12)]},
            {"name": "h2"},
        ]}],
        "distributed_switches": [
            {"name": "dvs-a", "uplinks": ["dvUplink1", "dvUplink2"], "mtu": 9000,
             "portgroups": [{"name": "dv-iscsi-a", "vlan": 20, "teaming": {"active": ["dvUplink1"], "standby": []}},
                            {"name": "dv-iscsi-b", "vlan": 20, "teaming": {"active": ["dvUplink2"], "standby": []}}],
             "hosts": [{"name": "h1"}]},
        ],
    }]},
}


def connect(proc):
    return SmartConnect(host="127.0.0.1", port=proc.port, user="root", pwd="pw", sslContext=ssl.create_default_context(cafile=proc.ca_file))


@pytest.fixture(scope="module")
def inventory(tmp_path_factory):
    path = tmp_path_factory.mktemp("proxy") / "proxy.yml"
    path.write_text(yaml.safe_dump(INVENTORY), encoding="utf-8")
    return str(path)


@pytest.fixture(scope="module")
def proc(inventory):
    with SimProcess(inventory) as sim:
        yield sim


@pytest.fixture(scope="module")
def lab(proc):
    si = connect(proc)
    yield si
    Disconnect(si)


@pytest.fixture(scope="module")
def h1(lab):
    host = hosts_by_name(lab)["h1"]
    cm = host.configManager
    cm.storageSystem.AddInternetScsiSendTargets("vmhba64", [vim.host.InternetScsiHba.SendTarget(address="10.10.20.100", port=3260)])
    cm.iscsiManager.BindVnic("vmhba64", "vmk1")
    cm.iscsiManager.BindVnic("vmhba64", "vmk2")
    return host


@pytest.fixture(scope="module")
def dvs(lab):
    return view_of(lab, vim.DistributedVirtualSwitch)["dvs-a"]


# -- the call shape a client sends ----------------------------------------------------------


def uplink_key(dvs, host, uplink):
    """The key of ``host``'s uplink port named ``uplink`` (from its proxy switch, as a client reads it)."""
    proxy = next(p for p in host.config.network.proxySwitch if p.dvsUuid == dvs.uuid)
    return next(kv.key for kv in proxy.uplinkPort if kv.value == uplink)


def proxy_config(dvs, pnics, operation="edit", uuid=None):
    """One HostProxySwitchConfig: ``pnics`` {vmnicN: uplink port key} is the member's complete pnic set."""
    specs = [HostMember.PnicSpec(pnicDevice=p, uplinkPortKey=k, uplinkPortgroupKey=dvs.config.uplinkPortgroup[0].key) for p, k in pnics.items()]
    return vim.host.HostProxySwitch.Config(changeOperation=operation, uuid=uuid or dvs.uuid, spec=vim.host.HostProxySwitch.Specification(
        backing=HostMember.PnicBacking(pnicSpec=specs)))


def vswitch_config(host, name, bridge):
    spec = next(s.spec for s in host.config.network.vswitch if s.name == name)
    spec.bridge = vim.host.VirtualSwitch.BondBridge(nicDevice=list(bridge))
    spec.policy.nicTeaming.nicOrder = vim.host.NetworkPolicy.NicOrderPolicy(activeNic=list(bridge), standbyNic=[])
    return vim.host.VirtualSwitch.Config(changeOperation="edit", name=name, spec=spec)


def to_dvportgroup(dvs, device, pg_name):
    pg = next(p for p in dvs.portgroup if p.name == pg_name)
    spec = vim.host.VirtualNic.Specification(distributedVirtualPort=vim.dvs.PortConnection(switchUuid=dvs.uuid, portgroupKey=pg.key))
    return vim.host.VirtualNic.Config(changeOperation="edit", device=device, portgroup="", spec=spec)


def to_portgroup(device, portgroup):
    return vim.host.VirtualNic.Config(changeOperation="edit", device=device, portgroup=portgroup,
                                      spec=vim.host.VirtualNic.Specification(portgroup=portgroup))


# -- reading the state back ----------------------------------------------------------------


def placement(si, host, dvs):
    """Where every pnic and vmk is, read with plain pyVmomi through the PropertyCollector."""
    net = read(si, host, "config.network")["config.network"]
    proxy = {p.dvsUuid: p for p in net.proxySwitch}[dvs.uuid]
    member = next(m for m in dvs.config.host if m.config.host.name == host.name)
    return {
        "vswitch": {s.name: sorted(s.spec.bridge.nicDevice) for s in net.vswitch},
        "proxy": {s.pnicDevice: s.uplinkPortKey for s in proxy.spec.backing.pnicSpec},
        "proxy_pnic": sorted(proxy.pnic),
        "member": {s.pnicDevice: s.uplinkPortKey for s in member.config.backing.pnicSpec},
        "vmk": {v.device: v.portgroup or v.spec.distributedVirtualPort.portgroupKey for v in net.vnic},
    }


def bound(host):
    return {b.vnicDevice: ([type(r) for r in b.complianceStatus.reason or []], b.pathStatus, b.pnicDevice, b.switchName)
            for b in host.configManager.iscsiManager.QueryBoundVnics("vmhba64")}


def migrate_in(dvs, h1):
    """vmnic2 and vmk1 from vSwitch1 to dvs-a (dvUplink1, dv-iscsi-a) in one call."""
    return vim.host.NetworkConfig(vswitch=[vswitch_config(h1, "vSwitch1", ["vmnic3"])],
                                  proxySwitch=[proxy_config(dvs, {"vmnic2": uplink_key(dvs, h1, "dvUplink1")})],
                                  vnic=[to_dvportgroup(dvs, "vmk1", "dv-iscsi-a")])


def migrate_out(dvs, h1):
    """vmnic2 and vmk1 back from dvs-a to vSwitch1 (iscsi-a) in one call."""
    return vim.host.NetworkConfig(proxySwitch=[proxy_config(dvs, {})], vswitch=[vswitch_config(h1, "vSwitch1", ["vmnic2", "vmnic3"])],
                                  vnic=[to_portgroup("vmk1", "iscsi-a")])


# -- moves ------------------------------------------------------------------------------------


def test_pnic_and_bound_vmk_move_to_the_proxy_switch_in_one_call(proc, lab, h1, dvs):
    assert bound(h1)["vmk1"] == ([], "active", "vmnic2", "vSwitch1")
    version = dvs.config.configVersion
    proc.reset_stats()
    h1.configManager.networkSystem.UpdateNetworkConfig(migrate_in(dvs, h1), "modify")
    assert proc.stats()["calls"]["UpdateNetworkConfig"] == 1 and proc.stats()["writes"] == 1
    after = placement(lab, h1, dvs)
    key = uplink_key(dvs, h1, "dvUplink1")
    assert after["vswitch"]["vSwitch1"] == ["vmnic3"]
    assert after["proxy"] == after["member"] == {"vmnic2": key}
    assert after["proxy_pnic"] == ["key-vim.host.PhysicalNic-vmnic2"]
    assert after["vmk"]["vmk1"] == next(p.key for p in dvs.portgroup if p.name == "dv-iscsi-a")
    # the binding follows the new placement: compliant, its path still active next to vmk2's
    assert bound(h1) == {"vmk1": ([], "active", "vmnic2", "dvs-a"), "vmk2": ([], "active", "vmnic3", "vSwitch1")}
    assert dvs.config.configVersion == version  # a host-side change of its uplinks [INF]


def test_pnic_and_vmk_move_back_to_the_standard_switch_in_one_call(lab, h1, dvs):
    h1.configManager.networkSystem.UpdateNetworkConfig(migrate_out(dvs, h1), "modify")
    after = placement(lab, h1, dvs)
    assert after["vswitch"]["vSwitch1"] == ["vmnic2", "vmnic3"]
    assert after["proxy"] == after["member"] == {} and after["proxy_pnic"] == []
    assert after["vmk"]["vmk1"] == "iscsi-a"
    assert bound(h1)["vmk1"] == ([], "active", "vmnic2", "vSwitch1")


def test_bound_vmk_moved_without_its_pnic_has_no_uplink(lab, h1, dvs):
    ns = h1.configManager.networkSystem
    ns.UpdateNetworkConfig(vim.host.NetworkConfig(vnic=[to_dvportgroup(dvs, "vmk2", "dv-iscsi-b")]), "modify")
    try:
        assert bound(h1)["vmk2"] == ([vim.fault.IscsiFaultVnicHasNoUplinks], "notUsed", None, "dvs-a")
        assert bound(h1)["vmk1"] == ([], "lastActive", "vmnic2", "vSwitch1")
    finally:
        ns.UpdateNetworkConfig(vim.host.NetworkConfig(vnic=[to_portgroup("vmk2", "iscsi-b")]), "modify")
    assert bound(h1)["vmk2"] == ([], "active", "vmnic3", "vSwitch1")


# -- refusals: each changes nothing ------------------------------------------------------------


def test_pnic_left_in_a_bridge_and_the_proxy_switch_is_in_use(proc, lab, h1, dvs):
    before = placement(lab, h1, dvs)
    config = migrate_in(dvs, h1)
    config.vswitch = []  # vmnic2 stays on vSwitch1
    proc.reset_stats()
    with pytest.raises(vim.fault.ResourceInUse) as err:
        h1.configManager.networkSystem.UpdateNetworkConfig(config, "modify")
    assert err.value.name == "vmnic2" and "vSwitch1" in err.value.msg and "dvs-a" in err.value.msg
    assert placement(lab, h1, dvs) == before and proc.stats()["writes"] == 0


@pytest.mark.parametrize("operation", ["edit", "remove"])  # an edit fails before the proxy switch item, a remove after it
def test_a_failing_call_rolls_back_its_pnic_moves(lab, h1, dvs, operation):
    before = placement(lab, h1, dvs)
    config = migrate_in(dvs, h1)
    config.vnic.append(vim.host.VirtualNic.Config(changeOperation=operation, device="vmk9", spec=vim.host.VirtualNic.Specification(mtu=9000)))
    with pytest.raises(vim.fault.NotFound):
        h1.configManager.networkSystem.UpdateNetworkConfig(config, "modify")
    assert placement(lab, h1, dvs) == before
    assert bound(h1)["vmk1"] == ([], "active", "vmnic2", "vSwitch1")


@pytest.mark.parametrize("case, fault", [
    ("unknown uuid", vim.fault.NotFound),
    ("not a member", vim.fault.NotFound),
    ("add", vim.fault.HostConfigFault),
    ("remove", vim.fault.HostConfigFault),
    ("unknown pnic", vim.fault.NotFound),
    ("unknown uplink port", vmodl.fault.InvalidArgument),
    ("no free uplink port", vim.fault.HostConfigFault),
    ("pnic twice", vmodl.fault.InvalidArgument),
])
def test_proxy_switch_faults_change_nothing(lab, h1, dvs, case, fault):
    host = hosts_by_name(lab)["h2"] if case == "not a member" else h1
    key = uplink_key(dvs, h1, "dvUplink1")
    proxy = {
        "unknown uuid": lambda: proxy_config(dvs, {"vmnic4": key}, uuid="00 11 22 33 44 55 66 77-88 99 aa bb cc dd ee ff"),
        "not a member": lambda: proxy_config(dvs, {"vmnic4": key}),
        "add": lambda: proxy_config(dvs, {"vmnic4": key}, operation="add"),
        "remove": lambda: proxy_config(dvs, {}, operation="remove"),
        "unknown pnic": lambda: proxy_config(dvs, {"vmnic9": key}),
        "unknown uplink port": lambda: proxy_config(dvs, {"vmnic4": "99999"}),
        "no free uplink port": lambda: proxy_config(dvs, {"vmnic4": None, "vmnic5": None, "vmnic6": None}),
        "pnic twice": lambda: proxy_config(dvs, {"vmnic4": key, "vmnic5": key}),
    }[case]()
    before = placement(lab, h1, dvs)
    with pytest.raises(fault):
        host.configManager.networkSystem.UpdateNetworkConfig(vim.host.NetworkConfig(proxySwitch=[proxy]), "modify")
    assert placement(lab, h1, dvs) == before


def test_network_config_round_trip_keeps_the_proxy_switch(lab, h1, dvs):
    """networkConfig read back is valid input: in replace mode the proxy switch is edited to what it is."""
    ns = h1.configManager.networkSystem
    ns.UpdateNetworkConfig(vim.host.NetworkConfig(proxySwitch=[proxy_config(dvs, {"vmnic4": uplink_key(dvs, h1, "dvUplink2")})]), "modify")
    before = placement(lab, h1, dvs)
    assert before["proxy"] == {"vmnic4": uplink_key(dvs, h1, "dvUplink2")}
    ns.UpdateNetworkConfig(ns.networkConfig, "replace")
    assert placement(lab, h1, dvs) == before


# -- --state ----------------------------------------------------------------------------------


def test_a_move_survives_a_restart(inventory, tmp_path):
    state, moved = str(tmp_path / "state.json"), {}
    for run in (1, 2):
        with SimProcess(inventory, state=state) as sim:
            si = connect(sim)
            host, switch = hosts_by_name(si)["h1"], view_of(si, vim.DistributedVirtualSwitch)["dvs-a"]
            if run == 1:
                host.configManager.networkSystem.UpdateNetworkConfig(migrate_in(switch, host), "modify")
                moved = placement(si, host, switch)
            else:
                assert placement(si, host, switch) == moved
                assert moved["proxy"] == {"vmnic2": uplink_key(switch, host, "dvUplink1")} and moved["vswitch"]["vSwitch1"] == ["vmnic3"]
            Disconnect(si)
