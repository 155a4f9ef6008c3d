#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import FabricError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._report import run

ARGUMENT_SPEC = {
    "gathered": {"type": "dict", "required": True},
    "plan": {"type": "dict"},
    "dest": {"type": "path", "required": True},
    "junit": {"type": "path"},
    "title": {"type": "str", "default": "Fabric report"},
}


def main() -> None:
    # No connection options: this module never talks to vCenter/ESXi (see the module docs).
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    try:
        result = run(module.params, module.check_mode)
    except FabricError as err:
        module.fail_json(msg=err.message, changed=False)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
