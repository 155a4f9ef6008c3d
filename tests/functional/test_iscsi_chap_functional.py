# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""iSCSI CHAP end to end on the demo cluster's simulator (its state persisted to a file, the only
place a secret can be seen): adapter-level one-way and mutual CHAP, a send target's own CHAP that
its discovered static targets inherit, rerun, ``update_secret: always``, check mode, host_fabric's
gathered -> overridden round trip, and no secret in any output (-vvv, --diff)."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import DEMO, SIM_DIR, Playbook, objects, pyvmomi  # pylint: disable=import-error

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import HOSTS, C

SECRETS = {"initiator": "Init-S3cret-0001", "mutual": "Mutual-S3cret-0002", "target": "Target-S3cret-0003",
           "rotated": "Target-S3cret-0004"}
SEND = "10.10.20.100"


def adapter_task(**extra: Any) -> dict[str, Any]:
    return {"vmkfabric.vsphere.iscsi_adapter": dict({
        "cluster": C, "software_iscsi": "enabled",
        "chap": {"type": "required", "name": "esx-initiator", "secret": SECRETS["initiator"]},
        "mutual_chap": {"type": "required", "name": "array", "secret": SECRETS["mutual"]}}, **extra)}


def target_task(secret: str = SECRETS["target"], **extra: Any) -> dict[str, Any]:
    return {"vmkfabric.vsphere.iscsi_target": dict({
        "cluster": C, "send_targets": [{"address": SEND, "chap": {"type": "required", "name": "tgt-chap", "secret": secret}}]},
        **extra)}


