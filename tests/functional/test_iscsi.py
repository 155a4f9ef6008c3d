# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 5 end to end on the demo cluster: two iSCSI vmks with active/unused overrides, software
iSCSI with both bound, the array's send target with the Pure profile inherited by the discovered
static targets; rerun and check mode; then every bad input refused with its rule and no write."""

from __future__ import annotations

import pytest

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import BIND, HOSTS, NETMASK, READ, C
from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import ISCSI_FABRIC as FABRIC

ARRAY = "iqn.2010-06.com.purestorage:flasharray.1a2b3c4d5e6f7a8b"
TARGET = {"vmkfabric.vsphere.iscsi_target": {
    "cluster": C, "profile": "pure", "send_targets": [{"address": "10.10.20.100"}]}}
INFO = {"vmkfabric.vsphere.host_fabric_info": {"cluster": C}}


def adapter_doc(doc):
    (adapter,) = doc["iscsi"]
    return adapter


@pytest.fixture(scope="module")
def converged(playbook):
    """The fabric built once; the iSCSI tasks run after a check-mode preview of the same tasks."""
    base = playbook.run(*FABRIC)
    assert all(not r.get("failed") for r in base.results), base.stdout
    preview_bind = playbook.run(BIND, check=True)
    real_bind = playbook.run(BIND)
    preview_target = playbook.run(TARGET, check=True)
    real_target = playbook.run(TARGET)
    return preview_bind, real_bind, preview_target, real_target


def test_check_mode_predicts_the_real_run(converged):
    preview_bind, real_bind, preview_target, real_target = converged
    for preview, real in ((preview_bind, real_bind), (preview_target, real_target)):
        assert not preview[0].get("failed"), preview.stdout
        assert not real[0].get("failed"), real.stdout
        assert preview.writes == 0
        assert [a["summary"] for a in preview[0]["plan"]] == [a["summary"] for a in real[0]["plan"]]
        assert preview[0]["changed"] and real[0]["changed"]


def test_binding_run_calls(converged):
    _pb, real_bind, _pt, _rt = converged
    calls = real_bind.calls
    assert calls.get("UpdateSoftwareInternetScsiEnabled") == 4
    assert calls.get("RetrievePropertiesEx") == READ + 3  # read, SF-10 re-read, new adapters' names, read-back (all hosts each)
    assert calls.get("BindVnic") == 8
    assert calls.get("UpdateNetworkConfig", 0) == 0
    kinds = sorted({(a["op"], a["kind"]) for a in real_bind[0]["plan"]})
    assert kinds == [("add", "adapter"), ("add", "binding")]
    for h in HOSTS:
        assert adapter_doc(real_bind[0]["after"][h])["bindings"] == ["vmk1", "vmk2"]


def test_send_target_values_are_inherited_by_discovered_static_targets(converged, playbook):
    _pb, _rb, _pt, real_target = converged
    assert real_target.calls.get("AddInternetScsiSendTargets") == 4
    assert real_target.calls.get("UpdateInternetScsiAdvancedOptions") == 4  # one per host: the send target
    # bound sets: read once and re-read before the first write (SF-10); the read-back after target-only
    # changes keeps them instead of querying every adapter a third time
    assert real_target.calls.get("QueryBoundVnics") == 8
    info = playbook.run(INFO)
    for h in HOSTS:
        adapter = adapter_doc(info[0]["gathered"][h])
        (send,) = adapter["send_targets"]
        assert send["address"] == "10.10.20.100"
        assert send["options"] == {"delayed_ack": False, "login_timeout": 30}
        assert adapter["options"] == {}  # adapter level unchanged
        statics = adapter["static_targets"]
        assert {(s["address"], s["iscsi_name"]) for s in statics} == {("10.10.20.100", ARRAY), ("10.10.20.101", ARRAY)}
        assert all(s["discovered_from"] == "10.10.20.100:3260" and s["options"] == {} for s in statics)


def test_static_targets_read_back_inherited_values(converged, sim):
    """Straight from the simulator with pyVmomi: LoginTimeout 30 / DelayedAck false, isInherited true."""
    from conftest import objects, pyvmomi  # pylint: disable=import-error
    from pyVmomi import vim
    with pyvmomi(sim) as si:
        for host in objects(si, vim.HostSystem):
            (hba,) = [a for a in host.config.storageDevice.hostBusAdapter if isinstance(a, vim.host.InternetScsiHba)]
            adapter_values = {o.key: o.value for o in hba.advancedOptions}
            assert adapter_values["LoginTimeout"] == 5 and adapter_values["DelayedAck"] is True
            assert len(hba.configuredStaticTarget) == 2
            for static in hba.configuredStaticTarget:
                opts = {o.key: (o.value, o.isInherited) for o in static.advancedOptions}
                assert opts["LoginTimeout"] == (30, True)
                assert opts["DelayedAck"] == (False, True)


def test_rerun_is_a_no_op(converged, playbook):
    again = playbook.run(*(FABRIC + [BIND, TARGET]))
    assert [r["changed"] for r in again.results] == [False] * 5, again.stdout
    assert again.writes == 0
    assert all(r["plan"] == [] for r in again.results)


def iscsi(module, host=HOSTS[0], **args):
    base = {"esxi_hostname": host}
    base.update(args)
    return {"vmkfabric.vsphere." + module: base}


BAD = [
    ("two-active", [iscsi("vmknic", HOSTS[3], portgroup="iSCSI-C", vswitch="vSwitch1", purpose="iscsi",
                          ip={"address": "10.10.20.31", "netmask": NETMASK}, teaming={"active": ["vmnic2", "vmnic3"]}),
                    iscsi("iscsi_adapter", HOSTS[3], bindings=["vmk1", "vmk2", {"portgroup": "iSCSI-C"}])], "PB-1"),
    ("standby", [iscsi("vmknic", HOSTS[1], portgroup="iSCSI-D", vswitch="vSwitch1", purpose="iscsi",
                       ip={"address": "10.10.20.32", "netmask": NETMASK},
                       teaming={"active": ["vmnic2"], "standby": ["vmnic3"]}),
                 iscsi("iscsi_adapter", HOSTS[1], bindings=[{"portgroup": "iSCSI-D"}])], "PB-2"),
    ("other-subnet", [iscsi("vmknic", HOSTS[2], portgroup="iSCSI-E", vswitch="vSwitch1", ip={"address": "10.10.50.11", "netmask": NETMASK},
                            teaming={"active": ["vmnic2"], "unused": ["vmnic3"]}),
                      iscsi("iscsi_adapter", HOSTS[2], bindings=[{"portgroup": "iSCSI-E"}])], "PB-6"),
    ("portal-outside", [iscsi("iscsi_target", send_targets=[{"address": "10.10.99.5"}])], "PB-7"),
    ("login-timeout-0", [iscsi("iscsi_target", send_targets=[{"address": "10.10.20.100", "login_timeout": 0}],
                               allow_profile_deviation=True)], "TP-1"),
    ("login-timeout-61", [iscsi("iscsi_target", send_targets=[{"address": "10.10.20.100", "login_timeout": 61}])], "TP-1"),
    ("unknown-adapter", [iscsi("iscsi_adapter", adapter="vmhba9", bindings=["vmk1"])], "PB-11"),
    ("purge-last-path", [iscsi("iscsi_target", send_targets=[], purge=True, allow_path_disruption=True)], "SF-4"),
    ("purge-active-path", [iscsi("iscsi_adapter", bindings=["vmk1"], purge_bindings=True)], "SF-4"),
    ("bound-vmk-teaming", [iscsi("vmknic", portgroup="iSCSI-A", teaming={"active": ["vmnic3"], "unused": ["vmnic2"]})],
     "SF-3"),
    ("management-binding", [iscsi("iscsi_adapter", bindings=["vmk0"])], "SF-1"),
    ("adapter-level", [iscsi("iscsi_target", adapter_options={"login_timeout": 30})], "TP-3"),
]


@pytest.fixture(scope="module")
def bad_run(converged, playbook):
    """Every bad input in one playbook: refused tasks write nothing, so they cannot disturb each
    other; the preparation vmks of the multi-task cases sit on hosts no other case uses."""
    tasks, last = [], {}
    for name, case_tasks, _rule in BAD:
        tasks.extend(case_tasks)
        last[name] = len(tasks) - 1
    return playbook.run(*tasks), last


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_input_is_refused_with_its_rule(bad_run, case):
    run, last = bad_run
    name, tasks, rule = case
    result = run[last[name]]
    assert result.get("failed"), run.stdout
    assert result["msg"].startswith("plan refused: "), result["msg"]
    assert rule in {f["rule"] for f in result["refused"]}, result["msg"]
    assert all(f["host"] in HOSTS and f["change"] for f in result["refused"])
    for prep in run.results[last[name] - len(tasks) + 1:last[name]]:
        assert not prep.get("failed"), prep.get("msg")


def test_bad_inputs_write_nothing_but_their_preparation(bad_run):
    run, _last = bad_run
    preparations = sum(len(tasks) - 1 for _n, tasks, _r in BAD)
    assert run.calls.get("UpdateNetworkConfig") == preparations  # the vmks the multi-task cases create
    assert run.writes == preparations
    for call in ("BindVnic", "UnbindVnic", "AddInternetScsiSendTargets", "RemoveInternetScsiSendTargets",
                 "UpdateInternetScsiAdvancedOptions", "UpdateSoftwareInternetScsiEnabled"):
        assert run.calls.get(call, 0) == 0, call


def test_unknown_vmk_names_the_field(converged, playbook):
    run = playbook.run(iscsi("iscsi_adapter", bindings=["vmk9"]))
    assert run[0]["failed"]
    assert "bindings[0].vmk" in run[0]["msg"] and "esx01.lab.local" in run[0]["msg"] and "vmk9" in run[0]["msg"]
    assert run.writes == 0


def test_simulator_refuses_a_standby_binding_that_slipped_past_validation(bad_run, sim):
    """Defence in depth: the "standby" case's vmk (iSCSI-D on esx02, active vmnic2 + standby vmnic3)
    was refused by PB-2 above without a BindVnic; bound directly, the host's own compliance check
    refuses it too."""
    from conftest import find, pyvmomi  # pylint: disable=import-error
    from pyVmomi import vim
    with pyvmomi(sim) as si:
        host = find(si, vim.HostSystem, HOSTS[1])
        vmk = next(v.device for v in host.config.network.vnic if v.portgroup == "iSCSI-D")
        with pytest.raises(vim.fault.IscsiFaultVnicHasMultipleUplinks):
            host.configManager.iscsiManager.BindVnic(iScsiHbaName="vmhba64", vnicDevice=vmk)
        bound = host.configManager.iscsiManager.QueryBoundVnics(iScsiHbaName="vmhba64")
        assert vmk not in {p.vnicDevice for p in bound}
