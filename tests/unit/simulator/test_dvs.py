"""Distributed switches on the demo inventory with unmodified pyVmomi: dvs-prod with lag1 on
vmnic4+vmnic5 of every host, dvpg-prod-lacp teamed on the LAG (vsphere-api.md §7)."""

from __future__ import annotations

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_protocol import hosts_by_name

PC = vmodl.query.PropertyCollector
VDS = vim.dvs.VmwareDistributedVirtualSwitch
PG = vim.dvs.DistributedVirtualPortgroup


def view_of(si, kind):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [kind], True)
    try:
        return {mo.name: mo for mo in view.view}
    finally:
        view.Destroy()


def read(si, obj, *paths):
    """One RetrievePropertiesEx of ``paths`` on ``obj`` -> {path: value}."""
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=obj)], propSet=[PC.PropertySpec(type=type(obj), pathSet=list(paths))])
    result = si.content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    return {p.name: p.val for p in result.objects[0].propSet}


def order_of(setting):
    order = setting.uplinkTeamingPolicy.uplinkPortOrder
    return list(order.activeUplinkPort), list(order.standbyUplinkPort), order.inherited


def teaming(active, standby=(), inherited=False):
    return VDS.VmwarePortConfigPolicy(uplinkTeamingPolicy=VDS.UplinkPortTeamingPolicy(
        inherited=False, uplinkPortOrder=VDS.UplinkPortOrderPolicy(inherited=inherited, activeUplinkPort=list(active),
                                                                   standbyUplinkPort=list(standby))))


@pytest.fixture(scope="module")
def dvs(si):
    return view_of(si, vim.DistributedVirtualSwitch)["dvs-prod"]


@pytest.fixture(scope="module")
def lacp_pg(si):
    return view_of(si, PG)["dvpg-prod-lacp"]


def dv_vmk_spec(switch, pg, ip):
    return vim.host.VirtualNic.Specification(
        ip=vim.host.IpConfig(dhcp=False, ipAddress=ip, subnetMask="255.255.255.0"),
        distributedVirtualPort=vim.dvs.PortConnection(switchUuid=switch.uuid, portgroupKey=pg.key))


# -- reachability -------------------------------------------------------------------------


def test_switch_and_portgroups_are_reached_by_traversal_from_the_root_folder(si):
    to_folder = PC.SelectionSpec(name="folder")
    folder = PC.TraversalSpec(name="folder", type=vim.Folder, path="childEntity", selectSet=[to_folder, PC.SelectionSpec(name="dc")])
    dc = PC.TraversalSpec(name="dc", type=vim.Datacenter, path="networkFolder", selectSet=[to_folder])
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=si.content.rootFolder, skip=True, selectSet=[folder, dc])],
                         propSet=[PC.PropertySpec(type=vim.DistributedVirtualSwitch, pathSet=["name", "config.lacpGroupConfig"]),
                                  PC.PropertySpec(type=PG, pathSet=["name", "config.uplink"])])
    found = {}
    for content in si.content.propertyCollector.RetrieveContents([spec]):
        props = {p.name: p.val for p in content.propSet}
        found[props["name"]] = (type(content.obj), props)
    assert found["dvs-prod"][0] is VDS
    assert [lag.name for lag in found["dvs-prod"][1]["config.lacpGroupConfig"]] == ["lag1"]
    assert found["dvpg-prod-lacp"][1]["config.uplink"] is False
    uplink_pgs = [n for n, (_t, p) in found.items() if p.get("config.uplink")]
    assert len(uplink_pgs) == 1 and uplink_pgs[0].startswith("dvs-prod-DVUplinks")


def test_container_views_by_type(si, dvs):
    assert set(view_of(si, vim.DistributedVirtualSwitch)) == {"dvs-prod"}
    pgs = view_of(si, PG)
    assert "dvpg-prod-lacp" in pgs and all(pg.config.distributedVirtualSwitch == dvs for pg in pgs.values())
    assert set(view_of(si, vim.HostSystem)) == {"esx01.lab.local", "esx02.lab.local", "esx03.lab.local", "esx04.lab.local"}


def test_switch_config_lag_and_members(dvs):
    config = dvs.config
    lag = config.lacpGroupConfig[0]
    assert (config.lacpApiVersion, config.maxMtu, list(config.uplinkPortPolicy.uplinkPortName)) == ("multipleLag", 9000, ["dvUplink1", "dvUplink2"])
    assert (lag.name, lag.mode, lag.uplinkNum, lag.loadbalanceAlgorithm, list(lag.uplinkName)) == (
        "lag1", "active", 2, "srcDestIpTcpUdpPortVlan", ["lag1-0", "lag1-1"])
    assert len(lag.uplinkPortKey) == 8  # two LAG ports on each of the four members
    assert sorted(m.config.host.name for m in config.host) == ["esx01.lab.local", "esx02.lab.local", "esx03.lab.local", "esx04.lab.local"]


