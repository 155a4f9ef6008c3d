# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Planned actions -> pyVmomi specs -> one UpdateNetworkConfig per host, then service tags.

Private to this collection. Imports pyVmomi (guarded in ``_client``).

Invariants
- Every vSwitch, uplink (proxy switch), port-group and vmk action of one host goes into ONE
  ``UpdateNetworkConfig(changeMode="modify")``; service (de)selections follow, one call each.
  A migration that moves bound iSCSI vmks is the exception: one UpdateNetworkConfig per step
  (``Plan.stages``: one vmk with the NICs it needs), each path read back with QueryBoundVnics
  before the next step, then the last write to R.
- Values come from the planner's predicted ``after`` host; what is written is only what differs
  from the observed host. Edits start from the observed spec (``RawHost``) so security,
  shaping, offload and any field the model does not carry are written back unchanged.
- Inherited teaming leaves are written unset (None); the failover order (``nicOrder``) is
  written whole or not at all; unused NICs are never sent (they have no API field).
- Spec building (``build_batch`` and below) is pure over pyVmomi data objects; only
  ``apply_host`` talks to the server. Check mode never reaches this module.
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._apply._iscsi import Call, checked, run_calls
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ApplyError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    NETSTACK_TO_API,
    POLICY_TO_API,
    Action,
    Host,
    Ip,
    PortGroup,
    Teaming,
    Vmk,
    VSwitch,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import Plan, Stage
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._reader import RawHost

try:
    from pyVmomi import vim
except ImportError:  # pragma: no cover - the module wrapper reports the missing library
    pass

SERVICE_CALLS = {"select": "SelectVnicForNicType", "deselect": "DeselectVnicForNicType"}


@dataclass
class HostBatch:
    """Everything one network write of a host needs: the network config (or None) and the service calls after it."""

    host: str
    config: Any = None  # vim.host.NetworkConfig
    added: list[str] = field(default_factory=list)  # planned devices of vmk adds, in config order
    services: list[tuple[str, str, str]] = field(default_factory=list)  # (op, planned device, nicType)
    label: str = "UpdateNetworkConfig"  # its step label (``host_steps``)

    @property
    def calls(self) -> int:
        return (1 if self.config is not None else 0) + len(self.services)


@dataclass(frozen=True)
class PathCheck:
    """The read-back after one step of a migration: ``vmk`` bound to ``adapter`` must be compliant and, when it
    carried sessions before (``was`` active or lastActive), carry them again."""

    adapter: str
    vmk: str
    moved: str  # what the step moved, for messages: ``vmk1 with vmnic2``
    was: str
    left: str  # what is not moved yet, for messages


LIVE_PATHS = ("active", "lastActive")
PATH_ATTEMPTS = 12
PATH_DELAY = 5.0
"""A moved path may need a few seconds to log in again: QueryBoundVnics is asked up to 12 times, 5 s apart."""


# ---------------------------------------------------------------------------------------
# Teaming
# ---------------------------------------------------------------------------------------


def _nic_order(t: Teaming) -> Any:
    if t.active is None:
        return None
    return vim.host.NetworkPolicy.NicOrderPolicy(activeNic=list(t.active), standbyNic=list(t.standby or ()))


def teaming_update(base: Any, before: Teaming, after: Teaming) -> Any:
    """A HostNicTeamingPolicy: ``base`` (copied) with only the leaves that differ set from ``after``.

    None in ``after`` writes the leaf unset (inherited). ``failback`` maps to
    ``rollingOrder = not failback``; beacon probing is ``failureCriteria.checkBeacon``.
    """
    nt = copy.deepcopy(base) if base is not None else vim.host.NetworkPolicy.NicTeamingPolicy()
    if after.policy != before.policy:
        nt.policy = POLICY_TO_API.get(after.policy, after.policy) if after.policy else None
    if after.notify_switches != before.notify_switches:
        nt.notifySwitches = after.notify_switches
    if after.failback != before.failback:
        nt.rollingOrder = None if after.failback is None else not after.failback
    if after.failure_detection != before.failure_detection:
        criteria = nt.failureCriteria or vim.host.NetworkPolicy.NicFailureCriteria()
        criteria.checkBeacon = None if after.failure_detection is None else after.failure_detection == "beacon_probing"
        nt.failureCriteria = criteria
    if (after.active, after.standby or ()) != (before.active, before.standby or ()):
        nt.nicOrder = _nic_order(after)
    return nt


