"""PropertyCollector updates as vCenter serves them: per-session filters and data versions,
``enter`` / ``modify`` (only the changed properties) / ``leave``, no update when nothing changed,
and InvalidCollectorVersion for a version the session was never given."""

from __future__ import annotations

import pytest
from pyVim.task import WaitForTask
from pyVmomi import vim, vmodl

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_dvs import view_of
from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_protocol import hosts_by_name

PC = vmodl.query.PropertyCollector
HOST = "esx03.lab.local"
NOW = PC.WaitOptions(maxWaitSeconds=0)


def watch(si, obj, *paths):
    spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=obj)], propSet=[PC.PropertySpec(type=type(obj), pathSet=list(paths))])
    return si.content.propertyCollector.CreateFilter(spec, partialUpdates=False)


def changes(update):
    """[(filter moid, kind, object moid, [(property, op)])] of an UpdateSet."""
    return [(f.filter._moId, o.kind, o.obj._moId, sorted((c.name, c.op) for c in o.changeSet or []))
            for f in update.filterSet for o in f.objectSet]


@pytest.fixture(scope="module")
def host(si):
    return hosts_by_name(si)[HOST]


def test_first_call_enters_every_property_then_nothing_until_a_change(si, host):
    pc = si.content.propertyCollector
    filt = watch(si, host, "config.network.vnic", "name")
    try:
        first = pc.WaitForUpdatesEx("", NOW)
        assert changes(first) == [(filt._moId, "enter", host._moId, [("config.network.vnic", "assign"), ("name", "assign")])]
        assert pc.WaitForUpdatesEx(first.version, NOW) is None  # nothing changed
        assert pc.CheckForUpdates(first.version) is None
        nic = vim.host.VirtualNic.Specification(ip=vim.host.IpConfig(dhcp=False, ipAddress="10.99.0.3",
                                                                     subnetMask="255.255.255.0"))
        device = host.configManager.networkSystem.AddVirtualNic(portgroup="VM Network", nic=nic)
        second = pc.WaitForUpdatesEx(first.version, NOW)
        assert int(second.version) == int(first.version) + 1
        assert changes(second) == [(filt._moId, "modify", host._moId, [("config.network.vnic", "assign")])]  # not name
        (change,) = second.filterSet[0].objectSet[0].changeSet
        assert device in [v.device for v in change.val]
        host.configManager.networkSystem.RemoveVirtualNic(device)
    finally:
        filt.Destroy()


def test_a_filter_created_later_enters_at_the_current_version(si, host):
    pc = si.content.propertyCollector
    first_filter = watch(si, host, "name")
    try:
        base = pc.WaitForUpdatesEx("", NOW)
        later = watch(si, host, "config.network.vswitch")
        try:
            update = pc.WaitForUpdatesEx(base.version, NOW)
            assert changes(update) == [(later._moId, "enter", host._moId, [("config.network.vswitch", "assign")])]
        finally:
            later.Destroy()
    finally:
        first_filter.Destroy()


def test_an_object_that_goes_away_leaves(si):
    dvs = view_of(si, vim.DistributedVirtualSwitch)["dvs-prod"]
    WaitForTask(dvs.CreateDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name="dvpg-gone",
                                                                                          type="earlyBinding")))
    pg = view_of(si, vim.dvs.DistributedVirtualPortgroup)["dvpg-gone"]
    pc = si.content.propertyCollector
    filt = watch(si, pg, "name")
    try:
        base = pc.WaitForUpdatesEx("", NOW)
        task = pg.Destroy_Task()  # not WaitForTask: it would take this session's updates (the leave) itself
        update = pc.WaitForUpdatesEx(base.version, NOW)
        assert [(kind, obj) for _f, kind, obj, _c in changes(update)] == [("leave", pg._moId)]
        assert task.info.state == "success"
    finally:
        filt.Destroy()


def test_filters_and_versions_belong_to_their_session(si, connect, host):
    other = connect()
    theirs = watch(other, host, "name")
    mine = watch(si, host, "name")
    try:
        update = si.content.propertyCollector.WaitForUpdatesEx("", NOW)
        assert {f.filter._moId for f in update.filterSet} == {mine._moId}
        assert other.content.propertyCollector.WaitForUpdatesEx("", NOW).filterSet[0].filter._moId == theirs._moId
    finally:
        mine.Destroy()
        theirs.Destroy()


def test_a_version_never_given_is_invalid(si):
    pc = si.content.propertyCollector
    with pytest.raises(vmodl.query.InvalidCollectorVersion):
        pc.WaitForUpdatesEx("9999", NOW)
    with pytest.raises(vmodl.query.InvalidCollectorVersion):
        pc.CheckForUpdates("not-a-version")


def test_wait_for_task_still_works_for_unmodified_clients(si):
    dvs = view_of(si, vim.DistributedVirtualSwitch)["dvs-prod"]
    spec = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name="dvpg-waited", type="earlyBinding")
    assert WaitForTask(dvs.CreateDVPortgroup_Task(spec)) == "success"
    assert WaitForTask(dvs.CreateDVPortgroup_Task(vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
        name="dvpg-waited-2", type="earlyBinding"))) == "success"
