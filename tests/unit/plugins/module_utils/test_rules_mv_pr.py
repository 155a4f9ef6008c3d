# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""MV (multi-NIC vMotion) and PR (replica vmk) rules: each fires in its bad rows and stays
silent in its good rows; the MH-1 interplay; the bad inputs through model -> planner
-> validator, each refused by its own rule."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _validator as v
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import Desired, Finding, Host, Teaming, VmkSpec
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import replica_desired, vmotion_desired
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import plan_host
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

H, H2 = b.H, "esx02.lab.local"
MASK = "255.255.255.0"
PAIR = ("10.20.0.10", "10.20.0.110")
VMO = ("vmotion",)


# --- builders -------------------------------------------------------------------------------


def case(host: Host, *specs: Any, **flags: bool) -> v.Case:
    d = b.desired(*specs, host=host.name, **flags)
    return v.Case(host, d, plan_host(host, d))


def case_of(host: Host, desired: Desired) -> v.Case:
    return v.Case(host, desired, plan_host(host, desired))


def vm_params(uplinks: tuple[str, ...] = ("vmnic2", "vmnic3"), addresses: tuple[str, ...] = PAIR,
              host: str = H, **extra: Any) -> dict[str, Any]:
    params: dict[str, Any] = {"vswitch": "vSwitch1", "uplinks": list(uplinks), "vlan": 30, "netstack": "default",
                              "state": "present", "ip": {"netmask": MASK, "addresses": {host: list(addresses)}}}
    params.update(extra)
    return params


def vm_specs(host: str = H, **kwargs: Any) -> tuple[VmkSpec, ...]:
    """The VmkSpecs vmotion_multinic declares for one host."""
    return vmotion_desired(vm_params(host=host, **kwargs), (host,), False)[host].vmks


def rep_spec(host: str = H, address: str = "10.40.0.11", **params: Any) -> VmkSpec:
    """The VmkSpec replica_vmknic declares for one host (own VLAN 40 and subnet by default)."""
    base: dict[str, Any] = {"portgroup": "Replica", "vswitch": "vSwitch1", "vlan": 40, "state": "present",
                            "ip": {"address": address, "netmask": MASK}}
    base.update(params)
    return replica_desired(base, (host,), False)[host].vmks[0]


def base(name: str = H) -> Host:
    """demo host + vSwitch1 (vmnic2, vmnic3; mtu 9000; srcid, both active)."""
    return b.with_vswitch(b.demo_host(name))


def converged(host: Host, *specs: Any) -> Host:
    """``host`` after a clean run of ``specs`` (asserts the run is accepted)."""
    c = case(host, *specs)
    assert not v.refusals(v.validate([c])), v.render(v.validate([c]))
    return c.plan.after


def with_set(name: str = H, addresses: tuple[str, ...] = PAIR) -> Host:
    """base + the 2-vmk set: vmk1 on vMotion-1 (vmnic2/vmnic3), vmk2 on vMotion-2 (vmnic3/vmnic2), VLAN 30."""
    return converged(base(name), *vm_specs(host=name, addresses=addresses))


def six_nics() -> Host:
    host = dataclasses.replace(b.demo_host(), pnics=b.pnics(6))
    return b.with_vswitch(host, uplinks=("vmnic2", "vmnic3", "vmnic4"))


def iphash() -> Host:
    return b.with_vswitch(b.demo_host(), teaming=Teaming("iphash", ("vmnic2", "vmnic3"), (), True, True, "link_status"))


def pair_on(pg_a: str, pg_b: str, team_a: Teaming = b.NO_OVERRIDE, team_b: Teaming = b.NO_OVERRIDE,
            host: Host | None = None, netstack_b: str = "default") -> Host:
    """Two observed vMotion-tagged vmks (vmk1, vmk2) on the given port groups of vSwitch1."""
    host = b.with_vmk(host or base(), "vmk1", pg_a, PAIR[0], services=VMO, override=team_a)
    services = () if netstack_b == "vmotion" else VMO
    return b.with_vmk(host, "vmk2", pg_b, PAIR[1], services=services, override=team_b, netstack=netstack_b)


def mirrored(active: str, standby: str) -> Teaming:
    return Teaming(active=(active,), standby=(standby,))


def shared_on_vmk1(name: str = H) -> VmkSpec:
    """The replica on vMotion-1 (vmk1), sharing the vMotion network."""
    return rep_spec(host=name, address=PAIR[0], portgroup="vMotion-1", vlan=None, shared_with_vmotion=True)


