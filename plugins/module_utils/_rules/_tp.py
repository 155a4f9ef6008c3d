# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validator's TP rules (dynamic-target parameters), and the family's rows of the rule table.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_plan import resolve_adapter
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Finding,
    IscsiAdapter,
    TargetSpec,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._profiles import (
    ESXI_OPTION_DEFS,
    LOGIN_TIMEOUT_RANGE,
    OPTION_NAMES,
    OptionDef,
    profile_values,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import (
    ERROR,
    HOST,
    MULTIPATHING_ARTICLE,
    WARNING,
    Case,
    Rule,
    finding,
    hba_obj,
    target_obj,
)


def _target_specs(case: Case) -> Iterator[tuple[str, str, TargetSpec, IscsiAdapter]]:
    """(field prefix, kind, spec, adapter in R) for every declared target of a resolvable adapter."""
    for spec in case.desired.iscsi:
        adapter = resolve_adapter(case.after.iscsi, spec)
        if adapter is None:
            continue
        for t in spec.send_targets:
            yield "send_targets[%d]" % t.index, "send", t, adapter
        for t in spec.static_targets:
            yield "static_targets[%d]" % t.index, "static", t, adapter


def _declared_options(case: Case) -> Iterator[tuple[str, str, str, Any, IscsiAdapter]]:
    """(object, field, API key, value, adapter) of every declared advanced option."""
    for prefix, _kind, t, adapter in _target_specs(case):
        for key, value in sorted(t.options.items()):
            yield target_obj(adapter.device, t.portal), "%s.%s" % (prefix, OPTION_NAMES.get(key, key)), key, value, adapter
    for spec in case.desired.iscsi:
        resolved = resolve_adapter(case.after.iscsi, spec)
        for key, value in sorted(spec.adapter_options.items()):
            if resolved is not None:
                yield hba_obj(resolved.device), "adapter_options.%s" % OPTION_NAMES.get(key, key), key, value, resolved


def _option_def(adapter: IscsiAdapter, key: str) -> OptionDef | None:
    return adapter.option_defs.get(key) or (None if adapter.option_defs else ESXI_OPTION_DEFS.get(key))


def tp1_option_range(case: Case) -> Iterator[Finding]:
    """An integer option outside its range (LoginTimeout 1-60, or narrower as the host reports)."""
    for obj, field_name, key, value, adapter in _declared_options(case):
        d = _option_def(adapter, key)
        if d is None or d.kind != "int" or isinstance(value, bool) or not isinstance(value, int):
            continue
        low, high = d.low, d.high
        if key == "LoginTimeout":
            low = max(LOGIN_TIMEOUT_RANGE[0], low if low is not None else LOGIN_TIMEOUT_RANGE[0])
            high = min(LOGIN_TIMEOUT_RANGE[1], high if high is not None else LOGIN_TIMEOUT_RANGE[1])
        if (low is not None and value < low) or (high is not None and value > high):
            yield finding("TP-1", case.host, obj, "%s %s is outside %s-%s" % (field_name, value, low, high),
                          "set %s to an integer from %s to %s" % (field_name, low, high))


def tp2_option_supported(case: Case) -> Iterator[Finding]:
    """An option the target does not support, a read-only one, or a value of the wrong type."""
    for obj, field_name, key, value, adapter in _declared_options(case):
        d = _option_def(adapter, key)
        if d is None:
            yield finding("TP-2", case.host, obj, "%s: the adapter does not support option %s" % (field_name, key),
                          "remove %s (supported: %s)" % (field_name, ", ".join(sorted(adapter.option_defs))))
        elif d.readonly:
            yield finding("TP-2", case.host, obj, "%s: option %s is read-only on this host" % (field_name, key),
                          "remove %s" % field_name)
        elif (d.kind == "bool") != isinstance(value, bool) or (d.kind == "int" and not isinstance(value, int)):
            kind = "boolean" if d.kind == "bool" else "integer"
            yield finding("TP-2", case.host, obj, "%s: %r is not a %s" % (field_name, value, kind),
                          "give %s a %s value" % (field_name, "true/false" if d.kind == "bool" else "whole-number"))


def tp3_adapter_level_params(case: Case) -> Iterator[Finding]:
    """Options written on the adapter (all targets) or on a static target discovered from a send target."""
    for spec in case.desired.iscsi:
        adapter = resolve_adapter(case.after.iscsi, spec)
        if spec.adapter_options and adapter is not None:
            yield finding("TP-3", case.host, hba_obj(adapter.device),
                          "adapter-level options %s apply to every target of %s"
                          % (", ".join(sorted(OPTION_NAMES.get(k, k) for k in spec.adapter_options)), adapter.device),
                          "set them per send target (send_targets[].login_timeout, ...), or set "
                          "allow_adapter_level_params: true")
    for prefix, kind, t, adapter in _target_specs(case):
        current = case.observed.iscsi.get(adapter.device)
        static = current.static_targets.get(t.key) if current is not None and kind == "static" else None
        if static is not None and static.discovered_from and t.options:
            yield finding("TP-3", case.host, target_obj(adapter.device, t.portal),
                          "%s sets options on a static target discovered from send target %s" % (prefix, static.discovered_from),
                          "set them on send target %s (send_targets[]) so every discovered target inherits them, or set "
                          "allow_adapter_level_params: true" % static.discovered_from)


def tp4_static_overrides_send_target(case: Case) -> Iterator[Finding]:
    """A discovered static target keeps its own value for a key the task sets on its send target."""
    r = case.after
    for _prefix, kind, t, adapter in _target_specs(case):
        if kind != "send" or t.state == "absent":
            continue
        after = r.iscsi.get(adapter.device)
        for static in (after.static_targets.values() if after else ()):
            if static.discovered_from != t.portal:
                continue
            wrong = {k: static.own[k] for k in t.options if k in static.own and static.own[k] != t.options[k]}
            declared = any(s.key == (static.address, static.port, static.iqn) for _p, k, s, _a in _target_specs(case)
                           if k == "static")
            if wrong and not declared:
                yield finding("TP-4", case.host, target_obj(adapter.device, "%s/%s" % (static.portal, static.iqn)),
                              "holds its own %s, so send target %s's values do not apply" % (
                                  ", ".join("%s=%s" % (OPTION_NAMES.get(k, k), v) for k, v in sorted(wrong.items())), t.portal),
                              "reset it to inherited, or declare it under static_targets as an explicit exception",
                              severity=ERROR if t.profile else WARNING)


def tp5_profile_deviation(case: Case) -> Iterator[Finding]:
    """A target assigned to a vendor profile with an explicit value that differs from the profile."""
    for prefix, _kind, t, adapter in _target_specs(case):
        if not t.profile:
            continue
        wanted = profile_values(t.profile)
        off = {k: v for k, v in t.explicit.items() if k in wanted and wanted[k] != v}
        if off:
            yield finding("TP-5", case.host, target_obj(adapter.device, t.portal),
                          "%s: %s differ from profile %s (%s)" % (
                              prefix, ", ".join("%s=%s" % (OPTION_NAMES.get(k, k), v) for k, v in sorted(off.items())),
                              t.profile, ", ".join("%s=%s" % (OPTION_NAMES.get(k, k), wanted[k]) for k in sorted(off))),
                          "drop the explicit values to use the profile, or set allow_profile_deviation: true")


def tp6_options_for_missing_target(case: Case) -> Iterator[Finding]:
    """Options given for a target the plan removes."""
    for prefix, _kind, t, adapter in _target_specs(case):
        if t.state == "absent" and t.explicit:
            yield finding("TP-6", case.host, target_obj(adapter.device, t.portal),
                          "%s has state: absent and options %s" % (prefix, ", ".join(OPTION_NAMES.get(k, k) for k in t.explicit)),
                          "remove the options from %s, or set state: present" % prefix)


def tp7_live_target_change(case: Case) -> Iterator[Finding]:
    """LoginTimeout or DelayedAck changes on a target that carries paths."""
    for action in case.plan.actions:
        if action.kind not in ("send_target", "static_target") or action.op != "edit":
            continue
        device, _sep, rest = action.name.partition("/")
        adapter = case.observed.iscsi.get(device)
        address = rest.split(":", 1)[0]
        keys = [k for k in ("login_timeout", "delayed_ack") if k in action.changes]
        if adapter is not None and address in adapter.live_portals and keys:
            yield finding("TP-7", case.host, "target:%s" % action.name,
                          "changes %s on a target with live paths" % ", ".join(keys),
                          "expect the new value to apply at the next login (rescan, path re-login or reboot)")


RULES: tuple[Rule, ...] = (
    Rule("TP-1", ERROR, HOST, tp1_option_range,
         "vSphere API HostInternetScsiHba.supportedAdvancedOptions (IntOption 1-60, default 5)", step=1),
    Rule("TP-2", ERROR, HOST, tp2_option_supported, "vSphere API OptionDef, HostInternetScsiHbaParamValue", step=1),
    Rule("TP-3", ERROR, HOST, tp3_adapter_level_params,
         MULTIPATHING_ARTICLE + "; Pure Set-VmHostPfaiSCSI; vSphere API UpdateInternetScsiAdvancedOptions",
         flag="allow_adapter_level_params"),
    Rule("TP-4", ERROR, HOST, tp4_static_overrides_send_target, "Pure best-practice script; vSphere API isInherited"),
    Rule("TP-5", ERROR, HOST, tp5_profile_deviation,
         MULTIPATHING_ARTICLE + "; Pure ESXi Host Configuration guide; Dell TR1074; "
         "KB 1002598 / Broadcom 313543",
         flag="allow_profile_deviation"),
    Rule("TP-6", ERROR, HOST, tp6_options_for_missing_target, "vSphere API UpdateInternetScsiAdvancedOptions"),
    Rule("TP-7", WARNING, HOST, tp7_live_target_change, "KB 1002598 / Broadcom 313543", step=4),
)
