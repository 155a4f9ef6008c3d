"""Distributed switches beyond the demo: ReconfigureDvs_Task, UpdateDVSLacpGroupConfig_Task,
switch Destroy_Task, iSCSI compliance of vmks on dvPortgroups, inventory errors and --state."""

from __future__ import annotations

import copy
import ssl

import pytest
import yaml
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.simtools import SimProcess
from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_dvs import read, teaming, view_of
from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_protocol import hosts_by_name

VDS = vim.dvs.VmwareDistributedVirtualSwitch
PG = vim.dvs.DistributedVirtualPortgroup


def vmk(device, dvpg, last_octet):
    return {"device": device, "dvportgroup": dvpg, "ip": "10.10.20.%d" % last_octet, "netmask": "255.255.255.0"}


PORTGROUPS_A = [
    {"name": "pg-one", "vlan": 20, "teaming": {"active": ["dvUplink1"], "standby": []}},
    {"name": "pg-two-active", "vlan": 20, "teaming": {"active": ["dvUplink1", "dvUplink2"], "standby": []}},
    {"name": "pg-standby", "vlan": 20, "teaming": {"active": ["dvUplink1"], "standby": ["dvUplink2"]}},
    {"name": "pg-iphash", "vlan": 20, "teaming": {"policy": "iphash", "active": ["dvUplink1"], "standby": []}},
    {"name": "pg-none", "vlan": 20, "teaming": {"active": ["dvUplink3"], "standby": []}},
    {"name": "pg-lag", "vlan": 20, "teaming": {"active": ["lag1"], "standby": []}},
]

INVENTORY = {
    "credentials": {"username": "root", "password": "pw"},
    "host_defaults": {
        "pnics": [{"device": "vmnic%d" % i} for i in range(6)],
        "vswitches": [{"name": "vSwitch0", "uplinks": ["vmnic0", "vmnic1"]}],
        "portgroups": [{"name": "Management Network", "vswitch": "vSwitch0"}],
    },
    "storage_arrays": [{"name": "array", "portals": [{"address": "10.10.20.100"}], "targets": [{"iqn": "iqn.2010-06.com.example:a"}]}],
    "vcenter": {"datacenters": [{
        "name": "DC1",
        "clusters": [{"name": "C", "hosts": [
            {"name": "h1", "iscsi": {"software_iscsi": True},
             "vmks": [{"device": "vmk0", "portgroup": "Management Network", "ip": "192.168.10.11"},
                      vmk("vmk1", "pg-one", 11), vmk("vmk2", "pg-two-active", 12), vmk("vmk3", "pg-standby", 13),
                      vmk("vmk4", "pg-iphash", 14), vmk("vmk5", "pg-none", 15), vmk("vmk6", "pg-lag", 16)]},
            {"name": "h2"},
            {"name": "h3"},
        ]}],
        "distributed_switches": [
            {"name": "dvs-a", "uplinks": ["dvUplink1", "dvUplink2", "dvUplink3"],
             "lags": [{"name": "lag1", "mode": "active", "uplinks": 2}],
             "portgroups": PORTGROUPS_A,
             "hosts": [{"name": "h1", "pnics": {"vmnic2": "dvUplink1", "vmnic3": "dvUplink2", "vmnic4": "lag1-0"}}, {"name": "h2"}]},
            {"name": "dvs-b", "uplinks": ["uplink1"], "portgroups": [{"name": "pg-b"}], "hosts": [{"name": "h2", "pnics": {"vmnic5": "uplink1"}}]},
        ],
    }]},
}


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    path = tmp_path_factory.mktemp("dvs") / "dvs.yml"
    path.write_text(yaml.safe_dump(INVENTORY), encoding="utf-8")
    with SimProcess(str(path)) as proc:
        si = SmartConnect(host="127.0.0.1", port=proc.port, user="root", pwd="pw", sslContext=ssl.create_default_context(cafile=proc.ca_file))
        yield si
        Disconnect(si)


@pytest.fixture(scope="module")
def switches(lab):
    return view_of(lab, vim.DistributedVirtualSwitch)


