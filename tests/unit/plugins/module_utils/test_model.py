# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Model normalisation: omitted / inherit / explicit per field, IP shapes, ranges, documents."""

from __future__ import annotations

import copy
import pickle

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import host_to_doc
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    INHERIT,
    OMIT,
    Action,
    Finding,
    Flags,
    Host,
    Ip,
    IpSpec,
    Teaming,
    TeamingSpec,
    Vmk,
    is_set,
    vmk_number,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import (
    ip_for_hosts,
    teaming_from_args,
    vmknic_desired,
    vswitch_desired,
)
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

H1, H2 = "esx01.lab.local", "esx02.lab.local"
SCALARS = {"policy": "failover_explicit", "failback": False, "notify_switches": True,
           "failure_detection": "link_status"}


# --- sentinels -----------------------------------------------------------------------------


def test_sentinels_are_singletons_through_copy_and_pickle():
    for sentinel in (OMIT, INHERIT):
        assert copy.copy(sentinel) is sentinel and copy.deepcopy(sentinel) is sentinel
        assert pickle.loads(pickle.dumps(sentinel)) is sentinel
    assert repr(OMIT) == "OMIT" and repr(INHERIT) == "INHERIT"


@pytest.mark.parametrize("value, expected", [(OMIT, False), (INHERIT, False), (None, True), (0, True), ((), True)])
def test_is_set(value, expected):
    assert is_set(value) is expected


# --- teaming: omitted / inherit / explicit per field ---------------------------------------


@pytest.mark.parametrize("args", [None, {}])
def test_no_teaming_is_all_omitted(args):
    assert teaming_from_args(args).is_omitted


@pytest.mark.parametrize("name, value", sorted(SCALARS.items()))
def test_scalar_field_three_states(name, value):
    omitted = teaming_from_args({"active": ["vmnic0"]})
    assert getattr(omitted, name) is OMIT
    explicit = teaming_from_args({name: value})
    assert getattr(explicit, name) == value
    assert explicit.active is OMIT and explicit.standby is OMIT and explicit.unused is OMIT
    inherited = teaming_from_args({"inherit": [name]})
    assert getattr(inherited, name) is INHERIT and inherited.conflicts == ()


def test_order_three_states():
    assert teaming_from_args({"policy": "srcid"}).active is OMIT
    explicit = teaming_from_args({"active": ["vmnic2"], "unused": ["vmnic3"]})
    assert (explicit.active, explicit.standby, explicit.unused) == (("vmnic2",), (), ("vmnic3",))
    inherited = teaming_from_args({"inherit": ["order"]})
    assert (inherited.active, inherited.standby, inherited.unused) == (INHERIT, INHERIT, OMIT)


def test_inherit_true_inherits_every_field():
    spec = teaming_from_args({"inherit": True})
    assert spec.active is INHERIT and spec.standby is INHERIT
    assert all(getattr(spec, n) is INHERIT for n in SCALARS)


def test_inherit_list_names_only_those_fields():
    spec = teaming_from_args({"inherit": ["policy", "order"], "failback": True})
    assert spec.policy is INHERIT and spec.active is INHERIT and spec.failback is True
    assert spec.notify_switches is OMIT and spec.conflicts == ()


@pytest.mark.parametrize("inherit", [False, None])
def test_inherit_false_is_no_inherit(inherit):
    spec = teaming_from_args({"inherit": inherit, "policy": "srcid"})
    assert spec.policy == "srcid" and spec.active is OMIT


@pytest.mark.parametrize("args, conflicts", [
    ({"inherit": ["policy"], "policy": "srcid"}, ("policy",)),
    ({"inherit": True, "failback": False}, ("failback",)),
    ({"inherit": ["order"], "active": ["vmnic0"]}, ("order",)),
    ({"inherit": ["order"], "unused": ["vmnic0"]}, ("order",)),
    ({"inherit": True, "policy": "srcid", "standby": ["vmnic1"]}, ("policy", "order")),
])
def test_ts7_conflicts_are_recorded(args, conflicts):
    assert teaming_from_args(args).conflicts == conflicts


@pytest.mark.parametrize("args", [{"standby": ["vmnic1"]}, {"unused": ["vmnic1"]}])
def test_active_required_with_standby_or_unused(args):
    with pytest.raises(ArgumentError, match=r"teaming\.active: required when standby or unused"):
        teaming_from_args(args)


