# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The apply orchestration: validated plans of every host -> the writes, in a safe order, then the read-back.

Private to this collection. Imports no pyVmomi itself (the appliers next to it do).

Order (``apply_all``): the switch-wide dvPortgroup writes once per vCenter (``_dvs``), then per host its
iSCSI removals, its one all-or-nothing ``UpdateNetworkConfig`` (a migration of bound iSCSI vmks: one per step,
each moved path read back before the next) and its service tags (``_network``), then
software iSCSI on for every host that needs it with one read for the new adapters, then the iSCSI additions
(``_iscsi``). ``read_back`` re-reads the iSCSI state of the hosts that got iSCSI calls and checks it against
the plan. Every confirmed call is recorded in ``_progress`` so a failure reports, per host, what was done.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._apply._dvs import apply_switches, remove_portgroups
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._apply._iscsi import Call, build_calls, enables_software, run_calls, verify
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._apply._network import (
    apply_host,
    apply_post,
    build_batches,
    host_steps,
    path_checks,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._client import Session
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ApplyError, StateReadError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import Host
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._parallel import each
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import Plan
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._progress import VCENTER, Progress
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._reader import Observation, read_iscsi, software_adapters


def apply_all(plans: Mapping[str, Plan], obs: Observation, s: Session, progress: Progress
              ) -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]], dict[str, str]]:
    """Write the switch-wide dvPortgroups once (creates and edits first, removals last), then the changed
    hosts in name order, ``s.parallel`` at a time, in three passes: (1) each host's iSCSI removals, its
    one UpdateNetworkConfig and its service tags; (2) software iSCSI on where the plans enable it, then
    one read for all the new adapters (their names are the host's choice); (3) each host's iSCSI
    additions. ``progress`` records every confirmed call (``_progress``), so a failure reports per host
    what was done; after a failure no host starts a new step, and the hosts writing at that moment
    finish the call in flight.

    A host's first write is its all-or-nothing UpdateNetworkConfig where it has one: a run that lost
    a race to a concurrent one (which created the same port groups or vmks after this run's SF-10
    re-read) stops at that call having written nothing on that host.

    Returns (host -> {planned vmk: real vmk}, host -> {planned adapter: real adapter}, planned ->
    real dvPortgroup key) for what was written; only hosts with iSCSI calls appear in the second map.
    """
    calls = {h: build_calls(p.actions, obs.hosts[h], p.after) for h, p in plans.items() if p.changed}
    # pure; a host that cannot be written fails here, before any write
    batches = {h: build_batches(plans[h], obs.hosts[h], obs.raw[h]) for h in calls}
    checks = {h: path_checks(plans[h], obs.hosts[h]) for h in calls}
    for h, (pre, post) in calls.items():
        progress.planned[h] = host_steps(batches[h], pre, sorted(post, key=lambda c: not enables_software(c)), checks[h])
        progress.of(h)
    progress.attempted = True
    keys = apply_switches(plans, {h: obs.hosts[h].dv_portgroups for h in plans}, obs.network, s, progress.of(VCENTER))
    hosts = sorted(calls)
    adapters: dict[str, dict[str, str]] = {h: {} for h, (pre, post) in calls.items() if pre or post}

    def network(h: str) -> dict[str, str]:
        # new vmks attach to the keys vCenter gave this run's dvPortgroups: rebuilt only when there are any
        batch = build_batches(plans[h], obs.hosts[h], obs.raw[h], keys) if keys else batches[h]
        return apply_host(batch, obs.raw[h], calls[h][0], (), adapters.get(h, {}), progress.of(h), checks[h])

    devices = dict(zip(hosts, each(hosts, network, s.parallel, progress.stop, progress.record), strict=True))
    for h, found in enable_software(s, obs, calls, progress).items():
        adapters[h].update(found)

    def additions(h: str) -> None:
        apply_post(obs.raw[h], [c for c in calls[h][1] if not enables_software(c)], devices[h], adapters.get(h, {}),
                   progress.of(h))

    each(hosts, additions, s.parallel, progress.stop, progress.record)
    remove_portgroups(plans, {h: obs.hosts[h].dv_portgroups for h in plans}, obs.network, s, progress.of(VCENTER))
    return devices, adapters, keys


def enable_software(s: Session, obs: Observation, calls: Mapping[str, tuple[list[Call], list[Call]]],
                    progress: Progress) -> dict[str, dict[str, str]]:
    """Software iSCSI on on every host whose plan enables it (``s.parallel`` at a time); then one
    PropertyCollector read for all of them finds the new adapters. host -> {planned adapter:
    real adapter}."""
    wanted = {h: c for h, (_pre, post) in calls.items() for c in post if enables_software(c)}
    each(sorted(wanted), lambda h: run_calls([wanted[h]], obs.raw[h], {}, progress.of(h)), s.parallel,
         progress.stop, progress.record)
    try:
        found = software_adapters(s, {h: obs.raw[h] for h in wanted})
    except StateReadError as err:
        raise ApplyError("%s: could not find the software iSCSI adapters just enabled: %s" % (
            ", ".join(wanted), err.message), changed=True) from err
    adapters: dict[str, dict[str, str]] = {}
    for h, call in wanted.items():
        if found.get(h) is None:
            raise ApplyError("%s: software iSCSI was enabled but no software adapter appeared" % h, host=h, changed=True)
        adapters[h] = {call.adapter: str(found[h])}
    return adapters


def rekey_dv(host: Host, keys: Mapping[str, str]) -> Host:
    """``host`` with the planned keys of new dvPortgroups replaced by the keys vCenter gave them."""
    moved = {k: v for k, v in keys.items() if k != v}
    if not moved:
        return host
    return dataclasses.replace(
        host,
        dv_portgroups={moved.get(k, k): dataclasses.replace(p, key=moved.get(k, k)) for k, p in host.dv_portgroups.items()},
        vmks={d: dataclasses.replace(v, dv_portgroup=moved.get(v.dv_portgroup, v.dv_portgroup)) for d, v in host.vmks.items()})


def read_back(s: Session, plans: dict[str, Plan], obs: Observation,
              adapters: Mapping[str, Mapping[str, str]]) -> dict[str, Plan]:
    """Re-read the iSCSI state of every host that got iSCSI calls (one PropertyCollector read for
    all of them), check it against the plan (PB-12 compliance, send-target values) and put what
    the host reports (real adapter names, discovered static targets) into ``after``. Bound sets are
    queried again only on hosts where the run changed more than targets."""
    if not adapters:
        return plans
    unchanged = {h: obs.hosts[h].iscsi for h in adapters if not _touches_bindings(plans[h])}
    state = read_iscsi(s, {h: obs.raw[h] for h in adapters}, unchanged)
    out = dict(plans)
    for h, mapped in adapters.items():
        verify(h, plans[h].after.iscsi, state[h], mapped)
        out[h] = dataclasses.replace(plans[h], after=dataclasses.replace(plans[h].after, iscsi=state[h]))
    return out


TARGET_KINDS = ("send_target", "static_target")


def _touches_bindings(plan: Plan) -> bool:
    """Anything but target changes and rescans: an adapter, a binding, or the network under a bound vmk
    (which can change its binding's compliance)."""
    return any(a.kind not in TARGET_KINDS and a.op != "rescan" for a in plan.actions)