@pytest.fixture(scope="module")
def h1(lab):
    return hosts_by_name(lab)["h1"]


def member(host, operation, pnics=None):
    backing = vim.dvs.HostMember.PnicBacking(pnicSpec=[vim.dvs.HostMember.PnicSpec(pnicDevice=p, uplinkPortKey=k) for p, k in (pnics or {}).items()])
    return vim.dvs.HostMember.ConfigSpec(operation=operation, host=host, backing=backing if pnics is not None else None)


# -- iSCSI compliance of vmks on dvPortgroups ----------------------------------------------


@pytest.mark.parametrize("device, fault", [
    ("vmk2", vim.fault.IscsiFaultVnicHasMultipleUplinks),  # two active dvUplinks
    ("vmk3", vim.fault.IscsiFaultVnicHasMultipleUplinks),  # a standby dvUplink
    ("vmk4", vim.fault.IscsiFaultVnicHasMultipleUplinks),  # IP hash
    ("vmk5", vim.fault.IscsiFaultVnicHasNoUplinks),  # dvUplink3 has no pnic on h1
    ("vmk6", vim.fault.IscsiFaultVnicHasMultipleUplinks),  # an active LAG, even with one pnic behind it
])
def test_bind_refuses_non_compliant_dv_teaming(h1, device, fault):
    with pytest.raises(fault) as err:
        h1.configManager.iscsiManager.BindVnic("vmhba64", device)
    assert err.value.vnicDevice == device


def test_compliant_dv_vmk_binds_and_a_later_teaming_change_shows(lab, switches, h1):
    iscsi, ss = h1.configManager.iscsiManager, h1.configManager.storageSystem
    ss.AddInternetScsiSendTargets("vmhba64", [vim.host.InternetScsiHba.SendTarget(address="10.10.20.100", port=3260)])
    iscsi.BindVnic("vmhba64", "vmk1")
    bound = iscsi.QueryBoundVnics("vmhba64")
    assert [(b.vnicDevice, b.pnicDevice, b.switchName, b.portgroupName, b.pathStatus) for b in bound] == [
        ("vmk1", "vmnic2", "dvs-a", "pg-one", "lastActive")]
    assert bound[0].switchUuid == switches["dvs-a"].uuid and not bound[0].complianceStatus.reason
    pg = view_of(lab, PG)["pg-one"]
    WaitForTask(pg.ReconfigureDVPortgroup_Task(PG.ConfigSpec(configVersion=pg.config.configVersion,
                                                             defaultPortConfig=teaming(["dvUplink1"], ["dvUplink2"]))))
    bound = iscsi.QueryBoundVnics("vmhba64")
    assert isinstance(bound[0].complianceStatus.reason[0], vim.fault.IscsiFaultVnicHasMultipleUplinks)
    assert bound[0].pathStatus == "notUsed"
    iscsi.UnbindVnic("vmhba64", "vmk1", True)


# -- ReconfigureDvs_Task -----------------------------------------------------------------------


def test_reconfigure_switch_mtu_and_members(lab, switches):
    sw, h3 = switches["dvs-a"], hosts_by_name(lab)["h3"]
    version = sw.config.configVersion
    WaitForTask(sw.ReconfigureDvs_Task(VDS.ConfigSpec(configVersion=version, maxMtu=9000, host=[member(h3, "add")])))
    config = sw.config
    assert config.maxMtu == 9000 and int(config.configVersion) == int(version) + 1 and h3 in sw.summary.hostMember
    key = next(kv.key for kv in next(p for p in h3.config.network.proxySwitch if p.dvsName == "dvs-a").uplinkPort if kv.value == "lag1-1")
    WaitForTask(sw.ReconfigureDvs_Task(VDS.ConfigSpec(configVersion=config.configVersion, host=[member(h3, "edit", {"vmnic4": key})])))
    proxy = next(p for p in h3.config.network.proxySwitch if p.dvsName == "dvs-a")
    assert [(s.pnicDevice, s.uplinkPortKey) for s in proxy.spec.backing.pnicSpec] == [("vmnic4", key)]
    assert proxy.mtu == 9000 and [lag.lagName for lag in proxy.hostLag] == ["lag1"]
    WaitForTask(sw.ReconfigureDvs_Task(VDS.ConfigSpec(configVersion=sw.config.configVersion, host=[member(h3, "remove")])))
    assert not [p for p in h3.config.network.proxySwitch if p.dvsName == "dvs-a"] and h3 not in sw.summary.hostMember


