# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_reader: PropertyCollector answer (real pyVmomi objects) -> model; selection; one round trip."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
from pyVmomi import vim, vmodl

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _from_api, _reader
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._client import Session
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import host_to_doc
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import NotFoundError, StateReadError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import Ip, Teaming
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import vim_fixtures as fx


def test_teaming_unset_leaves_stay_inherited():
    t = _from_api.teaming_from_api(fx.teaming(active=["vmnic2"]))
    assert t == Teaming(active=("vmnic2",), standby=())
    assert _from_api.teaming_from_api(None) == Teaming()
    assert _from_api.teaming_from_api(vim.host.NetworkPolicy.NicTeamingPolicy()) == Teaming()


def test_teaming_names_and_inverted_failback():
    t = _from_api.teaming_from_api(fx.teaming(policy="loadbalance_ip", active=["a", "b"], standby=["c"], rolling=True,
                                              notify=False, beacon=True))
    assert t == Teaming(policy="iphash", active=("a", "b"), standby=("c",), failback=False, notify_switches=False,
                        failure_detection="beacon_probing")


def test_standard_host_converts_to_model():
    h = _from_api.host_from_api("esx01.lab.local", fx.standard_host())
    assert h.version == "8.0.3"
    assert h.vswitches["vSwitch1"].mtu == 9000 and h.vswitches["vSwitch1"].uplinks == ("vmnic2", "vmnic3")
    assert h.vswitches["vSwitch0"].beacon_interval == 1 and h.vswitches["vSwitch1"].beacon_interval is None
    assert h.vswitches["vSwitch0"].teaming == Teaming(policy="srcid", active=("vmnic0", "vmnic1"), standby=(),
                                                      failback=True, notify_switches=True,
                                                      failure_detection="link_status")
    pg = h.portgroups["iSCSI-A"]
    assert (pg.vswitch, pg.vlan, pg.vm_ports) == ("vSwitch1", 20, 0)
    assert pg.override == Teaming(active=("vmnic2",), standby=())
    assert pg.effective.active == ("vmnic2",) and pg.effective.policy == "srcid"
    assert h.portgroups["VM Network"].override == Teaming() and h.portgroups["VM Network"].vm_ports == 2
    vmk0, vmk1 = h.vmks["vmk0"], h.vmks["vmk1"]
    assert vmk0.services == {"management"} and vmk0.gateway == "192.168.1.1"
    assert vmk1.ip == Ip(address="10.10.20.11", netmask="255.255.255.0") and vmk1.mtu == 9000
    assert (vmk1.vswitch, vmk1.netstack, vmk1.services) == ("vSwitch1", "default", frozenset())
    assert h.management_vmks == {"vmk0"}
    assert {"vmotion", "vsanWitness", "management"} <= h.nic_types
    assert h.netstacks == {"default", "vmotion", "provisioning"}
    assert h.pnics["vmnic3"].link_speed == 10000


def test_dhcp_and_other_stack_keys():
    v = fx.vnic("vmk3", "pg", address=None, stack="mirror")
    vmk = _from_api.vmk_from_api(v, {}, {})
    assert vmk.ip == Ip(dhcp=True) and vmk.netstack == "mirror" and vmk.vswitch == ""


def test_computed_policy_missing_falls_back_to_leafwise_merge():
    props = fx.standard_host()
    pg = props["config.network"].portgroup[2]
    pg.computedPolicy = vim.host.NetworkPolicy()  # hosts may omit the resolved teaming
    h = _from_api.host_from_api("esx01", props)
    assert h.portgroups["iSCSI-A"].effective == Teaming(policy="srcid", active=("vmnic2",), standby=(), failback=True,
                                                        notify_switches=True, failure_detection="link_status")


def test_raw_host_keeps_original_specs_and_manager_refs():
    props = fx.standard_host()
    raw = _reader.raw_from_api("esx01", vim.HostSystem("host-1"), props)
    assert raw.network_system._moId == "networkSystem-1" and raw.vnic_manager._moId == "ha-vnic-mgr-1"
    assert raw.portgroup_specs["iSCSI-A"].policy.security.allowPromiscuous is False
    assert raw.vswitch_specs["vSwitch0"].bridge.nicDevice == ["vmnic0", "vmnic1"]