def _policy_with_teaming(base_policy: Any, before: Teaming, after: Teaming) -> Any:
    policy = copy.deepcopy(base_policy) if base_policy is not None else vim.host.NetworkPolicy()
    policy.nicTeaming = teaming_update(policy.nicTeaming, before, after)
    return policy


# ---------------------------------------------------------------------------------------
# vSwitch / port group / vmk specs
# ---------------------------------------------------------------------------------------


def _bridge(uplinks: Sequence[str], base: Any, beacon_interval: int | None) -> Any:
    if not uplinks:
        return None
    bridge = copy.deepcopy(base) if isinstance(base, vim.host.VirtualSwitch.BondBridge) \
        else vim.host.VirtualSwitch.BondBridge()
    bridge.nicDevice = list(uplinks)
    if beacon_interval is not None and bridge.beacon is None:
        bridge.beacon = vim.host.VirtualSwitch.BeaconConfig(interval=beacon_interval)
    return bridge


def vswitch_spec(after: VSwitch, before: VSwitch | None, base: Any = None) -> Any:
    """HostVirtualSwitchSpec for an add (``before`` None) or an edit of the observed ``base`` spec."""
    if before is None or base is None:
        spec = vim.host.VirtualSwitch.Specification(numPorts=after.num_ports, mtu=after.mtu)
        spec.bridge = _bridge(after.uplinks, None, after.beacon_interval)
        spec.policy = _policy_with_teaming(None, Teaming(), after.teaming)
        return spec
    spec = copy.deepcopy(base)
    if after.mtu != before.mtu:
        spec.mtu = after.mtu
    if after.uplinks != before.uplinks or after.beacon_interval != before.beacon_interval:
        spec.bridge = _bridge(after.uplinks, spec.bridge, after.beacon_interval)
    if after.teaming != before.teaming:
        spec.policy = _policy_with_teaming(spec.policy, before.teaming, after.teaming)
    return spec


def portgroup_spec(after: PortGroup, before: PortGroup | None, base: Any = None) -> Any:
    """A full HostPortGroupSpec: the observed spec with only the changed fields replaced."""
    if before is None or base is None:
        return vim.host.PortGroup.Specification(
            name=after.name, vlanId=after.vlan, vswitchName=after.vswitch,
            policy=_policy_with_teaming(None, Teaming(), after.override))
    spec = copy.deepcopy(base)
    if after.vlan != before.vlan:
        spec.vlanId = after.vlan
    if after.vswitch != before.vswitch:
        spec.vswitchName = after.vswitch
    if after.override != before.override:
        spec.policy = _policy_with_teaming(spec.policy, before.override, after.override)
    return spec


def ip_config(ip: Ip) -> Any:
    if ip.dhcp:
        return vim.host.IpConfig(dhcp=True)
    return vim.host.IpConfig(dhcp=False, ipAddress=ip.address, subnetMask=ip.netmask)


def vmk_add(after: Vmk, port: tuple[str, str] | None = None) -> Any:
    """A new vmk on its standard port group, or (``port`` = (switch uuid, dvPortgroup key)) on a
    port of a dvPortgroup: ``portgroup`` is then empty, as the API wants it."""
    spec = vim.host.VirtualNic.Specification(
        ip=ip_config(after.ip), mtu=after.mtu,
        netStackInstanceKey=NETSTACK_TO_API.get(after.netstack, after.netstack))
    if port is not None:
        spec.distributedVirtualPort = vim.dvs.PortConnection(switchUuid=port[0], portgroupKey=port[1])
        return vim.host.VirtualNic.Config(changeOperation="add", device=after.device, portgroup="", spec=spec)
    return vim.host.VirtualNic.Config(changeOperation="add", device=after.device, portgroup=after.portgroup, spec=spec)


