#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._module import TEAMING_ARGSPEC, fabric_module, run_converge
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import vswitch_desired

TEAMING = TEAMING_ARGSPEC

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True, "aliases": ["switch", "switch_name"]},
    "uplinks": {"type": "list", "elements": "str", "aliases": ["nics"]},
    "mtu": {"type": "int"},
    "teaming": {"type": "dict", "options": TEAMING},
    "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
}

FLAGS = ("allow_management_path_change", "physical_etherchannel_confirmed")


def main() -> None:
    module = fabric_module(ARGUMENT_SPEC, flags=FLAGS)
    run_converge(module, lambda params, hosts, cluster_mode: vswitch_desired(params, hosts))


if __name__ == "__main__":
    main()