def test_filter_spec_traverses_from_the_root_folder():
    spec = _reader.filter_spec(vim.Folder("group-d1"), _reader.HOST_PROPS)
    obj = spec.objectSet[0]
    assert obj.obj._moId == "group-d1" and obj.skip
    assert {s.name for s in obj.selectSet} == {"folder", "datacenter", "datacenterNetwork", "compute"}
    network = next(s for s in obj.selectSet if s.name == "datacenterNetwork")
    assert (network.type, network.path, [s.name for s in network.selectSet]) == (vim.Datacenter, "networkFolder", ["folder"])
    paths = {p.type: list(p.pathSet) for p in spec.propSet}
    assert paths[vim.ClusterComputeResource] == ["name", "host"]
    assert paths[vim.DistributedVirtualSwitch] == ["name", "uuid", "config.uplinkPortPolicy", "config.defaultPortConfig",
                                                   "config.maxMtu"]
    assert paths[vim.dvs.VmwareDistributedVirtualSwitch] == ["config.lacpGroupConfig"]
    assert {"config.defaultPortConfig", "config.configVersion"} <= set(paths[vim.dvs.DistributedVirtualPortgroup])
    assert "config.network" in paths[vim.HostSystem] and "config.storageDevice" not in paths[vim.HostSystem]
    shape = {p.type: list(p.pathSet) for p in _reader.filter_spec(vim.Folder("r"), ("name",)).propSet}
    assert shape[vim.HostSystem] == ["name"]  # the shape of a vCenter's inventory: names only


def test_the_host_paths_read_are_the_ones_the_pipeline_converts():
    """The one read asks for exactly these paths (each one costs parse time at every run): the names, the
    version, the network, the service tags, the managers the writes go to, and the iSCSI adapters, their
    state and paths, which every module reads so that the bound vmks are always known (rules SF-3, MH-1, PB-*)."""
    assert _reader.HOST_PROPS == (
        "name", "config.product", "config.network", "config.virtualNicManagerInfo",
        "configManager.networkSystem", "configManager.virtualNicManager", "configManager.storageSystem",
        "configManager.iscsiManager", "config.storageDevice.hostBusAdapter",
        "config.storageDevice.softwareInternetScsiEnabled", "config.storageDevice.scsiTopology")
    assert set(_reader.REQUIRED_PROPS) <= set(_reader.HOST_PROPS)
    assert {p for p in _reader.ISCSI_PROPS if p.startswith("config.storageDevice.")} <= set(_reader.HOST_PROPS)


def test_hosts_spec_reads_exactly_the_given_hosts_without_traversal():
    spec = _reader.hosts_spec([vim.HostSystem("host-2"), vim.HostSystem("host-7")], _reader.HOST_PROPS + _reader.STORAGE_PROPS)
    assert [(o.obj._moId, o.skip, list(o.selectSet or [])) for o in spec.objectSet] == [("host-2", False, []), ("host-7", False, [])]
    assert [p.type for p in spec.propSet] == [vim.HostSystem] and "config.storageDevice" in spec.propSet[0].pathSet


# --------------------------------------------------------------------------- read()

