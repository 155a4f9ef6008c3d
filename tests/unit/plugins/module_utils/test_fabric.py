# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""host_fabric states (``_fabric``): config checks, merged/replaced/overridden/deleted, protection,
the gathered -> overridden round trip, and rule SF-6 both ways."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _validator as v
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import host_to_doc
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._fabric import (
    check_config,
    check_scope,
    fabric_desired,
    kept,
    marked_protected,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import Flags, Host
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import Plan, plan_host
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

H = b.H


def plan(state: str, host: Host, doc: Any, **flags: bool) -> Plan:
    return plan_host(host, fabric_desired(state, host, doc, Flags(**flags)))


def validate(state: str, host: Host, doc: Any, **flags: bool) -> list[v.Finding]:
    d = fabric_desired(state, host, doc, Flags(**flags))
    return v.validate([v.Case(host, d, plan_host(host, d))])


def ops(p: Plan) -> list[str]:
    return ["%s %s %s" % (a.op, a.kind, a.name) for a in p.actions]


def without(doc: dict[str, Any], section: str, key: str, *names: str) -> dict[str, Any]:
    out = copy.deepcopy(doc)
    out[section] = [e for e in out[section] if e.get(key) not in names]
    return out


HOSTS = {"demo": b.demo_host, "storage": b.storage_host, "iscsi": b.iscsi_host, "bare-iscsi": b.bare_iscsi_host}


# --- config and scope ---


@pytest.mark.parametrize("state", ["merged", "replaced", "overridden", "deleted", "rendered"])
@pytest.mark.parametrize("config", [None, {}, {H: {}}, {H: {"vmknics": []}}])
def test_empty_config_is_refused(state, config):
    with pytest.raises(ArgumentError) as err:
        check_config(state, config)
    assert "non-empty" in str(err.value) and state in str(err.value)


def test_gathered_takes_no_config():
    assert check_config("gathered", None) == {}
    with pytest.raises(ArgumentError, match="not used with state=gathered"):
        check_config("gathered", {H: {"vmknics": [{"portgroup": "x"}]}})


def test_a_host_outside_the_scope_is_refused_by_name():
    with pytest.raises(ArgumentError) as err:
        check_scope("merged", {"esx09.lab.local": {}}, (H,))
    assert err.value.field == "config.esx09.lab.local"


def test_overridden_needs_a_document_for_every_host():
    check_scope("merged", {H: {}}, (H, "esx02.lab.local"))  # merged: the other host is just not touched
    with pytest.raises(ArgumentError) as err:
        check_scope("overridden", {H: {}}, (H, "esx02.lab.local"))
    assert "esx02.lab.local" in str(err.value)


# --- the round trip: a gathered document fed back changes nothing ---


@pytest.mark.parametrize("state", ["merged", "replaced", "overridden", "rendered"])
@pytest.mark.parametrize("name", sorted(HOSTS))
def test_gathered_document_fed_back_is_a_no_op(state, name):
    host = HOSTS[name]()
    p = plan(state, host, host_to_doc(host))
    assert p.actions == () and p.after == host
    # bare-iscsi has two unbound vmks in one subnet, which MH-1 refuses as a state, changed or not
    assert {f.rule for f in v.refusals(validate(state, host, host_to_doc(host)))} <= ({"MH-1"} if name == "bare-iscsi" else set())


# --- merged / replaced ---


def test_merged_leaves_omitted_keys_alone_and_replaced_resets_them():
    host = b.with_vmk(b.storage_host(), "vmk2", "vMotion-A", "10.10.30.11", services=("vmotion",), mtu=9000, vlan=30,
                      override=b.Teaming(active=("vmnic3",), standby=("vmnic2",)))
    doc = {"vmknics": [{"portgroup": "vMotion-A", "device": "vmk2"}],
           "portgroups": [{"name": "vMotion-A", "vswitch": "vSwitch1"}]}
    assert plan("merged", host, doc).actions == ()
    p = plan("replaced", host, doc)
    changes = {(a.kind, a.name): a.changes for a in p.actions}
    assert changes[("vmk", "vmk2")] == {"mtu": (9000, 1500)}
    assert changes[("portgroup", "vMotion-A")]["vlan"] == (30, 0)
    assert ("deselect", "service", "vmk2:vmotion") in {(a.op, a.kind, a.name) for a in p.actions}
    assert p.after.portgroups["vMotion-A"].override.active is None  # the order inherits from vSwitch1 again
    assert "vmk1" in p.after.vmks  # unlisted: untouched by replaced


def test_replaced_keeps_a_port_group_as_it_is_when_only_its_vmk_is_listed():
    host = b.storage_host()
    doc = {"vmknics": [{"portgroup": "Base-A", "device": "vmk1", "mtu": 1500}]}
    assert plan("replaced", host, doc).actions == ()


def test_replaced_iscsi_entry_lists_the_bindings_and_targets_whole():
    host = b.iscsi_host(path="notUsed", live=False)
    doc = {"iscsi": [{"software": True, "enabled": True, "bindings": ["vmk1"],
                      "send_targets": [{"address": "10.10.20.100", "profile": "pure"}]}]}
    assert [a for a in ops(plan("merged", host, doc)) if "binding" in a] == []
    p = plan("replaced", host, doc)
    assert "remove binding vmhba64:vmk2" in ops(p)
    send = p.after.iscsi["vmhba64"].send_targets[("10.10.20.100", 3260, "")]
    assert send.own == {"LoginTimeout": 30, "DelayedAck": False}


def test_replaced_reverts_target_options_not_listed():
    host = b.iscsi_host()
    with_own = plan("merged", host, {"iscsi": [{"send_targets": [{"address": "10.10.20.100",
                                                                 "options": {"login_timeout": 30, "noop_timeout": 20}}]}]})
    after = with_own.after
    doc = {"iscsi": [{"bindings": ["vmk1", "vmk2"],
                      "send_targets": [{"address": "10.10.20.100", "options": {"login_timeout": 30}}]}]}
    p = plan("replaced", after, doc)
    (edit,) = [a for a in p.actions if a.kind == "send_target"]
    assert edit.changes == {"noop_timeout": (20, None)}


def test_plan_document_profile_and_portgroup_bindings():
    host = b.bare_iscsi_host()
    doc = {"iscsi": [{"bindings": [{"portgroup": "Base-A"}, "vmk2"],
                      "send_targets": [{"address": "10.10.20.100", "profile": "dell_equallogic"}]}]}
    p = plan("merged", host, doc)
    assert {"add binding vmhba64:vmk1", "add binding vmhba64:vmk2", "add send_target vmhba64/10.10.20.100:3260"} <= set(ops(p))
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._profiles import PROFILES
    assert p.after.iscsi["vmhba64"].send_targets[("10.10.20.100", 3260, "")].own == dict(PROFILES["dell_equallogic"].values)


@pytest.mark.parametrize("bad, field", [
    ({"iscsi": [{"send_targets": [{"address": "10.10.20.100", "profile": "netapp"}]}]}, "send_targets[0].profile"),
    ({"iscsi": [{"bindings": [{"portgroup": "A", "vmk": "vmk1"}]}]}, "bindings[0]"),
    ({"iscsi": [{"bindings": ["vmk1", "vmk1"]}]}, "bindings[1]"),
    ({"iscsi": [{"bindings": ["eth0"]}]}, "bindings[0].vmk"),
])
def test_bad_plan_document_names_the_field(bad, field):
    with pytest.raises(ArgumentError) as err:
        fabric_desired("merged", b.bare_iscsi_host(), bad, Flags())
    assert err.value.field == "config.%s.iscsi[0].%s" % (H, field)


# --- overridden ---


def test_overridden_removes_what_is_unlisted_and_keeps_management():
    host = b.with_vmk(b.storage_host(), "vmk2", "vMotion-A", "10.10.30.11", services=("vmotion",), vlan=30)
    doc = host_to_doc(host)
    doc = without(without(doc, "vmknics", "device", "vmk0", "vmk2"), "portgroups", "name", "vMotion-A",
                  "Management Network", "VM Network")
    doc = without(doc, "vswitches", "name", "vSwitch0")
    p = plan("overridden", host, doc)
    assert ops(p) == ["remove vmk vmk2", "remove portgroup vMotion-A"]
    assert {"vmk0", "vmk1"} == set(p.after.vmks) and "vSwitch0" in p.after.vswitches
    assert "VM Network" in p.after.portgroups  # a port group without a vmk is not managed
    assert not v.refusals(validate("overridden", host, doc))


def vmk0_of(host: Host) -> dict[str, Any]:
    return next(e for e in host_to_doc(host)["vmknics"] if e["device"] == "vmk0")


def test_overridden_removes_an_unlisted_vswitch():
    host = b.storage_host()
    doc = {"vswitches": [], "portgroups": [], "vmknics": [vmk0_of(host)]}
    p = plan("overridden", host, doc)
    assert ops(p) == ["remove vmk vmk1", "remove portgroup Base-A", "remove vswitch vSwitch1"]


def test_overridden_lists_vmk0_whole_or_sf1_refuses():
    host = b.storage_host()
    partial = {"vmknics": [{"device": "vmk0", "portgroup": "Management Network"}]}  # services omitted -> none
    p = plan("overridden", host, partial)
    assert "deselect service vmk0:management" in ops(p)
    assert "SF-1" in {f.rule for f in v.refusals(validate("overridden", host, partial))}


def test_overridden_keeps_what_the_document_marks_protected():
    host = b.storage_host()
    doc = {"vswitches": [{"name": "vSwitch1", "protected": True}], "vmknics": [vmk0_of(host)]}
    assert plan("overridden", host, doc).actions == ()
    doc = {"vmknics": [{"device": "vmk1", "portgroup": "Base-A", "protected": True, "mtu": 9000}]}
    p = plan("overridden", host, doc)
    assert p.actions == ()  # protected: not managed (mtu ignored) and not removed


def test_protection_covers_what_is_on_the_object():
    host = b.storage_host()
    assert marked_protected(host, {"vswitches": [{"name": "vSwitch1", "protected": True}]}) == {
        "vswitch:vSwitch1", "portgroup:Base-A", "vmk:vmk1"}
    assert marked_protected(host, {"portgroups": [{"name": "Base-A", "protected": True}]}) == {"portgroup:Base-A", "vmk:vmk1"}
    assert kept(host, frozenset()) == {"vmk:vmk0", "portgroup:Management Network", "vswitch:vSwitch0"}


def test_overridden_unlisted_iscsi_would_drop_live_paths_refused_sf6():
    host = b.iscsi_host()
    doc = without(host_to_doc(host), "vmknics", "device", "vmk9")
    doc["iscsi"] = []
    findings = validate("overridden", host, doc, allow_path_disruption=True)
    sf6 = [f for f in findings if f.rule == "SF-6"]
    assert sf6 and {f.severity for f in sf6} == {"error"}
    assert {f.object for f in sf6} >= {"vmk:vmk1 [hba:vmhba64]", "vmk:vmk2 [hba:vmhba64]"}
    assert all("state=overridden" in f.found and f.change for f in sf6)


def test_overridden_without_live_paths_passes_sf6():
    host = b.iscsi_host(path="notUsed", live=False)
    doc = host_to_doc(host)
    doc["iscsi"] = []
    findings = validate("overridden", host, doc)
    assert not [f for f in findings if f.rule == "SF-6"]
    p = plan("overridden", host, doc)
    assert {"remove binding vmhba64:vmk1", "remove binding vmhba64:vmk2",
            "remove send_target vmhba64/10.10.20.100:3260"} <= set(ops(p))


# --- SF-6 on hand-made authoritative plans: every protected kind refuses, the rest passes ---


def _authoritative_removal(host: Host, *specs: Any) -> list[v.Finding]:
    import dataclasses
    d = dataclasses.replace(b.desired(*specs), authoritative=True)
    return [f for f in v.validate([v.Case(host, d, plan_host(host, d))]) if f.rule == "SF-6"]


@pytest.mark.parametrize("spec, obj", [
    (b.VmkSpec(portgroup="Management Network", device="vmk0", state="absent"), "vmk:vmk0"),
    (b.VSwitchSpec(name="vSwitch0", state="absent"), "vswitch:vSwitch0"),
])
def test_sf6_refuses_authoritative_removal_of_management(spec, obj):
    hits = _authoritative_removal(b.storage_host(), spec)
    assert obj in {f.object for f in hits} and all(f.severity == "error" for f in hits)


def test_sf6_refuses_removing_a_port_group_in_use_by_vms():
    host = b.with_portgroup(b.storage_host(), "Apps", vm_ports=3)
    hits = _authoritative_removal(host, b.VSwitchSpec(name="vSwitch1", state="absent"))
    assert {f.object for f in hits} >= {"vswitch:vSwitch1", "portgroup:Apps"}
    assert any("3 VM port(s)" in f.found for f in hits)


def test_sf6_passes_an_authoritative_removal_of_an_ordinary_vmk():
    assert not _authoritative_removal(b.storage_host(), b.VmkSpec(portgroup="Base-A", device="vmk1", state="absent"))


def test_sf6_refuses_a_purge_that_drops_active_paths_but_not_merged_binds():
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import BindingSpec, IscsiSpec
    purge = IscsiSpec(bindings=(BindingSpec(vmk="vmk1"),), purge_bindings=True)
    d = b.desired(purge, allow_path_disruption=True)
    findings = v.validate([v.Case(b.iscsi_host(), d, plan_host(b.iscsi_host(), d))])
    (f,) = [f for f in findings if f.rule == "SF-6"]
    assert f.object == "vmk:vmk2 [hba:vmhba64]" and "a purge option" in f.found
    keep = b.desired(IscsiSpec(bindings=(BindingSpec(vmk="vmk1"),)))
    assert not [f for f in v.validate([v.Case(b.iscsi_host(), keep, plan_host(b.iscsi_host(), keep))]) if f.rule == "SF-6"]


# --- deleted ---


def test_deleted_removes_the_listed_objects_only():
    host = b.with_vmk(b.storage_host(), "vmk2", "vMotion-A", "10.10.30.11", services=("vmotion",), vlan=30)
    p = plan("deleted", host, {"vmknics": [{"device": "vmk2"}]})
    assert ops(p) == ["remove vmk vmk2", "remove portgroup vMotion-A"]
    p = plan("deleted", host, {"vswitches": [{"name": "vSwitch1"}]})
    assert "remove vswitch vSwitch1" in ops(p) and "vmk1" not in p.after.vmks


def test_deleting_vmk0_is_refused_by_sf1():
    host = b.storage_host()
    findings = validate("deleted", host, {"vmknics": [{"device": "vmk0"}]})
    assert "SF-1" in {f.rule for f in v.refusals(findings)}


def test_deleted_iscsi_entry_removes_listed_bindings_explicitly():
    host = b.iscsi_host()
    doc = {"iscsi": [{"bindings": ["vmk2"]}]}
    p = plan("deleted", host, doc, allow_path_disruption=True)
    assert [a for a in ops(p) if "binding" in a] == ["remove binding vmhba64:vmk2"]
    findings = validate("deleted", host, doc, allow_path_disruption=True)
    assert "SF-6" not in {f.rule for f in findings}  # named explicitly: SF-4 (downgraded) still applies
    assert [f.severity for f in findings if f.rule == "SF-4"] == ["warning"]


def test_deleted_adapter_entry_alone_removes_all_of_it():
    host = b.iscsi_host(path="notUsed", live=False)
    p = plan("deleted", host, {"iscsi": [{"adapter": "vmhba64"}]})
    assert {"remove binding vmhba64:vmk1", "remove binding vmhba64:vmk2",
            "remove send_target vmhba64/10.10.20.100:3260"} <= set(ops(p))
    assert p.after.iscsi["vmhba64"].enabled  # software iSCSI stays enabled


def test_deleted_with_protected_mark_is_a_contradiction():
    with pytest.raises(ArgumentError, match="contradicts"):
        fabric_desired("deleted", b.storage_host(), {"vmknics": [{"device": "vmk1", "protected": True}]}, Flags())


def test_deleted_unknown_adapter_is_named():
    with pytest.raises(ArgumentError, match="vmhba99"):
        fabric_desired("deleted", b.storage_host(), {"iscsi": [{"adapter": "vmhba99"}]}, Flags())


def test_host_not_in_config_gets_an_empty_desired():
    d = fabric_desired("merged", b.storage_host(), None, Flags())
    assert d.vmks == () and d.vswitches == () and d.iscsi == () and not d.authoritative
