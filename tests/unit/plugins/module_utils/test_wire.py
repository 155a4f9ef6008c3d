# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What reaches the wire: a recording pyVmomi stub proves the reader never triggers a property
``Fetch`` and the applier's calls serialize (pyVmomi refuses specs with missing required fields)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
from pyVmomi import SoapAdapter, vim, vmodl

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _from_api, _reader
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._apply import _network
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._client import Session
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import Action, Ip, PortGroup, Teaming, Vmk
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import vim_fixtures as fx

VERSION = "vim.version.v8_0_3_0"
H = "esx01.lab.local"


class RecordingStub:
    """Stands in for SoapStubAdapter: records method calls, fails on any property Fetch."""

    def __init__(self, answers=None):
        self.calls, self.answers = [], answers or {}

    def InvokeMethod(self, mo, info, args):
        params = {p.name: a for p, a in zip(info.params, args, strict=True)}
        for p, a in zip(info.params, args, strict=True):  # raises on a missing required field or a wrong type
            SoapAdapter.Serialize(a, info=p, version=VERSION)
        self.calls.append((info.wsdlName, mo._moId, params))
        return self.answers.get(info.wsdlName)

    def InvokeAccessor(self, mo, info):
        raise AssertionError("Fetch of %s.%s: properties must come from the PropertyCollector" % (mo._moId, info.name))


def bound_host(stub):
    props = fx.standard_host()
    for key in ("configManager.networkSystem", "configManager.virtualNicManager", "configManager.storageSystem",
                "configManager.iscsiManager"):
        props[key] = type(props[key])(props[key]._moId, stub)
    props["name"] = H
    return props


def test_reader_reads_the_shape_then_the_hosts_and_never_fetches():
    stub = RecordingStub()
    host = vim.HostSystem("host-1", stub)
    cluster = vim.ClusterComputeResource("domain-c1", stub)
    stub.answers["RetrievePropertiesEx"] = vmodl.query.PropertyCollector.RetrieveResult(objects=[
        fx.object_content(cluster, {"name": "Cluster-A", "host": vim.HostSystem.Array([host])}),
        fx.object_content(host, bound_host(stub)),
    ])
    content = SimpleNamespace(about=SimpleNamespace(apiType="VirtualCenter"),
                              propertyCollector=vmodl.query.PropertyCollector("propertyCollector", stub),
                              rootFolder=vim.Folder("group-d1", stub))
    obs = _reader.read(Session(si=None, content=content, endpoint="vc:443"), _reader.Selection(cluster="Cluster-A"))
    assert [c[0] for c in stub.calls] == ["RetrievePropertiesEx", "RetrievePropertiesEx"]
    second = stub.calls[1][2]["specSet"][0]  # serialized above: a valid request
    assert [o.obj._moId for o in second.objectSet] == ["host-1"] and "config.network" in second.propSet[0].pathSet
    assert list(obs.hosts) == [H] and obs.raw[H].network_system._moId == "networkSystem-1"


def test_applied_calls_serialize_and_go_to_the_host_managers():
    stub = RecordingStub({"UpdateNetworkConfig": vim.host.NetworkConfig.Result(vnicDevice=["vmk2"])})
    props = bound_host(stub)
    observed = _from_api.host_from_api(H, props)
    raw = _reader.raw_from_api(H, vim.HostSystem("host-1", stub), props)
    new_pg = PortGroup(name="vMotion-A", vswitch="vSwitch0", vlan=30,
                       override=Teaming(active=("vmnic0",), standby=("vmnic1",), policy="failover_explicit"))
    new_vmk = Vmk(device="vmk2", portgroup="vMotion-A", vswitch="vSwitch0",
                  ip=Ip(address="10.10.30.11", netmask="255.255.255.0"), services=frozenset({"vmotion"}))
    iscsi = dataclasses.replace(observed.portgroups["iSCSI-A"], vlan=21,
                                override=Teaming(active=("vmnic3",), standby=()))
    after = dataclasses.replace(
        observed,
        portgroups=dict(observed.portgroups, **{"vMotion-A": new_pg, "iSCSI-A": iscsi}),
        vmks=dict(observed.vmks, vmk1=dataclasses.replace(observed.vmks["vmk1"], mtu=1500), vmk2=new_vmk),
        vswitches=dict(observed.vswitches, vSwitch1=dataclasses.replace(observed.vswitches["vSwitch1"], mtu=1500)))
    actions = [
        Action(H, "edit", "vswitch", "vSwitch1"), Action(H, "add", "portgroup", "vMotion-A"),
        Action(H, "edit", "portgroup", "iSCSI-A"), Action(H, "add", "vmk", "vmk2"), Action(H, "edit", "vmk", "vmk1"),
        Action(H, "select", "service", "vmk2:vmotion"), Action(H, "deselect", "service", "vmk1:vmotion"),
    ]
    devices = _network.apply_host(_network.build_batch(actions, observed, after, raw), raw)
    assert devices == {"vmk2": "vmk2"}
    names = [(c[0], c[1]) for c in stub.calls]
    assert names == [("UpdateNetworkConfig", "networkSystem-1"), ("SelectVnicForNicType", "ha-vnic-mgr-1"),
                     ("DeselectVnicForNicType", "ha-vnic-mgr-1")]
    update = stub.calls[0][2]
    assert update["changeMode"] == "modify"
    cfg = update["config"]
    assert [c.changeOperation for c in cfg.portgroup] == ["add", "edit"] and len(cfg.vnic) == 2


def test_removal_batch_serializes():
    stub = RecordingStub({"UpdateNetworkConfig": vim.host.NetworkConfig.Result()})
    props = bound_host(stub)
    observed = _from_api.host_from_api(H, props)
    raw = _reader.raw_from_api(H, vim.HostSystem("host-1", stub), props)
    after = dataclasses.replace(observed, vmks={"vmk0": observed.vmks["vmk0"]},
                                portgroups={k: v for k, v in observed.portgroups.items() if k != "iSCSI-A"},
                                vswitches={"vSwitch0": observed.vswitches["vSwitch0"]})
    actions = [Action(H, "remove", "vmk", "vmk1"), Action(H, "remove", "portgroup", "iSCSI-A"),
               Action(H, "remove", "vswitch", "vSwitch1")]
    assert _network.apply_host(_network.build_batch(actions, observed, after, raw), raw) == {}
    assert [c[0] for c in stub.calls] == ["UpdateNetworkConfig"]


def test_a_new_vswitch_spec_serializes():
    spec = _network.vswitch_spec(
        _from_api.vswitch_from_api(fx.vswitch("vSwitch2", ["vmnic2", "vmnic3"], mtu=9000)), None)
    assert b"<mtu>9000</mtu>" in SoapAdapter.Serialize(spec, version=VERSION)


@pytest.mark.parametrize("op", ["select", "deselect"])
def test_service_calls_use_the_wsdl_names(op):
    stub = RecordingStub()
    raw = _reader.RawHost(name=H, ref=None, network_system=None,
                          vnic_manager=vim.host.VirtualNicManager("ha-vnic-mgr", stub))
    _network.apply_host(_network.HostBatch(host=H, services=[(op, "vmk1", "vmotion")]), raw)
    assert stub.calls[0][0] == _network.SERVICE_CALLS[op]
    assert stub.calls[0][2] == {"nicType": "vmotion", "device": "vmk1"}
