# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""iSCSI CHAP through every pure layer: arguments, document, plan, rules CH-1/CH-2, and the calls
the applier builds. Every test also checks that the secret is nowhere it must not be."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _validator as v
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._apply._iscsi import build_calls, verify
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import doc_to_desired, doc_to_host, host_to_doc
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError, DriftError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_params import chap_secrets, iscsi_adapter_desired, iscsi_target_desired
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    OMIT,
    Chap,
    ChapSpec,
    Host,
    IscsiSpec,
    TargetSpec,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import plan_host
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

H = b.H
SECRET = "s3cr3t-Never-Shown"
MUTUAL = "Mutu4l-Never-Shown"
SEND = ("10.10.20.100", 3260, "")


NO_CHAP = Chap()


def with_chap(host: Host, chap: Chap = NO_CHAP, mutual: Chap = NO_CHAP, send: Chap | None = None) -> Host:
    """``host`` with vmhba64's CHAP (and, with ``send``, its send target's own one-way CHAP)."""
    adapter = dataclasses.replace(host.iscsi["vmhba64"], chap=chap, mutual_chap=mutual)
    if send is not None:
        target = dataclasses.replace(adapter.send_targets[SEND], chap=send)
        adapter = dataclasses.replace(adapter, send_targets={SEND: target})
    return dataclasses.replace(host, iscsi={"vmhba64": adapter})


def required(name: str = "esx-initiator") -> Chap:
    return Chap("required", name)


def adapter_chap(chap: ChapSpec | Any = OMIT, mutual: ChapSpec | Any = OMIT, **kw: Any) -> IscsiSpec:
    return IscsiSpec(chap=chap, mutual_chap=mutual, **kw)


def send_chap(chap: ChapSpec | Any = OMIT, mutual: ChapSpec | Any = OMIT, **kw: Any) -> IscsiSpec:
    return IscsiSpec(send_targets=(TargetSpec("10.10.20.100", chap=chap, mutual_chap=mutual),), **kw)


def case(host: Host, *specs: Any) -> v.Case:
    d = b.desired(*specs, host=host.name)
    return v.Case(host, d, plan_host(host, d))


def no_secret_in(*values: Any) -> None:
    for value in values:
        text = repr(value) + str(value)
        assert SECRET not in text and MUTUAL not in text, text


# ---------------------------------------------------------------------------------------
# Rules CH-1, CH-2
# ---------------------------------------------------------------------------------------

BAD: list[tuple[str, Callable[[], Host], tuple[Any, ...]]] = [
    ("CH-1", b.iscsi_host, (adapter_chap(ChapSpec("required", "esx-initiator")),)),  # no secret, none held
    ("CH-1", b.iscsi_host, (adapter_chap(ChapSpec("preferred", secret=SECRET)),)),  # no name given or held
    ("CH-1", lambda: with_chap(b.iscsi_host(), required()), (send_chap(ChapSpec("required", "tgt")),)),  # inherited
    ("CH-2", b.iscsi_host, (adapter_chap(ChapSpec("preferred", "i", SECRET), ChapSpec("required", "t", MUTUAL)),)),
    ("CH-2", lambda: with_chap(b.iscsi_host(), Chap("discouraged", "i")), (send_chap(mutual=ChapSpec("required", "t", MUTUAL)),)),
]

GOOD: list[tuple[str, Callable[[], Host], tuple[Any, ...]]] = [
    ("CH-1", b.iscsi_host, (adapter_chap(ChapSpec("required", "esx-initiator", SECRET)),)),
    ("CH-1", lambda: with_chap(b.iscsi_host(), required()), (adapter_chap(ChapSpec("required")),)),  # name and secret held
    ("CH-1", b.iscsi_host, (adapter_chap(ChapSpec("prohibited")),)),
    ("CH-2", b.iscsi_host, (adapter_chap(ChapSpec("required", "i", SECRET), ChapSpec("required", "t", MUTUAL)),)),
    ("CH-2", lambda: with_chap(b.iscsi_host(), required()), (send_chap(mutual=ChapSpec("required", "t", MUTUAL)),)),
]


@pytest.mark.parametrize("rule, host_fn, specs", BAD, ids=["%s-%d" % (r[0], i) for i, r in enumerate(BAD)])
def test_rule_fires(rule: str, host_fn: Callable[[], Host], specs: tuple[Any, ...]) -> None:
    findings = v.validate([case(host_fn(), *specs)])
    hits = [f for f in findings if f.rule == rule]
    assert hits and {f.severity for f in hits} == {"error"}, [f.render() for f in findings]
    for f in hits:
        assert f.host == H and f.object.split(":")[0] in ("hba", "target") and f.source == v.RULE_INDEX[rule].source
        assert "chap" in f.found and f.change
        no_secret_in(f.render(), f.as_dict())


@pytest.mark.parametrize("rule, host_fn, specs", GOOD, ids=["%s-%d" % (r[0], i) for i, r in enumerate(GOOD)])
def test_rule_passes(rule: str, host_fn: Callable[[], Host], specs: tuple[Any, ...]) -> None:
    findings = v.validate([case(host_fn(), *specs)])
    assert not [f for f in findings if f.rule == rule], [f.render() for f in findings]