class FakeCollector:
    """Answers RetrievePropertiesEx in pages of ``page`` objects, as a PropertyCollector would: a spec that
    starts at the root folder gets every object (hosts with the spec's host paths only), a spec of host
    objects gets those hosts. Counts calls and keeps the host moIds each call returned."""

    def __init__(self, objects, page=100):
        self.objects, self.page, self.calls, self.answered = objects, page, [], []
        self.pending = []

    def _answer(self, start):
        chunk = self.pending[start:start + self.page]
        token = str(start + self.page) if start + self.page < len(self.pending) else None
        return vmodl.query.PropertyCollector.RetrieveResult(objects=chunk, token=token)

    def _select(self, spec):
        roots = [o.obj for o in spec.objectSet]
        paths = {p.type: set(p.pathSet) for p in spec.propSet}
        if all(isinstance(r, vim.HostSystem) for r in roots):
            wanted = {r._moId for r in roots}
            chosen = [o for o in self.objects if isinstance(o.obj, vim.HostSystem) and o.obj._moId in wanted]
        else:
            chosen = list(self.objects)
        out = []
        for o in chosen:
            if isinstance(o.obj, vim.HostSystem):
                keep = paths.get(vim.HostSystem, set())
                o = vmodl.query.PropertyCollector.ObjectContent(
                    obj=o.obj, propSet=[p for p in o.propSet if p.name in keep],
                    missingSet=[m for m in o.missingSet if m.path in keep])
            out.append(o)
        self.answered.append(sorted(o.obj._moId for o in out if isinstance(o.obj, vim.HostSystem)))
        return out

    def RetrievePropertiesEx(self, specSet, options):
        self.calls.append("RetrievePropertiesEx")
        self.pending = self._select(specSet[0])
        return self._answer(0)

    def ContinueRetrievePropertiesEx(self, token):
        self.calls.append("ContinueRetrievePropertiesEx")
        return self._answer(int(token))


def _host_props(name):
    props = fx.standard_host()
    props["name"] = name
    return props


def vcenter(page=100, missing=()):
    objects = [fx.object_content(vim.ClusterComputeResource("domain-c1"), {
        "name": "Cluster-A", "host": vim.HostSystem.Array([vim.HostSystem("host-%d" % i) for i in (1, 2)])})]
    for i in (1, 2, 3):
        objects.append(fx.object_content(vim.HostSystem("host-%d" % i), _host_props("esx0%d.lab.local" % i)))
    if missing:
        objects[1] = fx.object_content(vim.HostSystem("host-1"), {"name": "esx01.lab.local"}, missing=missing)
    pc = FakeCollector(objects, page)
    content = SimpleNamespace(about=SimpleNamespace(apiType="VirtualCenter"), propertyCollector=pc,
                              rootFolder=vim.Folder("group-d1"))
    return Session(si=None, content=content, endpoint="vc.lab.local:443"), pc


def test_cluster_reads_the_shape_then_only_its_members():
    s, pc = vcenter()
    obs = _reader.read(s, _reader.Selection(cluster="Cluster-A"))
    assert list(obs.hosts) == ["esx01.lab.local", "esx02.lab.local"]
    assert pc.calls == ["RetrievePropertiesEx", "RetrievePropertiesEx"]
    # the first read is the inventory's shape (every host, names only); the second only the members, in full
    assert pc.answered == [["host-1", "host-2", "host-3"], ["host-1", "host-2"]]
    assert obs.raw["esx02.lab.local"].ref._moId == "host-2"


def test_one_host_reads_only_that_host_in_full():
    s, pc = vcenter()
    obs = _reader.read(s, _reader.Selection(esxi_hostname="esx03.lab.local"))
    assert pc.answered[1] == ["host-3"] and obs.hosts["esx03.lab.local"].vmks


def test_paged_answers_are_followed():
    s, pc = vcenter(page=2)
    obs = _reader.read(s, _reader.Selection(esxi_hostname="esx03.lab.local"))
    assert list(obs.hosts) == ["esx03.lab.local"]
    assert pc.calls == ["RetrievePropertiesEx", "ContinueRetrievePropertiesEx", "RetrievePropertiesEx"]


def test_host_name_match_is_case_insensitive_but_keeps_the_task_name():
    s = vcenter()[0]
    obs = _reader.read(s, _reader.Selection(esxi_hostname="ESX02.lab.local"))
    assert list(obs.hosts) == ["ESX02.lab.local"]


def test_unknown_host_lists_what_exists():
    s = vcenter()[0]
    with pytest.raises(NotFoundError, match=r"Host 'esx09' not found on vc.lab.local:443; hosts: "
                                            r"esx01.lab.local, esx02.lab.local, esx03.lab.local"):
        _reader.read(s, _reader.Selection(esxi_hostname="esx09"))


def test_unknown_cluster_lists_what_exists():
    s = vcenter()[0]
    with pytest.raises(NotFoundError, match=r"Cluster 'Nope' not found on vc.lab.local:443; clusters: Cluster-A"):
        _reader.read(s, _reader.Selection(cluster="Nope"))


