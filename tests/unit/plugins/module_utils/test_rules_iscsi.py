# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""PB, TP and the iSCSI SF rules: each fires on a bad plan and passes on a good one, through
model -> planner -> validator (no pyVmomi); plus the iSCSI planner and profile merging."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _validator as v
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_params import iscsi_adapter_desired, iscsi_target_desired
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Binding,
    BindingSpec,
    Host,
    IscsiAdapter,
    IscsiSpec,
    TargetSpec,
    Teaming,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import plan_host
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

H = b.H
spec = b.vmk_spec
PORTAL = "10.10.20.100"


def case(host: Host, *specs: Any, **flags: bool) -> v.Case:
    d = b.desired(*specs, host=host.name, **flags)
    return v.Case(host, d, plan_host(host, d))


def run(host: Host, *specs: Any, **flags: bool):
    return v.validate([case(host, *specs, **flags)])


def bind(*names: str, purge: bool = False, adapter: Any = None, **kw: Any) -> IscsiSpec:
    items = tuple(BindingSpec(vmk=n) if n.startswith("vmk") else BindingSpec(portgroup=n) for n in names)
    extra = {"adapter": adapter} if adapter else {}
    return IscsiSpec(bindings=items, purge_bindings=purge, **extra, **kw)


def target(address: str = PORTAL, profile: Any = None, state: str = "present", **explicit: Any) -> TargetSpec:
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._profiles import profile_values
    options = dict(profile_values(profile)) if profile else {}
    options.update(explicit)
    return TargetSpec(address=address, options=options, explicit=explicit, profile=profile, state=state)


def targets(*items: TargetSpec, purge: bool = False, **kw: Any) -> IscsiSpec:
    return IscsiSpec(send_targets=tuple(items), purge_targets=purge, **kw)


def bound_pg(override: Teaming, **kw: Any) -> Callable[[], Host]:
    """bare_iscsi_host + vmk3 on "Bad" in the storage subnet with ``override``."""
    def build() -> Host:
        return b.with_vmk(b.bare_iscsi_host(), "vmk3", "Bad", "10.10.20.77", override=override, **kw)
    return build


def iphash_vswitch() -> Host:
    host = b.bare_iscsi_host()
    t = Teaming("iphash", ("vmnic2", "vmnic3"), (), True, True, "link_status")
    sw = dataclasses.replace(host.vswitches["vSwitch1"], teaming=t)
    host = dataclasses.replace(host, vswitches=dict(host.vswitches, vSwitch1=sw))
    return b.with_vmk(host, "vmk3", "Hash", "10.10.20.77")


def noncompliant_bound() -> Host:
    host = b.iscsi_host()
    adapter = host.iscsi["vmhba64"]
    bindings = dict(adapter.bindings, vmk2=Binding("vmk2", "active", ("IscsiFaultVnicHasMultipleUplinks",)))
    return dataclasses.replace(host, iscsi={"vmhba64": dataclasses.replace(adapter, bindings=bindings)})


def static_override() -> Host:
    host = b.iscsi_host()
    adapter = host.iscsi["vmhba64"]
    key = ("10.10.20.101", 3260, b.ARRAY_IQN)
    statics = dict(adapter.static_targets)
    statics[key] = dataclasses.replace(statics[key], own={"LoginTimeout": 10})
    return dataclasses.replace(host, iscsi={"vmhba64": dataclasses.replace(adapter, static_targets=statics)})


def unbound_with_target() -> Host:
    return b.iscsi_host(bind=())


def dependent_host(pnics: tuple[str, ...] = ("vmnic3",)) -> Host:
    """bare_iscsi_host + vmk3 on "On-3" pinned to vmnic3 + dependent hardware adapter vmhba2 on ``pnics``
    (vmk1 on "Base-A" is pinned to vmnic2)."""
    host = b.with_vmk(b.bare_iscsi_host(), "vmk3", "On-3", "10.10.20.77", override=Teaming(active=("vmnic3",), standby=()))
    dep = IscsiAdapter("vmhba2", software=False, enabled=True, iqn="iqn.1998-01.com.broadcom:esx01-1",
                       binding_support="required", pnics=pnics)
    return dataclasses.replace(host, iscsi=dict(host.iscsi, vmhba2=dep))