def test_ch2_checks_a_discovered_static_target_through_its_send_target() -> None:
    host = with_chap(b.iscsi_host(), required(), Chap("required", "t"), send=Chap("preferred", "x"))
    c = case(host, send_chap(ChapSpec("preferred", "x", SECRET)))
    objects = {f.object for f in v.validate([c]) if f.rule == "CH-2"}
    assert "target:vmhba64/10.10.20.100:3260" in objects
    assert "target:vmhba64/10.10.20.101:3260/%s" % b.ARRAY_IQN in objects  # inherits both from the send target


# ---------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------


def test_arguments_become_chap_specs_and_update_secret() -> None:
    d = iscsi_adapter_desired({"chap": {"type": "required", "name": "i", "secret": SECRET},
                               "mutual_chap": {"type": "required", "name": "t", "secret": MUTUAL},
                               "update_secret": "always"}, (H,), False)[H]
    spec = d.iscsi[0]
    assert spec.chap == ChapSpec("required", "i", SECRET) and spec.mutual_chap == ChapSpec("required", "t", MUTUAL)
    assert spec.update_secret == "always"
    no_secret_in(spec)  # the secret is not in a repr
    d = iscsi_target_desired({"send_targets": [{"address": "10.10.20.100", "chap": {"type": "required", "name": "x"}}]},
                             (H,), False)[H]
    assert d.iscsi[0].send_targets[0].chap == ChapSpec("required", "x") and d.iscsi[0].update_secret == "on_create"


@pytest.mark.parametrize("params, field", [
    ({"chap": {"type": "sometimes"}}, "chap.type"),
    ({"chap": {"type": "required", "name": "x" * 512}}, "chap.name"),
    ({"chap": {"type": "required", "secret": "y" * 256 + SECRET}}, "chap.secret"),
    ({"chap": {"type": "required", "secret": SECRET + "\n"}}, "chap.secret"),
    ({"chap": {"type": "required", "secret": SECRET}, "mutual_chap": {"type": "required", "secret": SECRET}},
     "mutual_chap.secret"),
    ({"chap": {"type": "required", "password": SECRET}}, "chap"),
    ({"update_secret": "sometimes"}, "update_secret"),
])
def test_bad_chap_arguments_name_the_field_never_the_secret(params: dict[str, Any], field: str) -> None:
    with pytest.raises(ArgumentError) as err:
        iscsi_adapter_desired(params, (H,), False)
    assert err.value.field == field
    no_secret_in(str(err.value), err.value.message)


def test_chap_secrets_finds_nested_document_secrets() -> None:
    config = {H: {"iscsi": [{"chap": {"type": "required", "secret": SECRET},
                             "send_targets": [{"address": "10.10.20.100", "mutual_chap": {"type": "required", "secret": MUTUAL}}]}]}}
    assert chap_secrets({"config": config}) == {SECRET, MUTUAL}


# ---------------------------------------------------------------------------------------
# Document
# ---------------------------------------------------------------------------------------


def test_document_shows_type_and_name_only_and_round_trips() -> None:
    host = with_chap(b.iscsi_host(), required(), Chap("required", "array"), send=Chap("preferred", "tgt"))
    doc = host_to_doc(host)
    entry = doc["iscsi"][0]
    assert entry["chap"] == {"type": "required", "name": "esx-initiator"}
    assert entry["mutual_chap"] == {"type": "required", "name": "array"}
    assert entry["send_targets"][0]["chap"] == {"type": "preferred", "name": "tgt"}
    assert "mutual_chap" not in entry["send_targets"][0]  # inherited: not shown
    assert all("chap" not in t for t in entry["static_targets"])
    assert host_to_doc(doc_to_host(H, doc)) == doc
    d = doc_to_desired(H, doc, observed=host)
    plan = plan_host(host, d)
    assert not [a for a in plan.actions if a.kind in ("adapter", "send_target", "static_target")]


def test_a_default_adapter_shows_no_chap() -> None:
    assert "chap" not in host_to_doc(b.iscsi_host())["iscsi"][0]


def test_document_chap_errors_name_the_path() -> None:
    doc = {"iscsi": [{"send_targets": [{"address": "10.10.20.100", "chap": {"type": "required", "name": ""}}]}]}
    with pytest.raises(ArgumentError) as err:
        doc_to_desired(H, doc)
    assert err.value.field == "config.%s.iscsi[0].send_targets[0].chap.name" % H


# ---------------------------------------------------------------------------------------
# Plan and calls
# ---------------------------------------------------------------------------------------


def _chap_calls(host: Host, *specs: Any) -> tuple[Any, list[Any]]:
    d = b.desired(*specs, host=host.name)
    plan = plan_host(host, d)
    pre, post = build_calls(plan.actions, host, plan.after)
    return plan, [c for c in pre + post if c.method == "UpdateInternetScsiAuthenticationProperties"]


