# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Host selection shared by every module (mirrors ``_module.SELECTION_ARGSPEC``)."""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  esxi_hostname:
    description:
      - The ESXi host to manage, as vCenter knows it. Through vCenter the name is matched exactly, then
        case-insensitively.
      - When O(hostname) is the ESXi host itself, its only host is managed and results are keyed by this name.
      - Exactly one of O(esxi_hostname) and O(cluster) is required.
    type: str
  cluster:
    aliases: [cluster_name]
    description:
      - Manage every host of this vCenter cluster in one run, with one login and one read for all hosts.
      - All hosts are validated together before anything is written; one refusal stops every host.
      - Exactly one of O(esxi_hostname) and O(cluster) is required.
    type: str
"""
