# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers to look into the canonical documents modules return, and the storage fabric the
iSCSI tests build (vSwitch1, two iSCSI vmks with active/unused overrides, software iSCSI with both bound)."""

from __future__ import annotations

import os
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
