#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_params import UPDATE_SECRET_ARGSPEC, chap_options, iscsi_adapter_desired
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._module import fabric_module, run_converge

ARGUMENT_SPEC = {
    "software_iscsi": {"type": "str", "choices": ["enabled", "disabled"]},
    "adapter": {"type": "str"},
    "iqn": {"type": "str"},
    "alias": {"type": "str"},
    "bindings": {"type": "list", "elements": "raw"},
    "purge_bindings": {"type": "bool", "default": False},
    "update_secret": UPDATE_SECRET_ARGSPEC,
    **chap_options(),
}

FLAGS = ("allow_path_disruption", "allow_routed_port_binding")


def main() -> None:
    module = fabric_module(ARGUMENT_SPEC, flags=FLAGS)
    run_converge(module, iscsi_adapter_desired)


if __name__ == "__main__":
    main()