def test_adapter_chap_is_one_call_with_the_secret_and_a_plan_without_it() -> None:
    plan, calls = _chap_calls(b.iscsi_host(), adapter_chap(ChapSpec("required", "i", SECRET), ChapSpec("required", "t", MUTUAL)))
    (action,) = [a for a in plan.actions if a.kind == "adapter"]
    assert action.changes["chap.type"] == (None, "required") and action.changes["chap.secret"] == (None, "written")
    no_secret_in(plan.actions, [a.as_dict() for a in plan.actions], host_to_doc(plan.after), calls)
    (call,) = calls
    props = dict(call.kwargs)["authenticationProperties"]
    assert "targetSet" not in dict(call.kwargs)
    assert (props.chapAuthenticationType, props.chapName, props.chapSecret, props.chapAuthEnabled) == (
        "chapRequired", "i", SECRET, True)
    assert (props.mutualChapAuthenticationType, props.mutualChapSecret) == ("chapRequired", MUTUAL)
    assert props.chapInherited is None and call.describe() == "UpdateInternetScsiAuthenticationProperties(vmhba64)"


def test_unchanged_chap_plans_nothing_unless_update_secret_always() -> None:
    host = with_chap(b.iscsi_host(), required())
    plan, calls = _chap_calls(host, adapter_chap(ChapSpec("required", "esx-initiator", SECRET)))
    assert not plan.actions and not calls
    plan, calls = _chap_calls(host, adapter_chap(ChapSpec("required", "esx-initiator", SECRET), update_secret="always"))
    assert [a.changes for a in plan.actions] == [{"chap.secret": (None, "written")}]
    assert dict(calls[0].kwargs)["authenticationProperties"].chapSecret == SECRET


def test_a_name_change_rewrites_the_secret_given_and_keeps_one_not_given() -> None:
    host = with_chap(b.iscsi_host(), required())
    _plan, calls = _chap_calls(host, adapter_chap(ChapSpec("required", "renamed")))
    props = dict(calls[0].kwargs)["authenticationProperties"]
    assert props.chapName == "renamed" and props.chapSecret is None  # unset: ESXi keeps the secret it holds


def test_target_chap_is_one_call_per_target_keeping_the_other_direction_inherited() -> None:
    plan, calls = _chap_calls(b.iscsi_host(), send_chap(ChapSpec("required", "tgt", SECRET)))
    (action,) = [a for a in plan.actions if a.kind == "send_target"]
    assert action.changes == {"chap.type": (None, "required"), "chap.name": (None, "tgt"), "chap.secret": (None, "written")}
    (call,) = calls
    kwargs = dict(call.kwargs)
    assert [t.address for t in kwargs["targetSet"].sendTargets] == ["10.10.20.100"]
    props = kwargs["authenticationProperties"]
    assert (props.chapInherited, props.mutualChapInherited, props.chapSecret) == (False, True, SECRET)
    assert props.mutualChapAuthenticationType is None
    statics = plan.after.iscsi["vmhba64"].static_targets
    assert all(t.chap.inherited for t in statics.values())  # discovered targets keep inheriting from the send target


def test_send_target_chap_cascades_to_discovered_static_targets_like_options() -> None:
    host = b.iscsi_host()
    adapter = host.iscsi["vmhba64"]
    statics = {k: dataclasses.replace(t, chap=Chap("required", "own")) for k, t in adapter.static_targets.items()}
    host = dataclasses.replace(host, iscsi={"vmhba64": dataclasses.replace(adapter, static_targets=statics)})
    plan, calls = _chap_calls(host, send_chap(ChapSpec("required", "tgt", SECRET)))
    assert all(t.chap.inherited for t in plan.after.iscsi["vmhba64"].static_targets.values())
    reset = [dict(c.kwargs) for c in calls if dict(c.kwargs)["targetSet"].staticTargets]
    assert len(reset) == 2 and all(k["authenticationProperties"].chapInherited is True for k in reset)
    assert all(k["authenticationProperties"].chapSecret is None for k in reset)
    edits = [a for a in plan.actions if a.kind == "static_target"]
    assert [a.changes for a in edits] == [{"chap.type": ("required", None), "chap.name": ("own", None)}] * 2


def test_a_target_without_chap_keeps_inheriting() -> None:
    plan, calls = _chap_calls(b.iscsi_host(), IscsiSpec(send_targets=(TargetSpec("10.10.20.100", options={"LoginTimeout": 30}),)))
    assert not calls and plan.after.iscsi["vmhba64"].send_targets[SEND].chap.inherited


def test_read_back_names_chap_drift_without_secrets() -> None:
    planned = with_chap(b.iscsi_host(), dataclasses.replace(required(), secret=SECRET)).iscsi
    with pytest.raises(DriftError) as err:
        verify(H, planned, b.iscsi_host().iscsi, {})
    assert "chap of vmhba64 holds ('prohibited', '')" in str(err.value)
    no_secret_in(str(err.value))
    verify(H, planned, with_chap(b.iscsi_host(), required()).iscsi, {})  # held as planned: no error
