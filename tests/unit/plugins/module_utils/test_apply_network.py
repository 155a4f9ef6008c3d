# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_apply._network: actions -> pyVmomi specs (real pyVmomi objects, no server), batching, device mapping."""

from __future__ import annotations

import dataclasses

import pytest
from pyVmomi import vim, vmodl

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _from_api, _reader
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._apply import _network
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ApplyError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import Action, Ip, PortGroup, Teaming, Vmk
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import vim_fixtures as fx

H = "esx01.lab.local"


@pytest.fixture()
def observed():
    props = fx.standard_host()
    return _from_api.host_from_api(H, props), _reader.raw_from_api(H, vim.HostSystem("host-1"), props)


def with_pg(host, pg):
    return dataclasses.replace(host, portgroups=dict(host.portgroups, **{pg.name: pg}))


def with_vmk(host, vmk):
    return dataclasses.replace(host, vmks=dict(host.vmks, **{vmk.device: vmk}))


def test_teaming_update_sets_only_changed_leaves():
    base = fx.teaming(policy="loadbalance_srcid", active=["vmnic0"], standby=["vmnic1"], rolling=False, notify=True,
                      beacon=False, reverse=True)
    before = Teaming(policy="srcid", active=("vmnic0",), standby=("vmnic1",), failback=True, notify_switches=True,
                     failure_detection="link_status")
    after = dataclasses.replace(before, failback=False, failure_detection="beacon_probing")
    nt = _network.teaming_update(base, before, after)
    assert nt.rollingOrder is True and nt.failureCriteria.checkBeacon is True
    assert nt.failureCriteria.checkSpeed == "minimum" and nt.reversePolicy is True  # untouched leaves kept
    assert nt.nicOrder.activeNic == ["vmnic0"] and nt.policy == "loadbalance_srcid"
    assert base.rollingOrder is False  # the observed spec is never mutated


def test_teaming_update_inherit_writes_unset_leaves_and_whole_order():
    before = Teaming(policy="failover_explicit", active=("vmnic2",), standby=(), failback=True)
    nt = _network.teaming_update(fx.teaming(policy="failover_explicit", active=["vmnic2"], rolling=False), before,
                                 Teaming())
    assert nt.policy is None and nt.nicOrder is None and nt.rollingOrder is None
    nt = _network.teaming_update(None, Teaming(), Teaming(active=("vmnic3",), standby=("vmnic2",)))
    assert (nt.nicOrder.activeNic, nt.nicOrder.standbyNic) == (["vmnic3"], ["vmnic2"])
    assert nt.policy is None and nt.failureCriteria is None


def test_portgroup_edit_is_a_full_replacement_keeping_security(observed):
    host, raw = observed
    before = host.portgroups["iSCSI-A"]
    after = dataclasses.replace(before, vlan=21, override=Teaming(active=("vmnic3",), standby=("vmnic2",),
                                                                  policy="failover_explicit"))
    spec = _network.portgroup_spec(after, before, raw.portgroup_specs["iSCSI-A"])
    assert isinstance(spec, vim.host.PortGroup.Specification)
    assert (spec.name, spec.vlanId, spec.vswitchName) == ("iSCSI-A", 21, "vSwitch1")
    assert spec.policy.security.allowPromiscuous is False and spec.policy.security.macChanges is True
    nt = spec.policy.nicTeaming
    assert (nt.policy, nt.nicOrder.activeNic, nt.nicOrder.standbyNic) == ("failover_explicit", ["vmnic3"], ["vmnic2"])
    assert nt.rollingOrder is None and nt.notifySwitches is None


def test_new_portgroup_carries_only_the_override(observed):
    after = PortGroup(name="vMotion-A", vswitch="vSwitch0", vlan=30,
                      override=Teaming(active=("vmnic0",), standby=("vmnic1",)))
    spec = _network.portgroup_spec(after, None)
    assert (spec.name, spec.vlanId, spec.vswitchName) == ("vMotion-A", 30, "vSwitch0")
    assert spec.policy.security is None and spec.policy.nicTeaming.policy is None
    assert spec.policy.nicTeaming.nicOrder.standbyNic == ["vmnic1"]