def vmk_edit(after: Vmk, before: Vmk, port: tuple[str, str] | None = None) -> Any:
    """Only the changed fields; a netstack change is never an edit (the planner recreates). A vmk migrated to a
    dvPortgroup gets ``port`` = (switch uuid, dvPortgroup key) as its distributedVirtualPort (``portgroup`` empty, as
    the API wants it); one migrated back names its standard port group."""
    spec = vim.host.VirtualNic.Specification()
    if after.ip != before.ip:
        spec.ip = ip_config(after.ip)
    if after.mtu != before.mtu:
        spec.mtu = after.mtu
    if port is not None and after.dv_portgroup != before.dv_portgroup:
        spec.distributedVirtualPort = vim.dvs.PortConnection(switchUuid=port[0], portgroupKey=port[1])
    elif after.portgroup != before.portgroup:
        spec.portgroup = after.portgroup
    return vim.host.VirtualNic.Config(changeOperation="edit", device=before.device, portgroup=after.portgroup,
                                      spec=spec)


def vmk_remove(before: Vmk) -> Any:
    return vim.host.VirtualNic.Config(changeOperation="remove", device=before.device, portgroup=before.portgroup,
                                      spec=vim.host.VirtualNic.Specification())


# ---------------------------------------------------------------------------------------
# Actions -> one batch per host
# ---------------------------------------------------------------------------------------


def _add_vswitch(cfg: Any, a: Action, observed: Host, after: Host, raw: RawHost) -> None:
    if a.op == "remove":
        cfg.vswitch.append(vim.host.VirtualSwitch.Config(changeOperation="remove", name=a.name))
        return
    before = observed.vswitches.get(a.name) if a.op == "edit" else None
    spec = vswitch_spec(after.vswitches[a.name], before, raw.vswitch_specs.get(a.name))
    cfg.vswitch.append(vim.host.VirtualSwitch.Config(changeOperation=a.op, name=a.name, spec=spec))


def _add_portgroup(cfg: Any, a: Action, observed: Host, after: Host, raw: RawHost) -> None:
    if a.op == "remove":
        base = raw.portgroup_specs.get(a.name)
        spec = copy.deepcopy(base) if base is not None else vim.host.PortGroup.Specification(
            name=a.name, vlanId=0, vswitchName=observed.portgroups[a.name].vswitch, policy=vim.host.NetworkPolicy())
        cfg.portgroup.append(vim.host.PortGroup.Config(changeOperation="remove", spec=spec))
        return
    before = observed.portgroups.get(a.name) if a.op == "edit" else None
    spec = portgroup_spec(after.portgroups[a.name], before, raw.portgroup_specs.get(a.name))
    cfg.portgroup.append(vim.host.PortGroup.Config(changeOperation=a.op, spec=spec))


def _dv_port(after: Host, vmk: Vmk, keys: Mapping[str, str]) -> tuple[str, str] | None:
    """(switch uuid, real dvPortgroup key) of a vmk on a distributed port, None on a standard one."""
    dv = after.dv_portgroup_of(vmk)
    if dv is None:
        return None
    switch = after.dv_switches.get(dv.dvs)
    if switch is None or not switch.uuid:
        raise ApplyError("%s: distributed switch %s of %s was not read; nothing was changed on this host"
                         % (after.name, dv.dvs, vmk.device), host=after.name)
    return switch.uuid, keys.get(dv.key, dv.key)


def _add_vmk(cfg: Any, batch: HostBatch, a: Action, observed: Host, after: Host,
             keys: Mapping[str, str]) -> None:
    if a.op == "add":
        vmk = after.vmks[a.name]
        cfg.vnic.append(vmk_add(vmk, _dv_port(after, vmk, keys)))
        batch.added.append(a.name)
    elif a.op == "edit":
        vmk = after.vmks[a.name]
        cfg.vnic.append(vmk_edit(vmk, observed.vmks[a.name], _dv_port(after, vmk, keys)))
    else:
        cfg.vnic.append(vmk_remove(observed.vmks[a.name]))


