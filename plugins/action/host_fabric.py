# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action of the host_fabric module: in ansible-playbook's process when the module would run on this machine with
this Python anyway, else as a module process (see plugin_utils/_in_process)."""

from __future__ import annotations

from ansible_collections.vmkfabric.vsphere.plugins.plugin_utils._in_process import InProcessAction


class ActionModule(InProcessAction):
    pass
