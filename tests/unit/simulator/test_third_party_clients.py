"""What playbooks around ours do with plain pyVmomi before and after the fabric tasks: gather host
facts, set DNS, NTP, services and advanced settings, create a distributed switch, wait on
PropertyCollector updates. Each test is an unmodified pyVmomi client of the simulator."""

from __future__ import annotations

import ssl
import threading
import time

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import VmomiSupport, vim, vmodl

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.simtools import DEMO, ESXI, SimProcess, credentials
from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_dvs import view_of
from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_protocol import hosts_by_name
from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_updates import watch

PC = vmodl.query.PropertyCollector
VDS = vim.dvs.VmwareDistributedVirtualSwitch
LONG = VmomiSupport.vmodlTypes["long"]
ARRAY = "10.10.20.100"


@pytest.fixture(scope="module")
def hosts(si):
    return hosts_by_name(si)


def connect_to(proc, inventory=DEMO):
    user, pwd = credentials(inventory)
    return SmartConnect(host="127.0.0.1", port=proc.port, user=user, pwd=pwd, sslContext=ssl.create_default_context(cafile=proc.ca_file))


def later(seconds, action):
    """Run ``action`` in another thread after ``seconds`` (another client's change during a wait)."""
    thread = threading.Timer(seconds, action)
    thread.start()
    return thread


def add_pg(host, name, vlan=0):
    host.configManager.networkSystem.AddPortGroup(vim.host.PortGroup.Specification(
        name=name, vlanId=vlan, vswitchName="vSwitch0", policy=vim.host.NetworkPolicy()))


# -- PropertyCollector waits ---------------------------------------------------------------

def test_wait_for_updates_ex_blocks_until_another_client_changes_something(si, connect, hosts):
    host = hosts["esx02.lab.local"]
    other = hosts_by_name(connect())["esx02.lab.local"]
    pc = si.content.propertyCollector
    filt = watch(si, host, "config.network.portgroup")
    try:
        base = pc.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0))
        timer = later(0.5, lambda: add_pg(other, "pg-waited"))
        start = time.monotonic()
        update = pc.WaitForUpdatesEx(base.version, PC.WaitOptions(maxWaitSeconds=20))
        elapsed = time.monotonic() - start
        timer.join()
        assert 0.4 <= elapsed < 10
        (change,) = update.filterSet[0].objectSet[0].changeSet
        assert "pg-waited" in [p.spec.name for p in change.val]
    finally:
        filt.Destroy()
        host.configManager.networkSystem.RemovePortGroup("pg-waited")


def test_wait_for_updates_ex_returns_none_after_max_wait_seconds_and_at_once_for_zero(si, hosts):
    pc = si.content.propertyCollector
    filt = watch(si, hosts["esx02.lab.local"], "name")
    try:
        base = pc.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0))
        start = time.monotonic()
        assert pc.WaitForUpdatesEx(base.version, PC.WaitOptions(maxWaitSeconds=1)) is None
        assert 0.9 <= time.monotonic() - start < 5
        start = time.monotonic()
        assert pc.WaitForUpdatesEx(base.version, PC.WaitOptions(maxWaitSeconds=0)) is None
        assert time.monotonic() - start < 0.5
    finally:
        filt.Destroy()


def test_legacy_wait_for_updates_blocks_until_a_change(si, connect, hosts):
    host = hosts["esx02.lab.local"]
    other = hosts_by_name(connect())["esx02.lab.local"]
    pc = si.content.propertyCollector
    filt = watch(si, host, "config.network.portgroup")
    try:
        base = pc.WaitForUpdates("")
        timer = later(0.5, lambda: add_pg(other, "pg-legacy"))
        start = time.monotonic()
        update = pc.WaitForUpdates(base.version)
        timer.join()
        assert time.monotonic() - start >= 0.4
        assert int(update.version) == int(base.version) + 1 and update.filterSet[0].objectSet[0].kind == "modify"
    finally:
        filt.Destroy()
        host.configManager.networkSystem.RemovePortGroup("pg-legacy")


def test_cancel_wait_for_updates_ends_a_pending_wait(si, hosts):
    pc = si.content.propertyCollector
    filt = watch(si, hosts["esx02.lab.local"], "name")
    try:
        base = pc.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0))
        timer = later(0.5, pc.CancelWaitForUpdates)
        start = time.monotonic()
        with pytest.raises(vmodl.fault.RequestCanceled):
            pc.WaitForUpdatesEx(base.version, PC.WaitOptions(maxWaitSeconds=20))
        timer.join()
        assert time.monotonic() - start < 10
    finally:
        filt.Destroy()