def _add_uplinks(cfg: Any, names: Sequence[str], after: Host, raw: RawHost) -> None:
    """One proxy-switch edit per distributed switch whose uplinks changed: the member's complete pnic backing on
    that switch, as R has it for the uplinks (LAG ports kept as read)."""
    for dvs in sorted({n.split("/", 1)[0] for n in names}):
        switch = after.dv_switches[dvs]
        proxy = raw.proxy_switches.get(switch.uuid)
        if proxy is None:
            raise ApplyError("%s: the host's proxy switch of %s was not read; nothing was changed on this host"
                             % (after.name, dvs), host=after.name)
        port_key = {kv.value: kv.key for kv in proxy.uplinkPort or []}
        port_name = {key: name for name, key in port_key.items()}
        held = list(getattr(getattr(proxy.spec, "backing", None), "pnicSpec", None) or [])
        group = next((p.uplinkPortgroupKey for p in held if p.uplinkPortgroupKey), None)
        specs = [copy.deepcopy(p) for p in held if port_name.get(p.uplinkPortKey) not in switch.uplink_names]
        for name in switch.uplink_names:
            if name not in port_key:
                raise ApplyError("%s: uplink %s of %s has no port on this host; nothing was changed on this host"
                                 % (after.name, name, dvs), host=after.name)
            specs += [vim.dvs.HostMember.PnicSpec(pnicDevice=pnic, uplinkPortKey=port_key[name], uplinkPortgroupKey=group)
                      for pnic in switch.uplinks.get(name, ())]
        cfg.proxySwitch.append(vim.host.HostProxySwitch.Config(
            changeOperation="edit", uuid=switch.uuid,
            spec=vim.host.HostProxySwitch.Specification(backing=vim.dvs.HostMember.PnicBacking(pnicSpec=specs))))


def parse_service(name: str) -> tuple[str, str]:
    """``vmk1:vmotion`` -> (``vmk1``, ``vmotion``)."""
    device, nic_type = name.split(":", 1)
    return device, nic_type


def build_batch(actions: Sequence[Action], observed: Host, after: Host, raw: RawHost,
                keys: Mapping[str, str] | None = None) -> HostBatch:
    """Pure: the one HostNetworkConfig (None when nothing network-level changes) and service calls.
    ``keys``: planned -> real keys of the dvPortgroups written this run (new vmks attach to them);
    dvPortgroup actions themselves are switch-wide (``_apply._dvs``) and not part of the batch."""
    batch = HostBatch(host=observed.name)
    cfg = vim.host.NetworkConfig()
    _add_uplinks(cfg, [a.name for a in actions if a.kind == "uplink"], after, raw)
    for a in actions:
        if a.kind == "vswitch":
            _add_vswitch(cfg, a, observed, after, raw)
        elif a.kind == "portgroup":
            _add_portgroup(cfg, a, observed, after, raw)
        elif a.kind == "vmk":
            _add_vmk(cfg, batch, a, observed, after, keys or {})
        elif a.kind == "service":
            device, nic_type = parse_service(a.name)
            batch.services.append((a.op, device, nic_type))
    if cfg.vswitch or cfg.portgroup or cfg.vnic or cfg.proxySwitch:
        batch.config = cfg
    return batch


def build_batches(plan: Plan, observed: Host, raw: RawHost, keys: Mapping[str, str] | None = None) -> list[HostBatch]:
    """Pure: the host's network writes - one batch, or for a migration one per step (``plan.stages``, then the last
    one to R), each built on the specs the step before writes."""
    chain = [observed] + [s.state for s in plan.stages] + [plan.after]
    out = []
    for step in range(len(chain) - 1):
        number = step + 1 if plan.stages else 0
        batch = build_batch([a for a in plan.actions if a.step == number], chain[step], chain[step + 1], raw, keys)
        if number:
            moving = plan.stages[step] if step < len(plan.stages) else None
            batch.label = "UpdateNetworkConfig(step %d%s)" % (number, ": " + moved(moving) if moving else "")
        raw = _written(raw, batch.config)
        out.append(batch)
    return out