def unread_host(host_fn: Callable[[], Host] = b.iscsi_host) -> Callable[[], Host]:
    """``host_fn()`` whose iSCSI state could not be read (QueryBoundVnics failed)."""
    def build() -> Host:
        return dataclasses.replace(host_fn(), iscsi_known=False,
                                   iscsi_unread=("the bound vmks of vmhba64 (QueryBoundVnics failed: IscsiFault)",))
    return build


ONE_ACTIVE = Teaming(active=("vmnic2",), standby=())
BAD: list[tuple[str, str, Callable[[], Host], tuple[Any, ...], dict]] = [
    ("PB-1", "error", bound_pg(Teaming(active=("vmnic2", "vmnic3"), standby=())), (bind("vmk3"),), {}),
    ("PB-1", "error", bound_pg(Teaming(active=(), standby=())), (bind("vmk3"),), {"allow_no_active_uplink": True}),
    ("PB-2", "error", bound_pg(Teaming(active=("vmnic2",), standby=("vmnic3",))), (bind("vmk3"),), {}),
    ("PB-3", "warning", bound_pg(Teaming(), ), (bind("vmk3"),), {}),
    ("PB-4", "warning", b.bare_iscsi_host, (bind("vmk1"),), {}),
    ("PB-5", "warning", bound_pg(ONE_ACTIVE), (bind("vmk1", "vmk3"),), {}),
    ("PB-6", "error", lambda: b.with_vmk(b.bare_iscsi_host(), "vmk3", "Far", "10.10.50.7",
                                         override=Teaming(active=("vmnic3",), standby=())),
     (bind("vmk1", "vmk3"),), {}),
    ("PB-7", "error", b.iscsi_host, (targets(target("10.10.99.5")),), {}),
    ("PB-8", "error", b.iscsi_host, (targets(target("10.10.99.5")),), {"allow_routed_port_binding": True}),
    ("PB-9", "error", iphash_vswitch, (bind("vmk3"),), {"physical_etherchannel_confirmed": True}),
    ("PB-10", "error", dependent_host, (bind("vmk1", adapter="vmhba2"),), {}),
    ("PB-10", "error", dependent_host, (bind("On-3", adapter="vmhba2"),
                                        spec("On-3", teaming={"active": ["vmnic2"], "unused": ["vmnic3"]})), {}),
    ("PB-11", "error", b.iscsi_host, (bind("vmk1", adapter="vmhba9"),), {}),
    ("PB-11", "error", b.storage_host, (bind("vmk1"),), {}),
    ("PB-12", "error", noncompliant_bound, (targets(target(profile="pure")),), {}),
    ("PB-13", "error", lambda: b.with_vmk(b.bare_iscsi_host(), "vmk3", "Prov", "10.10.20.77", netstack="provisioning",
                                          override=ONE_ACTIVE), (bind("vmk3"),), {}),
    ("PB-14", "warning", b.bare_iscsi_host, (spec("iSCSI-C", ip="10.10.20.55", purpose="iscsi",
                                                  teaming={"active": ["vmnic2"], "unused": ["vmnic3"]}),), {}),
    ("TP-1", "error", b.iscsi_host, (targets(target(LoginTimeout=0)),), {}),
    ("TP-1", "error", b.iscsi_host, (targets(target(LoginTimeout=61)),), {}),
    ("TP-1", "error", b.iscsi_host, (targets(target(NoopTimeout=5)),), {}),
    ("TP-2", "error", b.iscsi_host, (targets(target(LoginRetryMax=3)),), {}),
    ("TP-2", "error", b.iscsi_host, (targets(target(Foo=3)),), {}),
    ("TP-2", "error", b.iscsi_host, (targets(target(DelayedAck=1)),), {}),
    ("TP-3", "error", b.iscsi_host, (IscsiSpec(adapter_options={"LoginTimeout": 30}),), {}),
    ("TP-3", "error", b.iscsi_host, (IscsiSpec(static_targets=(TargetSpec("10.10.20.101", iqn=b.ARRAY_IQN,
                                                                          options={"LoginTimeout": 9}),)),), {}),
    ("TP-5", "error", b.iscsi_host, (targets(target(profile="pure", LoginTimeout=20)),), {}),
    ("TP-6", "error", b.iscsi_host, (targets(target(state="absent", LoginTimeout=20)),), {}),
    ("TP-7", "warning", b.iscsi_host, (targets(target(profile="pure")),), {}),
    ("SF-3", "error", b.iscsi_host, (spec("Base-B", vswitch="vSwitch1", teaming={"active": ["vmnic2"]}),), {}),
    ("SF-3", "error", b.iscsi_host, (spec("Base-A", vswitch="vSwitch1", mtu=9000),), {}),
    ("SF-4", "error", lambda: b.iscsi_host(path="lastActive", bind=("vmk1",)), (bind(purge=True),), {}),
    ("SF-4", "error", b.iscsi_host, (bind("vmk1", purge=True),), {}),
    ("SF-4", "error", b.iscsi_host, (targets(purge=True),), {"allow_path_disruption": True}),
    ("SF-4", "error", b.iscsi_host, (IscsiSpec(software=False),), {}),
    ("SF-11", "error", unbound_with_target, (spec("Base-A", vswitch="vSwitch1", ip="10.10.60.5"),), {}),
    ("SF-9", "error", unread_host(), (bind("vmk1", "vmk2"),), {}),
    ("SF-9", "error", unread_host(), (targets(target(profile="pure")),), {}),
    ("SF-9", "error", unread_host(b.storage_host), (spec("Base-A", vswitch="vSwitch1", mtu=9000),), {}),
    ("SF-9", "error", unread_host(b.storage_host), (spec("Base-A", state="absent"),), {}),
    ("SF-9", "error", lambda: dependent_host(pnics=()), (bind("On-3", adapter="vmhba2"),), {}),
    ("SF-1", "error", b.iscsi_host, (bind("vmk0"),), {}),
]