def test_a_wait_without_limit_ends_at_the_servers_idle_limit():
    with SimProcess(DEMO, max_wait=1) as proc:
        si = connect_to(proc)
        try:
            pc = si.content.propertyCollector
            watch(si, si.content.rootFolder, "name")
            base = pc.WaitForUpdatesEx("", None)
            start = time.monotonic()
            assert pc.WaitForUpdatesEx(base.version, None) is None
            legacy = pc.WaitForUpdates(base.version)
            assert 1.8 <= time.monotonic() - start < 10
            assert (legacy.version, list(legacy.filterSet)) == (base.version, [])
        finally:
            Disconnect(si)


def test_wait_for_task_and_task_polling_keep_working(si):
    dvs = view_of(si, vim.DistributedVirtualSwitch)["dvs-prod"]
    task = dvs.CreateDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name="dvpg-polled", type="earlyBinding"))
    assert task.info.state == "success"  # community.vmware polls task.info.state
    assert WaitForTask(task) == "success"
    pg = task.info.result
    assert WaitForTask(pg.Destroy_Task()) == "success"


# -- distributed switches --------------------------------------------------------------------

def test_create_dvs_through_the_dvswitch_manager_and_remove_a_host_with_a_plain_config_spec(si, hosts):
    content = si.content
    manager = content.dvSwitchManager
    (recommended,) = manager.QueryAvailableDvsSpec(recommended=True)
    assert recommended.version == "8.0.3"
    dc = content.rootFolder.childEntity[0]
    spec = vim.DistributedVirtualSwitch.CreateSpec(
        configSpec=VDS.ConfigSpec(name="dvs-thirdparty", maxMtu=9000, multicastFilteringMode="snooping",
                                  uplinkPortPolicy=vim.DistributedVirtualSwitch.NameArrayUplinkPortPolicy(uplinkPortName=["up1", "up2"]),
                                  host=[vim.dvs.HostMember.ConfigSpec(operation="add", host=hosts["esx03.lab.local"])]),
        productInfo=recommended)
    task = dc.networkFolder.CreateDVS_Task(spec)
    assert WaitForTask(task) == "success"
    dvs = task.info.result
    assert dvs in dc.networkFolder.childEntity and manager.QueryDvsByUuid(dvs.uuid) == dvs
    config = dvs.config
    assert (config.maxMtu, config.multicastFilteringMode, config.productInfo.version) == (9000, "snooping", "8.0.3")
    assert list(config.uplinkPortPolicy.uplinkPortName) == ["up1", "up2"] and len(config.host) == 1
    plain = vim.DistributedVirtualSwitch.ConfigSpec(configVersion=config.configVersion, host=[
        vim.dvs.HostMember.ConfigSpec(operation="remove", host=hosts["esx03.lab.local"])])
    assert WaitForTask(dvs.ReconfigureDvs_Task(plain)) == "success"
    assert list(dvs.config.host) == []
    assert WaitForTask(dvs.Destroy_Task()) == "success"
    with pytest.raises(vim.fault.NotFound):
        manager.QueryDvsByUuid(config.uuid)


def test_reconfigure_dvs_takes_a_plain_distributed_virtual_switch_config_spec(si):
    dvs = view_of(si, vim.DistributedVirtualSwitch)["dvs-prod"]
    version = dvs.config.configVersion
    spec = vim.DistributedVirtualSwitch.ConfigSpec(configVersion=version, description="switch for VM traffic")
    assert WaitForTask(dvs.ReconfigureDvs_Task(spec)) == "success"
    assert int(dvs.config.configVersion) == int(version) + 1 and dvs.config.maxMtu == 9000


def test_reconfigure_dvs_sets_the_multicast_filtering_mode(si):
    dvs = view_of(si, vim.DistributedVirtualSwitch)["dvs-prod"]
    assert dvs.config.multicastFilteringMode == "legacyFiltering"
    WaitForTask(dvs.ReconfigureDvs_Task(VDS.ConfigSpec(configVersion=dvs.config.configVersion, multicastFilteringMode="snooping")))
    assert dvs.config.multicastFilteringMode == "snooping"
    WaitForTask(dvs.ReconfigureDvs_Task(VDS.ConfigSpec(configVersion=dvs.config.configVersion, multicastFilteringMode="legacyFiltering")))