def test_lag_appears_in_every_hosts_proxy_switch(si, dvs):
    for host in hosts_by_name(si).values():
        proxy = read(si, host, "config.network.proxySwitch")["config.network.proxySwitch"]
        assert [(p.dvsName, p.dvsUuid) for p in proxy] == [("dvs-prod", dvs.uuid)]
        lag = proxy[0].hostLag[0]
        ports = {kv.value: kv.key for kv in lag.uplinkPort}
        assert (lag.lagName, sorted(ports)) == ("lag1", ["lag1-0", "lag1-1"])
        backing = {s.pnicDevice: s.uplinkPortKey for s in proxy[0].spec.backing.pnicSpec}
        assert backing == {"vmnic4": ports["lag1-0"], "vmnic5": ports["lag1-1"]}
        assert sorted(proxy[0].pnic) == ["key-vim.host.PhysicalNic-vmnic4", "key-vim.host.PhysicalNic-vmnic5"]


def test_portgroup_shows_the_lag_as_its_only_active_uplink_with_inheritance(si, lacp_pg):
    setting = read(si, lacp_pg, "config.defaultPortConfig")["config.defaultPortConfig"]
    team = setting.uplinkTeamingPolicy
    assert order_of(setting) == (["lag1"], [], False)
    assert team.inherited is False  # it overrides a member
    assert (team.policy.value, team.policy.inherited) == ("loadbalance_srcid", True)
    assert (team.rollingOrder.value, team.rollingOrder.inherited, team.failureCriteria.inherited) == (False, True, True)
    assert (setting.vlan.vlanId, setting.vlan.inherited) == (50, False)


# -- ReconfigureDVPortgroup_Task ---------------------------------------------------------


def test_reconfigure_portgroup_round_trips_a_teaming_change(si, dvs):
    task = dvs.CreateDVPortgroup_Task(PG.ConfigSpec(name="dvpg-roundtrip", type="earlyBinding", numPorts=8))
    WaitForTask(task)
    pg = task.info.result
    before = read(si, pg, "config.configVersion", "config.defaultPortConfig")
    assert order_of(before["config.defaultPortConfig"]) == (["dvUplink1", "dvUplink2"], [], True)  # the switch's order
    spec = PG.ConfigSpec(configVersion=before["config.configVersion"], defaultPortConfig=teaming(["dvUplink2"], ["dvUplink1"]))
    spec.defaultPortConfig.uplinkTeamingPolicy.policy = vim.StringPolicy(inherited=False, value="failover_explicit")
    assert WaitForTask(pg.ReconfigureDVPortgroup_Task(spec)) == "success"
    after = read(si, pg, "config.configVersion", "config.defaultPortConfig")
    assert order_of(after["config.defaultPortConfig"]) == (["dvUplink2"], ["dvUplink1"], False)
    team = after["config.defaultPortConfig"].uplinkTeamingPolicy
    assert (team.policy.value, team.policy.inherited, team.notifySwitches.inherited) == ("failover_explicit", False, True)
    assert int(after["config.configVersion"]) == int(before["config.configVersion"]) + 1
    # inherited=True on the order goes back to the switch's order; the policy override stays
    spec = PG.ConfigSpec(configVersion=after["config.configVersion"], defaultPortConfig=teaming([], inherited=True))
    WaitForTask(pg.ReconfigureDVPortgroup_Task(spec))
    reverted = read(si, pg, "config.defaultPortConfig")["config.defaultPortConfig"]
    assert order_of(reverted) == (["dvUplink1", "dvUplink2"], [], True)
    assert reverted.uplinkTeamingPolicy.policy.value == "failover_explicit"