def test_vswitch_edit_changes_mtu_and_bridge_keeping_beacon(observed):
    host, raw = observed
    before = host.vswitches["vSwitch0"]
    after = dataclasses.replace(before, mtu=9000, uplinks=("vmnic0", "vmnic1", "vmnic3"))
    spec = _network.vswitch_spec(after, before, raw.vswitch_specs["vSwitch0"])
    assert spec.mtu == 9000 and spec.bridge.nicDevice == ["vmnic0", "vmnic1", "vmnic3"]
    assert spec.bridge.beacon.interval == 1 and spec.numPorts == 128
    assert spec.policy.security.allowPromiscuous is False


def test_vswitch_teaming_beacon_and_iphash(observed):
    host, raw = observed
    before = host.vswitches["vSwitch1"]
    after = dataclasses.replace(before, beacon_interval=1, teaming=dataclasses.replace(
        before.teaming, failure_detection="beacon_probing", policy="iphash"))
    spec = _network.vswitch_spec(after, before, raw.vswitch_specs["vSwitch1"])
    assert spec.bridge.beacon.interval == 1
    assert spec.policy.nicTeaming.failureCriteria.checkBeacon is True
    assert spec.policy.nicTeaming.policy == "loadbalance_ip"


def test_vmk_add_and_edit_specs():
    after = Vmk(device="vmk2", portgroup="vMotion-A", vswitch="vSwitch0",
                ip=Ip(address="10.10.30.11", netmask="255.255.255.0"), mtu=9000, netstack="vmotion")
    cfg = _network.vmk_add(after)
    assert (cfg.changeOperation, cfg.device, cfg.portgroup) == ("add", "vmk2", "vMotion-A")
    assert (cfg.spec.ip.ipAddress, cfg.spec.ip.subnetMask, cfg.spec.ip.dhcp) == ("10.10.30.11", "255.255.255.0", False)
    assert cfg.spec.mtu == 9000 and cfg.spec.netStackInstanceKey == "vmotion"
    edit = _network.vmk_edit(dataclasses.replace(after, mtu=1500), after)
    assert (edit.changeOperation, edit.device, edit.portgroup) == ("edit", "vmk2", "vMotion-A")
    assert edit.spec.mtu == 1500 and edit.spec.ip is None and edit.spec.netStackInstanceKey is None
    dhcp = _network.vmk_edit(dataclasses.replace(after, ip=Ip(dhcp=True)), after)
    assert dhcp.spec.ip.dhcp is True and dhcp.spec.mtu is None


def test_every_network_action_of_a_host_goes_into_one_config(observed):
    host, raw = observed
    new_pg = PortGroup(name="vMotion-A", vswitch="vSwitch0", vlan=30,
                       override=Teaming(active=("vmnic0",), standby=("vmnic1",)))
    new_vmk = Vmk(device="vmk2", portgroup="vMotion-A", vswitch="vSwitch0",
                  ip=Ip(address="10.10.30.11", netmask="255.255.255.0"), services=frozenset({"vmotion"}))
    after = with_vmk(with_pg(host, new_pg), new_vmk)
    after = dataclasses.replace(after, vswitches=dict(after.vswitches, vSwitch1=dataclasses.replace(
        host.vswitches["vSwitch1"], mtu=1500)))
    actions = [
        Action(H, "edit", "vswitch", "vSwitch1", {"mtu": (9000, 1500)}),
        Action(H, "add", "portgroup", "vMotion-A"),
        Action(H, "add", "vmk", "vmk2"),
        Action(H, "select", "service", "vmk2:vmotion"),
    ]
    batch = _network.build_batch(actions, host, after, raw)
    cfg = batch.config
    assert [c.changeOperation for c in cfg.vswitch] == ["edit"] and cfg.vswitch[0].spec.mtu == 1500
    assert [(c.changeOperation, c.spec.name) for c in cfg.portgroup] == [("add", "vMotion-A")]
    assert [(c.changeOperation, c.device) for c in cfg.vnic] == [("add", "vmk2")]
    assert batch.added == ["vmk2"] and batch.services == [("select", "vmk2", "vmotion")]
    assert batch.calls == 2