def test_a_dvportgroup_keeps_auto_expand_false(si):
    dvs = view_of(si, vim.DistributedVirtualSwitch)["dvs-prod"]
    task = dvs.CreateDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name="dvpg-fixed", type="earlyBinding",
                                                                                     numPorts=4, autoExpand=False))
    WaitForTask(task)
    pg = task.info.result
    assert (pg.config.autoExpand, pg.config.numPorts) == (False, 4)
    WaitForTask(pg.ReconfigureDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
        configVersion=pg.config.configVersion, autoExpand=True)))
    assert pg.config.autoExpand is True
    WaitForTask(pg.Destroy_Task())


def test_the_uplink_portgroup_is_a_vlan_trunk_of_every_vlan(si):
    dvs = view_of(si, vim.DistributedVirtualSwitch)["dvs-prod"]
    (uplink,) = dvs.config.uplinkPortgroup
    vlan = uplink.config.defaultPortConfig.vlan
    assert isinstance(vlan, VDS.TrunkVlanSpec) and [(r.start, r.end) for r in vlan.vlanId] == [(0, 4094)]


def test_fetch_dvports_lists_the_members_uplink_ports(si, hosts):
    dvs = view_of(si, vim.DistributedVirtualSwitch)["dvs-prod"]
    uplinks = dvs.FetchDVPorts(vim.dvs.PortCriteria(uplinkPort=True))
    assert len(uplinks) == 4 * 4  # four hosts x (dvUplink1, dvUplink2, lag1-0, lag1-1)
    assert {p.portgroupKey for p in uplinks} == {dvs.config.uplinkPortgroup[0].key}
    mine = dvs.FetchDVPorts(vim.dvs.PortCriteria(uplinkPort=True, host=[hosts["esx01.lab.local"]]))
    assert sorted(p.config.name for p in mine) == ["dvUplink1", "dvUplink2", "lag1-0", "lag1-1"]
    assert dvs.FetchDVPorts(vim.dvs.PortCriteria(portKey=[mine[0].key]))[0].proxyHost == hosts["esx01.lab.local"]
    backed = dvs.FetchDVPorts(vim.dvs.PortCriteria(uplinkPort=True, connected=True, host=[hosts["esx01.lab.local"]]))
    assert sorted(p.config.name for p in backed) == ["lag1-0", "lag1-1"]  # vmnic4 and vmnic5; the dvUplinks have no pnic


# -- networks ----------------------------------------------------------------------------

def test_network_config_mirrors_network_info(hosts):
    net = hosts["esx01.lab.local"].configManager.networkSystem
    info, config = net.networkInfo, net.networkConfig
    assert [p.device for p in config.pnic] == [p.device for p in info.pnic] and len(config.pnic) == 6
    assert [s.name for s in config.vswitch] == [s.name for s in info.vswitch]
    assert [p.spec.name for p in config.portgroup] == [p.spec.name for p in info.portgroup]
    assert [v.device for v in config.vnic] == [v.device for v in info.vnic]
    assert [p.uuid for p in config.proxySwitch] == [p.dvsUuid for p in info.proxySwitch]
    assert config.dnsConfig.hostName == info.dnsConfig.hostName == "esx01"
    assert [s.netStackInstance.key for s in config.netStackSpec] == [n.key for n in info.netStackInstance]
    assert net.offloadCapabilities.tcpSegmentation is True


def test_standard_vm_port_groups_are_network_objects(si, hosts):
    dc = si.content.rootFolder.childEntity[0]
    # the exact type: a dvPortgroup is a vim.Network subclass
    networks = {n.name: n for n in dc.networkFolder.childEntity if type(n) is vim.Network}  # pylint: disable=unidiomatic-typecheck
    assert sorted(networks) == ["VM Network"]  # Management Network carries vmk0: not a VM network
    assert sorted(h.name for h in networks["VM Network"].host) == sorted(hosts)
    assert networks["VM Network"] in hosts["esx01.lab.local"].network and networks["VM Network"] in dc.network
    assert any(isinstance(n, vim.dvs.DistributedVirtualPortgroup) for n in hosts["esx01.lab.local"].network)
    add_pg(hosts["esx04.lab.local"], "pg-only-on-04", vlan=40)
    try:
        (new,) = [n for n in dc.networkFolder.childEntity if n.name == "pg-only-on-04"]
        assert [h.name for h in new.host] == ["esx04.lab.local"] and new.summary.accessible
        assert new in hosts["esx04.lab.local"].network and new not in hosts["esx01.lab.local"].network
    finally:
        hosts["esx04.lab.local"].configManager.networkSystem.RemovePortGroup("pg-only-on-04")
    assert "pg-only-on-04" not in [n.name for n in dc.networkFolder.childEntity]