@pytest.mark.parametrize("case, fault", [
    ("stale-version", vim.fault.ConcurrentAccess),
    ("duplicate-name", vim.fault.DuplicateName),
    ("invalid-name", vim.fault.InvalidName),
    ("member-twice", vim.fault.AlreadyExists),
    ("not-a-member", vim.fault.NotFound),
    ("member-with-vmks", vim.fault.ResourceInUse),
    ("pnic-on-vswitch", vim.fault.ResourceInUse),
    ("bad-mtu", vmodl.fault.InvalidArgument),
    ("single-lag-with-lags", vim.fault.DvsFault),
])
def test_reconfigure_switch_faults_change_nothing(lab, switches, case, fault):
    sw, hosts = switches["dvs-a"], hosts_by_name(lab)
    before = sw.config
    spec = VDS.ConfigSpec(configVersion=before.configVersion)
    if case == "stale-version":
        spec.configVersion, spec.maxMtu = "0", 9000
    elif case == "duplicate-name":
        spec.name = "dvs-b"
    elif case == "invalid-name":
        spec.name = ""
    elif case == "member-twice":
        spec.host = [member(hosts["h1"], "add")]
    elif case == "not-a-member":
        spec.host = [member(hosts["h3"], "edit", {})]
    elif case == "member-with-vmks":
        spec.host = [member(hosts["h1"], "remove")]
    elif case == "pnic-on-vswitch":
        spec.maxMtu, spec.host = 1600, [member(hosts["h2"], "edit", {"vmnic0": None})]
    elif case == "bad-mtu":
        spec.maxMtu = 99999
    else:
        spec.lacpApiVersion = "singleLag"
    task = sw.ReconfigureDvs_Task(spec)
    with pytest.raises(fault):
        WaitForTask(task)
    assert isinstance(task.info.error, fault)
    after = sw.config
    assert (after.name, after.configVersion, after.maxMtu, after.lacpApiVersion, len(after.host)) == (
        before.name, before.configVersion, before.maxMtu, before.lacpApiVersion, len(before.host))


# -- UpdateDVSLacpGroupConfig_Task -------------------------------------------------------------


def lag_spec(operation, **config):
    return VDS.LacpGroupSpec(operation=operation, lacpGroupConfig=VDS.LacpGroupConfig(**config))


def test_lag_add_edit_remove(lab, switches, h1):
    sw = switches["dvs-a"]
    version = sw.config.configVersion
    WaitForTask(sw.UpdateDVSLacpGroupConfig_Task([lag_spec("add", name="lag2", mode="passive", uplinkNum=3, loadbalanceAlgorithm="srcMac")]))
    lag2 = next(lag for lag in sw.config.lacpGroupConfig if lag.name == "lag2")
    assert (lag2.mode, lag2.uplinkNum, list(lag2.uplinkName), lag2.key) == ("passive", 3, ["lag2-0", "lag2-1", "lag2-2"], lag2.key)
    assert int(sw.config.configVersion) == int(version) + 1
    host_lag = next(lag for p in h1.config.network.proxySwitch if p.dvsName == "dvs-a" for lag in p.hostLag if lag.lagName == "lag2")
    assert [kv.value for kv in host_lag.uplinkPort] == ["lag2-0", "lag2-1", "lag2-2"]
    WaitForTask(sw.UpdateDVSLacpGroupConfig_Task([lag_spec("edit", key=lag2.key, name="lag3", uplinkNum=2)]))
    lag3 = next(lag for lag in sw.config.lacpGroupConfig if lag.key == lag2.key)
    assert (lag3.name, list(lag3.uplinkName), lag3.mode) == ("lag3", ["lag3-0", "lag3-1"], "passive")
    WaitForTask(sw.UpdateDVSLacpGroupConfig_Task([lag_spec("remove", key=lag2.key)]))
    assert [lag.name for lag in sw.config.lacpGroupConfig] == ["lag1"]


