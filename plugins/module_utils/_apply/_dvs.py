# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Switch-wide writes: the dvPortgroups a plan creates or edits, through vCenter, once per run.

Private to this collection. Imports pyVmomi (guarded in ``_client``).

Invariants
- A dvPortgroup belongs to its distributed switch, not to a host: every host of the run plans
  the same ``dv_portgroup`` action and it is written once (``CreateDVPortgroup_Task`` per new
  dvPortgroup, ``ReconfigureDVPortgroup_Task`` with the read ``configVersion`` per edited one),
  before any host is written, so that the hosts' one ``UpdateNetworkConfig`` can attach the new
  vmks to it.
- Only the leaves that differ are written: a new dvPortgroup sets its VLAN and the failover
  order the plan derived; every other policy stays inherited from the switch.
- The tasks are waited for together: one ``RetrievePropertiesEx`` per poll for all of them,
  a bounded number of polls. A failed task is an ApplyError naming the switch, the call and
  the fault, and says what was already written.
- A create that fails with DuplicateName lost a race with another run of the same task (AWX
  job slicing runs per-host copies in parallel): the dvPortgroup is read and used when it has
  the VLAN and failover order this run would have given it; otherwise the run stops there.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._client import Session, fault_text, guarded
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ApplyError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._from_api import dv_teaming_from_api, dv_vlan_from_api
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import POLICY_TO_API, Action, DvPortgroup, Teaming
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import Plan, dv_action_name
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._reader import RawNetwork, props_of

try:
    from pyVmomi import vim
except ImportError:  # pragma: no cover - the module wrapper reports the missing library
    pass

NEW_PORTS = 8
"""Ports of a new dvPortgroup (early binding, auto-expanding, like the vSphere Client's default)."""
TASK_POLLS = 240
TASK_INTERVAL = 0.25
"""At most TASK_POLLS polls TASK_INTERVAL seconds apart (one minute) before a task counts as hung."""


def switch_changes(plans: Mapping[str, Plan], observed: Mapping[str, Mapping[str, DvPortgroup]]
                   ) -> list[tuple[Action, DvPortgroup, DvPortgroup | None]]:
    """The dvPortgroup actions of the run, once each: (action, dvPortgroup in R, as observed or
    None for a new one). ``observed``: host -> the dvPortgroups it was read with."""
    out: dict[str, tuple[Action, DvPortgroup, DvPortgroup | None]] = {}
    for plan in plans.values():
        for a in plan.actions:
            if a.kind != "dv_portgroup" or a.op == "remove" or a.name in out:
                continue
            after = next(p for p in plan.after.dv_portgroups.values() if dv_action_name(p) == a.name)
            out[a.name] = (a, after, None if a.op == "add" else observed[plan.host][after.key])
    return [out[n] for n in sorted(out)]


def _order(t: Teaming) -> Any:
    if t.active is None:  # back to the switch's order
        return vim.dvs.VmwareDistributedVirtualSwitch.UplinkPortOrderPolicy(inherited=True)
    return vim.dvs.VmwareDistributedVirtualSwitch.UplinkPortOrderPolicy(
        inherited=False, activeUplinkPort=list(t.active or ()), standbyUplinkPort=list(t.standby or ()))


def _string(value: str | None) -> Any:
    if value is None:
        return vim.StringPolicy(inherited=True)
    return vim.StringPolicy(inherited=False, value=POLICY_TO_API.get(value, value))


def _flag(value: bool | None) -> Any:
    return vim.BoolPolicy(inherited=True) if value is None else vim.BoolPolicy(inherited=False, value=value)


def _criteria(detection: str | None) -> Any:
    vds = vim.dvs.VmwareDistributedVirtualSwitch
    if detection is None:
        return vds.FailureCriteria(inherited=False, checkBeacon=vim.BoolPolicy(inherited=True))
    return vds.FailureCriteria(inherited=False, checkBeacon=vim.BoolPolicy(inherited=False, value=detection == "beacon_probing"))


def teaming_policy(before: Teaming, after: Teaming) -> Any | None:
    """A VmwareUplinkPortTeamingPolicy that turns the dvPortgroup's own leaves ``before`` into ``after``:
    only the leaves that differ, a leaf that became None written back to inheriting from the switch
    (``inherited: true``). None when nothing differs."""
    team = vim.dvs.VmwareDistributedVirtualSwitch.UplinkPortTeamingPolicy(inherited=False)
    changed = False
    if after.policy != before.policy:
        team.policy = _string(after.policy)
        changed = True
    if after.failback != before.failback:
        team.rollingOrder = _flag(None if after.failback is None else not after.failback)
        changed = True
    if after.notify_switches != before.notify_switches:
        team.notifySwitches = _flag(after.notify_switches)
        changed = True
    if after.failure_detection != before.failure_detection:
        team.failureCriteria = _criteria(after.failure_detection)
        changed = True
    if (after.active, after.standby) != (before.active, before.standby):
        team.uplinkPortOrder = _order(after)
        changed = True
    return team if changed else None


