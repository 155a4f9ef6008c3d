#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import FabricError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_params import chap_secrets
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._offline import FAIL_ON, run
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._policies import HAS_JMESPATH, JMESPATH_IMPORT_ERROR
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._validator import FLAG_RULES, warning_lines

ARGUMENT_SPEC = {
    "config": {"type": "dict", "required": True},
    "gathered": {"type": "dict"},
    "policies": {"type": "list", "elements": "dict"},
    "fail_on": {"type": "str", "choices": list(FAIL_ON), "default": "error"},
}
ARGUMENT_SPEC.update({name: {"type": "bool", "default": False} for name in FLAG_RULES})  # every rule's opt-in


def main() -> None:
    # No connection options: this module never talks to vCenter/ESXi (see the module docs).
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.no_log_values.update(chap_secrets(module.params))  # CHAP secrets nested in the documents: masked too
    if module.params["policies"] and not HAS_JMESPATH:
        module.fail_json(msg=missing_required_lib("jmespath"), exception=JMESPATH_IMPORT_ERROR)
    try:
        failed, result = run(module.params)
    except FabricError as err:
        module.fail_json(msg=err.message, changed=False)
    if failed:
        module.fail_json(msg=failed, changed=False, **result)
    for line in warning_lines(result["findings"]):
        module.warn(line)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
