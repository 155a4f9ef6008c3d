# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_apply._network for a migration: the proxy-switch pnic backing, a vmk edit onto a distributed port and back, one
batch per step built on the specs the step before writes, and the QueryBoundVnics read-back between steps (real
pyVmomi objects, no server)."""

from __future__ import annotations

import pytest
from pyVmomi import vim

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _reader
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._apply import _network
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ApplyError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import plan_host
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import vim_fixtures as fx

H = b.H
UUID = "uuid-dvs-prod"


def raw_host(iscsi=None, network=None) -> _reader.RawHost:
    """What the reader keeps of the migration's start (vSwitch1 on vmnic2+3, lag1 on vmnic4+5 of dvs-prod)."""
    proxy = fx.proxy_switch({"vmnic4": "lag1-0", "vmnic5": "lag1-1"}, {"lag1": ["lag1-0", "lag1-1"]})
    proxy.dvsUuid = UUID
    for spec in proxy.spec.backing.pnicSpec:
        spec.uplinkPortgroupKey = "dvportgroup-10"
    sw = fx.vswitch("vSwitch1", ["vmnic2", "vmnic3"], mtu=9000)
    pgs = {name: fx.portgroup(name, sw, 20, fx.teaming(active=[nic])).spec
           for name, nic in (("Base-A", "vmnic2"), ("Base-B", "vmnic3"))}
    return _reader.RawHost(name=H, ref=None, network_system=network, vnic_manager=None, iscsi_manager=iscsi,
                           vswitch_specs={"vSwitch1": sw.spec}, portgroup_specs=pgs, proxy_switches={UUID: proxy})


def migration():
    host = b.vss_fabric_on_dvs_member()
    return host, plan_host(host, b.desired(*b.migration_specs()))


def test_each_step_is_one_config_moving_one_nic_with_its_vmk():
    host, plan = migration()
    first, second, last = _network.build_batches(plan, host, raw_host())
    cfg = first.config
    assert first.label == "UpdateNetworkConfig(step 1: vmk1 with vmnic2)" and last.label == "UpdateNetworkConfig(step 3)"
    assert cfg.vswitch[0].spec.bridge.nicDevice == ["vmnic3"] and cfg.vswitch[0].spec.policy.nicTeaming.nicOrder.activeNic == ["vmnic3"]
    (proxy,) = cfg.proxySwitch
    assert (proxy.changeOperation, proxy.uuid) == ("edit", UUID)
    assert sorted((p.pnicDevice, p.uplinkPortKey, p.uplinkPortgroupKey) for p in proxy.spec.backing.pnicSpec) == [
        ("vmnic2", "100", "dvportgroup-10"), ("vmnic4", "102", "dvportgroup-10"), ("vmnic5", "103", "dvportgroup-10")]
    (vnic,) = cfg.vnic
    assert (vnic.changeOperation, vnic.device, vnic.portgroup) == ("edit", "vmk1", "")
    port = vnic.spec.distributedVirtualPort
    assert (port.switchUuid, port.portgroupKey) == (UUID, "dvportgroup-21") and vnic.spec.portgroup is None
    # the second step edits what the first wrote: vmnic3 leaves a bridge that no longer has vmnic2
    cfg2 = second.config
    assert cfg2.vswitch[0].spec.bridge is None or cfg2.vswitch[0].spec.bridge.nicDevice in ([], None)
    assert sorted(p.pnicDevice for p in cfg2.proxySwitch[0].spec.backing.pnicSpec) == ["vmnic2", "vmnic3", "vmnic4", "vmnic5"]
    assert [v.device for v in cfg2.vnic] == ["vmk2"] and last.config is None


def test_without_a_migration_everything_stays_one_write():
    host = b.vss_fabric_on_dvs_member()
    plan = plan_host(host, b.desired(b.migration_specs()[0]))  # only vmnic2 moves: no bound vmk moves with it
    (batch,) = _network.build_batches(plan, host, raw_host())
    assert batch.label == "UpdateNetworkConfig" and len(batch.config.proxySwitch) == 1