def moved(stage: Stage) -> str:
    """``vmk1 with vmnic2``: what one step of a migration moves."""
    return stage.vmk + (" with " + ", ".join(stage.pnics) if stage.pnics else "")


def path_checks(plan: Plan, observed: Host) -> list[PathCheck]:
    """The read-back after each step of a migration but the last."""
    out = []
    for n, stage in enumerate(plan.stages):
        rest = plan.stages[n + 1:]
        out.append(PathCheck(stage.adapter, stage.vmk, moved(stage),
                             observed.iscsi[stage.adapter].bindings[stage.vmk].path,
                             ", ".join(moved(s) for s in rest) + (" and the rest of the plan" if rest else "the rest of the plan")))
    return out


def _written(raw: RawHost, cfg: Any) -> RawHost:
    """``raw`` with the vSwitch, port-group and proxy-switch specs ``cfg`` writes (what the next step edits)."""
    if cfg is None:
        return raw
    vswitches, portgroups, proxies = dict(raw.vswitch_specs), dict(raw.portgroup_specs), dict(raw.proxy_switches)
    for item in cfg.vswitch:
        if item.changeOperation == "remove":
            vswitches.pop(item.name, None)
        else:
            vswitches[item.name] = item.spec
    for item in cfg.portgroup:
        if item.changeOperation == "remove":
            portgroups.pop(item.spec.name, None)
        else:
            portgroups[item.spec.name] = item.spec
    for item in cfg.proxySwitch:
        proxy = copy.deepcopy(proxies[item.uuid])
        proxy.spec = item.spec
        proxies[item.uuid] = proxy
    return dataclasses.replace(raw, vswitch_specs=vswitches, portgroup_specs=portgroups, proxy_switches=proxies)


def device_map(planned: Sequence[str], result: Any) -> dict[str, str]:
    """Planned vmk name -> the name the host gave it (``vnicDevice`` lists adds in order)."""
    real = list(getattr(result, "vnicDevice", None) or [])
    if len(real) != len(planned):
        return {p: p for p in planned}
    return dict(zip(planned, real, strict=True))


def host_steps(batches: HostBatch | Sequence[HostBatch], pre: Sequence[Call], post: Sequence[Call],
               checks: Sequence[PathCheck] = ()) -> list[str]:
    """The labels ``apply_host`` gives its calls, in order, before any is made (planned names)."""
    steps = [c.describe() for c in pre]
    for n, batch in enumerate([batches] if isinstance(batches, HostBatch) else batches):
        steps += [batch.label] if batch.config is not None else []
        steps += ["%s(%s, %s)" % (SERVICE_CALLS[op], nic_type, device) for op, device, nic_type in batch.services]
        steps += ["QueryBoundVnics(%s: %s)" % (checks[n].adapter, checks[n].vmk)] if n < len(checks) else []
    return steps + [c.describe() for c in post]