# -- inventory facts ------------------------------------------------------------------------

def test_current_session_is_the_callers_own(si, connect):
    other = connect()
    mine, theirs = si.content.sessionManager.currentSession, other.content.sessionManager.currentSession
    assert mine.key != theirs.key and mine.userName == credentials()[0]
    assert si.content.sessionManager.SessionIsActive(theirs.key, theirs.userName)


def test_host_facts_a_gathering_playbook_reads(si, hosts):
    host = hosts["esx01.lab.local"]
    assert host.overallStatus == "green" and host.capability.vmotionSupported and host.capability.iscsiSupported
    runtime = host.summary.runtime
    assert (runtime.connectionState, runtime.powerState, runtime.standbyMode) == ("connected", "poweredOn", "none")
    (ds,) = host.datastore
    assert ds.summary.type == "VMFS" and ds.info.vmfs.majorVersion == 6 and ds.host[0].key == host
    names = sorted(h.datastore[0].name for h in hosts.values())
    assert names == ["datastore1", "datastore1 (1)", "datastore1 (2)", "datastore1 (3)"]
    dc = si.content.rootFolder.childEntity[0]
    assert dc.configStatus == "green" and sorted(d.name for d in dc.datastore) == names
    assert ds in dc.datastoreFolder.childEntity
    cluster = host.parent
    assert cluster.configurationEx.drsConfig.enabled is False and cluster.configurationEx.dasConfig.enabled is False
    config = host.config  # what vmware_host_facts-style clients read in one go
    assert "ntpd" in [sv.key for sv in config.service.service] and "Net.TcpipHeapMax" in [op.key for op in config.option]
    assert config.dateTimeInfo.timeZone.key == "UTC" and config.hyperThread.active
    assert [m.volume.name for m in config.fileSystemVolume.mountInfo] == [ds.name]
    assert host.hardware.biosInfo.biosVersion and config.network.vnic[0].device == "vmk0"


# -- host services ------------------------------------------------------------------------------

def test_service_system_lists_starts_stops_and_sets_policies(hosts):
    services = hosts["esx02.lab.local"].configManager.serviceSystem
    by_key = {s.key: s for s in services.serviceInfo.service}
    assert (by_key["ntpd"].running, by_key["TSM-SSH"].policy) == (False, "off")
    services.StartService("ntpd")
    services.UpdateServicePolicy("ntpd", "on")
    ntpd = next(s for s in services.serviceInfo.service if s.key == "ntpd")
    assert (ntpd.running, ntpd.policy) == (True, "on")
    services.StopService("ntpd")
    assert next(s for s in services.serviceInfo.service if s.key == "ntpd").running is False
    with pytest.raises(vim.fault.NotFound):
        services.StartService("no-such-service")
    with pytest.raises(vim.fault.HostConfigFault):
        services.StopService("vmsyslogd")
    with pytest.raises(vmodl.fault.InvalidArgument):
        services.UpdateServicePolicy("ntpd", "sometimes")


def test_advanced_options_are_typed_ranged_and_read_only_where_esxi_says(hosts):
    options = hosts["esx02.lab.local"].configManager.advancedOption
    assert {o.key for o in options.QueryOptions("Net.")} >= {"Net.TcpipHeapMax", "Net.TcpipHeapSize"}
    options.UpdateOptions([vim.option.OptionValue(key="Net.TcpipHeapMax", value=LONG(1536))])
    (value,) = options.QueryOptions("Net.TcpipHeapMax")
    assert value.value == 1536 and isinstance(value.value, LONG)
    for bad in (vim.option.OptionValue(key="Net.TcpipHeapMax", value=1536),  # an xsd:int for a LongOption
                vim.option.OptionValue(key="Net.TcpipHeapMax", value=LONG(4096)),
                vim.option.OptionValue(key="Misc.HostName", value="renamed")):
        with pytest.raises(vmodl.fault.InvalidArgument):
            options.UpdateOptions([bad])
    with pytest.raises(vim.fault.InvalidName):
        options.UpdateOptions([vim.option.OptionValue(key="Net.NoSuchOption", value=LONG(1))])
    with pytest.raises(vim.fault.InvalidName):
        options.QueryOptions("Net.NoSuchOption")
    definition = next(d for d in options.supportedOption if d.key == "Misc.HostName")
    assert definition.optionType.valueIsReadonly is True
    assert options.QueryOptions("Misc.HostName")[0].value == "esx02"


