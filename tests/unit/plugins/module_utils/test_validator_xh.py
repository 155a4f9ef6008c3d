# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Cross-host rules XH-2..XH-5: one logical network (port group name) agrees on subnet, VLAN and MTU;
hosts using one array agree on its send targets."""

from __future__ import annotations

from typing import Any

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _validator as v
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import Finding, Host, IpSpec
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import plan_host
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import logical_networks
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

HOSTS = ("esx01.lab.local", "esx02.lab.local", "esx03.lab.local")


def case(host: Host, *specs: Any) -> v.Case:
    d = b.desired(*specs, host=host.name)
    return v.Case(host, d, plan_host(host, d))


def iscsi(n: int, address: str = "", netmask: str = "255.255.255.0", **kw: Any) -> Any:
    """The iSCSI-A vmk spec of host esx0N (10.10.40.1N/24 unless told otherwise)."""
    return b.vmk_spec("iSCSI-A", ip=IpSpec(address=address or "10.10.40.%d" % (10 + n), netmask=netmask), **kw)


def cluster(*per_host: dict) -> list[v.Case]:
    """One case per host: storage host + the iSCSI-A spec with the given overrides."""
    return [case(b.storage_host(HOSTS[i]), iscsi(i + 1, **kw)) for i, kw in enumerate(per_host)]


def hits(cases: list[v.Case], rule: str) -> list[Finding]:
    return [f for f in v.validate(cases) if f.rule == rule]


CONSISTENT = ({"vlan": 40, "mtu": 9000}, {"vlan": 40, "mtu": 9000}, {"vlan": 40, "mtu": 9000})


@pytest.mark.parametrize("rule", ["XH-2", "XH-3", "XH-4"])
def test_consistent_network_passes(rule):
    assert not hits(cluster(*CONSISTENT), rule)


def test_xh2_other_subnet_on_one_host_is_refused_on_that_host():
    cases = cluster({}, {"address": "10.10.41.12"}, {})
    (f,) = hits(cases, "XH-2")
    assert (f.host, f.severity, f.object) == (HOSTS[1], "error", "vmk:vmk2 [network:iSCSI-A]")
    assert "10.10.41.0/24" in f.found and "10.10.40.0/24" in f.found and HOSTS[0] in f.found and HOSTS[2] in f.found
    assert "10.10.40.0/24" in f.change and "ip.address" in f.change and f.source == v.RULE_INDEX["XH-2"].source


def test_xh2_other_prefix_is_another_subnet():
    (f,) = hits(cluster({}, {}, {"netmask": "255.255.0.0"}), "XH-2")
    assert f.host == HOSTS[2] and "10.10.0.0/16" in f.found


def test_xh2_tie_keeps_the_first_host_as_reference():
    (f,) = hits(cluster({}, {"address": "10.10.41.12"}), "XH-2")
    assert f.host == HOSTS[1] and "10.10.40.0/24" in f.change


def test_xh2_skips_dhcp_members():
    cases = cluster({}, {})
    cases.append(case(b.storage_host(HOSTS[2]), b.vmk_spec("iSCSI-A", ip=IpSpec(dhcp=True))))
    assert not hits(cases, "XH-2")


def test_xh3_other_vlan_is_refused_on_that_host():
    (f,) = hits(cluster({"vlan": 40}, {"vlan": 40}, {"vlan": 41}), "XH-3")
    assert (f.host, f.severity) == (HOSTS[2], "error")
    assert f.object == "portgroup:vSwitch1/iSCSI-A [vmk:vmk2]"
    assert "VLAN 41" in f.found and "VLAN 40" in f.found and f.change == "set vlan: 40 on port group iSCSI-A of %s" % HOSTS[2]


def test_xh4_other_mtu_is_a_warning_on_that_host():
    (f,) = hits(cluster({"mtu": 9000}, {"mtu": 1500}, {"mtu": 9000}), "XH-4")
    assert (f.host, f.severity) == (HOSTS[1], "warning")
    assert "mtu 1500" in f.found and "mtu 9000" in f.found and "set mtu: 9000 on vmk2" in f.change


def test_single_host_never_fires():
    assert not [f for f in v.validate(cluster({"vlan": 41})) if f.rule.startswith("XH")]


def test_logical_network_is_the_portgroup_name_and_only_managed_ones_count():
    # vmk1 (Base-A) is observed, unmanaged and inconsistent: VLAN 20 on esx01, VLAN 21 on esx02.
    h1 = b.storage_host(HOSTS[0])
    h2 = b.with_vmk(b.with_vswitch(b.demo_host(HOSTS[1])), "vmk1", "Base-A", "10.10.21.12", vlan=21)
    cases = [case(h1, iscsi(1)), case(h2, iscsi(2))]
    assert sorted(logical_networks(cases)) == ["iSCSI-A"]
    assert not [f for f in v.validate(cases) if f.rule in ("XH-2", "XH-3")]
    managed = [case(h1, b.vmk_spec("Base-A", vswitch="vSwitch1")), case(h2, b.vmk_spec("Base-A", vswitch="vSwitch1"))]
    assert {f.rule for f in v.validate(managed) if f.rule.startswith("XH")} == {"XH-2", "XH-3"}


def test_members_include_unmanaged_vmks_of_a_managed_network():
    h2 = b.with_vmk(b.with_vswitch(b.demo_host(HOSTS[1])), "vmk1", "iSCSI-A", "10.10.99.12", vlan=0)
    cases = [case(b.storage_host(HOSTS[0]), iscsi(1)), case(h2)]
    members = logical_networks(cases)["iSCSI-A"]
    assert [(c.host, vmk.device) for c, vmk in members] == [(HOSTS[0], "vmk2"), (HOSTS[1], "vmk1")]
    assert [f.host for f in hits(cases, "XH-2")] == [HOSTS[1]]


def test_cross_host_rules_are_rows_of_step_3():
    rows = {r.rule: r for r in v.RULES if r.rule.startswith("XH")}
    assert sorted(rows) == ["XH-1", "XH-2", "XH-3", "XH-4", "XH-5"]
    assert all(r.scope == v.CROSS_HOST and r.step == 3 and r.source for r in rows.values())
    assert (rows["XH-2"].severity, rows["XH-3"].severity, rows["XH-4"].severity) == ("error", "error", "warning")
    assert rows["XH-5"].severity == "warning"


# --- XH-5: hosts that use one array have the same send targets and send-target parameters ---

def _array_cases(*per_host: dict) -> list[v.Case]:
    """One iscsi_host per entry; ``extra`` adds a second send target, ``options`` sets its values."""
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import IscsiSpec, TargetSpec
    out = []
    for i, kw in enumerate(per_host):
        host = b.iscsi_host(HOSTS[i])
        sends = [TargetSpec(address="10.10.20.100", options=kw.get("options", {"LoginTimeout": 30}))]
        if kw.get("extra"):
            sends.append(TargetSpec(address=kw["extra"]))
        out.append(case(host, IscsiSpec(send_targets=tuple(sends))))
    return out


def test_xh5_same_targets_and_values_pass():
    assert not hits(_array_cases({}, {}, {}), "XH-5")


def test_xh5_other_send_target_list_warns_on_the_deviating_host():
    (f,) = hits(_array_cases({}, {"extra": "10.10.20.120"}, {}), "XH-5")
    assert (f.host, f.severity, f.object) == (HOSTS[1], "warning", "hba:vmhba64")
    assert "10.10.20.120:3260" in f.found and HOSTS[0] in f.found and HOSTS[0] in f.change


def test_xh5_other_send_target_values_warn_naming_the_option():
    (f,) = hits(_array_cases({}, {}, {"options": {"LoginTimeout": 60}}), "XH-5")
    assert (f.host, f.object) == (HOSTS[2], "target:vmhba64/10.10.20.100:3260")
    assert "LoginTimeout" in f.found and f.source == v.RULE_INDEX["XH-5"].source


def test_xh5_a_single_host_of_an_array_has_nothing_to_compare():
    assert not hits(_array_cases({"options": {"LoginTimeout": 60}}), "XH-5")