@pytest.mark.parametrize("args, field", [
    ({"inherit": ["speed"]}, "teaming.inherit"),
    ({"policy": "roundrobin"}, "teaming.policy"),
    ({"failure_detection": "ping"}, "teaming.failure_detection"),
])
def test_bad_teaming_values(args, field):
    with pytest.raises(ArgumentError) as err:
        teaming_from_args(args)
    assert err.value.field == field


def test_vswitch_teaming_cannot_inherit():
    with pytest.raises(ArgumentError, match="no parent"):
        teaming_from_args({"inherit": True}, allow_inherit=False)


# --- observed teaming helpers --------------------------------------------------------------


def test_teaming_unused_and_merge():
    base = Teaming("srcid", ("vmnic0", "vmnic1"), (), True, True, "link_status")
    override = Teaming(policy="failover_explicit", active=("vmnic1",), standby=())
    assert override.unused(("vmnic0", "vmnic1")) == ("vmnic0",)
    assert Teaming().unused(("vmnic0",)) == ()
    merged = override.merged_over(base)
    assert merged == Teaming("failover_explicit", ("vmnic1",), (), True, True, "link_status")
    assert Teaming().merged_over(base) == base
    assert Teaming().is_empty and not override.is_empty and override.has_order


# --- IP shapes -----------------------------------------------------------------------------


def test_ip_single_host_and_dhcp():
    assert ip_for_hosts({"address": "10.0.0.5", "netmask": "255.255.255.0"}, (H1,), False) == {
        H1: IpSpec(address="10.0.0.5", netmask="255.255.255.0")}
    assert ip_for_hosts({"dhcp": True}, (H1, H2), True) == {H1: IpSpec(dhcp=True), H2: IpSpec(dhcp=True)}
    assert ip_for_hosts(None, (H1,), False) == {H1: OMIT}


def test_ip_cluster_addresses():
    got = ip_for_hosts({"netmask": "255.255.255.0", "addresses": {H1: "10.0.0.11", H2: "10.0.0.12"}},
                       (H1, H2), True)
    assert got[H1].address == "10.0.0.11" and got[H2].address == "10.0.0.12"
    assert got[H1].as_ip() == Ip(address="10.0.0.11", netmask="255.255.255.0")


@pytest.mark.parametrize("ip, hosts, cluster, pattern", [
    ({"address": "10.0.0.5", "netmask": "255.255.255.0"}, (H1, H2), True, "one address per host"),
    ({"netmask": "255.255.255.0", "addresses": {H1: "10.0.0.11"}}, (H1, H2), True, "no address given"),
    ({"netmask": "255.255.255.0", "addresses": {"esx09": "10.0.0.9", H1: "10.0.0.1"}}, (H1,), True, "not in scope"),
    ({"address": "10.0.0.300", "netmask": "255.255.255.0"}, (H1,), False, "not an IPv4 address"),
    ({"address": "10.0.0.3", "netmask": "255.0.255.0"}, (H1,), False, "not a contiguous netmask"),
    ({"address": "10.0.0.3", "netmask": "0.0.0.0"}, (H1,), False, "not a usable netmask"),
    ({"address": "10.0.0.3", "netmask": "garbage"}, (H1,), False, "not an IPv4 address"),
    ({"address": "10.0.0.3"}, (H1,), False, "required with a static address"),
    ({"netmask": "255.255.255.0"}, (H1,), False, "required unless"),
    ({"dhcp": True, "address": "10.0.0.3"}, (H1,), False, "cannot be combined"),
    ({"address": "10.0.0.3", "addresses": {H1: "10.0.0.3"}, "netmask": "255.255.255.0"}, (H1,), False, "not both"),
])
def test_ip_errors(ip, hosts, cluster, pattern):
    with pytest.raises(ArgumentError, match=pattern):
        ip_for_hosts(ip, hosts, cluster)


def test_ip_error_names_the_host():
    with pytest.raises(ArgumentError) as err:
        ip_for_hosts({"address": "10.0.0.300", "netmask": "255.255.255.0"}, (H1,), False)
    assert err.value.host == H1 and "(host %s)" % H1 in err.value.message