def with_gateway(host: Host, device: str, gateway: str) -> Host:
    vmk = dataclasses.replace(host.vmks[device], gateway=gateway)
    return dataclasses.replace(host, vmks=dict(host.vmks, **{device: vmk}))


Cases = Callable[[], list[v.Case]]


def one(host_fn: Callable[[], Host], *specs: Any, **flags: bool) -> Cases:
    return lambda: [case(host_fn(), *specs, **flags)]


def two_hosts(specs_h1: tuple[Any, ...], specs_h2: tuple[Any, ...], host_fn: Callable[[str], Host] = with_set) -> Cases:
    return lambda: [case(host_fn(H), *specs_h1), case(host_fn(H2), *specs_h2)]


SECOND_SUBNET = ("10.20.0.10", "10.20.1.110")
VM3 = dict(vswitch="vSwitch1", ip="10.20.0.210", services=frozenset(VMO), purpose="vmotion")


def same_active_uplink() -> list[v.Case]:
    """A third vMotion vmk active on vmnic2, which vmk1 of the set already uses."""
    return [case(with_set(), b.vmk_spec("vMotion-3", teaming={"active": ["vmnic2"], "standby": ["vmnic3"]}, **VM3))]


def set_on_vmotion_stack_next_to_default_set() -> list[v.Case]:
    return [case(with_set(), *vm_specs(addresses=("10.21.0.10", "10.21.0.110"), netstack="vmotion",
                                       portgroup_prefix="vMotion-Stack"))]


def replica_in_management_subnet() -> list[v.Case]:
    return [case(b.demo_host(), rep_spec(address="192.168.10.50", vswitch="vSwitch0"))]


def replica_in_iscsi_subnet() -> list[v.Case]:
    return [case(b.storage_host(), rep_spec(address="10.10.20.50"))]


def replica_with_gateway() -> list[v.Case]:
    return [case(with_set(), rep_spec(gateway="10.40.0.1"))]


def replica_shares_vmotion_not_lowest() -> list[v.Case]:
    return [case(with_set(), rep_spec(address="10.20.0.50", vlan=30, shared_with_vmotion=True))]


def replica_shares_different_vmotion_networks() -> list[v.Case]:
    return [case(with_set(H), shared_on_vmk1(H)),
            case(with_set(H2, ("10.21.0.12", "10.21.0.112")),
                 rep_spec(host=H2, address="10.21.0.12", portgroup="vMotion-1", vlan=None, shared_with_vmotion=True))]


def replica_on_one_host_only() -> list[v.Case]:
    return [case(with_set(H), rep_spec(H)), case(with_set(H2))]