def test_unreadable_host_fails_closed():
    s = vcenter(missing=("config.network",))[0]
    with pytest.raises(StateReadError, match=r"esx01.lab.local: could not read config.network"):
        _reader.read(s, _reader.Selection(cluster="Cluster-A"))


def test_direct_esxi_selects_ha_host_under_the_task_name():
    objects = [fx.object_content(vim.HostSystem("ha-host"), _host_props("localhost.localdomain"))]
    content = SimpleNamespace(about=SimpleNamespace(apiType="HostAgent"), propertyCollector=FakeCollector(objects),
                              rootFolder=vim.Folder("ha-folder-root"))
    obs = _reader.read(Session(si=None, content=content, endpoint="esx01:443"),
                       _reader.Selection(esxi_hostname="esx01.lab.local"))
    assert list(obs.hosts) == ["esx01.lab.local"]
    assert host_to_doc(obs.hosts["esx01.lab.local"])["vmknics"][0]["device"] == "vmk0"
    with pytest.raises(NotFoundError, match="Cluster 'Cluster-A' not found on esx01:443; clusters: none"):
        _reader.read(Session(si=None, content=content, endpoint="esx01:443"), _reader.Selection(cluster="Cluster-A"))


def _standalone(name="esxi01.lab.local"):
    objects = [fx.object_content(vim.HostSystem("ha-host"), _host_props(name))]
    return SimpleNamespace(about=SimpleNamespace(apiType="HostAgent"), propertyCollector=FakeCollector(objects),
                           rootFolder=vim.Folder("ha-folder-root"))


@pytest.mark.parametrize("endpoint,wanted", [
    ("10.0.0.5:443", "esxi01.lab.local"),  # its inventory name
    ("10.0.0.5:443", "ESXI01.lab.local"),  # names are case-insensitive
    ("esxi01.lab.local:443", "esxi01.lab.local"),  # the address the task connected to
    ("esxi01:443", "esxi01.lab.local"),  # connected by short name, named by FQDN
])
def test_direct_esxi_accepts_the_hosts_own_names(endpoint, wanted):
    obs = _reader.read(Session(si=None, content=_standalone(), endpoint=endpoint), _reader.Selection(esxi_hostname=wanted))
    assert list(obs.hosts) == [wanted]


def test_direct_esxi_accepts_a_vmk_address_of_the_host():
    address = _host_props("esxi01.lab.local")["config.network"].vnic[0].spec.ip.ipAddress
    obs = _reader.read(Session(si=None, content=_standalone(), endpoint="10.0.0.5:443"),
                       _reader.Selection(esxi_hostname=address))
    assert list(obs.hosts) == [address]


@pytest.mark.parametrize("endpoint", ["esxi01.lab.local:443", "10.0.0.5:443"])
def test_direct_esxi_refuses_another_hosts_name_before_any_write(endpoint):
    """Connected to esxi01, a task naming esx02 must never change esxi01 as if it were esx02."""
    with pytest.raises(NotFoundError, match=r"esxi_hostname 'esx02.lab.local' is not the ESXi host at .*, which is "
                                            r"esxi01.lab.local .*nothing was changed"):
        _reader.read(Session(si=None, content=_standalone(), endpoint=endpoint), _reader.Selection(esxi_hostname="esx02.lab.local"))


# --- iSCSI: the dependent adapter's NIC, and state that could not be read (SF-9) -------------------

HBA = vim.host.InternetScsiHba