def test_ip_network():
    assert str(Ip(address="10.0.0.5", netmask="255.255.255.0").network) == "10.0.0.0/24"
    assert Ip(dhcp=True).network is None and Ip().network is None


# --- vmknic / vswitch arguments --------------------------------------------------------------


def vmknic(**params):
    base = {"portgroup": "Storage-A", "state": "present"}
    base.update(params)
    return base


def test_vmknic_omitted_fields_stay_omitted():
    d = vmknic_desired(vmknic(), (H1,), False)[H1]
    spec = d.vmks[0]
    for name in ("vswitch", "device", "vlan", "ip", "mtu", "netstack", "services"):
        assert getattr(spec, name) is OMIT, name
    assert spec.teaming.is_omitted and spec.purpose == "general" and d.flags == Flags()


def test_vmknic_explicit_fields():
    d = vmknic_desired(vmknic(vswitch="vSwitch1", device="vmk3", vlan=20, mtu=9000, netstack="vmotion",
                              services=["vmotion"], purpose="vmotion", allow_recreate=True,
                              ip={"address": "10.0.0.5", "netmask": "255.255.255.0"},
                              teaming={"active": ["vmnic2"], "standby": ["vmnic3"]}), (H1,), False)[H1]
    spec = d.vmks[0]
    assert (spec.vswitch, spec.device, spec.vlan, spec.mtu, spec.netstack) == ("vSwitch1", "vmk3", 20, 9000, "vmotion")
    assert spec.services == frozenset({"vmotion"}) and spec.purpose == "vmotion"
    assert spec.teaming.active == ("vmnic2",) and d.flags.allow_recreate


def test_vmknic_empty_services_is_explicit():
    assert vmknic_desired(vmknic(services=[]), (H1,), False)[H1].vmks[0].services == frozenset()


def test_vmknic_absent_ignores_ip():
    spec = vmknic_desired(vmknic(state="absent", ip={"address": "bad"}), (H1,), False)[H1].vmks[0]
    assert spec.ip is OMIT and spec.state == "absent"


def test_vmknic_one_desired_per_host():
    out = vmknic_desired(vmknic(ip={"netmask": "255.255.255.0", "addresses": {H1: "10.0.0.1", H2: "10.0.0.2"}}),
                         (H1, H2), True)
    assert set(out) == {H1, H2} and out[H2].host == H2 and out[H2].vmks[0].ip.address == "10.0.0.2"


@pytest.mark.parametrize("params, field", [
    ({"vlan": 4096}, "vlan"), ({"vlan": -1}, "vlan"), ({"mtu": 1279}, "mtu"),
    ({"netstack": "vsan"}, "netstack"), ({"purpose": "backup"}, "purpose"),
])
def test_vmknic_range_errors(params, field):
    with pytest.raises(ArgumentError) as err:
        vmknic_desired(vmknic(**params), (H1,), False)
    assert err.value.field == field


@pytest.mark.parametrize("vlan", [0, 4095])
def test_vmknic_vlan_bounds_accepted(vlan):
    assert vmknic_desired(vmknic(vlan=vlan), (H1,), False)[H1].vmks[0].vlan == vlan


@pytest.mark.parametrize("mtu", [1280, 9000, 9216])
def test_mtu_lower_bound_only_in_model(mtu):
    """Above 9000 is the validator's MTU-3 (a rule finding, not an argument error)."""
    assert vmknic_desired(vmknic(mtu=mtu), (H1,), False)[H1].vmks[0].mtu == mtu


def test_vswitch_desired():
    d = vswitch_desired({"name": "vSwitch1", "uplinks": ["vmnic2"], "mtu": 9000,
                         "teaming": {"policy": "srcid"}}, (H1,))[H1]
    spec = d.vswitches[0]
    assert (spec.uplinks, spec.mtu, spec.teaming.policy, spec.state) == (("vmnic2",), 9000, "srcid", "present")
    omitted = vswitch_desired({"name": "vSwitch1"}, (H1,))[H1].vswitches[0]
    assert omitted.uplinks is OMIT and omitted.mtu is OMIT and omitted.teaming.is_omitted
    assert vswitch_desired({"name": "vSwitch1", "uplinks": []}, (H1,))[H1].vswitches[0].uplinks == ()