@pytest.mark.parametrize("specs, fault", [
    ([lag_spec("add", name="lag1", mode="active", uplinkNum=2)], vim.fault.DvsFault),  # name taken
    ([lag_spec("add", name="dvUplink1", mode="active", uplinkNum=2)], vim.fault.DvsFault),  # an uplink's name
    ([lag_spec("edit", key="lag-99", uplinkNum=2)], vim.fault.DvsFault),  # no such key
    ([lag_spec("remove", key="lag-1")], vim.fault.DvsFault),  # lag1 is pg-lag's active uplink
    ([lag_spec("add", name="lag9", mode="sometimes", uplinkNum=2)], vmodl.fault.InvalidArgument),
    ([lag_spec("add", name="lag9", mode="active", uplinkNum=2), lag_spec("add", name="lag9", mode="active", uplinkNum=2)], vim.fault.DvsFault),
])
def test_lag_faults_change_nothing(switches, specs, fault):
    sw = switches["dvs-a"]
    before = sw.config
    with pytest.raises(fault):
        WaitForTask(sw.UpdateDVSLacpGroupConfig_Task(specs))
    after = sw.config
    assert [(lag.key, lag.name, lag.uplinkNum) for lag in after.lacpGroupConfig] == [(lag.key, lag.name, lag.uplinkNum) for lag in before.lacpGroupConfig]
    assert after.configVersion == before.configVersion


def test_lags_need_enhanced_lacp(switches):
    sw = switches["dvs-b"]
    WaitForTask(sw.ReconfigureDvs_Task(VDS.ConfigSpec(configVersion=sw.config.configVersion, lacpApiVersion="singleLag")))
    assert sw.config.lacpApiVersion == "singleLag"
    with pytest.raises(vim.fault.ConflictingConfiguration):
        WaitForTask(sw.UpdateDVSLacpGroupConfig_Task([lag_spec("add", name="lag1", mode="active", uplinkNum=2)]))
    assert not sw.config.lacpGroupConfig
    WaitForTask(sw.ReconfigureDvs_Task(VDS.ConfigSpec(configVersion=sw.config.configVersion, lacpApiVersion="multipleLag")))


# -- vmks and Destroy_Task -----------------------------------------------------------------------


def test_vmk_on_a_switch_the_host_is_not_a_member_of(lab, switches):
    ns = hosts_by_name(lab)["h3"].configManager.networkSystem
    pg = view_of(lab, PG)["pg-one"]
    spec = vim.host.VirtualNic.Specification(ip=vim.host.IpConfig(dhcp=True),
                                             distributedVirtualPort=vim.dvs.PortConnection(switchUuid=switches["dvs-a"].uuid, portgroupKey=pg.key))
    with pytest.raises(vim.fault.HostConfigFault):
        ns.AddVirtualNic("", spec)
    assert [v.device for v in ns.networkInfo.vnic] == []


def test_destroy_switch(lab, switches):
    with pytest.raises(vim.fault.ResourceInUse):
        WaitForTask(switches["dvs-a"].Destroy_Task())
    assert "dvs-a" in view_of(lab, vim.DistributedVirtualSwitch)
    WaitForTask(switches["dvs-b"].Destroy_Task())
    assert set(view_of(lab, vim.DistributedVirtualSwitch)) == {"dvs-a"}
    assert "pg-b" not in view_of(lab, PG)
    assert not [p for p in hosts_by_name(lab)["h2"].config.network.proxySwitch if p.dvsName == "dvs-b"]


# -- inventory errors and --state ------------------------------------------------------------


def _build(data):
    from vsphere_sim import inventory  # pylint: disable=import-outside-toplevel,import-error
    return inventory.build(data)


def _with(change):
    data = copy.deepcopy(INVENTORY)
    change(data["vcenter"]["datacenters"][0])
    return data


