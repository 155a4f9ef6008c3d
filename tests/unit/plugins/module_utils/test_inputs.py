# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Values ESXi would accept and write, or refuse only at write time, refused before any connection:
unusable addresses, names outside ESXi's limits, a port 0, a non-vmk device, a declared port group
that would otherwise be dropped. Each error names its field (and host where there is one)."""

from __future__ import annotations

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._fabric import fabric_desired
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_params import iscsi_target_desired
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import OMIT, Flags
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import (
    address_problem,
    name_problem,
    replica_desired,
    vmknic_desired,
    vmotion_desired,
    vswitch_desired,
)
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

H1 = "esx01.lab.local"
MASK = "255.255.255.0"


@pytest.mark.parametrize("address, netmask, fragment", [
    ("10.10.60.0", MASK, "network address of 10.10.60.0/24"),
    ("10.10.60.255", MASK, "broadcast address of 10.10.60.0/24"),
    ("10.10.60.64", "255.255.255.192", "network address of 10.10.60.64/26"),
    ("224.0.0.5", MASK, "multicast"),
    ("0.0.0.0", MASK, "not a host address"),
    ("127.0.0.1", MASK, "loopback"),
    ("255.255.255.255", MASK, "limited broadcast"),
    ("240.0.0.1", MASK, "reserved"),
])
def test_unusable_addresses(address, netmask, fragment):
    assert fragment in address_problem(address, netmask)


@pytest.mark.parametrize("address, netmask", [
    ("10.10.60.11", MASK), ("10.10.60.1", MASK), ("10.10.60.254", MASK),
    ("10.10.60.0", "255.255.255.254"), ("10.10.60.1", "255.255.255.255"),  # /31 and /32 have no network address
    ("169.254.10.10", "255.255.0.0"), ("192.168.10.11", None),
])
def test_usable_addresses(address, netmask):
    assert address_problem(address, netmask) is None


@pytest.mark.parametrize("kind, name, fragment", [
    ("portgroup", "", "non-empty"), ("portgroup", "   ", "non-empty"),
    ("portgroup", "iSCSI\nA", "U+000A"), ("portgroup", "iSCSI\x00", "U+0000"), ("vswitch", "v\tS", "U+0009"),
    ("portgroup", "p" * 60, "at most 59"), ("vswitch", "v" * 33, "at most 32"), ("portgroup", 5, "must be a string"),
])
def test_names_esxi_refuses(kind, name, fragment):
    assert fragment in name_problem(kind, name)


@pytest.mark.parametrize("kind, name", [("portgroup", "p" * 59), ("vswitch", "v" * 32), ("portgroup", "iSCSI A <&>")])
def test_names_esxi_accepts(kind, name):
    assert name_problem(kind, name) is None


def vmknic(**params):
    return dict({"portgroup": "Storage-A", "state": "present", "ip": {"address": "10.10.60.11", "netmask": MASK}}, **params)


@pytest.mark.parametrize("params, field", [
    ({"ip": {"address": "10.10.60.0", "netmask": "255.255.255.0"}}, "ip.address"),
    ({"ip": {"address": "224.0.0.5", "netmask": MASK}}, "ip.address"),
    ({"ip": {"netmask": MASK, "addresses": {H1: "10.10.60.255"}}}, "ip.address"),
    ({"ip": {"address": 10, "netmask": MASK}}, "ip.address"),
    ({"portgroup": ""}, "portgroup"),
    ({"portgroup": "iSCSI\nA"}, "portgroup"),
    ({"portgroup": "x" * 200}, "portgroup"),
    ({"vswitch": "vSwitch\x01"}, "vswitch"),
    ({"device": "eth0"}, "device"),
    ({"device": "vmk"}, "device"),
])
def test_vmknic_refuses_with_the_field(params, field):
    with pytest.raises(ArgumentError) as err:
        vmknic_desired(vmknic(**params), (H1,), False)
    assert err.value.field == field, err.value.message


def test_vmknic_address_error_names_the_host():
    with pytest.raises(ArgumentError) as err:
        vmknic_desired(vmknic(ip={"address": "127.0.0.1", "netmask": MASK}), (H1,), False)
    assert err.value.host == H1 and "loopback" in err.value.message


def test_an_uplink_listed_twice_is_refused():
    with pytest.raises(ArgumentError, match="lists vmnic2 more than once") as err:
        vswitch_desired({"name": "vSwitch1", "uplinks": ["vmnic2", "vmnic2"]}, (H1,))
    assert err.value.field == "uplinks"
    with pytest.raises(ArgumentError, match="more than once") as err:
        fabric_desired("merged", iscsi_host(), {"vswitches": [{"name": "vSwitch1", "uplinks": ["vmnic3", "vmnic3"]}]},
                       Flags())
    assert err.value.field == "config.esx01.lab.local.vswitches[0].uplinks"


def test_vswitch_name_with_a_control_character():
    with pytest.raises(ArgumentError, match="control characters"):
        vswitch_desired({"name": "vSwitch\x1b1"}, (H1,))


def test_vmotion_and_replica_names_and_addresses():
    base = {"uplinks": ["vmnic2", "vmnic3"], "ip": {"netmask": MASK, "addresses": {H1: ["10.20.0.10", "10.20.0.0"]}}}
    with pytest.raises(ArgumentError, match="network address") as err:
        vmotion_desired(base, (H1,), True)
    assert err.value.field == "ip.addresses"
    with pytest.raises(ArgumentError) as err:
        vmotion_desired(dict(base, portgroups=["vMo-A", "bad\nname"]), (H1,), True)
    assert err.value.field == "portgroups[1]"
    with pytest.raises(ArgumentError) as err:
        vmotion_desired(dict(base, portgroup_prefix="p" * 58), (H1,), True)
    assert err.value.field == "portgroup_prefix"
    replica = {"portgroup": "Replica", "ip": {"address": "10.40.0.11", "netmask": MASK}}
    with pytest.raises(ArgumentError) as err:
        replica_desired(dict(replica, gateway="0.0.0.0"), (H1,), False)
    assert err.value.field == "gateway"
    with pytest.raises(ArgumentError) as err:
        replica_desired(dict(replica, portgroup=""), (H1,), False)
    assert err.value.field == "portgroup"


@pytest.mark.parametrize("target, field, fragment", [
    ({"address": "10.10.20.100", "port": 0}, "send_targets[0].port", "between 1 and 65535"),
    ({"address": "10.10.20.100", "port": 65536}, "send_targets[0].port", "between 1 and 65535"),
    ({"address": "10.10.20.100", "port": "x"}, "send_targets[0].port", "integer"),
    ({"address": "224.0.0.5"}, "send_targets[0].address", "multicast"),
    ({"address": "0.0.0.0"}, "send_targets[0].address", "not a host address"),
])
def test_target_port_and_address_are_never_defaulted(target, field, fragment):
    with pytest.raises(ArgumentError, match=fragment) as err:
        iscsi_target_desired({"send_targets": [target]}, (H1,), False)
    assert err.value.field == field


def test_absent_target_on_port_0_is_refused_not_taken_as_3260():
    with pytest.raises(ArgumentError):
        iscsi_target_desired({"send_targets": [{"address": "10.10.20.100", "port": 0, "state": "absent"}]}, (H1,), False)
    (spec,) = iscsi_target_desired({"send_targets": [{"address": "10.10.20.100"}]}, (H1,), False)[H1].iscsi[0].send_targets
    assert spec.port == 3260  # omitted: the iSCSI default


# --- host_fabric documents: every declared field applied, refused or an error ---------------------------


def iscsi_host():
    """demo_host + vSwitch1 + iSCSI-A (vmk1) + a VM port group "VMs" without a vmk on vSwitch1."""
    host = b.with_vswitch(b.demo_host())
    host = b.with_portgroup(host, "iSCSI-A", vlan=20)
    host = b.with_vmk(host, "vmk1", "iSCSI-A", "10.10.20.11")
    return b.with_portgroup(host, "VMs", vlan=30)


def test_a_portgroup_entry_without_its_vmknic_declares_the_vmks_port_group():
    doc = {"portgroups": [{"name": "iSCSI-A", "vlan": 21, "teaming": {"active": ["vmnic2"], "unused": ["vmnic3"]}}]}
    d = fabric_desired("merged", iscsi_host(), doc, Flags())
    (spec,) = d.vmks
    assert (spec.portgroup, spec.device, spec.vlan) == ("iSCSI-A", "vmk1", 21)
    assert spec.teaming.active == ("vmnic2",) and spec.teaming.unused == ("vmnic3",)
    assert spec.ip is OMIT and spec.mtu is OMIT and spec.services is OMIT  # nothing of the vmk itself


def test_replaced_writes_such_a_port_group_whole_but_not_its_vmk():
    d = fabric_desired("replaced", iscsi_host(), {"portgroups": [{"name": "iSCSI-A"}]}, Flags())
    (spec,) = d.vmks
    assert spec.vlan == 0 and spec.mtu is OMIT and spec.netstack is OMIT and spec.services is OMIT


def test_overridden_refuses_a_port_group_listed_without_its_vmk():
    doc = {"portgroups": [{"name": "iSCSI-A", "vlan": 20}], "vswitches": [{"name": "vSwitch1"}]}
    with pytest.raises(ArgumentError, match="lists port group 'iSCSI-A' but not its vmk vmk1") as err:
        fabric_desired("overridden", iscsi_host(), doc, Flags())
    assert err.value.field == "config.esx01.lab.local.portgroups[0]" and err.value.host == H1


def test_a_vm_portgroup_entry_that_matches_the_host_is_checked_and_left_alone():
    assert fabric_desired("merged", iscsi_host(), {"portgroups": [{"name": "VMs", "vlan": 30, "vswitch": "vSwitch1"}]},
                          Flags()).vmks == ()


@pytest.mark.parametrize("entry, field, fragment", [
    ({"name": "VMs", "vlan": 31}, "config.esx01.lab.local.portgroups[0].vlan", "carries no vmk"),
    ({"name": "Nowhere", "vlan": 5}, "config.esx01.lab.local.portgroups[0]", "is not on host"),
])
def test_a_portgroup_entry_that_would_be_dropped_is_an_error(entry, field, fragment):
    with pytest.raises(ArgumentError, match=fragment) as err:
        fabric_desired("merged", iscsi_host(), {"portgroups": [entry]}, Flags())
    assert err.value.field == field


@pytest.mark.parametrize("doc, field", [
    ({"vmknics": [{"portgroup": "New", "vswitch": "vSwitch1", "ip": {"address": "10.10.60.0", "netmask": MASK}}]},
     "config.esx01.lab.local.vmknics[0].ip.address"),
    ({"vmknics": [{"portgroup": "", "vswitch": "vSwitch1"}]}, "config.esx01.lab.local.vmknics[0].portgroup"),
    ({"vmknics": [{"portgroup": "a\nb", "vswitch": "vSwitch1"}]}, "config.esx01.lab.local.vmknics[0].portgroup"),
    ({"portgroups": [{"name": "p" * 60}]}, "config.esx01.lab.local.portgroups[0].name"),
    ({"vswitches": [{"name": "bad\x7fname"}]}, "config.esx01.lab.local.vswitches[0].name"),
    ({"vmknics": [{"portgroup": "New", "vswitch": "vSwitch1", "gateway": "255.255.255.255"}]},
     "config.esx01.lab.local.vmknics[0].gateway"),
    ({"iscsi": [{"send_targets": [{"address": "127.0.0.1"}]}]}, "config.esx01.lab.local.iscsi[0].send_targets[0].address"),
    ({"iscsi": [{"send_targets": [{"address": "10.10.20.100", "port": 0}]}]},
     "config.esx01.lab.local.iscsi[0].send_targets[0].port"),
    ({"vmknics": [{"portgroup": "New", "vswitch": "vSwitch1", "color": "red"}]}, "config.esx01.lab.local.vmknics[0].color"),
])
def test_document_values_refused_with_their_path(doc, field):
    with pytest.raises(ArgumentError) as err:
        fabric_desired("merged", iscsi_host(), doc, Flags())
    assert err.value.field == field, err.value.message