@pytest.mark.parametrize("change, fault", [
    ({"configVersion": "0"}, vim.fault.ConcurrentAccess),
    ({"name": "dvpg-prod-lacp"}, vim.fault.DuplicateName),
    ({"name": "x" * 81}, vim.fault.InvalidName),
    ({"defaultPortConfig": teaming(["lag1", "dvUplink1"])}, vmodl.fault.InvalidArgument),  # a LAG must be alone
    ({"defaultPortConfig": teaming(["lag1"], ["dvUplink1"])}, vmodl.fault.InvalidArgument),  # ... and nothing standby
    ({"defaultPortConfig": teaming(["dvUplink9"])}, vmodl.fault.InvalidArgument),
    ({"configVersion": None}, vmodl.fault.InvalidArgument),
])
def test_reconfigure_portgroup_faults_change_nothing(si, dvs, change, fault):
    pg = view_of(si, PG).get("dvpg-faults")
    if pg is None:
        pg = WaitForTask(dvs.CreateDVPortgroup_Task(PG.ConfigSpec(name="dvpg-faults", type="earlyBinding"))) and view_of(si, PG)["dvpg-faults"]
    before = read(si, pg, "config")["config"]
    values = {"configVersion": before.configVersion, "name": "dvpg-faults-renamed", "defaultPortConfig": teaming(["dvUplink2"])}
    values.update(change)
    task = pg.ReconfigureDVPortgroup_Task(PG.ConfigSpec(**values))
    with pytest.raises(fault):
        WaitForTask(task)
    assert task.info.state == "error" and isinstance(task.info.error, fault)
    after = read(si, pg, "config")["config"]
    assert (after.name, after.configVersion, order_of(after.defaultPortConfig)) == (
        before.name, before.configVersion, order_of(before.defaultPortConfig))


# -- CreateDVPortgroup_Task / AddDVPortgroup_Task / Destroy_Task -------------------------


def test_create_portgroup_with_lag_teaming(si, dvs):
    spec = PG.ConfigSpec(name="dvpg-created", type="earlyBinding", numPorts=16, defaultPortConfig=teaming(["lag1"]))
    task = dvs.CreateDVPortgroup_Task(spec)
    assert WaitForTask(task) == "success"
    pg = task.info.result
    assert isinstance(pg, PG) and pg.name == "dvpg-created" and pg.config.numPorts == 16
    assert order_of(pg.config.defaultPortConfig) == (["lag1"], [], False)
    assert pg in dvs.portgroup and pg in si.content.rootFolder.childEntity[0].networkFolder.childEntity


@pytest.mark.parametrize("name, fault", [("dvpg-prod-lacp", vim.fault.DuplicateName), ("", vim.fault.InvalidName)])
def test_create_portgroup_faults(si, dvs, name, fault):
    count = len(dvs.portgroup)
    with pytest.raises(fault):
        WaitForTask(dvs.CreateDVPortgroup_Task(PG.ConfigSpec(name=name, type="earlyBinding")))
    assert len(dvs.portgroup) == count


def test_add_portgroups_is_all_or_nothing(si, dvs):
    good = PG.ConfigSpec(name="dvpg-batch-1", type="earlyBinding")
    with pytest.raises(vim.fault.DuplicateName):
        WaitForTask(dvs.AddDVPortgroup_Task([good, PG.ConfigSpec(name="dvpg-prod-lacp", type="earlyBinding")]))
    assert "dvpg-batch-1" not in view_of(si, PG)
    assert WaitForTask(dvs.AddDVPortgroup_Task([good, PG.ConfigSpec(name="dvpg-batch-2", type="ephemeral")])) == "success"
    pgs = view_of(si, PG)
    assert pgs["dvpg-batch-2"].config.type == "ephemeral" and "dvpg-batch-1" in pgs


def test_destroy_unused_portgroup(si, dvs):
    pg = WaitForTask(dvs.CreateDVPortgroup_Task(PG.ConfigSpec(name="dvpg-doomed", type="earlyBinding"))) and view_of(si, PG)["dvpg-doomed"]
    assert WaitForTask(pg.Destroy_Task()) == "success"
    assert "dvpg-doomed" not in view_of(si, PG) and "dvpg-doomed" not in dvs.summary.portgroupName


def test_uplink_portgroup_cannot_be_destroyed(si, dvs):
    uplink = dvs.config.uplinkPortgroup[0]
    with pytest.raises(vim.fault.InvalidState):
        WaitForTask(uplink.Destroy_Task())
    assert uplink in dvs.portgroup


# -- vmks on a dvPortgroup, iSCSI compliance ----------------------------------------------


@pytest.fixture(scope="module")
def esx03(si):
    return hosts_by_name(si)["esx03.lab.local"]


def test_add_vmk_on_a_dvportgroup(si, dvs, lacp_pg, esx03):
    ns = esx03.configManager.networkSystem
    free = read(si, esx03, "config.network.proxySwitch")["config.network.proxySwitch"][0].numPortsAvailable
    device = ns.AddVirtualNic("", dv_vmk_spec(dvs, lacp_pg, "10.10.50.13"))
    vnic = next(v for v in ns.networkInfo.vnic if v.device == device)
    conn = vnic.spec.distributedVirtualPort
    assert vnic.portgroup == "" and (conn.switchUuid, conn.portgroupKey) == (dvs.uuid, lacp_pg.key)
    assert conn.portKey and conn.connectionCookie is not None
    assert read(si, esx03, "config.network.proxySwitch")["config.network.proxySwitch"][0].numPortsAvailable == free - 1
    second = ns.AddVirtualNic("", dv_vmk_spec(dvs, lacp_pg, "10.10.50.23"))  # a dvPortgroup takes several vmks
    ports = {v.spec.distributedVirtualPort.portKey for v in ns.networkInfo.vnic if v.device in (device, second)}
    assert len(ports) == 2
    ns.RemoveVirtualNic(second)