@pytest.mark.parametrize("change, path, text", [
    (lambda dc: dc["distributed_switches"][0]["hosts"][0]["pnics"].update(vmnic5="dvUplink9"), "distributed_switches[0].hosts[0]",
     "no uplink port dvUplink9"),
    (lambda dc: dc["distributed_switches"][0]["hosts"][0]["pnics"].update(vmnic0="dvUplink3"), "distributed_switches[0].hosts[0]",
     "vmnic0 is already used by vSwitch0"),
    (lambda dc: dc["clusters"][0]["hosts"][0]["vmks"].append(vmk("vmk9", "pg-nowhere", 99)), "hosts[0].vmks[7].dvportgroup",
     "no dvPortgroup pg-nowhere"),
    (lambda dc: dc["distributed_switches"][0]["portgroups"][0]["teaming"].update(active=["lag1", "dvUplink1"]), "portgroups[0]",
     "a LAG must be the only active uplink"),
    (lambda dc: dc["distributed_switches"][0].update(colour="blue"), "distributed_switches[0]", "unknown key(s) colour"),
    (lambda dc: dc["distributed_switches"][0]["hosts"].append({"name": "h9"}), "distributed_switches[0].hosts[2].name", "unknown host h9"),
])
def test_inventory_errors_name_the_yaml_path(change, path, text):
    from vsphere_sim.inventory import InventoryError  # pylint: disable=import-outside-toplevel,import-error
    with pytest.raises(InventoryError) as err:
        _build(_with(change))
    assert path in err.value.path and text in str(err.value)


def test_dvportgroup_vmk_needs_a_vcenter():
    from vsphere_sim.inventory import InventoryError  # pylint: disable=import-outside-toplevel,import-error
    data = {"credentials": {"username": "u", "password": "p"},
            "esxi": {"name": "esx", "pnics": [{"device": "vmnic0"}], "vmks": [vmk("vmk1", "pg-one", 1)]}}
    with pytest.raises(InventoryError, match="need a vcenter inventory"):
        _build(data)


def test_dvs_state_survives_a_restart(tmp_path):
    inv, state = tmp_path / "dvs.yml", str(tmp_path / "state.json")
    inv.write_text(yaml.safe_dump(INVENTORY), encoding="utf-8")
    for run in (1, 2):
        with SimProcess(str(inv), state=state) as proc:
            si = SmartConnect(host="127.0.0.1", port=proc.port, user="root", pwd="pw", sslContext=ssl.create_default_context(cafile=proc.ca_file))
            sw = view_of(si, vim.DistributedVirtualSwitch)["dvs-a"]
            pg = view_of(si, PG)["pg-one"]
            if run == 1:
                WaitForTask(sw.UpdateDVSLacpGroupConfig_Task([lag_spec("add", name="lag2", mode="active", uplinkNum=2)]))
                WaitForTask(pg.ReconfigureDVPortgroup_Task(PG.ConfigSpec(configVersion=pg.config.configVersion,
                                                                         defaultPortConfig=teaming(["dvUplink2"]))))
                WaitForTask(sw.CreateDVPortgroup_Task(PG.ConfigSpec(name="pg-new", type="earlyBinding")))
            else:
                assert [lag.name for lag in sw.config.lacpGroupConfig] == ["lag1", "lag2"]
                order = read(si, pg, "config.defaultPortConfig")["config.defaultPortConfig"].uplinkTeamingPolicy.uplinkPortOrder
                assert list(order.activeUplinkPort) == ["dvUplink2"] and order.inherited is False
                assert "pg-new" in view_of(si, PG)
                dv_vmks = [v for v in hosts_by_name(si)["h1"].config.network.vnic if v.spec.distributedVirtualPort]
                assert len(dv_vmks) == 6
                created = WaitForTask(sw.CreateDVPortgroup_Task(PG.ConfigSpec(name="pg-after", type="earlyBinding")))
                assert created == "success" and len({p.key for p in sw.portgroup}) == len(sw.portgroup)
            Disconnect(si)