def test_a_vmk_moved_back_names_its_standard_port_group():
    host, plan = migration()
    moved, back = plan.after.vmks["vmk1"], host.vmks["vmk1"]
    edit = _network.vmk_edit(back, moved)
    assert (edit.portgroup, edit.spec.portgroup, edit.spec.distributedVirtualPort) == ("Base-A", "Base-A", None)


def test_an_unread_proxy_switch_refuses_before_any_write():
    host, plan = migration()
    raw = raw_host()
    raw.proxy_switches = {}
    with pytest.raises(ApplyError, match="proxy switch of dvs-prod was not read; nothing was changed"):
        _network.build_batches(plan, host, raw)


class Iscsi:
    """QueryBoundVnics answers, one list per call (the last repeats)."""

    def __init__(self, *answers):
        self.answers, self.calls = list(answers), 0

    def QueryBoundVnics(self, iScsiHbaName):
        self.calls += 1
        return self.answers[min(self.calls, len(self.answers)) - 1]


class Network:
    def __init__(self):
        self.calls = 0

    def UpdateNetworkConfig(self, config, changeMode):
        self.calls += 1
        return vim.host.NetworkConfig.Result()


def port(vmk, path="active", reasons=()):
    return vim.host.IscsiManager.IscsiPortInfo(vnicDevice=vmk, pathStatus=path,
                                               complianceStatus=vim.host.IscsiManager.IscsiStatus(reason=list(reasons)))


def test_the_steps_run_in_order_with_a_read_back_after_each_path():
    host, plan = migration()
    iscsi, net = Iscsi([port("vmk1"), port("vmk2")]), Network()
    raw = raw_host(iscsi, net)
    batches, checks = _network.build_batches(plan, host, raw), _network.path_checks(plan, host)
    done: list[str] = []
    _network.apply_host(batches, raw, done=done, checks=checks, sleep=lambda s: None)
    assert done == ["UpdateNetworkConfig(step 1: vmk1 with vmnic2)", "QueryBoundVnics(vmhba64: vmk1)",
                    "UpdateNetworkConfig(step 2: vmk2 with vmnic3)", "QueryBoundVnics(vmhba64: vmk2)"]
    assert done == _network.host_steps(batches, (), (), checks)
    assert net.calls == 2 and iscsi.calls == 2


def test_a_path_that_comes_back_late_is_waited_for_within_bounds():
    host, plan = migration()
    iscsi, slept = Iscsi([port("vmk1", "notUsed")], [port("vmk1", "notUsed")], [port("vmk1", "active")]), []
    raw = raw_host(iscsi, Network())
    check = _network.path_checks(plan, host)[0]
    done: list[str] = []
    _network.verify_path(H, raw, check, done, slept.append)
    assert iscsi.calls == 3 and slept == [_network.PATH_DELAY] * 2 and done == ["QueryBoundVnics(vmhba64: vmk1)"]


@pytest.mark.parametrize("answer, text, calls", [
    ([port("vmk1", "notUsed", [vim.fault.IscsiFaultVnicHasNoUplinks(vnicDevice="vmk1")])],
     "vmk1 is not compliant on vmhba64 (IscsiFaultVnicHasNoUplinks)", 1),
    ([port("vmk2")], "vmk1 is no longer bound to vmhba64", 1),
    ([port("vmk1", "notUsed")], "vmk1 has no active path on vmhba64 (pathStatus notUsed, was active; waited 55 s)",
     _network.PATH_ATTEMPTS),
])
def test_a_failed_read_back_stops_the_host_naming_what_moved(answer, text, calls):
    host, plan = migration()
    iscsi, net = Iscsi(answer), Network()
    raw = raw_host(iscsi, net)
    done: list[str] = []
    with pytest.raises(ApplyError) as err:
        _network.apply_host(_network.build_batches(plan, host, raw), raw, done=done,
                            checks=_network.path_checks(plan, host), sleep=lambda s: None)
    msg = str(err.value)
    assert text in msg and "after moving vmk1 with vmnic2" in msg and "before moving vmk2 with vmnic3" in msg, msg
    assert "already applied on %s: UpdateNetworkConfig(step 1: vmk1 with vmnic2)" % H in msg
    assert err.value.details["changed"] is True and net.calls == 1 and iscsi.calls == calls