GOOD: list[tuple[str, Callable[[], Host], tuple[Any, ...], dict]] = [
    ("PB-1", b.iscsi_host, (bind("vmk1", "vmk2"),), {}),
    ("PB-2", b.iscsi_host, (bind("vmk1", "vmk2"),), {}),
    ("PB-3", b.iscsi_host, (bind("vmk1", "vmk2"),), {}),
    ("PB-4", b.iscsi_host, (bind("vmk1", "vmk2"),), {}),
    ("PB-5", b.iscsi_host, (bind("vmk1", "vmk2"),), {}),
    ("PB-6", b.iscsi_host, (bind("vmk1", "vmk2"),), {}),
    ("PB-7", b.iscsi_host, (targets(target("10.10.20.120")),), {}),
    ("PB-8", b.iscsi_host, (targets(target("10.10.20.120")),), {"allow_routed_port_binding": True}),
    ("PB-9", b.iscsi_host, (bind("vmk1"),), {}),
    ("PB-10", dependent_host, (bind("On-3", adapter="vmhba2"),), {}),
    ("PB-10", dependent_host, (bind("vmk1", "vmk3"),), {}),  # the software adapter has no own NIC
    ("PB-11", b.iscsi_host, (bind("vmk1", adapter="vmhba64"),), {}),
    ("PB-11", b.storage_host, (IscsiSpec(software=True, bindings=(BindingSpec(vmk="vmk1"),)),), {}),
    ("PB-12", b.iscsi_host, (targets(target(profile="pure")),), {}),
    ("PB-13", b.iscsi_host, (bind("vmk1"),), {}),
    ("PB-14", b.iscsi_host, (spec("Base-A", vswitch="vSwitch1", purpose="iscsi"),), {}),
    ("TP-1", b.iscsi_host, (targets(target(LoginTimeout=60)),), {}),
    ("TP-2", b.iscsi_host, (targets(target(LoginTimeout=30, DelayedAck=False, NoopInterval=10)),), {}),
    ("TP-3", b.iscsi_host, (targets(target(profile="pure")),), {}),
    ("TP-4", b.iscsi_host, (targets(target(profile="pure")),), {}),
    ("TP-4", static_override, (targets(target(profile="pure")),), {}),
    ("TP-5", b.iscsi_host, (targets(target(profile="pure", LoginTimeout=30)),), {}),
    ("TP-6", b.iscsi_host, (targets(target(state="absent")),), {"allow_path_disruption": True}),
    ("TP-7", lambda: b.iscsi_host(live=False), (targets(target(profile="pure")),), {}),
    ("SF-3", b.iscsi_host, (spec("Base-A", vswitch="vSwitch1", vlan=20),), {}),
    ("SF-3", b.iscsi_host, (spec("Base-B", vswitch="vSwitch1", teaming={"active": ["vmnic2"]}),),
     {"allow_path_disruption": True}),
    ("SF-4", b.iscsi_host, (bind("vmk1", "vmk2", purge=True),), {}),
    ("SF-4", lambda: b.iscsi_host(path="notUsed"), (bind("vmk1", purge=True),), {}),
    ("SF-5", b.iscsi_host, (bind("vmk1", purge=True),), {"allow_path_disruption": True}),
    ("SF-11", b.iscsi_host, (spec("Base-A", vswitch="vSwitch1", ip="10.10.60.5"),), {"allow_path_disruption": True}),
    ("SF-9", b.iscsi_host, (bind("vmk1", "vmk2"),), {}),
    ("SF-9", unread_host(b.storage_host), (spec("iSCSI-C", ip="10.10.20.55",  # a new vmk cannot be bound yet
                                                teaming={"active": ["vmnic2"], "unused": ["vmnic3"]}),), {}),
    ("SF-9", unread_host(b.storage_host), (spec("Base-A", vswitch="vSwitch1", services=frozenset({"vmotion"})),), {}),
    ("SF-9", dependent_host, (bind("On-3", adapter="vmhba2"),), {}),
    ("SF-1", b.iscsi_host, (bind("vmk1"),), {}),
]