def _iscsi_props(fail=()):
    """standard_host with pnic PCI addresses, the software adapter vmhba64 and the dependent
    adapter vmhba2 on vmnic3's PCI function; QueryBoundVnics raises IscsiFault for ``fail``."""
    props = fx.standard_host()
    for i, pnic in enumerate(props["config.network"].pnic):
        pnic.pci = "0000:00:%02d.0" % i
    props["config.storageDevice.softwareInternetScsiEnabled"] = True
    props["config.storageDevice.hostBusAdapter"] = vim.host.HostBusAdapter.Array([
        HBA(device="vmhba64", key="k64", isSoftwareBased=True, networkBindingSupport="optional"),
        HBA(device="vmhba2", key="k2", isSoftwareBased=False, networkBindingSupport="required", pci="0000:00:03.0")])
    asked = []

    def query(iScsiHbaName):
        asked.append(iScsiHbaName)
        if iScsiHbaName in fail:
            raise vim.fault.IscsiFault(msg="iSCSI service not responding")
        return [vim.host.IscsiManager.IscsiPortInfo(vnicDevice="vmk1", pnicDevice="vmnic2")] if iScsiHbaName == "vmhba64" else []

    return props, SimpleNamespace(QueryBoundVnics=query), asked


def _esxi(props, manager=None, monkeypatch=None):
    if manager is not None:  # the stand-in IscsiManager replaces the MoRef the answer carries
        real = _reader.raw_from_api
        monkeypatch.setattr(_reader, "raw_from_api", lambda *a: dataclasses.replace(real(*a), iscsi_manager=manager))
    objects = [fx.object_content(vim.HostSystem("ha-host"), props)]
    content = SimpleNamespace(about=SimpleNamespace(apiType="HostAgent"), propertyCollector=FakeCollector(objects),
                              rootFolder=vim.Folder("ha-folder-root"))
    return _reader.read(Session(si=None, content=content, endpoint="esx01:443"),
                        _reader.Selection(esxi_hostname="esx01.lab.local")).hosts["esx01.lab.local"]


def test_dependent_adapter_nic_is_the_pnic_at_its_pci_address(monkeypatch):
    props, manager, _asked = _iscsi_props()
    host = _esxi(props, manager, monkeypatch)
    assert host.iscsi["vmhba2"].pnics == ("vmnic3",) and host.iscsi["vmhba64"].pnics == ()
    assert host.iscsi_known and host.iscsi_unread == ()
    assert list(host.iscsi["vmhba64"].bindings) == ["vmk1"]


def test_dependent_adapter_without_a_matching_pci_has_no_known_nic(monkeypatch):
    props, manager, _asked = _iscsi_props()
    props["config.storageDevice.hostBusAdapter"][1].pci = "0000:07:00.1"
    assert _esxi(props, manager, monkeypatch).iscsi["vmhba2"].pnics == ()


def test_failed_bound_vnics_query_marks_iscsi_unknown_and_reads_the_other_adapters(monkeypatch):
    props, manager, asked = _iscsi_props(fail=("vmhba2",))
    host = _esxi(props, manager, monkeypatch)
    assert sorted(asked) == ["vmhba2", "vmhba64"]
    assert not host.iscsi_known
    assert host.iscsi_unread == ("the bound vmks of vmhba2 (QueryBoundVnics failed: IscsiFault)",)
    assert list(host.iscsi["vmhba64"].bindings) == ["vmk1"]


def test_storage_device_missing_from_the_answer_marks_iscsi_unknown():
    props = fx.standard_host()
    del props["config.storageDevice.softwareInternetScsiEnabled"]
    host = _esxi(props)
    assert not host.iscsi_known and "config.storageDevice" in host.iscsi_unread[0]
    assert _esxi(fx.standard_host()).iscsi_known  # present (False): known, no adapters


def test_read_back_of_bindings_still_fails_closed():
    props, manager, _asked = _iscsi_props(fail=("vmhba64",))
    raw = dataclasses.replace(_reader.raw_from_api("esx01", vim.HostSystem("ha-host"), props), iscsi_manager=manager)
    with pytest.raises(StateReadError, match="QueryBoundVnics failed"):
        _reader.read_bindings(None, raw)


# --------------------------------------------------------------------------- distributed switches

