#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._module import fabric_module, run_converge
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import VMOTION_NETSTACKS, vmotion_desired

ARGUMENT_SPEC = {
    "vswitch": {"type": "str", "aliases": ["vswitch_name"]},
    "dvswitch": {"type": "str", "aliases": ["dvswitch_name"]},
    "uplinks": {"type": "list", "elements": "str"},
    "portgroup_prefix": {"type": "str"},
    "portgroups": {"type": "list", "elements": "str"},
    "vlan": {"type": "int"},
    "mtu": {"type": "int"},
    "netstack": {"type": "str", "choices": list(VMOTION_NETSTACKS), "default": "default"},
    "ip": {"type": "dict", "options": {
        "netmask": {"type": "str"},
        "addresses": {"type": "raw"},
    }},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}

FLAGS = ("allow_recreate",)


def main() -> None:
    module = fabric_module(ARGUMENT_SPEC, flags=FLAGS, one_of=[("vswitch", "dvswitch")])
    run_converge(module, vmotion_desired)


if __name__ == "__main__":
    main()