def _ids(rows: list[tuple[Any, ...]]) -> list[str]:
    return ["%s-%d" % (row[0], i) for i, row in enumerate(rows)]


@pytest.mark.parametrize("rule, severity, host_fn, specs, flags", BAD, ids=_ids(BAD))
def test_rule_fires(rule, severity, host_fn, specs, flags):
    findings = run(host_fn(), *specs, **flags)
    hits = [f for f in findings if f.rule == rule]
    assert hits, [f.render() for f in findings]
    assert {f.severity for f in hits} == {severity}
    for f in hits:
        assert f.host == H and f.found and f.change and f.source == v.RULE_INDEX[rule].source
        assert f.object.split(":")[0] in ("vmk", "portgroup", "hba", "target", "binding", "host")


@pytest.mark.parametrize("rule, host_fn, specs, flags", GOOD, ids=_ids(GOOD))
def test_rule_passes(rule, host_fn, specs, flags):
    findings = run(host_fn(), *specs, **flags)
    assert not [f for f in findings if f.rule == rule], [f.render() for f in findings]


def test_iscsi_rules_are_all_covered():
    ids = {r.rule for r in v.RULES if r.rule.startswith(("PB-", "TP-")) or r.rule in ("SF-3", "SF-4", "SF-9", "SF-11")}
    assert ids <= {row[0] for row in BAD} | {"TP-4"}
    assert ids <= {row[0] for row in GOOD} | {"SF-5"}


