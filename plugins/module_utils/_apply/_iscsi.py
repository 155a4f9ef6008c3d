# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""iSCSI actions -> HostStorageSystem / IscsiManager calls, and the read-back after them.

Private to this collection. Imports pyVmomi (guarded in ``_client``).

Invariants
- Calls are derived from the planned actions and the values of R; nothing is written that
  the plan does not list. Removals (targets, unbind, disable) run before the host's network
  change, additions after it (``_planner.ORDER``), except that enabling software iSCSI goes
  first (see below).
- Targets are added and removed with one call per adapter and kind; advanced options with one
  ``UpdateInternetScsiAdvancedOptions`` per distinct change (targets that get the same values
  share a ``targetSet``). Options go on targets; the adapter level only when declared.
- ``UnbindVnic`` is never forced (rule SF-5): the host's own path checks stay in force.
- Software iSCSI is enabled on every host that needs it before anything else is written, and
  the new adapters are looked up by one PropertyCollector read for all those hosts
  (``_module.apply_all``); the plan's predicted device names are mapped to the real ones.
- After the writes, one read-back per host (storage device + ``QueryBoundVnics``) must show
  every bound vmk compliant (rule PB-12) and every planned send-target value held (TP); a
  mismatch fails the task naming the object.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._client import guarded
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ApplyError, DriftError, TransientError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Action,
    Chap,
    Host,
    IscsiAdapter,
    IscsiTarget,
    TargetKey,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._parallel import Steps, Stopped

try:
    from pyVmomi import vim
except ImportError:  # pragma: no cover - the module wrapper reports the missing library
    pass

ISCSI_KINDS = ("adapter", "binding", "send_target", "static_target")


@dataclass(frozen=True)
class Call:
    """One planned API call: the manager it goes to, its WSDL name and keyword arguments.

    ``adapter`` is the planned adapter device; the applier substitutes the real one.
    """

    target: str  # "storage" (HostStorageSystem) or "iscsi" (IscsiManager)
    method: str
    adapter: str
    kwargs: tuple[tuple[str, Any], ...] = field(default=(), repr=False)  # may carry a CHAP secret: never printed

    def describe(self, adapter: str | None = None, vmk: str | None = None) -> str:
        """``Method(adapter)``, ``BindVnic(adapter, vmk)`` for (un)bindings; ``adapter``/``vmk``:
        the real names when they differ from the planned ones."""
        bound = dict(self.kwargs).get("vnicDevice")
        names = [adapter or self.adapter] + ([vmk or bound] if bound else [])
        return "%s(%s)" % (self.method, ", ".join(names))


def _hba_arg(method: str) -> str:
    if method in ("BindVnic", "UnbindVnic"):
        return "iScsiHbaName"
    if method == "RescanHba":
        return "hbaDevice"
    return "iScsiHbaDevice"


def _send(t: IscsiTarget) -> Any:
    return vim.host.InternetScsiHba.SendTarget(address=t.address, port=t.port)


def _static(t: IscsiTarget) -> Any:
    return vim.host.InternetScsiHba.StaticTarget(address=t.address, port=t.port, iScsiName=t.iqn)


def param_values(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Any]:
    """ParamValues for the keys whose own value changes: set (isInherited false) or revert."""
    out = []
    for key in sorted(set(before) | set(after)):
        if key in after and before.get(key) != after[key]:
            out.append(vim.host.InternetScsiHba.ParamValue(key=key, value=after[key], isInherited=False))
        elif key not in after:
            out.append(vim.host.InternetScsiHba.ParamValue(key=key, isInherited=True))
    return out


def _auth(level: IscsiAdapter | IscsiTarget, target: bool) -> Any:
    """AuthenticationProperties for one level as R holds it: both directions, each inherited or held; a
    secret only where R writes one (left unset, ESXi keeps the secret it holds)."""
    props = vim.host.InternetScsiHba.AuthenticationProperties(chapAuthEnabled=level.chap.type != "prohibited")
    for prefix, c in (("chap", level.chap), ("mutualChap", level.mutual_chap)):
        if target:
            setattr(props, prefix + "Inherited", c.inherited)
        if not c.inherited:
            setattr(props, prefix + "AuthenticationType", "chap" + c.type.capitalize())
            setattr(props, prefix + "Name", c.name)
            if c.secret is not None:
                setattr(props, prefix + "Secret", c.secret)
    return props


def _auth_changed(old: IscsiAdapter | IscsiTarget | None, new: IscsiAdapter | IscsiTarget) -> bool:
    """R changes the CHAP a level holds, or writes a secret there."""
    before = (old.chap, old.mutual_chap) if old is not None else (Chap(inherited=True), Chap(inherited=True))
    return (before[0].held != new.chap.held or before[1].held != new.mutual_chap.held
            or new.chap.secret is not None or new.mutual_chap.secret is not None)


