# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The module door and the _module wrapper, in process: return contract, check mode, diff,
refusal (no apply), one exit for errors. Connection, reader and applier are replaced by fakes;
the planner and validator are replaced by scripted stand-ins so this tests the wiring only."""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import json
import sys
import types

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from pyVmomi import vim

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _from_api, _reader
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ApplyError, ConnectionFailure, TransientError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import Action, Finding, Ip, Vmk
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import vim_fixtures as fx

H = "esx01.lab.local"
PKG = "ansible_collections.vmkfabric.vsphere.plugins.module_utils."
ARGS = {"hostname": "vc", "username": "u", "password": "hunter2", "esxi_hostname": H, "portgroup": "vMotion-A",
        "vswitch": "vSwitch0", "ip": {"address": "10.10.30.11", "netmask": "255.255.255.0"}, "services": ["vmotion"]}


@dataclasses.dataclass
class FakePlan:
    host: str
    actions: list
    after: object
    stages: tuple = ()

    @property
    def changed(self):
        return bool(self.actions)


def _standin(name, **attrs):
    mod = types.ModuleType(PKG + name)
    mod.__dict__.update(attrs)
    return mod


@pytest.fixture()
def wrapper(monkeypatch):
    """_module with scripted planner/validator (real ones when present, patched either way)."""
    for name, attrs in (("_planner", {"Plan": FakePlan, "plan_host": None}),
                        ("_validator", {"Case": None, "validate": None, "refusals": None, "render": None})):
        try:
            importlib.import_module(PKG + name)
        except ImportError:
            monkeypatch.setitem(sys.modules, PKG + name, _standin(name, **attrs))
    monkeypatch.delitem(sys.modules, PKG + "_module", raising=False)
    monkeypatch.delitem(sys.modules, "ansible_collections.vmkfabric.vsphere.plugins.modules.vmknic", raising=False)
    mod = importlib.import_module(PKG + "_module")
    props = fx.standard_host()
    observed = _from_api.host_from_api(H, props)
    obs = _reader.Observation(hosts={H: observed},
                              raw={H: _reader.raw_from_api(H, vim.HostSystem("host-1"), props)})
    new_vmk = Vmk(device="vmk2", portgroup="vMotion-A", vswitch="vSwitch0",
                  ip=Ip(address="10.10.30.11", netmask="255.255.255.0"), services=frozenset({"vmotion"}))
    after = dataclasses.replace(observed, vmks=dict(observed.vmks, vmk2=new_vmk))
    actions = [Action(H, "add", "vmk", "vmk2"), Action(H, "select", "service", "vmk2:vmotion")]
    state = {"findings": [], "applied": [], "plan": FakePlan(H, actions, after), "read": 0}

    @contextlib.contextmanager
    def session(params):
        yield types.SimpleNamespace(parallel=1, endpoint="vc.lab.local:443")

    def read(s, selection):
        state["read"] += 1
        return obs

    def apply_host(batch, raw, *_iscsi):
        state["applied"].append(batch)
        return {"vmk2": "vmk5"}

    monkeypatch.setattr(mod, "session", session)
    monkeypatch.setattr(mod, "read", read)
    monkeypatch.setattr(importlib.import_module(PKG + "_apply._run"), "apply_host", apply_host)
    monkeypatch.setattr(mod, "plan_host", lambda o, d: state["plan"])
    monkeypatch.setattr(mod, "Case", lambda o, d, p: (o, d, p))
    monkeypatch.setattr(mod, "validate", lambda cases: state["findings"])
    monkeypatch.setattr(mod, "refusals", lambda fs: [f for f in fs if f.is_error])
    monkeypatch.setattr(mod, "render", lambda fs: "plan refused: %d errors (no changes made)\n..." % len(fs))
    state["stale"], state["reread"] = [], []

    def reread(s, observation, hosts):
        state["reread"].append(dict(hosts))
        return {h: observation.hosts[h] for h in hosts}

    monkeypatch.setattr(mod, "reread", reread)
    monkeypatch.setattr(mod, "recheck_touches_iscsi", lambda c: False)
    monkeypatch.setattr(mod, "recheck", lambda cases, now: state["stale"])
    yield mod, state
    for name in (PKG + "_module", "ansible_collections.vmkfabric.vsphere.plugins.modules.vmknic"):
        sys.modules.pop(name, None)  # never leak a wrapper bound to stand-ins into other tests


def run_module(capsys, args):
    vmknic = importlib.import_module("ansible_collections.vmkfabric.vsphere.plugins.modules.vmknic")
    with patch_module_args(args), pytest.raises(SystemExit):
        vmknic.main()
    return json.loads(capsys.readouterr().out)


def test_real_run_returns_the_contract_with_real_device_names(wrapper, capsys):
    mod, state = wrapper
    out = run_module(capsys, dict(ARGS, _ansible_diff=True))
    assert out["changed"] and len(state["applied"]) == 1 and state["read"] == 1
    assert [a["name"] for a in out["plan"]] == ["vmk5", "vmk5:vmotion"]
    assert [v["device"] for v in out["after"][H]["vmknics"]] == ["vmk0", "vmk1", "vmk5"]
    assert [v["device"] for v in out["before"][H]["vmknics"]] == ["vmk0", "vmk1"]
    assert out["diff"][0]["after_header"] == "%s (after)" % H and out["findings"] == []
    assert "hunter2" not in json.dumps(out)


def test_check_mode_predicts_and_applies_nothing(wrapper, capsys):
    mod, state = wrapper
    out = run_module(capsys, dict(ARGS, _ansible_check_mode=True, _ansible_diff=True))
    assert out["changed"] and state["applied"] == []
    assert [a["name"] for a in out["plan"]] == ["vmk2", "vmk2:vmotion"]
    assert out["diff"][0]["after_header"] == "%s (after, predicted)" % H


def test_no_diff_key_without_diff_mode(wrapper, capsys):
    out = run_module(capsys, ARGS)
    assert "diff" not in out


def test_refusal_fails_before_any_write_also_in_check_mode(wrapper, capsys):
    mod, state = wrapper
    state["findings"] = [
        Finding("MH-1", "error", H, "vmk:vmk2", "two vmks in 10.10.30.0/24 on default", "use another subnet"),
        Finding("MTU-4", "warning", H, "vmk:vmk2", "MTU 9000", "vmkping"),
    ]
    for check in (False, True):
        out = run_module(capsys, dict(ARGS, _ansible_check_mode=check))
        assert out["failed"] and not out["changed"] and state["applied"] == []
        assert out["msg"] == ("plan refused: 2 errors (no changes made) [MH-1] host=esx01.lab.local object=vmk:vmk2: "
                              "two vmks in 10.10.30.0/24 on default; change: use another subnet")
        assert [f["rule"] for f in out["refused"]] == ["MH-1"]
        assert [f["rule"] for f in out["findings"]] == ["MH-1", "MTU-4"]


def test_refusal_message_names_every_refusing_rule(wrapper, capsys):
    mod, state = wrapper
    state["findings"] = [
        Finding("MH-1", "error", H, "vmk:vmk2", "two vmks in one subnet", "use another subnet"),
        Finding("PR-2", "error", H, "vmk:vmk2 [vmk:vmk0]", "replica shares the management subnet", "own subnet"),
        Finding("PR-2", "error", "esx02.lab.local", "vmk:vmk2 [vmk:vmk0]", "replica shares the subnet", "own subnet"),
        Finding("PR-6", "warning", H, "vmk:vmk2", "shared", "own VLAN"),
    ]
    out = run_module(capsys, ARGS)
    assert out["failed"] and state["applied"] == []
    assert out["msg"].endswith("change: use another subnet; also refused by PR-2"), out["msg"]
    assert "PR-6" not in out["msg"]


def test_warnings_become_ansible_warnings(wrapper, capsys):
    mod, state = wrapper
    state["findings"] = [Finding("MTU-4", "warning", H, "vmk:vmk2", "MTU 9000", "vmkping")]
    out = run_module(capsys, ARGS)
    assert out["changed"], out
    assert "[MTU-4]" in json.dumps(out.get("warnings")), out.get("warnings")


def test_argument_errors_name_field_and_host(wrapper, capsys):
    out = run_module(capsys, dict(ARGS, vlan=5000))
    assert out["failed"] and out["msg"] == "vlan (host esx01.lab.local): must be between 0 and 4095, got 5000"


def test_apply_errors_exit_cleanly(wrapper, capsys, monkeypatch):
    mod, state = wrapper

    def boom(batch, raw, *_iscsi):
        raise ApplyError("esx01.lab.local: UpdateNetworkConfig failed: in use (ResourceInUse)",
                         host=H, call="UpdateNetworkConfig", fault="ResourceInUse")
    monkeypatch.setattr(importlib.import_module(PKG + "_apply._run"), "apply_host", boom)
    out = run_module(capsys, ARGS)
    assert out["failed"] and not out["changed"]
    assert out["msg"] == "esx01.lab.local: UpdateNetworkConfig failed: in use (ResourceInUse)"
    assert out["error"] == {"host": H, "call": "UpdateNetworkConfig", "fault": "ResourceInUse"}


def test_connection_errors_and_surprises_exit_through_one_place(wrapper, capsys, monkeypatch):
    mod, state = wrapper

    def refused(params):
        raise ConnectionFailure("Cannot reach vc:443: Connection refused")
    monkeypatch.setattr(mod, "session", refused)
    out = run_module(capsys, ARGS)
    assert out["msg"] == "Cannot reach vc:443: Connection refused" and "exception" not in out

    def surprise(params):
        raise KeyError("boom")
    monkeypatch.setattr(mod, "session", surprise)
    out = run_module(capsys, ARGS)
    assert out["msg"] == "Unexpected error (KeyError): 'boom'"


def test_selection_is_required_and_exclusive(wrapper, capsys):
    out = run_module(capsys, dict(ARGS, cluster="Cluster-A"))
    assert "mutually exclusive" in out["msg"]
    args = dict(ARGS)
    del args["esxi_hostname"]
    out = run_module(capsys, args)
    assert "one of the following is required: esxi_hostname, cluster" in out["msg"]


def test_state_changed_before_the_first_write_is_refused_with_nothing_applied(wrapper, capsys):
    mod, state = wrapper
    state["stale"] = [Finding("SF-10", "error", H, "host:" + H, "the host changed after it was read and validated: "
                              "portgroup VM Network changed", "re-run the task")]
    out = run_module(capsys, ARGS)
    assert out["failed"] and not out["changed"] and state["applied"] == []
    assert state["reread"] == [{H: False}]
    assert "[SF-10]" in out["msg"] and "re-run the task" in out["msg"]


def test_check_mode_pays_no_recheck(wrapper, capsys):
    mod, state = wrapper
    out = run_module(capsys, dict(ARGS, _ansible_check_mode=True))
    assert out["changed"] and state["reread"] == [] and state["applied"] == []


def test_a_surprise_keeps_its_traceback_for_the_bug_report(wrapper, capsys, monkeypatch):
    mod, state = wrapper
    seen = {}
    original = AnsibleModule.fail_json

    def record(self, msg, **kwargs):
        seen.update(kwargs)
        original(self, msg=msg, **kwargs)

    def surprise(params):
        raise ValueError("boom")
    monkeypatch.setattr(mod, "session", surprise)
    monkeypatch.setattr(AnsibleModule, "fail_json", record)
    out = run_module(capsys, ARGS)
    assert out["msg"] == "Unexpected error (ValueError): boom"
    assert "Traceback" in seen["exception"] and "surprise" in seen["exception"]  # shown by ansible with -vvv


def test_validate_certs_false_warns_once(wrapper, capsys, monkeypatch):
    mod, _state = wrapper
    warned = []
    monkeypatch.setattr(mod.FabricModule, "warn", lambda self, text, **kw: warned.append(text))
    run_module(capsys, dict(ARGS, validate_certs=False))
    certs = [w for w in warned if "validate_certs" in w]
    assert len(certs) == 1 and "vc" in certs[0] and "ca_path" in certs[0]
    warned.clear()
    run_module(capsys, ARGS)
    assert not [w for w in warned if "validate_certs" in w]


def test_a_string_for_a_dict_option_names_the_option(wrapper, capsys):
    out = run_module(capsys, dict(ARGS, ip="10.10.60.11"))
    assert out["failed"] and out["msg"].startswith("argument 'ip' is of type str")
    assert state_untouched(wrapper)


def state_untouched(wrapper):
    _mod, state = wrapper
    return state["read"] == 0 and state["applied"] == []


def test_a_dropped_connection_on_the_first_write_reports_changed_and_the_unknown_step(wrapper, capsys, monkeypatch):
    mod, state = wrapper

    def dropped(batch, raw, *_iscsi):
        raise TransientError("esx01.lab.local: UpdateNetworkConfig: connection dropped (Connection reset by peer)",
                             host=H, call="UpdateNetworkConfig")
    monkeypatch.setattr(importlib.import_module(PKG + "_apply._run"), "apply_host", dropped)
    out = run_module(capsys, ARGS)
    assert out["failed"] and out["changed"] is True  # it may have reached the host
    assert "whether UpdateNetworkConfig reached esx01.lab.local is unknown" in out["msg"]
    assert out["steps"][H]["failed"] == "UpdateNetworkConfig" and out["steps"][H]["outcome"] == "unknown"
    assert out["steps"][H]["not_done"] == ["SelectVnicForNicType(vmotion, vmk2)"]


def test_the_reread_before_the_first_write_is_retried_on_a_dropped_connection(wrapper, capsys, monkeypatch):
    mod, state = wrapper
    attempts = []

    def flaky(s, observation, hosts):
        attempts.append(1)
        if len(attempts) == 1:
            raise TransientError("esx01.lab.local: RetrievePropertiesEx: connection dropped", host=H)
        return {h: observation.hosts[h] for h in hosts}
    monkeypatch.setattr(mod, "reread", flaky)
    monkeypatch.setattr(mod, "READ_RETRY", mod.RetryPolicy(attempts=3, base_delay=0.0, max_delay=0.0, timeout=5.0))
    out = run_module(capsys, ARGS)
    assert not out.get("failed"), out["msg"] if "msg" in out else out
    assert len(attempts) == 2 and len(state["applied"]) == 1