@pytest.mark.parametrize("rule, host_fn, specs, flag", [
    ("PB-7", b.iscsi_host, (targets(target("10.10.99.5")),), "allow_routed_port_binding"),
    ("TP-3", b.iscsi_host, (IscsiSpec(adapter_options={"LoginTimeout": 30}),), "allow_adapter_level_params"),
    ("TP-5", b.iscsi_host, (targets(target(profile="pure", LoginTimeout=20)),), "allow_profile_deviation"),
    ("SF-4", b.iscsi_host, (bind("vmk1", purge=True),), "allow_path_disruption"),
])
def test_flag_downgrades_error_to_warning(rule, host_fn, specs, flag):
    hits = [f for f in run(host_fn(), *specs, **{flag: True}) if f.rule == rule]
    assert hits and {f.severity for f in hits} == {"warning"}


def _with_after(c: v.Case, after: Host) -> v.Case:
    return dataclasses.replace(c, plan=dataclasses.replace(c.plan, after=after))


def test_tp4_static_target_keeping_its_own_value():
    """The planner resets discovered static targets; TP-4 is the net under it: a plan whose R still
    has a static target holding its own LoginTimeout is refused (a warning without a profile)."""
    c = case(b.iscsi_host(), targets(target(profile="pure")))
    bad = _with_after(c, dataclasses.replace(c.after, iscsi=static_override().iscsi))
    hits = [f for f in v.validate([bad]) if f.rule == "TP-4"]
    assert [(f.severity, f.object) for f in hits] == [("error", "target:vmhba64/10.10.20.101:3260/%s" % b.ARRAY_IQN)]
    c2 = case(b.iscsi_host(), targets(target(LoginTimeout=30)))
    bad2 = _with_after(c2, dataclasses.replace(c2.after, iscsi=static_override().iscsi))
    assert [f.severity for f in v.validate([bad2]) if f.rule == "TP-4"] == ["warning"]


def test_sf5_refuses_a_forced_unbind_in_a_plan():
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import Action
    c = case(b.iscsi_host(), bind("vmk1", purge=True), allow_path_disruption=True)
    forced = Action(H, "remove", "binding", "vmhba64:vmk2", {"bound": (True, False), "force": (None, True)})
    bad = dataclasses.replace(c, plan=dataclasses.replace(c.plan, actions=c.plan.actions + (forced,)))
    assert [f.rule for f in v.validate([bad]) if f.rule == "SF-5"] == ["SF-5"]


def test_last_active_path_is_never_lifted():
    findings = run(b.iscsi_host(path="lastActive", bind=("vmk1",)), bind(purge=True), allow_path_disruption=True)
    assert [f.severity for f in findings if f.rule == "SF-4"] == ["error"]


# ---------------------------------------------------------------------------------------
# Planner
# ---------------------------------------------------------------------------------------


def test_binding_and_pure_target_plan_on_a_bare_adapter():
    host = b.bare_iscsi_host()
    plan = plan_host(host, b.desired(bind("Base-A", "Base-B"), targets(target(profile="pure"))))
    assert [a.describe() for a in plan.actions] == [
        "add binding vmhba64:vmk1 (bound: False -> True)",
        "add binding vmhba64:vmk2 (bound: False -> True)",
        "add send_target vmhba64/10.10.20.100:3260 (delayed_ack: None -> False, login_timeout: None -> 30)",
        "rescan adapter vmhba64",
    ]
    assert plan.after.iscsi["vmhba64"].send_targets[(PORTAL, 3260, "")].own == {"LoginTimeout": 30, "DelayedAck": False}


def test_send_target_options_reset_discovered_static_overrides():
    plan = plan_host(static_override(), b.desired(targets(target(profile="pure"))))
    names = [a.describe() for a in plan.actions]
    assert "edit static_target vmhba64/10.10.20.101:3260/%s (login_timeout: 10 -> None)" % b.ARRAY_IQN in names
    statics = plan.after.iscsi["vmhba64"].static_targets
    assert all(s.own == {} and s.values["LoginTimeout"] == 30 for s in statics.values())


