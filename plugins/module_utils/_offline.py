# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Controller-side validation of fabric documents (the ``fabric_validate`` module's logic).

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.

For every host of ``config`` (the plan: host name -> document) one validator ``Case`` is built:

- with ``gathered`` (host name -> observed document, e.g. ``host_fabric_info``'s ``gathered``):
  O = ``doc_to_host(gathered[host])``, the desired state = ``doc_to_desired(config[host])`` and
  the plan = ``plan_host(O, desired)``; R = the plan's result. Transition rules compare O and R,
  and ``plan`` lists what the config would change on that state. Every host of ``config``
  must be in ``gathered`` (fail closed); hosts only in ``gathered`` are out of scope.
- without ``gathered``: the config is validated as the resulting state R, with O = R. R is
  what the planner builds from the config on an empty host (ESXi's creation defaults for
  anything the config omits), so transition rules do not fire and ``plan`` is empty.

Then all built-in rules run on all hosts together (cross-host rules included), the site
policies run on each host's R document, and the findings are sorted together.

The gathered document does not list free NICs: the uplinks the config names are taken as NICs
of the host, so the NIC-existence part of TS-2 is only checked by the modules that read the host.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import (
    KNOWN_SERVICES,
    doc_to_desired,
    doc_to_host,
    host_to_doc,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Desired,
    Finding,
    Flags,
    Host,
    Pnic,
    is_set,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import flags_from_args
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import Plan, match_vmk, plan_host
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._policies import Policy, evaluate, parse_policies
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._validator import Case, one_line, refusals, render, validate

FAIL_ON = ("error", "warning", "never")


def _hosts(option: str, value: Any) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ArgumentError(option, "must map each host name to its fabric document, got %s" % type(value).__name__)
    for name in value:
        if not isinstance(name, str) or not name:
            raise ArgumentError(option, "host names must be non-empty strings, got %r" % (name,))
    return value


def _config_uplinks(desired: Desired) -> list[str]:
    return [n for sw in desired.vswitches if is_set(sw.uplinks) for n in sw.uplinks]


def build_case(name: str, config_doc: Any, gathered_doc: Any = None, has_gathered: bool = False,
               flags: Flags | None = None) -> Case:
    """One host's Case (see the module docstring for O, desired and plan)."""
    desired = doc_to_desired(name, config_doc, flags)
    uplinks = _config_uplinks(desired)
    if has_gathered:
        observed = doc_to_host(name, gathered_doc, pnics=uplinks)
    else:
        empty = Host(name=name, pnics={n: Pnic(device=n) for n in uplinks}, nic_types=KNOWN_SERVICES)
        observed = plan_host(empty, desired).after
    return Case(observed, desired, plan_host(observed, desired))


def resulting_doc(plan: Plan, desired: Desired) -> dict[str, Any]:
    """R as a canonical document, each vmknic with the ``purpose`` the plan declares (else general)."""
    doc = host_to_doc(plan.after)
    declared: dict[str, str] = {}
    for spec in desired.vmks:
        vmk = match_vmk(plan.after, spec)
        if vmk is not None:
            declared[vmk.device] = spec.purpose
    for entry in doc["vmknics"]:
        entry["purpose"] = declared.get(entry["device"], "general")
    return doc


def validate_documents(config: Any, gathered: Any = None, policies: Any = None,
                       flags: Flags | None = None) -> dict[str, Any]:
    """Validate a plan document (optionally against gathered state) with the site policies.

    Returns ``valid``, ``findings``, ``refused``, ``plan``, ``after`` and ``rendered``;
    raises ArgumentError for a malformed document, option or policy.
    """
    config = _hosts("config", config)
    if not config:
        raise ArgumentError("config", "is empty: give at least one host and its fabric document")
    has_gathered = gathered is not None
    if has_gathered:
        gathered = _hosts("gathered", gathered)
        missing = sorted(h for h in config if h not in gathered)
        if missing:
            raise ArgumentError("gathered", "has no observed state for %s (hosts in gathered: %s)"
                                % (", ".join(missing), ", ".join(sorted(gathered)) or "none"))
    checked: Sequence[Policy] = parse_policies(policies)
    cases = [build_case(h, config[h], gathered[h] if has_gathered else None, has_gathered, flags)
             for h in sorted(config)]
    findings: list[Finding] = list(validate(cases))
    after = {c.host: resulting_doc(c.plan, c.desired) for c in cases}
    for case in cases:
        findings.extend(evaluate(checked, case.host, after[case.host]))
    findings.sort(key=lambda f: (f.sort_key(), f.found))
    errors = refusals(findings)
    return {
        "valid": not errors,
        "findings": [f.as_dict() for f in findings],
        "refused": [f.as_dict() for f in errors],
        "plan": [a.as_dict() for c in cases for a in c.plan.actions],
        "after": after,
        "rendered": render(findings),
    }


def failure(result: Mapping[str, Any], fail_on: str = "error") -> str | None:
    """The task's failure message under ``fail_on``, or None when the task passes.

    ``error``: fail when there is an error finding (the headline and the first error, exactly
    as a refused mutating module); ``warning``: also fail on warnings only; ``never``: report.
    """
    if fail_on not in FAIL_ON:
        raise ArgumentError("fail_on", "must be one of %s, got %r" % (", ".join(FAIL_ON), fail_on))
    headline = result["rendered"].splitlines()[0]
    if result["refused"] and fail_on in ("error", "warning"):
        return "%s %s" % (headline, one_line(result["refused"][0]))
    if result["findings"] and fail_on == "warning":
        return "%s %s (fail_on: warning)" % (headline, one_line(result["findings"][0]))
    return None


def run(params: Mapping[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The module's work on its parameters: (failure message or None, result without ``changed``)."""
    flags = flags_from_args(params)
    result = validate_documents(params["config"], params.get("gathered"), params.get("policies"), flags)
    return failure(result, params.get("fail_on") or "error"), result
