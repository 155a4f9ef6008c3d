# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validator's NS rules (netstacks), and the family's rows of the rule table.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.
"""

from __future__ import annotations

from collections.abc import Iterator

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Finding,
    is_set,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import (
    DEDICATED_STACKS,
    match_vmk,
    wants_recreate,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import (
    ERROR,
    HOST,
    WARNING,
    Case,
    Rule,
    finding,
    managed,
    name_list,
    spec_obj,
    vmk_obj,
)


def ns1_netstack_change(case: Case) -> Iterator[Finding]:
    """The task moves an existing vmk to another netstack (only by delete and recreate)."""
    for spec in case.desired.vmks:
        if not wants_recreate(case.observed, spec):
            continue
        vmk = match_vmk(case.observed, spec)
        if vmk is None:  # wants_recreate only holds for an observed vmk
            continue
        yield finding("NS-1", case.host, vmk_obj(vmk),
                      "%s is on netstack %s; the task asks for netstack %s" % (vmk.device, vmk.netstack, spec.netstack),
                      "set allow_recreate: true to remove and recreate %s on %s, or set netstack: %s"
                      % (vmk.device, spec.netstack, vmk.netstack))


def ns2_service_not_allowed(case: Case) -> Iterator[Finding]:
    """A service on a netstack that does not carry it, or one the host's ESXi version lacks."""
    for spec, vmk in managed(case):
        if not is_set(spec.services):
            continue
        stack = spec.netstack if is_set(spec.netstack) else (vmk.netstack if vmk else "default")
        obj = vmk_obj(vmk) if vmk else spec_obj(case, spec)
        for service in sorted(spec.services):
            if stack in DEDICATED_STACKS and service != DEDICATED_STACKS[stack]:
                yield finding("NS-2", case.host, obj,
                              "service %s requested on netstack %s, which carries %s only"
                              % (service, stack, DEDICATED_STACKS[stack]),
                              "remove %s from services, or use netstack: default" % service)
            elif service not in case.observed.nic_types:
                yield finding("NS-2", case.host, obj,
                              "service %s is not offered by this host (ESXi %s offers %s)"
                              % (service, case.observed.version or "?", name_list(sorted(case.observed.nic_types))),
                              "remove %s from services" % service)


def ns3_service_disabled_by_stack(case: Case) -> Iterator[Finding]:
    """vMotion (provisioning) tagged on a default-stack vmk while the dedicated stack has a vmk."""
    stacks = {v.netstack for v in case.after.vmks.values()}
    for spec, vmk in managed(case):
        if vmk is None or vmk.netstack != "default" or not is_set(spec.services):
            continue
        for stack, service in sorted(DEDICATED_STACKS.items()):
            if service in spec.services and stack in stacks:
                yield finding("NS-3", case.host, vmk_obj(vmk),
                              "%s tagged on %s (netstack default) while a vmk exists on netstack %s"
                              % (service, vmk.device, stack),
                              "remove %s from services (ESXi uses the %s netstack for it)" % (service, stack))


def ns4_unknown_netstack(case: Case) -> Iterator[Finding]:
    """The requested netstack is not an instance on the host (and vSAN has no stack)."""
    for spec in case.desired.vmks:
        if spec.state != "present" or not is_set(spec.netstack):
            continue
        if spec.netstack == "vsan" or spec.netstack not in case.observed.netstacks:
            yield finding("NS-4", case.host, "netstack:%s [%s]" % (spec.netstack, spec_obj(case, spec)),
                          "netstack %s does not exist on this host (netstacks %s)"
                          % (spec.netstack, name_list(sorted(case.observed.netstacks))),
                          "set netstack to one of %s" % name_list(sorted(case.observed.netstacks)))


RULES: tuple[Rule, ...] = (
    Rule("NS-4", ERROR, HOST, ns4_unknown_netstack, "vSphere API HostNetStackInstanceSystemStackKey; Terraform #1593",
         step=1),
    Rule("NS-2", ERROR, HOST, ns2_service_not_allowed,
         "Terraform provider service precheck; community.vmware vmware_vmkernel; vSphere API VirtualNicManager.NicType"),
    Rule("NS-3", WARNING, HOST, ns3_service_disabled_by_stack, "vSphere 8 Networking, TCP/IP stacks"),
    Rule("NS-1", ERROR, HOST, ns1_netstack_change,
         "vSphere API HostVirtualNicSpec.netStackInstanceKey; Terraform vsphere_vnic (ForceNew); ansible/ansible #48706",
         flag="allow_recreate", step=4),
)