def test_no_op_plan_is_empty():
    host = b.iscsi_host()
    first = plan_host(host, b.desired(targets(target(profile="pure"))))
    settled = dataclasses.replace(host, iscsi=first.after.iscsi)
    again = plan_host(settled, b.desired(bind("vmk1", "vmk2"), targets(target(profile="pure"))))
    assert again.actions == () and again.after == settled


def test_enabling_software_iscsi_predicts_vmhba64():
    plan = plan_host(b.storage_host(), b.desired(IscsiSpec(software=True, bindings=(BindingSpec(vmk="vmk1"),))))
    assert [a.describe() for a in plan.actions] == ["add adapter vmhba64 (enabled: None -> True)",
                                                    "add binding vmhba64:vmk1 (bound: False -> True)"]


def test_rebind_around_a_bound_vmk_change_with_the_flag():
    plan = plan_host(b.iscsi_host(), b.desired(spec("Base-A", vswitch="vSwitch1", mtu=9000), allow_path_disruption=True))
    kinds = [(a.op, a.kind, a.name) for a in plan.actions]
    assert kinds == [("remove", "binding", "vmhba64:vmk1"), ("edit", "vmk", "vmk1"), ("add", "binding", "vmhba64:vmk1")]


def test_purge_targets_removes_unlisted_send_targets_and_their_static_targets():
    plan = plan_host(b.iscsi_host(), b.desired(targets(target("10.10.20.120"), purge=True), allow_path_disruption=True))
    adapter = plan.after.iscsi["vmhba64"]
    assert list(adapter.send_targets) == [("10.10.20.120", 3260, "")]
    assert adapter.static_targets == {}
    assert ("remove", "send_target", "vmhba64/10.10.20.100:3260") in [(a.op, a.kind, a.name) for a in plan.actions]


def test_unknown_vmk_is_an_argument_error_naming_field_and_host():
    with pytest.raises(ArgumentError) as err:
        plan_host(b.iscsi_host(), b.desired(bind("vmk9")))
    assert err.value.field == "bindings[0].vmk" and err.value.host == H and "vmk9" in err.value.message


# ---------------------------------------------------------------------------------------
# Module arguments and profiles
# ---------------------------------------------------------------------------------------


def test_profile_merging_explicit_values_win():
    d = iscsi_target_desired({"profile": "pure", "send_targets": [
        {"address": PORTAL}, {"address": "10.10.20.101", "login_timeout": 20},
        {"address": "10.10.20.102", "profile": "dell_equallogic"}, {"address": "10.10.20.103", "profile": "generic"}]},
        (H,), False)[H]
    (spec_,) = d.iscsi
    got = {t.address: (t.profile, dict(t.options), dict(t.explicit)) for t in spec_.send_targets}
    assert got == {
        PORTAL: ("pure", {"LoginTimeout": 30, "DelayedAck": False}, {}),
        "10.10.20.101": ("pure", {"LoginTimeout": 20, "DelayedAck": False}, {"LoginTimeout": 20}),
        "10.10.20.102": ("dell_equallogic", {"LoginTimeout": 60, "DelayedAck": False}, {}),
        "10.10.20.103": ("generic", {}, {}),
    }


@pytest.mark.parametrize("params, field", [
    ({"send_targets": [{"address": "10.10.20.300"}]}, "send_targets[0].address"),
    ({"send_targets": [{"address": PORTAL}, {"address": PORTAL}]}, "send_targets[1]"),
    ({"send_targets": [{"address": PORTAL, "profile": "nope"}]}, "send_targets[0].profile"),
    ({"static_targets": [{"address": PORTAL, "iscsi_name": "bogus"}]}, "static_targets[0].iscsi_name"),
    ({}, "send_targets"),
    ({"adapter": "eth0", "send_targets": [{"address": PORTAL}]}, "adapter"),
])
def test_target_argument_errors(params, field):
    with pytest.raises(ArgumentError) as err:
        iscsi_target_desired(params, (H,), False)
    assert err.value.field == field