def port_setting(before_vlan: int | None, before: Teaming, after: DvPortgroup) -> Any:
    """The ``defaultPortConfig`` that turns ``before`` (the dvPortgroup's own teaming leaves) into
    ``after.own`` (only the changed leaves)."""
    vds = vim.dvs.VmwareDistributedVirtualSwitch
    setting = vds.VmwarePortConfigPolicy()
    if before_vlan != after.vlan:
        setting.vlan = vds.VlanIdSpec(inherited=False, vlanId=after.vlan)
    setting.uplinkTeamingPolicy = teaming_policy(before, after.own)
    return setting


def create_spec(after: DvPortgroup) -> Any:
    """ConfigSpec of a new dvPortgroup: its name, early binding, VLAN and the teaming leaves it declares
    (every other leaf inherits the switch's)."""
    return vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
        name=after.name, type="earlyBinding", numPorts=NEW_PORTS, autoExpand=True,
        defaultPortConfig=port_setting(None, Teaming(), after))


def edit_spec(after: DvPortgroup, before: DvPortgroup, config_version: str) -> Any:
    """ConfigSpec of an edit: ``configVersion`` as read (vCenter refuses a stale one) + the changes."""
    return vim.dvs.DistributedVirtualPortgroup.ConfigSpec(
        configVersion=config_version, defaultPortConfig=port_setting(before.vlan, before.own, after))


class Raced:
    """The result of a create that failed with DuplicateName: another run made it meanwhile."""


RACED = Raced()


def wait_tasks(session: Session, where: str, tasks: Sequence[tuple[str, Any]], done: list[str],
               may_exist: Sequence[str] = ()) -> list[Any]:
    """Wait for every task (label, Task); their results in order. Polls all of them in one
    RetrievePropertiesEx, at most TASK_POLLS times; the first error raises ApplyError, except
    DuplicateName for a label in ``may_exist``, whose result is RACED."""
    refs = [t for _l, t in tasks]
    for _poll in range(TASK_POLLS):
        info = props_of(session, refs, vim.Task, ("info.state", "info.error", "info.result"), error=ApplyError)
        states = [info.get(t._moId, {}) for _l, t in tasks]
        for (label, _t), props in zip(tasks, states, strict=True):
            fault = props.get("info.error")
            if props.get("info.state") == "error" and not (label in may_exist and isinstance(fault, vim.fault.DuplicateName)):
                raise ApplyError("%s: %s failed: %s%s" % (where, label, fault_text(fault), _already(done)),
                                 host=where, call=label, changed=bool(done))
        if all(p.get("info.state") in ("success", "error") for p in states):
            done.extend(label for (label, _t), p in zip(tasks, states, strict=True) if p.get("info.state") == "success")
            return [p.get("info.result") if p.get("info.state") == "success" else RACED for p in states]
        time.sleep(TASK_INTERVAL)
    raise ApplyError("%s: %s did not finish within %d s%s" % (
        where, ", ".join(label for label, _t in tasks), int(TASK_POLLS * TASK_INTERVAL), _already(done)),
        host=where, call=tasks[0][0], changed=True)


def _already(done: Sequence[str]) -> str:
    return " (already applied: %s)" % ", ".join(done) if done else ""


def apply_switches(plans: Mapping[str, Plan], observed: Mapping[str, Mapping[str, DvPortgroup]],
                   network: RawNetwork, session: Session, done: list[str]) -> dict[str, str]:
    """Write the run's dvPortgroups (creates, then edits); planned key -> real key of each.

    ``observed``: host -> the dvPortgroups it was read with (the ``before`` of an edit);
    ``done`` receives the finished calls.
    """
    changes = switch_changes(plans, observed)
    keys: dict[str, str] = {}
    if not changes:
        return keys
    tasks: list[tuple[str, Any]] = []
    created: list[DvPortgroup] = []
    for action, after, before in changes:
        switch = network.switches.get(after.dvs)
        if switch is None:
            raise ApplyError("%s: distributed switch %s was not read; nothing was changed" % (action.host, after.dvs),
                             host=action.host)
        label = "%s(%s)" % ("CreateDVPortgroup_Task" if before is None else "ReconfigureDVPortgroup_Task", action.name)
        if before is None:
            task = guarded(after.dvs, "CreateDVPortgroup_Task", switch.CreateDVPortgroup_Task, spec=create_spec(after))
            created.append(after)
        else:
            ref, version = network.portgroups[before.key]
            task = guarded(after.dvs, "ReconfigureDVPortgroup_Task", ref.ReconfigureDVPortgroup_Task,
                           spec=edit_spec(after, before, version))
            keys[after.key] = after.key
        tasks.append((label, task))
    creates = [label for label, _t in tasks if label.startswith("CreateDVPortgroup_Task")]
    results = wait_tasks(session, "vCenter", tasks, done, may_exist=creates)
    made = [r for (label, _t), r in zip(tasks, results, strict=True) if label in creates]
    refs = [r for r in made if r is not RACED]
    real = iter(_keys_of(session, refs) if refs else [])
    for after, result in zip(created, made, strict=True):
        if result is RACED:
            keys[after.key] = _adopt(session, network.switches[after.dvs], after, _switch_teaming(plans, after.dvs), done)
        else:
            keys[after.key] = next(real)
    return keys


