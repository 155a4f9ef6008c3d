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
  parallel_hosts:
    description:
      - How many hosts of O(cluster) are read and written at the same time (1 to 32). V(1) serves the hosts one
        after the other, in name order.
      - Every host is validated before anything is written, whatever the value. When a write fails on one host,
        no further host is started, the hosts already running finish their current step, and the result lists
        per host what was done and what was not (C(steps)).
      - Results, plans and errors come in host name order whatever the value.
    type: int
    default: 8
"""
