#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import DVS_POLICIES
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._module import TEAMING_ARGSPEC, fabric_module, run_converge
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import replica_desired

# loadbased exists on distributed switches only (rule TS-6 refuses it on a standard one)
TEAMING = dict(TEAMING_ARGSPEC, inherit={"type": "raw"}, policy={"type": "str", "choices": list(DVS_POLICIES)})

ARGUMENT_SPEC = {
    "portgroup": {"type": "str", "required": True, "aliases": ["portgroup_name"]},
    "vswitch": {"type": "str", "aliases": ["vswitch_name"]},
    "dvswitch": {"type": "str", "aliases": ["dvswitch_name"]},
    "vlan": {"type": "int"},
    "mtu": {"type": "int"},
    "ip": {"type": "dict", "options": {
        "address": {"type": "str"},
        "netmask": {"type": "str"},
        "addresses": {"type": "dict"},
    }},
    "gateway": {"type": "str"},
    "shared_with_vmotion": {"type": "bool", "default": False},
    "services": {"type": "list", "elements": "str"},
    "teaming": {"type": "dict", "options": TEAMING},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}


def main() -> None:
    module = fabric_module(ARGUMENT_SPEC)
    run_converge(module, replica_desired)


if __name__ == "__main__":
    main()