def _auth_calls(device: str, kind: str, old: Mapping[TargetKey, IscsiTarget],
                new: Mapping[TargetKey, IscsiTarget]) -> list[Call]:
    """One UpdateInternetScsiAuthenticationProperties per target whose CHAP R changes (secrets differ per target)."""
    calls = []
    for key, target in sorted(new.items()):
        if not _auth_changed(old.get(key), target):
            continue
        if kind == "send_target":
            target_set = vim.host.InternetScsiHba.TargetSet(sendTargets=[_send(target)])
        else:
            target_set = vim.host.InternetScsiHba.TargetSet(staticTargets=[_static(target)])
        calls.append(Call("storage", "UpdateInternetScsiAuthenticationProperties", device,
                          (("authenticationProperties", _auth(target, True)), ("targetSet", target_set))))
    return calls


def _option_calls(device: str, kind: str, old: Mapping[TargetKey, IscsiTarget],
                  new: Mapping[TargetKey, IscsiTarget]) -> list[Call]:
    """One UpdateInternetScsiAdvancedOptions per distinct change; same change = one targetSet."""
    groups: dict[tuple[tuple[str, Any, bool | None], ...], list[IscsiTarget]] = {}
    for key, target in sorted(new.items()):
        before = old[key].own if key in old else {}
        if dict(before) == dict(target.own):
            continue
        values = param_values(before, target.own)
        if not values:
            continue
        signature = tuple((v.key, v.value, v.isInherited) for v in values)
        groups.setdefault(signature, []).append(target)
    calls = []
    for signature, targets in groups.items():
        values = [vim.host.InternetScsiHba.ParamValue(key=k, value=v, isInherited=i) if not i
                  else vim.host.InternetScsiHba.ParamValue(key=k, isInherited=True) for k, v, i in signature]
        if kind == "send_target":
            target_set = vim.host.InternetScsiHba.TargetSet(sendTargets=[_send(t) for t in targets])
        else:
            target_set = vim.host.InternetScsiHba.TargetSet(staticTargets=[_static(t) for t in targets])
        calls.append(Call("storage", "UpdateInternetScsiAdvancedOptions", device,
                          (("targetSet", target_set), ("options", values))))
    return calls


def _targets(actions: Sequence[Action], op: str, kind: str, device: str) -> list[str]:
    prefix = device + "/"
    return [a.name for a in actions if a.op == op and a.kind == kind and a.name.startswith(prefix)]


def _by_name(targets: Mapping[TargetKey, IscsiTarget], device: str) -> dict[str, IscsiTarget]:
    return {"%s/%s%s" % (device, t.portal, "/" + t.iqn if t.iqn else ""): t for t in targets.values()}


def build_calls(actions: Sequence[Action], observed: Host, after: Host) -> tuple[list[Call], list[Call]]:
    """Pure: (calls before the network change, calls after it) for one host."""
    pre: list[Call] = []
    post: list[Call] = []
    mine = [a for a in actions if a.kind in ISCSI_KINDS]
    devices = sorted({a.name.split("/")[0].split(":")[0] for a in mine})
    for device in devices:
        old = observed.iscsi.get(device)
        new = after.iscsi.get(device)
        if new is None:
            continue
        old_sends = dict(old.send_targets) if old else {}
        old_statics = dict(old.static_targets) if old else {}
        removed_statics = [_by_name(old_statics, device)[n] for n in _targets(mine, "remove", "static_target", device)]
        if removed_statics:
            pre.append(Call("storage", "RemoveInternetScsiStaticTargets", device,
                            (("targets", [_static(t) for t in removed_statics]),)))
        removed_sends = [_by_name(old_sends, device)[n] for n in _targets(mine, "remove", "send_target", device)]
        if removed_sends:
            pre.append(Call("storage", "RemoveInternetScsiSendTargets", device,
                            (("targets", [_send(t) for t in removed_sends]),)))
        for a in mine:
            if a.kind == "binding" and a.op == "remove" and a.name.startswith(device + ":"):
                pre.append(Call("iscsi", "UnbindVnic", device, (("vnicDevice", a.name.split(":", 1)[1]), ("force", False))))
            if a.kind == "adapter" and a.name == device and a.op == "remove":
                pre.append(Call("storage", "UpdateSoftwareInternetScsiEnabled", device, (("enabled", False),)))
        for a in mine:
            if a.kind != "adapter" or a.name != device:
                continue
            if a.op == "add":
                post.append(Call("storage", "UpdateSoftwareInternetScsiEnabled", device, (("enabled", True),)))
            elif a.op == "edit":
                if "iqn" in a.changes:
                    post.append(Call("storage", "UpdateInternetScsiName", device, (("iScsiName", new.iqn),)))
                if "alias" in a.changes:
                    post.append(Call("storage", "UpdateInternetScsiAlias", device, (("iScsiAlias", new.alias),)))
                values = param_values(old.own if old else {}, new.own)
                if values:
                    post.append(Call("storage", "UpdateInternetScsiAdvancedOptions", device, (("options", values),)))
                if any(k.startswith(("chap.", "mutual_chap.")) for k in a.changes):
                    post.append(Call("storage", "UpdateInternetScsiAuthenticationProperties", device,
                                     (("authenticationProperties", _auth(new, False)),)))
        for a in mine:
            if a.kind == "binding" and a.op == "add" and a.name.startswith(device + ":"):
                post.append(Call("iscsi", "BindVnic", device, (("vnicDevice", a.name.split(":", 1)[1]),)))
        new_sends = _by_name(new.send_targets, device)
        added_sends = [new_sends[n] for n in _targets(mine, "add", "send_target", device)]
        if added_sends:
            post.append(Call("storage", "AddInternetScsiSendTargets", device, (("targets", [_send(t) for t in added_sends]),)))
        new_statics = _by_name(new.static_targets, device)
        added_statics = [new_statics[n] for n in _targets(mine, "add", "static_target", device)]
        if added_statics:
            post.append(Call("storage", "AddInternetScsiStaticTargets", device,
                             (("targets", [_static(t) for t in added_statics]),)))
        post.extend(_option_calls(device, "send_target", old_sends, new.send_targets))
        post.extend(_option_calls(device, "static_target", old_statics, new.static_targets))
        post.extend(_auth_calls(device, "send_target", old_sends, new.send_targets))
        post.extend(_auth_calls(device, "static_target", old_statics, new.static_targets))
        if any(a.op == "rescan" and a.name == device for a in mine):
            post.append(Call("storage", "RescanHba", device))
    return pre, post