def test_dns_route_and_ntp_configuration(hosts):
    host = hosts["esx02.lab.local"]
    net = host.configManager.networkSystem
    dns = vim.host.DnsConfig(dhcp=False, hostName="esx02", domainName="lab.local", address=["10.0.0.53", "10.0.1.53"],
                             searchDomain=["lab.local"])
    net.UpdateDnsConfig(dns)
    assert list(net.dnsConfig.address) == ["10.0.0.53", "10.0.1.53"]
    default = next(n for n in host.config.network.netStackInstance if n.key == "defaultTcpipStack")
    assert list(default.dnsConfig.address) == ["10.0.0.53", "10.0.1.53"]
    with pytest.raises(vim.fault.NotFound):
        net.UpdateDnsConfig(vim.host.DnsConfig(dhcp=True, virtualNicDevice="vmk9", hostName="esx02", domainName="lab.local"))
    net.UpdateIpRouteConfig(vim.host.IpRouteConfig(defaultGateway="192.168.10.254"))
    assert net.ipRouteConfig.defaultGateway == host.config.network.ipRouteConfig.defaultGateway == "192.168.10.254"
    with pytest.raises(vmodl.fault.InvalidArgument):
        net.UpdateIpRouteConfig(vim.host.IpRouteConfig(defaultGateway="not-an-address"))
    clock = host.configManager.dateTimeSystem
    clock.UpdateDateTimeConfig(vim.host.DateTimeConfig(ntpConfig=vim.host.NtpConfig(server=["0.pool.ntp.org", "1.pool.ntp.org"])))
    info = clock.dateTimeInfo
    assert list(info.ntpConfig.server) == ["0.pool.ntp.org", "1.pool.ntp.org"] and info.timeZone.key == "UTC"
    with pytest.raises(vim.fault.HostConfigFault):
        clock.UpdateDateTimeConfig(vim.host.DateTimeConfig(timeZone="Europe/Paris"))


def test_pci_passthrough_lists_every_device(hosts):
    host = hosts["esx02.lab.local"]
    system = host.configManager.pciPassthruSystem
    info = system.pciPassthruInfo
    assert sorted(p.id for p in info) == sorted(d.id for d in host.hardware.pciDevice)
    assert not any(p.passthruEnabled for p in info)
    system.UpdatePassthruConfig([vim.host.PciPassthruConfig(id=info[0].id, passthruEnabled=True)])
    assert next(p for p in system.pciPassthruInfo if p.id == info[0].id).passthruEnabled is True
    with pytest.raises(vim.fault.HostConfigFault):
        system.UpdatePassthruConfig([vim.host.PciPassthruConfig(id="0000:ff:00.0", passthruEnabled=True)])


# -- iSCSI --------------------------------------------------------------------------------------

def test_a_discovered_static_target_can_be_removed_and_a_rescan_finds_it_again(hosts):
    storage = hosts["esx04.lab.local"].configManager.storageSystem
    storage.UpdateSoftwareInternetScsiEnabled(True)
    storage.AddInternetScsiSendTargets("vmhba64", [vim.host.InternetScsiHba.SendTarget(address=ARRAY, port=3260)])

    def statics():
        hba = next(h for h in storage.storageDeviceInfo.hostBusAdapter if h.device == "vmhba64")
        return {(t.address, t.iScsiName): t for t in hba.configuredStaticTarget}
    found = statics()
    assert len(found) == 2 and {t.discoveryMethod for t in found.values()} == {"sendTargetMethod"}
    address, iqn = sorted(found)[0]
    storage.RemoveInternetScsiStaticTargets("vmhba64", [vim.host.InternetScsiHba.StaticTarget(address=address, port=3260, iScsiName=iqn)])
    assert (address, iqn) not in statics() and len(statics()) == 1
    storage.RescanHba("vmhba64")
    assert (address, iqn) in statics()


# -- standalone ESXi and --state ------------------------------------------------------------------

def test_a_standalone_esxi_host_has_esxi_moids_and_no_dvswitch_manager():
    with SimProcess(ESXI) as proc:
        si = connect_to(proc, ESXI)
        try:
            assert si.content.dvSwitchManager is None
            dc = si.content.rootFolder.childEntity[0]
            host = dc.hostFolder.childEntity[0].host[0]
            assert [n._moId for n in host.network] == ["HaNetwork-VM Network"]
            assert (dc.datastoreFolder._moId, [d.name for d in dc.datastore]) == ("ha-folder-datastore", ["datastore1"])
            manager = host.configManager
            assert (manager.serviceSystem._moId, manager.advancedOption._moId) == ("serviceSystem", "EsxHostAdvSettings")
        finally:
            Disconnect(si)


