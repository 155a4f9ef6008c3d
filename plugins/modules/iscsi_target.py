#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_params import PROFILE_NAMES, UPDATE_SECRET_ARGSPEC, chap_options, iscsi_target_desired
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._module import fabric_module, run_converge

OPTIONS = {
    "login_timeout": {"type": "int"},
    "delayed_ack": {"type": "bool"},
    "noop_timeout": {"type": "int"},
    "noop_interval": {"type": "int"},
}

TARGET = dict(OPTIONS, address={"type": "str", "required": True}, port={"type": "int", "default": 3260},
              state={"type": "str", "choices": ["present", "absent"], "default": "present"}, **chap_options())

ARGUMENT_SPEC = {
    "adapter": {"type": "str"},
    "profile": {"type": "str", "choices": list(PROFILE_NAMES)},
    "send_targets": {"type": "list", "elements": "dict", "default": [],
                     "options": dict(TARGET, profile={"type": "str", "choices": list(PROFILE_NAMES)})},
    "static_targets": {"type": "list", "elements": "dict", "default": [],
                       "options": dict(TARGET, iscsi_name={"type": "str", "required": True})},
    "adapter_options": {"type": "dict", "options": OPTIONS},
    "purge": {"type": "bool", "default": False},
    "rescan": {"type": "bool", "default": True},
    "update_secret": UPDATE_SECRET_ARGSPEC,
}

FLAGS = ("allow_path_disruption", "allow_routed_port_binding", "allow_adapter_level_params", "allow_profile_deviation")


def main() -> None:
    module = fabric_module(ARGUMENT_SPEC, flags=FLAGS)
    run_converge(module, iscsi_target_desired)


if __name__ == "__main__":
    main()