@pytest.mark.parametrize("params, pattern", [
    ({"name": "x" * 33}, "32 characters"),
    ({"name": "vSwitch1", "mtu": 1000}, "1280"),
    ({"name": "vSwitch1", "teaming": {"inherit": True}}, "no parent"),
])
def test_vswitch_errors(params, pattern):
    with pytest.raises(ArgumentError, match=pattern):
        vswitch_desired(params, (H1,))


# --- observed host helpers and documents -----------------------------------------------------


def test_management_vmks_and_next_device():
    host = b.with_vmk(b.storage_host(), "vmk3", "Mgmt-2", "10.9.9.9", services=("management",))
    assert host.management_vmks == frozenset({"vmk0", "vmk3"})
    assert host.next_vmk_device() == "vmk2"
    assert host.next_vmk_device(frozenset({"vmk2"})) == "vmk4"
    assert Host("h").next_vmk_device() == "vmk0" and Host("h").management_vmks == frozenset()
    assert host.vmk_on_portgroup("Base-A").device == "vmk1" and host.vmk_on_portgroup("nope") is None


@pytest.mark.parametrize("bad", ["vmk", "vmkx", "eth0", "vmk-1"])
def test_vmk_number_rejects(bad):
    with pytest.raises(ValueError):
        vmk_number(bad)


def test_host_to_doc_order_and_shape():
    host = b.with_vmk(b.storage_host(), "vmk10", "Z-PG", "10.10.30.5")
    host = b.with_vmk(host, "vmk2", "A-PG", address=None)
    doc = host_to_doc(host)
    assert [s["name"] for s in doc["vswitches"]] == ["vSwitch0", "vSwitch1"]
    assert [p["name"] for p in doc["portgroups"]] == sorted(host.portgroups)
    assert [v["device"] for v in doc["vmknics"]] == ["vmk0", "vmk1", "vmk2", "vmk10"]
    base = next(p for p in doc["portgroups"] if p["name"] == "Base-A")
    assert base["teaming"] == {"active": ["vmnic2"], "standby": [], "unused": ["vmnic3"]} and base["vlan"] == 20
    vm_net = next(p for p in doc["portgroups"] if p["name"] == "VM Network")
    assert vm_net["teaming"] == {}
    sw0 = doc["vswitches"][0]
    assert sw0["teaming"]["active"] == ["vmnic0", "vmnic1"] and sw0["teaming"]["unused"] == []
    assert doc["vmknics"][2]["ip"] == {"dhcp": True}
    assert doc["vmknics"][0]["services"] == ["management"] and "gateway" not in doc["vmknics"][0]


def test_host_to_doc_gateway():
    vmk = Vmk("vmk1", "pg", "vSwitch0", Ip(address="1.1.1.1", netmask="255.0.0.0"), gateway="1.0.0.254")
    assert host_to_doc(Host("h", vmks={"vmk1": vmk}))["vmknics"][0]["gateway"] == "1.0.0.254"


def test_action_and_finding_forms():
    a = Action(H1, "edit", "vmk", "vmk1", {"mtu": (1500, 9000), "ip": ([1], [2])})
    assert a.describe() == "edit vmk vmk1 (ip: [1] -> [2], mtu: 1500 -> 9000)"
    assert a.as_dict()["changes"]["mtu"] == {"before": 1500, "after": 9000}
    assert Action(H1, "remove", "vmk", "vmk1").describe() == "remove vmk vmk1"
    f = Finding("MTU-10", "error", H1, "vmk:vmk1", "found", "change", "src")
    assert f.sort_key() == (H1, ("MTU", 10), "vmk:vmk1") and f.is_error
    assert "source: src" in f.render() and "source" not in Finding("X", "warning", H1, "o", "f", "c").render()
    assert Finding("ODD", "warning", H1, "o", "f", "c").sort_key()[1] == ("ODD", 0)


def test_teaming_spec_defaults():
    assert TeamingSpec().is_omitted and not TeamingSpec(policy="srcid").is_omitted


def test_loadbased_is_a_teaming_policy_of_distributed_switches():
    """Accepted as an argument (a dvPortgroup may use it); rule TS-6 refuses it on a standard switch."""
    assert teaming_from_args({"policy": "loadbased"}).policy == "loadbased"
