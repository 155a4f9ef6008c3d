# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers to look into the canonical documents modules return, and the storage fabric the
iSCSI tests build (vSwitch1, two iSCSI vmks with active/unused overrides, software iSCSI with both bound)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import yaml

_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
with open(os.path.join(_ROOT, "playbooks", "vars", "reference_fabric.yml"), encoding="utf-8") as _fh:
    REFERENCE = yaml.safe_load(_fh)["fabric_config"]
    """The reference fabric (host -> document) that make demo converges."""
with open(os.path.join(_ROOT, "tests", "simulator", "inventories", "demo.yml"), encoding="utf-8") as _fh:
    DEMO_INVENTORY = yaml.safe_load(_fh)
    """The demo inventory, for tests that start a simulator of their own (conftest.own_sim)."""

HOSTS = ("esx01.lab.local", "esx02.lab.local", "esx03.lab.local", "esx04.lab.local")
C = "Cluster-A"
READ = 2
"""RetrievePropertiesEx calls of a run's one read through vCenter: the inventory's shape (cluster members,
host names, distributed switches), then the full state of the hosts in scope only."""
NETMASK = "255.255.255.0"


def addresses(last_octet_base: int) -> dict[str, str]:
    return {h: "10.10.20.%d" % (last_octet_base + i) for i, h in enumerate(HOSTS)}


ISCSI_FABRIC = [
    {"vmkfabric.vsphere.vswitch": {"cluster": C, "name": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"], "mtu": 9000}},
    {"vmkfabric.vsphere.vmknic": {"cluster": C, "portgroup": "iSCSI-A", "vswitch": "vSwitch1", "mtu": 9000,
                                  "purpose": "iscsi", "ip": {"netmask": NETMASK, "addresses": addresses(11)},
                                  "teaming": {"active": ["vmnic2"], "unused": ["vmnic3"]}}},
    {"vmkfabric.vsphere.vmknic": {"cluster": C, "portgroup": "iSCSI-B", "vswitch": "vSwitch1", "mtu": 9000,
                                  "purpose": "iscsi", "ip": {"netmask": NETMASK, "addresses": addresses(21)},
                                  "teaming": {"active": ["vmnic3"], "unused": ["vmnic2"]}}},
]
BIND = {"vmkfabric.vsphere.iscsi_adapter": {"cluster": C, "software_iscsi": "enabled",
                                            "bindings": [{"portgroup": "iSCSI-A"}, {"portgroup": "iSCSI-B"}]}}


def vmk_of(result: dict[str, Any], host: str, portgroup: str) -> dict[str, Any] | None:
    """The vmk on ``portgroup`` in a result's ``after`` document of ``host``."""
    for vmk in result["after"][host]["vmknics"]:
        if vmk["portgroup"] == portgroup:
            return vmk
    return None


def portgroup_of(doc: dict[str, Any], name: str) -> dict[str, Any] | None:
    for pg in doc["portgroups"]:
        if pg["name"] == name:
            return pg
    return None


def dvs_host(name: str, index: int) -> dict[str, Any]:
    """A host of ``dvs_inventory``: vSwitch0 on vmnic0/1 with vmk0, six 10G NICs."""
    return {"name": name, "version": "8.0.3",
            "pnics": [{"device": "vmnic%d" % n, "link_speed": 10000} for n in range(6)],
            "vswitches": [{"name": "vSwitch0", "uplinks": ["vmnic0", "vmnic1"]}],
            "portgroups": [{"name": "Management Network", "vswitch": "vSwitch0"}],
            "vmks": [{"device": "vmk0", "portgroup": "Management Network", "ip": "192.168.10.1%d" % (index + 1),
                      "netmask": NETMASK, "services": ["management"]}]}


def dvs_inventory(cluster: str, dvs: str, hosts: Sequence[str]) -> dict[str, Any]:
    """A cluster whose distributed switch ``dvs`` has dvUplink1/dvUplink2 on vmnic2/vmnic3 of each host and an
    enhanced-LACP LAG lag1 on vmnic4/vmnic5."""
    return {"vcenter": {"datacenters": [{
        "name": "DC1",
        "clusters": [{"name": cluster, "hosts": [dvs_host(h, i) for i, h in enumerate(hosts)]}],
        "distributed_switches": [{
            "name": dvs, "uplinks": ["dvUplink1", "dvUplink2"], "mtu": 9000,
            "lags": [{"name": "lag1", "mode": "active", "uplinks": 2, "load_balance": "srcDestIpTcpUdpPortVlan"}],
            "hosts": [{"name": h, "pnics": {"vmnic2": "dvUplink1", "vmnic3": "dvUplink2", "vmnic4": "lag1-0",
                                            "vmnic5": "lag1-1"}} for h in hosts]}]}]}}