# ---------------------------------------------------------------------------------------
# Talking to the host
# ---------------------------------------------------------------------------------------


def enables_software(call: Call) -> bool:
    """True for the call that turns software iSCSI on (its adapter appears only after it)."""
    return call.method == "UpdateSoftwareInternetScsiEnabled" and dict(call.kwargs).get("enabled") is True


def run_calls(calls: Sequence[Call], raw: Any, adapters: dict[str, str], done: list[str]) -> None:
    """Issue ``calls`` in order; ``adapters`` maps planned -> real adapter devices (updated)."""
    for call in calls:
        device = adapters.get(call.adapter, call.adapter)
        manager = raw.storage_system if call.target == "storage" else raw.iscsi_manager
        kwargs = dict(call.kwargs)
        kwargs[_hba_arg(call.method)] = device
        if call.method == "UpdateSoftwareInternetScsiEnabled":
            kwargs.pop("iScsiHbaDevice")
        checked(raw.name, call.method, getattr(manager, call.method), done, **kwargs)
        done.append(call.describe(device, kwargs.get("vnicDevice")))


def checked(host: str, method: str, fn: Callable[..., Any], done: list[str], **kwargs: Any) -> Any:
    """One write of ``host`` (``guarded``); a failure names the calls ``done`` on it before. Not started
    (``Stopped``) once another host of the run has failed (``done`` carries the run's stop signal)."""
    if isinstance(done, Steps) and done.stopped():
        raise Stopped(host)
    try:
        return guarded(host, method, fn, **kwargs)
    except (ApplyError, TransientError) as err:
        if not done:
            raise
        raise type(err)("%s (already applied on %s: %s)" % (err.message, host, ", ".join(done)),
                        **dict(err.details, changed=True)) from err


def _chap_drift(got: IscsiAdapter | IscsiTarget, want: IscsiAdapter | IscsiTarget) -> list[tuple[str, Any, Any]]:
    """(direction, held, planned) where the level and name read back differ from R (never a secret)."""
    return [(name, g.held or "inherited", w.held or "inherited")
            for name, g, w in (("chap", got.chap, want.chap), ("mutual_chap", got.mutual_chap, want.mutual_chap))
            if g.held != w.held]


def verify(host: str, planned: Mapping[str, IscsiAdapter], observed: Mapping[str, IscsiAdapter],
           adapters: Mapping[str, str]) -> None:
    """Read-back checks after apply: bound vmks compliant (PB-12), send-target values held (TP)."""
    problems = []
    for device, want in sorted(planned.items()):
        got = observed.get(adapters.get(device, device))
        if got is None:
            problems.append("adapter %s is missing" % device)
            continue
        for vmk, binding in got.bindings.items():
            if binding.compliance:
                problems.append("[PB-12] %s on %s is not compliant: %s" % (vmk, got.device, ", ".join(binding.compliance)))
        for vmk in want.bindings:
            if vmk not in got.bindings:
                problems.append("%s is not bound to %s" % (vmk, got.device))
        problems.extend("%s of %s holds %s, planned %s" % (name, got.device, b, a) for name, b, a in _chap_drift(got, want))
        for key, target in want.send_targets.items():
            held = got.send_targets.get(key)
            if held is None:
                problems.append("send target %s is missing on %s" % (target.portal, got.device))
                continue
            problems.extend("%s of send target %s on %s holds %s, planned %s" % (name, target.portal, got.device, b, a)
                            for name, b, a in _chap_drift(held, target))
            wrong = {k: v for k, v in target.own.items() if held.own.get(k) != v}
            if wrong:
                problems.append("send target %s on %s holds %s, planned %s" % (
                    target.portal, got.device, {k: held.own.get(k) for k in wrong}, wrong))
    if problems:
        raise DriftError("%s: read-back after apply does not match the plan: %s" % (host, "; ".join(problems)),
                         host=host, changed=True)
