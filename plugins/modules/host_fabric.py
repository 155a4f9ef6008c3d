#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._fabric import STATES
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_params import UPDATE_SECRET_ARGSPEC
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._module import FLAG_ARGSPEC, fabric_module, run_fabric

ARGUMENT_SPEC = {
    "state": {"type": "str", "choices": list(STATES), "default": "merged"},
    "config": {"type": "dict"},
    "update_secret": UPDATE_SECRET_ARGSPEC,
}


def main() -> None:
    run_fabric(fabric_module(ARGUMENT_SPEC, flags=tuple(FLAG_ARGSPEC)))


if __name__ == "__main__":
    main()