def remove_portgroups(plans: Mapping[str, Plan], observed: Mapping[str, Mapping[str, DvPortgroup]],
                      network: RawNetwork, session: Session, done: list[str]) -> None:
    """Remove the run's dvPortgroups (``Destroy_Task``), once each, after the hosts' own changes took
    their vmks off them. vCenter refuses one that something outside the run still uses (ResourceInUse)."""
    gone: dict[str, DvPortgroup] = {}
    for plan in plans.values():
        for a in plan.actions:
            if a.kind == "dv_portgroup" and a.op == "remove" and a.name not in gone:
                gone[a.name] = next(p for p in observed[plan.host].values() if dv_action_name(p) == a.name)
    if not gone:
        return
    tasks = []
    for name in sorted(gone):
        ref, _version = network.portgroups[gone[name].key]
        tasks.append(("Destroy_Task(%s)" % name, guarded(gone[name].dvs, "Destroy_Task", ref.Destroy_Task)))
    wait_tasks(session, "vCenter", tasks, done)


def _adopt(session: Session, switch: Any, after: DvPortgroup, switch_teaming: Teaming, done: list[str]) -> str:
    """The key of dvPortgroup ``after.name``, which another run (a parallel per-host run of the
    same task) created between this run's read and its create - if it has the VLAN and failover
    order this run would have given it; otherwise ApplyError (re-run the task to plan against it)."""
    members = props_of(session, [switch], vim.DistributedVirtualSwitch, ("portgroup",), error=ApplyError)
    refs = members.get(switch._moId, {}).get("portgroup") or []
    pgs = props_of(session, refs, vim.dvs.DistributedVirtualPortgroup, ("name", "key", "config.defaultPortConfig"),
                   error=ApplyError)
    found = next((props for props in pgs.values() if props.get("name") == after.name), None)
    if found is None:
        raise ApplyError("%s: CreateDVPortgroup_Task(%s) failed: DuplicateName, and no dvPortgroup of that name is "
                         "on the switch%s" % (after.dvs, after.name, _already(done)), host=after.dvs, changed=bool(done))
    setting = found.get("config.defaultPortConfig")
    own = dv_teaming_from_api(getattr(setting, "uplinkTeamingPolicy", None))
    order = (own.active if own.active is not None else switch_teaming.active,
             own.standby if own.standby is not None else switch_teaming.standby)
    vlan = dv_vlan_from_api(setting)
    wanted = (after.vlan, tuple(after.teaming.active or ()), tuple(after.teaming.standby or ()))
    if (vlan, tuple(order[0] or ()), tuple(order[1] or ())) != wanted:
        raise ApplyError(
            "%s: dvPortgroup %s was created by someone else during this run with VLAN %s, active %s, standby %s "
            "(this task wants VLAN %s, active %s, standby %s); nothing of it was changed: re-run the task%s"
            % (after.dvs, after.name, vlan, list(order[0] or ()), list(order[1] or ()), after.vlan,
               list(after.teaming.active or ()), list(after.teaming.standby or ()), _already(done)),
            host=after.dvs, changed=bool(done))
    key = found.get("key")
    if not key:
        raise ApplyError("%s: dvPortgroup %s has no key in vCenter's answer%s" % (after.dvs, after.name, _already(done)),
                         host=after.dvs, changed=bool(done))
    return str(key)


def _switch_teaming(plans: Mapping[str, Plan], dvs: str) -> Teaming:
    for plan in plans.values():
        switch = plan.after.dv_switches.get(dvs)
        if switch is not None:
            return switch.teaming
    return Teaming()


def _keys_of(session: Session, refs: Sequence[Any]) -> list[str]:
    """The keys vCenter gave the new dvPortgroups: one RetrievePropertiesEx for all of them."""
    by_moid = props_of(session, refs, vim.dvs.DistributedVirtualPortgroup, ("key",), error=ApplyError)
    return [by_moid.get(r._moId, {}).get("key") or r._moId for r in refs]
