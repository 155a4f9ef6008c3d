"""HostStorageSystem: software iSCSI, send/static targets, advanced options and their inheritance."""

from __future__ import annotations

import pytest
from pyVmomi import vim, vmodl

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_protocol import hosts_by_name

HBA = vim.host.InternetScsiHba
PURE = "iqn.2010-06.com.purestorage:flasharray.1a2b3c4d5e6f7a8b"


@pytest.fixture(scope="module")
def storage(si):
    return hosts_by_name(si)["esx01.lab.local"].configManager.storageSystem


def adapter(storage, device="vmhba64"):
    return next(a for a in storage.storageDeviceInfo.hostBusAdapter if a.device == device)


def values(target):
    return {v.key: (v.value, v.isInherited) for v in target.advancedOptions}


def opt(key, value, inherited=False):
    return HBA.ParamValue(key=key, value=value, isInherited=inherited)


def send(address="10.10.20.100"):
    return HBA.SendTarget(address=address, port=3260)


def test_enabling_software_iscsi_creates_the_adapter(storage):
    assert not storage.storageDeviceInfo.hostBusAdapter
    storage.UpdateSoftwareInternetScsiEnabled(True)
    storage.UpdateSoftwareInternetScsiEnabled(True)  # idempotent: still one adapter
    hbas = storage.storageDeviceInfo.hostBusAdapter
    assert [h.device for h in hbas] == ["vmhba64"] and hbas[0].isSoftwareBased
    assert hbas[0].iScsiName.startswith("iqn.1998-01.com.vmware:esx01-") and storage.storageDeviceInfo.softwareInternetScsiEnabled
    login = next(d for d in hbas[0].supportedAdvancedOptions if d.key == "LoginTimeout")
    assert (login.optionType.min, login.optionType.max, login.optionType.defaultValue) == (1, 60, 5)


def test_send_target_discovers_the_arrays_static_targets(storage):
    storage.AddInternetScsiSendTargets("vmhba64", [send()])
    hba = adapter(storage)
    assert [(t.address, t.port) for t in hba.configuredSendTarget] == [("10.10.20.100", 3260)]
    statics = hba.configuredStaticTarget
    assert sorted((t.address, t.iScsiName) for t in statics) == [("10.10.20.100", PURE), ("10.10.20.101", PURE)]
    assert {t.parent for t in statics} == {"10.10.20.100:3260"} and {t.discoveryMethod for t in statics} == {"sendTargetMethod"}
    storage.AddInternetScsiSendTargets("vmhba64", [send("10.99.0.1")])  # no array serves it: nothing discovered
    assert len(adapter(storage).configuredStaticTarget) == 2
    storage.RemoveInternetScsiSendTargets("vmhba64", [send("10.99.0.1")])


def test_options_cascade_adapter_to_send_target_to_static_targets(storage):
    storage.UpdateInternetScsiAdvancedOptions("vmhba64", options=[opt("NoopInterval", 30)])  # adapter level
    target_set = HBA.TargetSet(sendTargets=[send()])
    storage.UpdateInternetScsiAdvancedOptions("vmhba64", options=[opt("LoginTimeout", 30), opt("DelayedAck", False)], targetSet=target_set)
    hba = adapter(storage)
    assert values(hba)["LoginTimeout"] == (5, True) and values(hba)["NoopInterval"] == (30, False)  # the adapter is unchanged
    st = values(hba.configuredSendTarget[0])
    assert st["LoginTimeout"] == (30, False) and st["DelayedAck"] == (False, False) and st["NoopInterval"] == (30, True)
    for static in hba.configuredStaticTarget:
        sv = values(static)
        assert sv["LoginTimeout"] == (30, True) and sv["DelayedAck"] == (False, True) and sv["NoopInterval"] == (30, True)
    # back to inherited on the send target
    storage.UpdateInternetScsiAdvancedOptions("vmhba64", options=[opt("LoginTimeout", 0, inherited=True)], targetSet=target_set)
    assert values(adapter(storage).configuredSendTarget[0])["LoginTimeout"] == (5, True)


@pytest.mark.parametrize("option", [opt("LoginTimeout", 0), opt("LoginTimeout", 61), opt("DelayedAck", 1),
                                    opt("LoginRetryMax", 6), opt("NoSuchKey", 1)], ids=["0", "61", "not-bool", "read-only", "unknown"])
def test_bad_option_values_are_invalid_argument(storage, option):
    with pytest.raises(vmodl.fault.InvalidArgument):
        storage.UpdateInternetScsiAdvancedOptions("vmhba64", options=[option], targetSet=HBA.TargetSet(sendTargets=[send()]))


def test_static_targets_name_alias_rescan_and_faults(storage):
    static = HBA.StaticTarget(address="10.10.20.200", port=3260, iScsiName="iqn.2001-05.com.example:t1")
    storage.AddInternetScsiStaticTargets("vmhba64", [static])
    assert any(t.iScsiName == static.iScsiName and t.discoveryMethod == "staticMethod" for t in adapter(storage).configuredStaticTarget)
    storage.RemoveInternetScsiStaticTargets("vmhba64", [static])
    with pytest.raises(vim.fault.NotFound):
        storage.RemoveInternetScsiStaticTargets("vmhba64", [static])
    storage.UpdateInternetScsiName("vmhba64", "iqn.1998-01.com.vmware:esx01-renamed")
    storage.UpdateInternetScsiAlias("vmhba64", "esx01")
    hba = adapter(storage)
    assert (hba.iScsiName, hba.iScsiAlias) == ("iqn.1998-01.com.vmware:esx01-renamed", "esx01")
    with pytest.raises(vmodl.fault.InvalidArgument):
        storage.UpdateInternetScsiName("vmhba64", "not-an-iqn")
    storage.RescanHba("vmhba64")
    storage.RescanAllHba()
    for call in (lambda: storage.RescanHba("vmhba99"), lambda: storage.AddInternetScsiSendTargets("vmhba99", [send()]),
                 lambda: storage.UpdateInternetScsiAdvancedOptions("vmhba99", options=[opt("LoginTimeout", 30)]),
                 lambda: storage.RemoveInternetScsiSendTargets("vmhba64", [send("10.1.1.1")])):
        with pytest.raises(vim.fault.NotFound):
            call()


def test_storage_device_is_part_of_host_config(si, storage):
    host = hosts_by_name(si)["esx01.lab.local"]
    assert [h.device for h in host.config.storageDevice.hostBusAdapter] == ["vmhba64"]