# (rule, severity, cases): the rule fires in every row
BAD: list[tuple[str, str, Cases]] = [
    ("MV-1", "error", lambda: [case(pair_on("VMo", "VMo", mirrored("vmnic2", "vmnic3")))]),
    ("MV-2", "error", lambda: [case(pair_on("VMo-A", "VMo-B"))]),
    ("MV-2", "error", lambda: [case(pair_on("VMo-A", "VMo-B", Teaming(active=("vmnic2",), standby=()),
                                            mirrored("vmnic3", "vmnic2")))]),
    ("MV-2", "error", lambda: [case(pair_on("VMo-A", "VMo-B", Teaming(active=("vmnic2", "vmnic3"), standby=()),
                                            mirrored("vmnic3", "vmnic2")))]),
    ("MV-3", "error", same_active_uplink),
    ("MV-4", "warning", lambda: [case(pair_on("VMo-A", "VMo-B", mirrored("vmnic2", "vmnic4"), mirrored("vmnic3", "vmnic4"),
                                              host=six_nics()))]),
    ("MV-5", "error", one(base, *vm_specs(addresses=SECOND_SUBNET))),
    ("MV-6", "error", one(iphash, *vm_specs())),
    ("MV-6", "error", lambda: [case(b.with_vmk(iphash(), "vmk1", "VMo", PAIR[0], services=VMO))]),
    ("MV-6", "error", one(lambda: b.with_vswitch(b.demo_host(), uplinks=("lag1", "vmnic3")),
                          *vm_specs(uplinks=("lag1", "vmnic3")))),
    ("MV-7", "warning", lambda: [case(pair_on("VMo-A", "VMo-B", mirrored("vmnic2", "vmnic3"), mirrored("vmnic3", "vmnic2"),
                                              netstack_b="vmotion"))]),
    ("MV-8", "error", set_on_vmotion_stack_next_to_default_set),
    ("MV-8", "error", one(lambda: b.with_vmk(base(), "vmk1", "VMo", "10.21.0.10", netstack="vmotion"),
                          b.vmk_spec("VMo-D", ip="10.20.0.10", services=frozenset(VMO)))),
    ("PR-1", "error", replica_on_one_host_only),
    ("PR-1", "error", lambda: [case(with_set(), rep_spec(),
                                    rep_spec(portgroup="Replica-2", address="10.41.0.11", vlan=41))]),
    ("PR-2", "error", replica_in_management_subnet),
    ("PR-2", "error", replica_in_iscsi_subnet),
    ("PR-2", "error", one(with_set, rep_spec(address="10.20.0.50", services=list(VMO)))),
    ("PR-2", "error", one(with_set, rep_spec(address="10.20.0.50", ip={"address": "10.20.5.5", "netmask": "255.255.0.0"}))),
    ("PR-3", "error", one(with_set, rep_spec(vlan=4095))),
    ("PR-3", "error", one(with_set, rep_spec(vlan=30))),
    ("PR-3", "warning", one(b.demo_host, rep_spec(vswitch="vSwitch0", vlan=0))),
    ("PR-4", "error", replica_with_gateway),
    ("PR-4", "error", lambda: [case(with_gateway(converged(with_set(), rep_spec()), "vmk3", "10.40.0.1"), rep_spec())]),
    ("PR-5", "warning", one(with_set, rep_spec(services=["vsan"]))),
    ("PR-6", "warning", one(with_set, shared_on_vmk1())),
    ("PR-7", "error", replica_shares_vmotion_not_lowest),
    ("PR-7", "error", one(with_set, rep_spec(shared_with_vmotion=True))),
    ("PR-7", "error", replica_shares_different_vmotion_networks),
    ("PR-8", "warning", one(lambda: converged(with_set(), shared_on_vmk1()), shared_on_vmk1(),
                            b.vmk_spec("vMotion-3", teaming={"active": ["vmnic3"], "standby": ["vmnic2"]}, **VM3))),
    ("PR-8", "warning", one(lambda: converged(with_set(), shared_on_vmk1()), shared_on_vmk1(),
                            VmkSpec(portgroup="vMotion-2", state="absent"))),
]

# (rule, cases): the rule stays silent in every row
GOOD: list[tuple[str, Cases]] = [
    ("MV-1", one(with_set)),
    ("MV-1", one(base, *vm_specs())),
    ("MV-2", one(with_set)),
    ("MV-2", one(six_nics, *vm_specs(uplinks=("vmnic2", "vmnic3", "vmnic4"), addresses=PAIR + ("10.20.0.210",)))),
    ("MV-3", one(with_set)),
    ("MV-3", one(with_set, b.vmk_spec("Other", vswitch="vSwitch1", ip="10.30.0.10",
                                      teaming={"active": ["vmnic2"], "standby": ["vmnic3"]}))),
    ("MV-4", one(with_set)),
    ("MV-4", one(six_nics, *vm_specs(uplinks=("vmnic2", "vmnic3", "vmnic4"), addresses=PAIR + ("10.20.0.210",)))),
    ("MV-5", one(with_set)),
    ("MV-5", one(base, *vm_specs(netstack="vmotion"))),
    ("MV-6", one(with_set)),
    ("MV-6", lambda: [case(b.with_vmk(iphash(), "vmk1", "Data", "10.30.0.10"))]),
    ("MV-7", one(with_set)),
    ("MV-7", one(base, *vm_specs(netstack="vmotion"))),
    ("MV-8", one(with_set, *vm_specs())),
    ("MV-8", lambda: [case(pair_on("VMo-A", "VMo-B", mirrored("vmnic2", "vmnic3"), mirrored("vmnic3", "vmnic2"),
                                   netstack_b="vmotion"))]),
    ("PR-1", two_hosts((rep_spec(H),), (rep_spec(H2, address="10.40.0.12"),))),
    ("PR-1", two_hosts((), ())),
    ("PR-2", one(with_set, rep_spec())),
    ("PR-2", one(with_set, shared_on_vmk1())),
    ("PR-3", one(with_set, rep_spec())),
    ("PR-3", one(with_set, shared_on_vmk1())),
    ("PR-3", one(lambda: b.with_vswitch(with_set(), "vSwitch2", ("vmnic1",), mtu=1500),
                 rep_spec(vswitch="vSwitch2", vlan=0))),
    ("PR-4", one(with_set, rep_spec())),
    ("PR-5", one(with_set, rep_spec(services=["vSphereReplication"]))),
    ("PR-5", one(with_set, shared_on_vmk1())),
    ("PR-6", one(with_set, rep_spec())),
    ("PR-7", one(with_set, shared_on_vmk1())),
    ("PR-7", lambda: [case(with_set(H), shared_on_vmk1(H)), case(with_set(H2, ("10.20.0.12", "10.20.0.112")),
                                                                 rep_spec(host=H2, address="10.20.0.12",
                                                                          portgroup="vMotion-1", vlan=None,
                                                                          shared_with_vmotion=True))]),
    ("PR-8", one(lambda: converged(with_set(), shared_on_vmk1()), shared_on_vmk1(),
                 b.vmk_spec("Other", vswitch="vSwitch1", ip="10.30.0.10"))),
    ("PR-8", one(with_set, rep_spec(address="10.20.0.50", vlan=30, shared_with_vmotion=True),
                 b.vmk_spec("vMotion-3", teaming={"active": ["vmnic3"], "standby": ["vmnic2"]}, **VM3))),
]