def _dv_objects():
    """dvs-1 (dvs-prod, lag1) with an uplink portgroup and three dvPortgroups; dvs-2 another switch."""
    other = dict(fx.dv_switch(), name="dvs-other", uuid="11 22-33 44")
    return [
        fx.object_content(vim.dvs.VmwareDistributedVirtualSwitch("dvs-1"), fx.dv_switch()),
        fx.object_content(vim.dvs.VmwareDistributedVirtualSwitch("dvs-2"), other),
        fx.object_content(vim.dvs.DistributedVirtualPortgroup("dvportgroup-9"),
                          fx.dv_portgroup("dvportgroup-9", "dvs-prod-DVUplinks", uplink=True)),
        fx.object_content(vim.dvs.DistributedVirtualPortgroup("dvportgroup-10"),
                          fx.dv_portgroup("dvportgroup-10", "dvpg-prod-lacp", 50, fx.dv_teaming(active=["lag1"]))),
        fx.object_content(vim.dvs.DistributedVirtualPortgroup("dvportgroup-11"),
                          fx.dv_portgroup("dvportgroup-11", "dv-iSCSI", 30, fx.dv_teaming(
                              active=["dvUplink1"], standby=["dvUplink2"]))),
        fx.object_content(vim.dvs.DistributedVirtualPortgroup("dvportgroup-12"),
                          fx.dv_portgroup("dvportgroup-12", "dv-trunk", vim.dvs.VmwareDistributedVirtualSwitch.TrunkVlanSpec(
                              inherited=False))),
        fx.object_content(vim.dvs.DistributedVirtualPortgroup("dvportgroup-20"),
                          fx.dv_portgroup("dvportgroup-20", "elsewhere", 5, switch="dvs-2")),
    ]


def _dv_host_props(name="esx01.lab.local"):
    props = _host_props(name)
    net = props["config.network"]
    net.proxySwitch = [fx.proxy_switch({"vmnic4": "lag1-0", "vmnic5": "lag1-1", "vmnic6": "dvUplink1"},
                                       {"lag1": ["lag1-0", "lag1-1"]})]
    net.vnic = list(net.vnic) + [fx.dv_vnic("vmk2", "dvportgroup-10")]
    return props


def test_distributed_port_groups_come_with_the_inventory_shape():
    objects = [fx.object_content(vim.HostSystem("host-1"), _dv_host_props())] + _dv_objects()
    pc = FakeCollector(objects)
    content = SimpleNamespace(about=SimpleNamespace(apiType="VirtualCenter"), propertyCollector=pc,
                              rootFolder=vim.Folder("group-d1"))
    obs = _reader.read(Session(si=None, content=content, endpoint="vc:443"), _reader.Selection(esxi_hostname="esx01.lab.local"))
    assert pc.calls == ["RetrievePropertiesEx", "RetrievePropertiesEx"]  # the shape (with the switches), the host
    h = obs.hosts["esx01.lab.local"]
    assert sorted(h.dv_portgroups) == ["dvportgroup-10", "dvportgroup-11", "dvportgroup-12"]  # no uplink pg, no other switch
    lacp = h.dv_portgroups["dvportgroup-10"]
    assert (lacp.name, lacp.dvs, lacp.vlan, lacp.lags) == ("dvpg-prod-lacp", "dvs-prod", 50, ("lag1",))
    assert lacp.teaming.active == ("lag1",) and lacp.teaming.standby == ()
    assert lacp.teaming.policy == "srcid" and lacp.teaming.failback is True  # inherited from the switch default
    assert dict(lacp.uplinks) == {"dvUplink1": ("vmnic6",), "dvUplink2": (), "lag1": ("vmnic4", "vmnic5")}
    iscsi = h.dv_portgroups["dvportgroup-11"]
    assert (iscsi.vlan, iscsi.teaming.active, iscsi.teaming.standby) == (30, ("dvUplink1",), ("dvUplink2",))
    trunk = h.dv_portgroups["dvportgroup-12"]
    assert trunk.vlan == 4095 and trunk.teaming.active == ("dvUplink1", "dvUplink2")  # order inherited
    vmk2 = h.vmks["vmk2"]
    assert (vmk2.portgroup, vmk2.vswitch, vmk2.dv_portgroup) == ("", "", "dvportgroup-10")
    assert h.dv_portgroup_of(vmk2) is lacp and h.dv_portgroup_of(h.vmks["vmk1"]) is None
    doc = host_to_doc(h)
    entry = doc["vmknics"][2]
    assert (entry["portgroup"], entry["vswitch"], entry["dv_portgroup"]) == ("dvpg-prod-lacp", "dvs-prod", "dvportgroup-10")
    assert [p["key"] for p in doc["dv_portgroups"]] == ["dvportgroup-10"]  # only the ones a vmk is on
    assert doc["dv_portgroups"][0]["uplinks"]["lag1"] == ["vmnic4", "vmnic5"]


