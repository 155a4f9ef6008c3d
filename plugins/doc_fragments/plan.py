# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Plan/validate/apply behaviour, the opt-in safety flags and the return contract of mutating modules."""

from __future__ import annotations


class ModuleDocFragment:

    # The pipeline every mutating module runs, and its check/diff support.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Runs the same read, plan and validation as a real run and stops before the first write.
      RV(after) is then the predicted state.
    support: full
  diff_mode:
    description: Returns the canonical before and after document of every host that changes.
    support: full
  action_group:
    description: Use C(group/vmkfabric.vsphere.vsphere) in C(module_defaults) to set the connection options once.
    support: full
    membership:
      - vmkfabric.vsphere.vsphere
notes:
  - "Every run reads the selected hosts, plans the change, validates the plan of ALL hosts together against the
    safety rules and only then writes. Any error finding refuses the whole run: nothing is written on any host,
    the task fails with RV(refused) and RV(findings), also in check mode. Warnings are reported as Ansible warnings
    and in RV(findings); a rule found more than five times in one run is one Ansible warning (how many, on which
    hosts, the first finding), and every finding stays in RV(findings)."
  - "Just before the first write, the hosts about to be written are read again (one PropertyCollector call for all
    of them, plus C(QueryBoundVnics) per iSCSI adapter where the plan touches iSCSI or a vmk that might be bound).
    If anything the plan depends on changed since the first read, the run is refused with rule SF-10 and nothing
    is written: re-run the task. A run that writes nothing (and check mode) does not pay for this re-read."
  - "If state a rule needs could not be read (for example C(QueryBoundVnics) failed), a plan that touches iSCSI or
    a vmk that might be bound is refused with rule SF-9; the validator never guesses."
  - An omitted option never changes the host. Nothing is reset to a default.
  - All vSwitch, port-group and vmk changes of one host are written in one C(UpdateNetworkConfig) call; service
    (tag) changes follow, one call each.
options:
  warnings_as_errors:
    description:
      - Warning rules of the catalog that refuse this run as if they were errors, for example V([XH-4]) to refuse
        different MTUs for one logical network on different hosts, or V([all]) for every warning rule.
      - The findings are reported with severity V(error) and the run writes nothing. An unknown ID, or the ID of a
        rule that is an error anyway, fails the task before any connection is made.
    type: list
    elements: str
    default: []
"""

    # Flags of the vmknic module.
    VMKNIC_FLAGS = r"""
options:
  allow_recreate:
    description:
      - Allow a change of C(netstack) on an existing vmk by removing and re-creating it (rule NS-1). Without it,
        a netstack change is refused.
    type: bool
    default: false
  allow_no_active_uplink:
    description:
      - Accept a teaming override with no active uplink on a port group that carries a vmk (rule TS-4 becomes a
        warning).
    type: bool
    default: false
"""

    # Flags of every module that can change a switch or port group (vswitch, vmknic).
    SWITCH_FLAGS = r"""
options:
  allow_management_path_change:
    description:
      - Accept changes to a switch or port group that carries a management vmk (rule SF-2 becomes a warning), and the
        migration of a management vmk between a standard and a distributed switch (rule MG-3). Never lifts the
        protection of vmk0 and management vmks themselves against any other change (rule SF-1).
    type: bool
    default: false
  physical_etherchannel_confirmed:
    description:
      - State that the upstream physical switch has a static port channel matching the uplinks, so IP hash may be
        used (rule IP-5 becomes a warning).
    type: bool
    default: false
"""

    # Flags of the iSCSI modules (iscsi_adapter, iscsi_target).
    ISCSI_FLAGS = r"""
options:
  allow_path_disruption:
    description:
      - Accept a step that unbinds a vmk or removes a target that carries active storage paths (rule SF-4 becomes a
        warning), and let a change to a bound vmk unbind, change and rebind it (rule SF-3). Removing the last active
        path to storage is refused even with this flag.
      - Also accept migrating a bound vmk that carries the last active path to storage between a standard and a
        distributed switch (rule MG-2) - the host has no path while it moves.
    type: bool
    default: false
  allow_routed_port_binding:
    description:
      - Accept target portals outside the subnet of the bound vmks (rule PB-7 becomes a warning). Each bound vmk then
        needs its own gateway override (rule PB-8).
    type: bool
    default: false
"""

    # Flags of iscsi_target.
    TARGET_FLAGS = r"""
options:
  allow_adapter_level_params:
    description:
      - Accept C(adapter_options), which apply to every target of the adapter, and options on static targets
        discovered from a send target (rule TP-3 becomes a warning).
    type: bool
    default: false
  allow_profile_deviation:
    description:
      - Accept explicit values that differ from the target's vendor C(profile) (rule TP-5 becomes a warning).
    type: bool
    default: false
"""
