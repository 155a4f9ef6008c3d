"""HostStorageSystem CHAP (UpdateInternetScsiAuthenticationProperties) with unmodified pyVmomi:
adapter level, send target level inherited by its discovered static targets, ``*Inherited``
back to the level above, secrets kept but never reported, and the faults ESXi raises."""

from __future__ import annotations

import pytest
from pyVmomi import vim, vmodl

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_protocol import hosts_by_name

HBA = vim.host.InternetScsiHba
PORTAL = "10.10.20.100"


@pytest.fixture(scope="module")
def storage(si):
    storage = hosts_by_name(si)["esx02.lab.local"].configManager.storageSystem
    storage.UpdateSoftwareInternetScsiEnabled(True)
    storage.AddInternetScsiSendTargets("vmhba64", [HBA.SendTarget(address=PORTAL, port=3260)])
    return storage


def hba(storage):
    return next(a for a in storage.storageDeviceInfo.hostBusAdapter if a.device == "vmhba64")


def chap(kind="chapRequired", name="esx02", secret="s3cret-1", **more):
    return HBA.AuthenticationProperties(chapAuthEnabled=kind != "chapProhibited", chapAuthenticationType=kind, chapName=name,
                                        chapSecret=secret, **more)


def targets(**kw):
    return HBA.TargetSet(**kw)


def test_adapter_chap_is_reported_without_the_secret(storage):
    storage.UpdateInternetScsiAuthenticationProperties("vmhba64", chap())
    props = hba(storage).authenticationProperties
    assert (props.chapAuthEnabled, props.chapAuthenticationType, props.chapName) == (True, "chapRequired", "esx02")
    assert props.chapSecret is None and props.mutualChapSecret is None


def test_targets_inherit_the_adapter_chap_until_they_override_it(storage):
    adapter = hba(storage)
    (send,) = adapter.configuredSendTarget
    assert send.authenticationProperties.chapInherited is True and send.authenticationProperties.chapName == "esx02"
    assert send.digestProperties.headerDigestType == "digestProhibited" and send.digestProperties.headerDigestInherited
    storage.UpdateInternetScsiAuthenticationProperties(
        "vmhba64", chap(name="array-a", chapInherited=False, mutualChapInherited=True),
        targets(sendTargets=[HBA.SendTarget(address=PORTAL, port=3260)]))
    adapter = hba(storage)
    (send,) = adapter.configuredSendTarget
    assert (send.authenticationProperties.chapInherited, send.authenticationProperties.chapName) == (False, "array-a")
    assert send.authenticationProperties.mutualChapInherited is True
    assert adapter.authenticationProperties.chapName == "esx02"  # the adapter level is unchanged
    assert adapter.configuredStaticTarget, "the portal discovers the array's targets"
    for static in adapter.configuredStaticTarget:  # discovered: inherit from the send target
        assert (static.authenticationProperties.chapInherited, static.authenticationProperties.chapName) == (True, "array-a")


def test_inherited_true_goes_back_to_the_level_above(storage):
    storage.UpdateInternetScsiAuthenticationProperties(
        "vmhba64", HBA.AuthenticationProperties(chapAuthEnabled=False, chapInherited=True, mutualChapInherited=True),
        targets(sendTargets=[HBA.SendTarget(address=PORTAL, port=3260)]))
    (send,) = hba(storage).configuredSendTarget
    assert (send.authenticationProperties.chapInherited, send.authenticationProperties.chapName) == (True, "esx02")


def test_mutual_chap_needs_chap_required(storage):
    with pytest.raises(vim.fault.HostConfigFault):
        storage.UpdateInternetScsiAuthenticationProperties(
            "vmhba64", chap(kind="chapPreferred", mutualChapAuthenticationType="chapRequired", mutualChapName="array"))
    assert hba(storage).authenticationProperties.chapAuthenticationType == "chapRequired"  # refused: nothing changed
    storage.UpdateInternetScsiAuthenticationProperties(
        "vmhba64", chap(mutualChapAuthenticationType="chapRequired", mutualChapName="array", mutualChapSecret="s3cret-2"))
    props = hba(storage).authenticationProperties
    assert (props.mutualChapAuthenticationType, props.mutualChapName, props.mutualChapSecret) == ("chapRequired", "array", None)


def test_bad_type_unknown_target_and_unknown_adapter_are_faults(storage):
    with pytest.raises(vmodl.fault.InvalidArgument):
        storage.UpdateInternetScsiAuthenticationProperties("vmhba64", chap(kind="chapSometimes"))
    with pytest.raises(vim.fault.NotFound):
        storage.UpdateInternetScsiAuthenticationProperties(
            "vmhba64", chap(chapInherited=False), targets(sendTargets=[HBA.SendTarget(address="10.10.20.199", port=3260)]))
    with pytest.raises(vim.fault.NotFound):
        storage.UpdateInternetScsiAuthenticationProperties("vmhba99", chap())


def test_a_discovered_static_target_checks_mutual_chap_against_its_send_target(storage):
    """Its one-way CHAP comes from the send target, not the adapter: mutual CHAP is allowed when the send
    target requires CHAP although the adapter only prefers it, and refused in the opposite case."""
    send = targets(sendTargets=[HBA.SendTarget(address=PORTAL, port=3260)])
    storage.UpdateInternetScsiAuthenticationProperties("vmhba64", chap(kind="chapPreferred"))  # mutual prohibited
    storage.UpdateInternetScsiAuthenticationProperties("vmhba64", chap(name="array-a", chapInherited=False,
                                                                       mutualChapInherited=True), send)
    storage.RescanHba("vmhba64")
    static = next(s for s in hba(storage).configuredStaticTarget if s.parent == "%s:3260" % PORTAL)
    one = targets(staticTargets=[HBA.StaticTarget(address=static.address, port=static.port, iScsiName=static.iScsiName)])
    mutual = HBA.AuthenticationProperties(chapAuthEnabled=True, chapInherited=True, mutualChapInherited=False,
                                          mutualChapAuthenticationType="chapRequired", mutualChapName="arr", mutualChapSecret="m-1")
    storage.UpdateInternetScsiAuthenticationProperties("vmhba64", mutual, one)  # send target requires CHAP: allowed
    auth = next(s for s in hba(storage).configuredStaticTarget if s.iScsiName == static.iScsiName
                and s.address == static.address).authenticationProperties
    assert (auth.chapInherited, auth.chapAuthenticationType, auth.mutualChapInherited) == (True, "chapRequired", False)
    storage.UpdateInternetScsiAuthenticationProperties(  # back: the send target inherits again, the static target its mutual
        "vmhba64", HBA.AuthenticationProperties(chapAuthEnabled=False, chapInherited=True, mutualChapInherited=True), one)
    storage.UpdateInternetScsiAuthenticationProperties(
        "vmhba64", HBA.AuthenticationProperties(chapAuthEnabled=False, chapInherited=True, mutualChapInherited=True), send)
    with pytest.raises(vim.fault.HostConfigFault):  # now its one-way CHAP is the adapter's preferred
        storage.UpdateInternetScsiAuthenticationProperties("vmhba64", mutual, one)
    storage.UpdateInternetScsiAuthenticationProperties("vmhba64", chap())  # the module's state back to required