def test_host_that_is_no_member_gets_no_distributed_port_groups():
    props = _host_props("esx02.lab.local")
    network = _from_api.distributed_from_api({"dvs-1": fx.dv_switch()},
                                             {"dvportgroup-10": fx.dv_portgroup("dvportgroup-10", "p", 1, fx.dv_teaming(
                                                 active=["lag1"]))})
    assert _from_api.host_from_api("esx02.lab.local", props, None, (), network).dv_portgroups == {}


def test_vmk_on_an_unread_distributed_switch_keeps_its_key():
    """Connected straight to ESXi: the host reports the port, but no switch is read."""
    props = _dv_host_props()
    h = _from_api.host_from_api("esx01.lab.local", props)
    assert h.vmks["vmk2"].dv_portgroup == "dvportgroup-10" and h.dv_portgroups == {}
    entry = host_to_doc(h)["vmknics"][2]
    assert (entry["portgroup"], entry["vswitch"], entry["dv_portgroup"]) == ("", "", "dvportgroup-10")
    assert "dv_portgroups" not in host_to_doc(h)


def test_dv_teaming_and_vlan_conversion():
    t = _from_api.dv_teaming_from_api(fx.dv_teaming("loadbalance_ip", ["dvUplink1"], ["lag1"], rolling=True))
    assert (t.policy, t.active, t.standby, t.failback, t.failure_detection) == (
        "iphash", ("dvUplink1",), ("lag1",), False, "link_status")
    assert _from_api.dv_teaming_from_api(None) == Teaming()
    assert _from_api.dv_teaming_from_api(fx.dv_teaming("loadbalance_loadbased")).policy == "loadbased"
    pvlan = vim.dvs.VmwareDistributedVirtualSwitch.PvlanSpec(inherited=False, pvlanId=201)
    assert _from_api.dv_vlan_from_api(SimpleNamespace(vlan=pvlan)) == 201
    assert _from_api.dv_vlan_from_api(SimpleNamespace(vlan=None)) == 0


def test_chap_is_read_per_level_with_inheritance_and_no_secret():
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._from_api import adapter_from_api
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import Chap
    auth = HBA.AuthenticationProperties
    send = HBA.SendTarget(address="10.10.20.100", port=3260, authenticationProperties=auth(
        chapAuthEnabled=True, chapAuthenticationType="chapPreferred", chapName="tgt", chapInherited=False,
        mutualChapAuthenticationType="chapRequired", mutualChapName="array", mutualChapInherited=True))
    static = HBA.StaticTarget(address="10.10.20.101", port=3260, iScsiName="iqn.2010-06.com.example:a",
                              discoveryMethod="sendTargetMethod", parent="10.10.20.100:3260")  # no properties: inherited
    hba = HBA(device="vmhba64", key="k64", isSoftwareBased=True, iScsiName="iqn.1998-01.com.vmware:esx01-1",
              authenticationProperties=auth(chapAuthEnabled=True, chapAuthenticationType="chapRequired", chapName="esx",
                                            mutualChapAuthenticationType="chapRequired", mutualChapName="array"),
              configuredSendTarget=[send], configuredStaticTarget=[static])
    adapter = adapter_from_api(hba, True, [], None)
    assert (adapter.chap, adapter.mutual_chap) == (Chap("required", "esx"), Chap("required", "array"))
    target = adapter.send_targets[("10.10.20.100", 3260, "")]
    assert target.chap == Chap("preferred", "tgt") and target.mutual_chap.inherited
    (discovered,) = adapter.static_targets.values()
    assert discovered.chap.inherited and discovered.mutual_chap.inherited
    assert adapter_from_api(HBA(device="vmhba65", key="k", isSoftwareBased=True), True, [], None).chap == Chap()