def apply_host(batches: HostBatch | Sequence[HostBatch], raw: RawHost, pre: Sequence[Call] = (), post: Sequence[Call] = (),
               adapters: dict[str, str] | None = None, done: list[str] | None = None,
               checks: Sequence[PathCheck] = (), sleep: Callable[[float], None] = time.sleep) -> dict[str, str]:
    """Write one host: iSCSI removals (``pre``), its network write(s) with their service tags - a migration's steps
    one after the other, each moved iSCSI path read back (``checks``) before the next - then iSCSI additions
    (``post``, see ``apply_post``). Returns planned -> real vmk device names of new vmks; ``adapters`` receives
    planned -> real iSCSI adapter names; ``done`` receives a label per confirmed call (``host_steps``' order).

    Faults become ApplyError naming the host, the call, the fault and the calls already
    applied on this host (see ``_client.guarded``).
    """
    devices: dict[str, str] = {}
    adapters = {} if adapters is None else adapters
    done = [] if done is None else done
    run_calls(pre, raw, adapters, done)
    for n, batch in enumerate([batches] if isinstance(batches, HostBatch) else batches):
        if batch.config is not None:
            result = checked(batch.host, "UpdateNetworkConfig", raw.network_system.UpdateNetworkConfig, done,
                             config=batch.config, changeMode="modify")
            devices.update(device_map(batch.added, result))
            done.append(batch.label)
        for op, device, nic_type in batch.services:
            method = raw.vnic_manager.SelectVnic if op == "select" else raw.vnic_manager.DeselectVnic
            real = devices.get(device, device)
            checked(batch.host, SERVICE_CALLS[op], method, done, nicType=nic_type, device=real)
            done.append("%s(%s, %s)" % (SERVICE_CALLS[op], nic_type, real))
        if n < len(checks):
            verify_path(batch.host, raw, checks[n], done, sleep)
    apply_post(raw, post, devices, adapters, done)
    return devices


def verify_path(host: str, raw: RawHost, check: PathCheck, done: list[str],
                sleep: Callable[[float], None] = time.sleep) -> None:
    """After one step of a migration: the moved vmk is still bound, compliant, and carries sessions again if it did
    before (QueryBoundVnics, polled a bounded number of times while only the path is not back yet). Otherwise
    the run stops on this host, naming what moved and what did not."""
    port, reasons, path = None, [], "notUsed"
    for attempt in range(PATH_ATTEMPTS):
        ports = checked(host, "QueryBoundVnics", raw.iscsi_manager.QueryBoundVnics, done, iScsiHbaName=check.adapter)
        port = next((p for p in ports or [] if p.vnicDevice == check.vmk), None)
        reasons = [getattr(r, "_wsdlName", type(r).__name__) for r in
                   getattr(getattr(port, "complianceStatus", None), "reason", None) or []]
        path = getattr(port, "pathStatus", None) or "notUsed"
        if port is not None and not reasons and (check.was not in LIVE_PATHS or path in LIVE_PATHS):
            done.append("QueryBoundVnics(%s: %s)" % (check.adapter, check.vmk))
            return
        if port is None or reasons or attempt == PATH_ATTEMPTS - 1:
            break
        sleep(PATH_DELAY)
    if port is None:
        what = "%s is no longer bound to %s" % (check.vmk, check.adapter)
    elif reasons:
        what = "%s is not compliant on %s (%s)" % (check.vmk, check.adapter, ", ".join(reasons))
    else:
        what = "%s has no active path on %s (pathStatus %s, was %s; waited %d s)" % (
            check.vmk, check.adapter, path, check.was, int(PATH_DELAY * (PATH_ATTEMPTS - 1)))
    raise ApplyError("%s: after moving %s, %s; the run stopped on this host before moving %s (already applied on %s: "
                     "%s)" % (host, check.moved, what, check.left, host, ", ".join(done)), host=host, changed=True)


def apply_post(raw: RawHost, post: Sequence[Call], devices: Mapping[str, str], adapters: dict[str, str],
               done: list[str]) -> None:
    """The iSCSI additions of one host, after its network write: a binding of a vmk created in
    this run goes to the device the host gave it (``devices``)."""
    run_calls([_renamed(c, devices) for c in post], raw, adapters, done)


def _renamed(call: Call, devices: Mapping[str, str]) -> Call:
    """A binding call for a vmk created in this run goes to the device the host gave it."""
    kwargs = dict(call.kwargs)
    if "vnicDevice" in kwargs and kwargs["vnicDevice"] in devices:
        kwargs["vnicDevice"] = devices[kwargs["vnicDevice"]]
        return dataclasses.replace(call, kwargs=tuple(kwargs.items()))
    return call