@pytest.mark.parametrize("conn, fault", [
    ({"switchUuid": "00 00-00"}, vmodl.fault.InvalidArgument),
    ({"portgroupKey": "dvportgroup-999"}, vmodl.fault.InvalidArgument),
])
def test_add_vmk_on_a_dvportgroup_faults(si, dvs, lacp_pg, esx03, conn, fault):
    ns = esx03.configManager.networkSystem
    before = [v.device for v in ns.networkInfo.vnic]
    spec = dv_vmk_spec(dvs, lacp_pg, "10.10.50.33")
    for key, value in conn.items():
        setattr(spec.distributedVirtualPort, key, value)
    with pytest.raises(fault):
        ns.AddVirtualNic("", spec)
    assert [v.device for v in ns.networkInfo.vnic] == before


def test_binding_a_vmk_on_a_lag_portgroup_is_refused(si, esx03):
    cm = esx03.configManager
    vmk = next(v.device for v in cm.networkSystem.networkInfo.vnic if v.spec.distributedVirtualPort)
    cm.storageSystem.UpdateSoftwareInternetScsiEnabled(True)
    with pytest.raises(vim.fault.IscsiFaultVnicHasMultipleUplinks) as err:
        cm.iscsiManager.BindVnic("vmhba64", vmk)
    assert err.value.vnicDevice == vmk
    assert cm.iscsiManager.QueryBoundVnics("vmhba64") == []
    cand = next(c for c in cm.iscsiManager.QueryCandidateNics("vmhba64") if c.vnicDevice == vmk)
    assert isinstance(cand.complianceStatus.reason[0], vim.fault.IscsiFaultVnicHasMultipleUplinks)
    assert (cand.switchName, cand.portgroupName, cand.pnicDevice) == ("dvs-prod", "dvpg-prod-lacp", None)
    assert cand.switchUuid and cand.portgroupKey and cand.portKey
    pnic_candidates = {c.pnicDevice for c in cm.iscsiManager.QueryCandidateNics("vmhba64") if not c.vnicDevice}
    assert pnic_candidates == {"vmnic2", "vmnic3"}  # the DVS's pnics are taken


def test_destroy_portgroup_in_use_fails_like_vcenter(si, lacp_pg, esx03):
    task = lacp_pg.Destroy_Task()
    with pytest.raises(vim.fault.ResourceInUse):
        WaitForTask(task)
    assert isinstance(task.info.error, vim.fault.ResourceInUse) and task.info.state == "error"
    assert "dvpg-prod-lacp" in view_of(si, PG)


def test_dvs_pnic_cannot_join_a_standard_switch(esx03):
    ns = esx03.configManager.networkSystem
    spec = vim.host.VirtualSwitch.Specification(numPorts=128, bridge=vim.host.VirtualSwitch.BondBridge(nicDevice=["vmnic4"]))
    with pytest.raises(vim.fault.ResourceInUse):
        ns.AddVirtualSwitch("vSwitch9", spec)
    assert "vSwitch9" not in [s.name for s in ns.networkInfo.vswitch]


def test_vmk_migrates_between_standard_and_distributed_port_groups(si, dvs, lacp_pg):
    ns = hosts_by_name(si)["esx04.lab.local"].configManager.networkSystem
    ns.AddPortGroup(vim.host.PortGroup.Specification(name="Migrate", vswitchName="vSwitch0", vlanId=0, policy=vim.host.NetworkPolicy()))
    device = ns.AddVirtualNic("Migrate", vim.host.VirtualNic.Specification(ip=vim.host.IpConfig(dhcp=True)))
    ns.UpdateVirtualNic(device, vim.host.VirtualNic.Specification(
        distributedVirtualPort=vim.dvs.PortConnection(switchUuid=dvs.uuid, portgroupKey=lacp_pg.key)))
    vnic = next(v for v in ns.networkInfo.vnic if v.device == device)
    assert vnic.portgroup == "" and vnic.spec.distributedVirtualPort.portgroupKey == lacp_pg.key
    ns.UpdateVirtualNic(device, vim.host.VirtualNic.Specification(portgroup="Migrate"))
    vnic = next(v for v in ns.networkInfo.vnic if v.device == device)
    assert vnic.portgroup == "Migrate" and vnic.spec.distributedVirtualPort is None
    ns.RemoveVirtualNic(device)