def rules_of(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def _ids(rows: list[tuple[Any, ...]]) -> list[str]:
    return ["%s-%d" % (row[0], i) for i, row in enumerate(rows)]


@pytest.mark.parametrize("rule, severity, cases", BAD, ids=_ids(BAD))
def test_rule_fires(rule, severity, cases):
    findings = v.validate(cases())
    hits = rules_of(findings, rule)
    assert hits, [f.render() for f in findings]
    assert {f.severity for f in hits} == {severity}
    for f in hits:
        assert f.object.split(":")[0] in ("vmk", "portgroup", "network")
        assert f.found and f.change and f.source == v.RULE_INDEX[rule].source


@pytest.mark.parametrize("rule, cases", GOOD, ids=_ids(GOOD))
def test_rule_passes(rule, cases):
    findings = v.validate(cases())
    assert not rules_of(findings, rule), [f.render() for f in findings]


def test_every_mv_and_pr_rule_has_both_cases():
    ids = {r.rule for r in v.RULES if r.rule.split("-")[0] in ("MV", "PR")}
    assert ids == {"MV-%d" % i for i in range(1, 9)} | {"PR-%d" % i for i in range(1, 9)}
    assert ids == {row[0] for row in BAD} == {row[0] for row in GOOD}


def test_rows_are_grouped_by_catalog_step_and_scope():
    rows = {r.rule: r for r in v.RULES}
    assert {k for k, r in rows.items() if r.scope == v.CROSS_HOST and k[:2] == "PR"} == {"PR-1", "PR-7"}
    assert (rows["PR-1"].step, rows["PR-7"].step, rows["PR-8"].step, rows["MV-3"].step) == (3, 3, 4, 2)
    assert all(rows[k].flag is None for k in rows if k[:2] in ("MV", "PR"))


# --- specifics ------------------------------------------------------------------------------


def test_clean_set_and_replica_have_no_findings_but_jumbo_warnings():
    host = converged(base(), *vm_specs(mtu=9000))
    findings = v.validate([case(host, rep_spec(mtu=9000), *vm_specs(mtu=9000))])
    assert {f.rule for f in findings} == {"MTU-4"}


def test_mv3_names_both_vmks_and_the_shared_nic():
    (hit,) = rules_of(v.validate(same_active_uplink()), "MV-3")
    assert hit.object == "vmk:vmk3 [portgroup:vSwitch1/vMotion-3]"
    assert hit.found == "vmk1 and vmk3 are both active on vmnic2"


def test_mv5_flags_the_member_outside_the_majority_subnet():
    (hit,) = rules_of(v.validate([case(base(), *vm_specs(addresses=SECOND_SUBNET))]), "MV-5")
    assert hit.object == "vmk:vmk2" and "10.20.1.0/24" in hit.found and "10.20.0.0/24" in hit.change


def test_mv6_on_iphash_says_where_the_policy_comes_from():
    (first, _second) = rules_of(v.validate([case(iphash(), *vm_specs())]), "MV-6")
    assert "inherited from vSwitch1" in first.found and "vswitch" in first.change


def test_mv7_warns_and_mv8_refuses_the_same_mix_depending_on_who_made_it():
    mixed = pair_on("VMo-A", "VMo-B", mirrored("vmnic2", "vmnic3"), mirrored("vmnic3", "vmnic2"), netstack_b="vmotion")
    found = v.validate([case(mixed)])
    assert [f.rule for f in found if f.rule.startswith("MV-")] == ["MV-7"]
    planned = v.validate([case(with_set(), *vm_specs(addresses=("10.21.0.10", "10.21.0.110"), netstack="vmotion",
                                                     portgroup_prefix="vMotion-Stack"))])
    hits = rules_of(planned, "MV-8")
    assert [h.object for h in hits] == ["vmk:vmk3", "vmk:vmk4"] and not rules_of(planned, "MV-7")
    assert "set netstack: default" in hits[0].change


def test_pr2_names_the_role_of_the_other_vmk():
    mgmt = rules_of(v.validate([case(b.demo_host(), rep_spec(address="192.168.10.50", vswitch="vSwitch0"))]), "PR-2")
    iscsi = rules_of(v.validate([case(b.storage_host(), rep_spec(address="10.10.20.50"))]), "PR-2")
    assert "management vmk vmk0" in mgmt[0].found and mgmt[0].object == "vmk:vmk1 [vmk:vmk0]"
    assert "iscsi vmk vmk1" in iscsi[0].found


def test_mh1_does_not_exempt_a_vmotion_tagged_replica():
    findings = v.validate([case(with_set(), rep_spec(address="10.20.0.50", services=list(VMO)))])
    assert {"MH-1", "PR-2"} <= {f.rule for f in v.refusals(findings)}


def test_mh1_still_exempts_the_plain_vmotion_set_and_refuses_mixed_groups():
    assert not rules_of(v.validate([case(with_set())]), "MH-1")
    mixed = b.with_vmk(with_set(), "vmk3", "Data", "10.20.0.77")
    assert rules_of(v.validate([case(mixed)]), "MH-1")


def test_shared_replica_that_is_the_lowest_untagged_vmk_is_exempt_from_mh1_and_pr2():
    host = b.with_vmk(base(), "vmk1", "Replica", "10.20.0.5", vlan=30)
    host = converged(host, rep_spec(address="10.20.0.5", vlan=30, shared_with_vmotion=True), *vm_specs())
    assert sorted(host.vmks) == ["vmk0", "vmk1", "vmk2", "vmk3"]
    findings = v.validate([case(host, rep_spec(address="10.20.0.5", vlan=30, shared_with_vmotion=True))])
    assert {f.rule for f in findings} == {"PR-6"}


def test_pr7_fix_names_the_port_group_of_the_lowest_vmk():
    (hit,) = rules_of(v.validate(replica_shares_vmotion_not_lowest()), "PR-7")
    assert hit.object == "vmk:vmk3 [vmk:vmk1]" and "set portgroup: vMotion-1" in hit.change


def test_pr7_different_vmotion_networks_across_hosts():
    hits = rules_of(v.validate(replica_shares_different_vmotion_networks()), "PR-7")
    assert [(h.host, h.object) for h in hits] == [(H2, "network:replica")]
    assert "10.20.0.0/24" in hits[0].change


def test_pr1_reports_the_host_without_a_replica():
    hits = rules_of(v.validate(replica_on_one_host_only()), "PR-1")
    assert [(h.host, h.object) for h in hits] == [(H2, "network:replica")] and H in hits[0].found


# --- the bad inputs, through model -> planner -> validator --------------------------


def _refused_by(cases: list[v.Case]) -> list[str]:
    return [f.rule for f in v.refusals(v.validate(cases))]


ISSUE6 = [
    ("vmotion-two-subnets", lambda: [case(base(), *vm_specs(addresses=SECOND_SUBNET))], "MV-5"),
    ("vmotion-same-active-uplink", same_active_uplink, "MV-3"),
    ("vmotion-on-iphash", lambda: [case(iphash(), *vm_specs())], "MV-6"),
    ("vmotion-netstack-plus-default-service", set_on_vmotion_stack_next_to_default_set, "MV-8"),
    ("replica-in-management-subnet", replica_in_management_subnet, "PR-2"),
    ("replica-in-iscsi-subnet", replica_in_iscsi_subnet, "PR-2"),
    ("replica-with-gateway", replica_with_gateway, "PR-4"),
    ("replica-shares-vmotion-not-lowest", replica_shares_vmotion_not_lowest, "PR-7"),
]


@pytest.mark.parametrize("cases, rule", [c[1:] for c in ISSUE6], ids=[c[0] for c in ISSUE6])
def test_issue6_bad_input_is_refused_by_its_rule(cases, rule):
    assert rule in _refused_by(cases())
