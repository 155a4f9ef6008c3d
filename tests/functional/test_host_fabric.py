# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 6 end to end: one host_fabric task (cluster mode) converges the reference fabric of
playbooks/vars/reference_fabric.yml on the 4-host demo cluster; rerun, gathered -> overridden,
rendered; and the bad inputs refused with their rule and zero writes."""

from __future__ import annotations

import copy
import json
import os

import pytest
import yaml

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import READ

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTS = ("esx01.lab.local", "esx02.lab.local", "esx03.lab.local", "esx04.lab.local")
C = "Cluster-A"
with open(os.path.join(ROOT, "playbooks", "vars", "reference_fabric.yml"), encoding="utf-8") as _fh:
    CONFIG = yaml.safe_load(_fh)["fabric_config"]


def fabric(state="merged", config=None, **kw):
    args = {"cluster": C, "state": state}
    if config is not None:
        args["config"] = config
    args.update(kw)
    return {"vmkfabric.vsphere.host_fabric": args}


@pytest.fixture(scope="module")
def converged(playbook):
    preview = playbook.run(fabric(config=CONFIG), check=True)
    real = playbook.run(fabric(config=CONFIG), diff=True)
    assert not real[0].get("failed"), real.stdout
    return preview, real


def test_check_mode_predicts_the_real_run_and_writes_nothing(converged):
    preview, real = converged
    assert not preview[0].get("failed"), preview.stdout
    assert preview.writes == 0 and preview[0]["changed"]
    assert [a["summary"] for a in preview[0]["plan"]] == [a["summary"] for a in real[0]["plan"]]


def test_one_task_converges_the_reference_fabric_with_one_login_and_one_write_per_host(converged):
    _preview, real = converged
    calls = real.calls
    assert calls["Login"] == 1 and calls["UpdateNetworkConfig"] == 4
    # the read, the SF-10 re-read, the new software adapters' names, the iSCSI read-back: each for all 4 hosts
    assert calls["RetrievePropertiesEx"] == READ + 3 and calls["UpdateSoftwareInternetScsiEnabled"] == 4
    assert calls["BindVnic"] == 8 and calls["AddInternetScsiSendTargets"] == 4
    assert calls["UpdateInternetScsiAdvancedOptions"] == 4  # the Pure values once per host, on the send target
    assert calls["SelectVnicForNicType"] == 8  # vmotion on 2 vmks per host
    assert set(real[0]["hosts"]) == set(HOSTS) and all(real[0]["hosts"][h]["changed"] for h in HOSTS)
    assert len(real[0]["diff"]) == 4
    # MTU-4 (jumbo frames: check the path) on the 5 jumbo vmks of each of the 4 hosts: 20 findings, one warning
    mtu4 = [f for f in real[0]["findings"] if f["rule"] == "MTU-4"]
    warned = [w for w in json.dumps(real[0].get("warnings")).split('"') if w.startswith("[MTU-4]")]
    assert len(mtu4) == 20 and len(warned) == 1 and warned[0].startswith("[MTU-4] 20 findings on 4 hosts ("), warned
    for h in HOSTS:
        doc = real[0]["after"][h]
        (adapter,) = doc["iscsi"]
        assert adapter["bindings"] == ["vmk1", "vmk2"]
        (send,) = adapter["send_targets"]
        assert send["options"] == {"delayed_ack": False, "login_timeout": 30}
        vmks = {v["portgroup"]: v for v in doc["vmknics"]}
        assert vmks["vMotion-A"]["services"] == ["vmotion"] and vmks["Replica"]["services"] == []
        pgs = {p["name"]: p for p in doc["portgroups"]}
        assert pgs["vMotion-A"]["teaming"]["active"] == ["vmnic2"] and pgs["vMotion-B"]["teaming"]["active"] == ["vmnic3"]


def test_rerun_changes_nothing_and_writes_nothing(converged, playbook):
    again = playbook.run(fabric(config=CONFIG))
    assert not again[0].get("failed"), again.stdout
    assert again[0]["changed"] is False and again[0]["plan"] == []
    assert again.writes == 0 and again.calls["RetrievePropertiesEx"] == READ and again.calls["Login"] == 1


def test_gathered_fed_back_as_overridden_is_a_no_op(converged, playbook):
    gathered = playbook.run(fabric("gathered"))
    assert gathered.writes == 0 and set(gathered[0]["gathered"]) == set(HOSTS)
    back = playbook.run(fabric("overridden", gathered[0]["gathered"]))
    assert not back[0].get("failed"), back.stdout
    assert back[0]["changed"] is False and back[0]["plan"] == [] and back.writes == 0


def test_rendered_returns_the_plan_and_writes_nothing(converged, playbook):
    config = copy.deepcopy(CONFIG)
    for doc in config.values():
        doc["portgroups"] = [dict(p, vlan=41) if p["name"] == "Replica" else p for p in doc["portgroups"]]
    rendered = playbook.run(fabric("rendered", config))
    assert not rendered[0].get("failed"), rendered.stdout
    assert rendered.writes == 0 and rendered[0]["changed"] is False
    for h in HOSTS:
        (action,) = rendered[0]["rendered"][h]
        assert (action["op"], action["kind"], action["name"]) == ("edit", "portgroup", "Replica")
        assert action["changes"]["vlan"] == {"before": 40, "after": 41}


def _one(config, host=HOSTS[0]):
    return {host: config}


MTU_1500_ON_ESX02 = {HOSTS[1]: {"vmknics": [{"portgroup": "Replica", "mtu": 1500}]}}
"""The replica network at MTU 1500 on esx02 and 9000 on the others: XH-4 (a warning in the catalog)."""

BAD = [
    ("overridden-empty-config", fabric("overridden", {}), "config"),
    ("replaced-empty-config", fabric("replaced", {}), "config"),
    ("replaced-empty-document", fabric("replaced", {HOSTS[0]: {}}), "config"),
    ("overridden-missing-host", fabric("overridden", _one(CONFIG[HOSTS[0]])), "needs a document for every host"),
    ("deleted-vmk0", fabric("deleted", _one({"vmknics": [{"device": "vmk0"}]})), "SF-1"),
    ("overridden-partial-vmk0", fabric("overridden", {h: dict(CONFIG[h], vmknics=CONFIG[h]["vmknics"] + [
        {"device": "vmk0", "portgroup": "Management Network"}]) for h in HOSTS}), "SF-1"),
    ("overridden-drops-live-iscsi", fabric("overridden", {h: dict(CONFIG[h], iscsi=[]) for h in HOSTS},
                                           allow_path_disruption=True), "SF-6"),
    ("duplicate-ip-across-hosts", fabric(config={HOSTS[1]: {"vmknics": [
        {"portgroup": "Replica", "ip": {"address": "10.10.40.11", "netmask": "255.255.255.0"}}]}}), "XH-1"),
    ("mtu-1500-on-one-host-9000-on-the-others", fabric(config=MTU_1500_ON_ESX02, warnings_as_errors=["XH-4"]), "XH-4"),
    ("replica-with-gateway", {"vmkfabric.vsphere.host_fabric": {"esxi_hostname": HOSTS[0], "config": _one({"vmknics": [
        {"portgroup": "Replica", "purpose": "replica", "gateway": "10.10.40.1"}]})}}, "PR-4"),
]


@pytest.fixture(scope="module")
def refused(converged, playbook):
    return playbook.run(*[task for _name, task, _rule in BAD])


def test_bad_inputs_write_nothing(refused):
    assert refused.writes == 0


@pytest.mark.parametrize("index", range(len(BAD)), ids=[name for name, _t, _r in BAD])
def test_bad_input_is_refused_naming_its_rule_or_field(refused, index):
    name, _task, expected = BAD[index]
    result = refused[index]
    assert result.get("failed") and result["changed"] is False, (name, result)
    assert expected in result["msg"], (name, result["msg"])


def test_mtu_mismatch_across_hosts_warns_by_default_and_refuses_on_request(converged, playbook):
    """XH-4 is a warning in the catalog; warnings_as_errors: [XH-4] turns it into a refusal."""
    warned = playbook.run(fabric(config=MTU_1500_ON_ESX02), check=True)
    assert not warned[0].get("failed"), warned.stdout
    (xh4,) = [f for f in warned[0]["findings"] if f["rule"] == "XH-4"]
    assert xh4["severity"] == "warning" and xh4["host"] == HOSTS[1] and "1500" in xh4["found"]
    assert warned.writes == 0
    refused = playbook.run(fabric(config=MTU_1500_ON_ESX02, warnings_as_errors=["XH-4"]))
    assert refused[0].get("failed") and "XH-4" in refused[0]["msg"] and refused.writes == 0
    assert [f["severity"] for f in refused[0]["refused"]] == ["error"]
    bad = playbook.run(fabric(config=MTU_1500_ON_ESX02, warnings_as_errors=["MH-1"]))
    assert bad[0].get("failed") and "warnings_as_errors" in bad[0]["msg"] and bad.calls.get("Login", 0) == 0