@pytest.mark.parametrize("params, field", [
    ({"bindings": ["eth0"]}, "bindings[0].vmk"),
    ({"bindings": [{"vmk": "vmk1", "portgroup": "A"}]}, "bindings[0]"),
    ({"bindings": ["vmk1", {"vmk": "vmk1"}]}, "bindings[1]"),
    ({"bindings": [{"nic": "vmk1"}]}, "bindings[0]"),
    ({"purge_bindings": True}, "purge_bindings"),
    ({"iqn": "abc"}, "iqn"),
])
def test_adapter_argument_errors(params, field):
    with pytest.raises(ArgumentError) as err:
        iscsi_adapter_desired(params, (H,), False)
    assert err.value.field == field


def test_adapter_arguments_normalise():
    d = iscsi_adapter_desired({"software_iscsi": "enabled", "bindings": ["vmk1", {"portgroup": "iSCSI-B"}]}, (H,), False)
    (s,) = d[H].iscsi
    assert s.software is True and s.bindings == (BindingSpec(vmk="vmk1"), BindingSpec(portgroup="iSCSI-B"))


def test_pb10_names_the_adapters_nic_and_refuses_before_any_bind():
    c = case(dependent_host(), bind("vmk1", adapter="vmhba2"))
    assert [a.name for a in c.plan.actions if a.kind == "binding"] == ["vmhba2:vmk1"]
    hits = [f for f in v.validate([c]) if f.rule == "PB-10"]
    assert [f.object for f in hits] == ["portgroup:vSwitch1/Base-A [vmk1 -> hba:vmhba2]"]
    assert "vmnic2 is not vmnic3" in hits[0].found and "teaming.active: [vmnic3]" in hits[0].change


def test_sf9_says_what_could_not_be_read_and_why_it_matters():
    hits = [f for f in run(unread_host(b.storage_host)(), spec("Base-A", vswitch="vSwitch1", mtu=9000)) if f.rule == "SF-9"]
    assert len(hits) == 1 and hits[0].object == "host:" + H and hits[0].is_error
    assert "QueryBoundVnics failed" in hits[0].found and "vmk1, which might be bound" in hits[0].found


# --- SF-10: the state read again just before the first write -----------------------------------


def test_sf10_passes_when_nothing_changed_and_is_not_run_by_validate():
    c = case(b.iscsi_host(), bind("vmk1", "vmk2"))
    assert v.recheck([c], {H: b.iscsi_host()}) == []
    assert "SF-10" not in {f.rule for f in v.validate([c])}
    assert v.RULE_INDEX["SF-10"].scope == v.BEFORE_WRITE


def test_sf10_refuses_a_network_change_between_read_and_write():
    c = case(b.storage_host(), spec("Base-A", vswitch="vSwitch1", mtu=9000))
    now = b.storage_host()
    now = dataclasses.replace(now, portgroups=dict(now.portgroups, **{"Base-A": dataclasses.replace(
        now.portgroups["Base-A"], vlan=77)}))
    (hit,) = v.recheck([c], {H: now})
    assert hit.rule == "SF-10" and hit.is_error and hit.object == "host:" + H
    assert "portgroup Base-A changed" in hit.found and "re-run the task" in hit.change


def test_sf10_compares_bindings_only_when_the_plan_touches_iscsi():
    rebound = dataclasses.replace(b.iscsi_host(bind=("vmk1",)))
    touching = case(b.iscsi_host(), bind("vmk1", "vmk2"))
    assert v.recheck_touches_iscsi(touching)
    (hit,) = v.recheck([touching], {H: rebound})
    assert "bindings of vmhba64 changed" in hit.found
    new_vmk = case(b.iscsi_host(), spec("iSCSI-C", ip="10.10.20.55", teaming={"active": ["vmnic2"], "unused": ["vmnic3"]}))
    assert not v.recheck_touches_iscsi(new_vmk)
    assert v.recheck([new_vmk], {H: rebound}) == []