def test_services_options_dns_and_ntp_survive_a_restart(tmp_path):
    state = str(tmp_path / "state.json")
    with SimProcess(DEMO, state=state) as proc:
        si = connect_to(proc)
        host = hosts_by_name(si)["esx01.lab.local"]
        manager = host.configManager
        manager.serviceSystem.UpdateServicePolicy("TSM-SSH", "on")
        manager.serviceSystem.StartService("TSM-SSH")
        manager.advancedOption.UpdateOptions([vim.option.OptionValue(key="UserVars.SuppressShellWarning", value=LONG(1))])
        manager.networkSystem.UpdateDnsConfig(vim.host.DnsConfig(dhcp=False, hostName="esx01", domainName="lab.local",
                                                                 address=["10.0.0.53"]))
        manager.dateTimeSystem.UpdateDateTimeConfig(vim.host.DateTimeConfig(ntpConfig=vim.host.NtpConfig(server=["10.0.0.123"])))
        Disconnect(si)
    with SimProcess(DEMO, state=state) as proc:
        si = connect_to(proc)
        manager = hosts_by_name(si)["esx01.lab.local"].configManager
        ssh = next(s for s in manager.serviceSystem.serviceInfo.service if s.key == "TSM-SSH")
        assert (ssh.running, ssh.policy) == (True, "on")
        (value,) = manager.advancedOption.QueryOptions("UserVars.SuppressShellWarning")
        assert value.value == 1 and isinstance(value.value, LONG)
        assert list(manager.networkSystem.dnsConfig.address) == ["10.0.0.53"]
        assert list(manager.dateTimeSystem.dateTimeInfo.ntpConfig.server) == ["10.0.0.123"]
        Disconnect(si)


def test_a_lun_datastore_is_mounted_by_the_hosts_with_an_active_path(si, hosts):
    host = hosts["esx03.lab.local"]
    net, storage = host.configManager.networkSystem, host.configManager.storageSystem
    dc = si.content.rootFolder.childEntity[0]
    assert "pure-vmfs-01" not in [d.name for d in dc.datastore]  # no host reaches the array yet
    add_pg(host, "pg-storage", vlan=20)
    vmk = net.AddVirtualNic("pg-storage", vim.host.VirtualNic.Specification(ip=vim.host.IpConfig(
        dhcp=False, ipAddress="10.10.20.13", subnetMask="255.255.255.0")))
    try:
        storage.UpdateSoftwareInternetScsiEnabled(True)
        storage.AddInternetScsiSendTargets("vmhba64", [vim.host.InternetScsiHba.SendTarget(address=ARRAY, port=3260)])
        (lun_ds,) = [d for d in host.datastore if d.name == "pure-vmfs-01"]
        assert [m.key for m in lun_ds.host] == [host] and lun_ds in dc.datastore
        summary, extent = lun_ds.summary, lun_ds.info.vmfs.extent[0]
        assert (summary.capacity, summary.multipleHostAccess, lun_ds.info.vmfs.local) == (2048 * 1024 ** 3, True, False)
        assert extent.diskName in [lun.canonicalName for lun in host.config.storageDevice.scsiLun]
    finally:
        net.RemoveVirtualNic(vmk)
        net.RemovePortGroup("pg-storage")
    assert "pure-vmfs-01" not in [d.name for d in host.datastore] + [d.name for d in dc.datastore]


def test_create_dvs_with_a_bad_setting_fails_in_the_task_and_leaves_no_switch(si):
    folder = si.content.rootFolder.childEntity[0].networkFolder
    before = [e.name for e in folder.childEntity]
    task = folder.CreateDVS_Task(vim.DistributedVirtualSwitch.CreateSpec(configSpec=VDS.ConfigSpec(name="dvs-bad", maxMtu=20000)))
    with pytest.raises(vmodl.fault.InvalidArgument):
        WaitForTask(task)
    assert [e.name for e in folder.childEntity] == before
    with pytest.raises(vim.fault.DuplicateName):
        WaitForTask(folder.CreateDVS_Task(vim.DistributedVirtualSwitch.CreateSpec(configSpec=VDS.ConfigSpec(name="dvs-prod"))))
