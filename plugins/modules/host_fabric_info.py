#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._module import fabric_module, run_gather


def main() -> None:
    run_gather(fabric_module({}, plan=False))


if __name__ == "__main__":
    main()