def test_removals(observed):
    host, raw = observed
    after = dataclasses.replace(host, vmks={"vmk0": host.vmks["vmk0"]},
                                portgroups={k: v for k, v in host.portgroups.items() if k != "iSCSI-A"})
    actions = [Action(H, "remove", "vmk", "vmk1"), Action(H, "remove", "portgroup", "iSCSI-A")]
    cfg = _network.build_batch(actions, host, after, raw).config
    assert (cfg.vnic[0].changeOperation, cfg.vnic[0].device, cfg.vnic[0].portgroup) == ("remove", "vmk1", "iSCSI-A")
    assert (cfg.portgroup[0].changeOperation, cfg.portgroup[0].spec.name) == ("remove", "iSCSI-A")


def test_service_only_plan_has_no_network_config(observed):
    host, raw = observed
    batch = _network.build_batch([Action(H, "deselect", "service", "vmk1:vmotion")], host, host, raw)
    assert batch.config is None and batch.services == [("deselect", "vmk1", "vmotion")]


class FakeNetworkSystem:
    def __init__(self, devices):
        self.devices, self.calls = devices, []

    def UpdateNetworkConfig(self, config, changeMode):
        self.calls.append(("UpdateNetworkConfig", changeMode, len(config.vnic)))
        return vim.host.NetworkConfig.Result(vnicDevice=self.devices)


class FakeVnicManager:
    def __init__(self, fail=False):
        self.calls, self.fail = [], fail

    def SelectVnic(self, nicType, device):
        if self.fail:
            raise vmodl.fault.InvalidArgument(msg="A specified parameter was not correct", invalidProperty="nicType")
        self.calls.append(("select", nicType, device))

    def DeselectVnic(self, nicType, device):
        self.calls.append(("deselect", nicType, device))


def _batch_with_new_vmk():
    cfg = vim.host.NetworkConfig(vnic=[_network.vmk_add(Vmk(device="vmk2", portgroup="pg", vswitch="vSwitch0"))])
    return _network.HostBatch(host=H, config=cfg, added=["vmk2"], services=[("select", "vmk2", "vmotion")])


def test_apply_uses_the_device_names_the_host_returned():
    ns, vm = FakeNetworkSystem(["vmk7"]), FakeVnicManager()
    raw = _reader.RawHost(name=H, ref=None, network_system=ns, vnic_manager=vm)
    assert _network.apply_host(_batch_with_new_vmk(), raw) == {"vmk2": "vmk7"}
    assert ns.calls == [("UpdateNetworkConfig", "modify", 1)]
    assert vm.calls == [("select", "vmotion", "vmk7")]


def test_a_failed_service_call_says_what_was_already_applied():
    raw = _reader.RawHost(name=H, ref=None, network_system=FakeNetworkSystem(["vmk2"]),
                          vnic_manager=FakeVnicManager(fail=True))
    with pytest.raises(ApplyError, match=r"^esx01.lab.local: SelectVnicForNicType failed: A specified parameter was "
                                         r"not correct \(InvalidArgument: nicType\) \(already applied on "
                                         r"esx01.lab.local: UpdateNetworkConfig\)$") as info:
        _network.apply_host(_batch_with_new_vmk(), raw)
    assert info.value.details["changed"] is True


def test_device_map_falls_back_to_the_plan_when_the_host_says_nothing():
    assert _network.device_map(["vmk2"], vim.host.NetworkConfig.Result()) == {"vmk2": "vmk2"}