@pytest.fixture(scope="module")
def chap_sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A simulator of the demo inventory that persists its state (secrets included) to a file."""
    if SIM_DIR not in sys.path:
        sys.path.insert(0, SIM_DIR)
    launcher = importlib.import_module("vsphere_sim.launcher")
    state = str(tmp_path_factory.mktemp("chap-state") / "state.json")
    with launcher.SimProcess(DEMO, state=state) as proc:
        proc.state_file = state
        yield proc


@pytest.fixture(scope="module")
def play(chap_sim: Any, collections_path: str, tmp_path_factory: pytest.TempPathFactory) -> Playbook:
    return Playbook(chap_sim, collections_path, str(tmp_path_factory.mktemp("chap-play")))


def held_secrets(sim: Any) -> dict[str, list[Any]]:
    """host -> [adapter auth, send target auth] of the software adapter, secrets included (simulator state file)."""
    with open(sim.state_file, encoding="utf-8") as fh:
        state = json.load(fh)
    out = {}
    for name, host in state["hosts"].items():
        (adapter,) = [a for a in host["storage"]["adapters"] if a["software"]]
        sends = {key[0]: auth for key, auth in adapter["target_auth"] if len(key) == 2}
        out[name] = [adapter["auth"], sends.get(SEND, {})]
    return out


@pytest.fixture(scope="module")
def converged(play: Playbook) -> dict[str, Any]:
    preview = play.run(adapter_task(), check=True)  # the target needs the adapter this run creates
    real = play.run(adapter_task(), target_task(), diff=True, verbose=True)
    again = play.run(adapter_task(), target_task(), diff=True, verbose=True)
    return {"preview": preview, "real": real, "again": again}


def test_check_mode_previews_without_writing(converged: dict[str, Any]) -> None:
    preview, real = converged["preview"], converged["real"]
    assert preview.writes == 0 and all(r["changed"] and not r.get("failed") for r in preview.results), preview.stdout
    assert [a["summary"] for a in preview[0]["plan"]] == [a["summary"] for a in real[0]["plan"]]
    assert any("chap.type: None -> required" in a["summary"] for a in preview[0]["plan"])


def test_converge_writes_chap_once_per_level(converged: dict[str, Any], chap_sim: Any) -> None:
    real = converged["real"]
    assert all(r["changed"] and not r.get("failed") for r in real.results), real.stdout
    assert real.calls.get("UpdateInternetScsiAuthenticationProperties") == 2 * len(HOSTS)  # adapter + send target
    summaries = [a["summary"] for a in real[1]["plan"] if a["kind"] == "send_target"]
    assert all("chap.secret: None -> written" in s for s in summaries), summaries
    for h in HOSTS:
        (adapter,) = real[0]["after"][h]["iscsi"]
        assert adapter["chap"] == {"type": "required", "name": "esx-initiator"}
        assert adapter["mutual_chap"] == {"type": "required", "name": "array"}
    secrets = held_secrets(chap_sim)
    assert sorted(secrets) == sorted(HOSTS)
    for auth, target in secrets.values():
        assert auth["chapSecret"] == SECRETS["initiator"] and auth["mutualChapSecret"] == SECRETS["mutual"]
        assert target["chapSecret"] == SECRETS["target"]


def test_esxi_reports_levels_and_inheritance_but_no_secret(converged: dict[str, Any], chap_sim: Any) -> None:
    from pyVmomi import vim
    with pyvmomi(chap_sim) as si:
        for host in objects(si, vim.HostSystem):
            (hba,) = [a for a in host.config.storageDevice.hostBusAdapter
                      if isinstance(a, vim.host.InternetScsiHba) and a.isSoftwareBased]
            assert hba.authenticationProperties.chapAuthenticationType == "chapRequired"
            assert hba.authenticationProperties.chapSecret is None
            (send,) = hba.configuredSendTarget
            assert (send.authenticationProperties.chapInherited, send.authenticationProperties.chapName) == (False, "tgt-chap")
            assert send.authenticationProperties.mutualChapInherited is True  # mutual stays the adapter's
            statics = hba.configuredStaticTarget
            assert statics and all(s.parent == "%s:3260" % SEND for s in statics)
            for s in statics:  # discovered from the send target: its CHAP, inherited
                auth = s.authenticationProperties
                assert (auth.chapInherited, auth.chapName, auth.chapSecret) == (True, "tgt-chap", None)


def test_rerun_changes_nothing(converged: dict[str, Any]) -> None:
    again = converged["again"]
    assert [r["changed"] for r in again.results] == [False, False], again.stdout
    assert again.writes == 0 and all(r["plan"] == [] for r in again.results)


def test_no_secret_in_any_output(converged: dict[str, Any]) -> None:
    for run in (converged["preview"], converged["real"], converged["again"]):
        text = run.stdout + json.dumps(run.results)
        assert "chap" in text  # the output does talk about CHAP
        for secret in SECRETS.values():
            assert secret not in text


def test_update_secret_always_rewrites_and_reports_changed(converged: dict[str, Any], play: Playbook, chap_sim: Any) -> None:
    rotate = play.run(target_task(SECRETS["rotated"], update_secret="always"), diff=True, verbose=True)
    assert rotate[0]["changed"] and not rotate[0].get("failed"), rotate.stdout
    assert rotate.calls.get("UpdateInternetScsiAuthenticationProperties") == len(HOSTS)
    assert [a["changes"] for a in rotate[0]["plan"]][0] == {"chap.secret": {"before": None, "after": "written"}}
    assert SECRETS["rotated"] not in rotate.stdout + json.dumps(rotate.results)
    secrets = held_secrets(chap_sim)
    assert all(target["chapSecret"] == SECRETS["rotated"] for _a, target in secrets.values())
    again = play.run(target_task(SECRETS["rotated"]))  # on_create: nothing to write
    assert not again[0]["changed"] and again.writes == 0
    preview = play.run(target_task(SECRETS["rotated"], update_secret="always"), check=True)
    assert preview[0]["changed"] and preview.writes == 0


def test_gathered_overridden_round_trip_keeps_chap(converged: dict[str, Any], play: Playbook) -> None:
    gathered = play.run({"vmkfabric.vsphere.host_fabric": {"cluster": C, "state": "gathered"}})
    config = gathered[0]["gathered"]
    (adapter,) = config[HOSTS[0]]["iscsi"]
    assert adapter["chap"] == {"type": "required", "name": "esx-initiator"}
    assert adapter["send_targets"][0]["chap"] == {"type": "required", "name": "tgt-chap"}
    assert "secret" not in json.dumps(config)
    back = play.run({"vmkfabric.vsphere.host_fabric": {"cluster": C, "state": "overridden", "config": config}})
    assert not back[0].get("failed") and not back[0]["changed"], back.stdout
    assert back.writes == 0


def test_host_fabric_sets_target_chap_and_refuses_a_missing_secret(converged: dict[str, Any], play: Playbook) -> None:
    doc = {"iscsi": [{"send_targets": [{"address": SEND, "chap": {"type": "required", "name": "fab", "secret": "Fabric-S3cret"}}]}]}
    run = play.run({"vmkfabric.vsphere.host_fabric": {"esxi_hostname": HOSTS[0], "config": {HOSTS[0]: doc}}},
                   diff=True, verbose=True)
    assert run[0]["changed"] and run.calls.get("UpdateInternetScsiAuthenticationProperties") == 1, run.stdout
    assert "Fabric-S3cret" not in run.stdout + json.dumps(run.results)
    doc["iscsi"][0]["send_targets"][0]["chap"] = {"type": "required", "name": "other"}  # a secret is held: fine
    ok = play.run({"vmkfabric.vsphere.host_fabric": {"esxi_hostname": HOSTS[0], "config": {HOSTS[0]: doc}}})
    assert ok[0]["changed"] and not ok[0].get("failed"), ok.stdout
    fresh = {"iscsi": [{"static_targets": [{"address": "10.10.20.101", "iscsi_name": "iqn.2010-06.com.example:new",
                                            "chap": {"type": "required", "name": "new"}}]}]}
    refused = play.run({"vmkfabric.vsphere.host_fabric": {"esxi_hostname": HOSTS[0], "config": {HOSTS[0]: fresh}}}, check=True)
    assert refused[0].get("failed") and "CH-1" in refused[0]["msg"] and refused.writes == 0


def test_fabric_validate_masks_document_secrets_and_refuses_mutual_without_required() -> None:
    """Offline: a plan document with CHAP secrets; the CH-2 refusal names the rule, and no output carries a secret."""
    from conftest import run_in_process  # pylint: disable=import-error
    doc = {"iscsi": [{"software": True, "enabled": True,
                      "chap": {"type": "preferred", "name": "esx", "secret": SECRETS["initiator"]},
                      "mutual_chap": {"type": "required", "name": "array", "secret": SECRETS["mutual"]}}]}
    result = run_in_process("fabric_validate", {"config": {HOSTS[0]: doc}})
    assert result.get("failed") and "CH-2" in result["msg"], result
    text = json.dumps(result)
    assert SECRETS["initiator"] not in text and SECRETS["mutual"] not in text
