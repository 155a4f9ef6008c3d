# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Pure plan validator: runs the rule table of docs/rules.md (one function per rule ID, one file
per rule family in ``_rules/``) and renders what it found.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.

Invariants
- ``validate`` runs EVERY rule of ``RULES`` on every host (host-scoped rules) and on all hosts
  together (cross-host rules), and returns every finding sorted by ``Finding.sort_key``
  (host, rule ID, object). It never stops at the first finding.
- A rule function yields ``Finding``s; ``validate`` and ``recheck`` give each the severity and
  source of its rule's row (a few rules pick warning or error per finding, as the catalog says).
  The one place a severity changes afterwards is the opt-in downgrade: an error of a rule with a
  ``flag`` becomes a warning when the task set it.
- End-state rules look at R (``plan.after``), transition rules compare O (observed) with R,
  structural rules look at the declared specs. Every finding names a typed object, what was
  found (with values), a concrete change in the task's option names, and the catalog source.
- Where two rules would report the same mistake, the more specific one reports it (MTU-3 over
  MTU-1 above 9000; SF-1 over MTU-1 for a management vmk; TS-2 over IP-4 for a NIC-like name).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import Desired, Finding, Host
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules import (
    _ch,
    _ip,
    _mg,
    _mh,
    _mtu,
    _mv,
    _ns,
    _pb,
    _pr,
    _sf,
    _tp,
    _ts,
    _xh,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import (
    BEFORE_WRITE,
    CROSS_HOST,
    ERROR,
    HOST,
    WARNING,
    Case,
    Rule,
    counted,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._sf import recheck_touches_iscsi

__all__ = [
    "BEFORE_WRITE", "CROSS_HOST", "ERROR", "FLAG_RULES", "HOST", "RULES", "RULE_INDEX", "WARNING", "Case", "Rule",
    "check_escalation", "escalate", "one_line", "recheck", "recheck_touches_iscsi", "refusals", "render", "validate",
]

RULES: tuple[Rule, ...] = (_ts.RULES + _mtu.RULES + _ns.RULES + _mh.RULES + _ip.RULES + _sf.RULES + _pb.RULES + _tp.RULES
                           + _ch.RULES + _mg.RULES
                           + _mv.RULES + _pr.RULES + _xh.RULES)
"""The one rule table: every family's rows."""


def recheck(cases: Sequence[Case], now: dict[str, Host]) -> list[Finding]:
    """The before-write rules (SF-10) of every host in ``now`` (its state read again)."""
    found: list[Finding] = []
    for rule in RULES:
        if rule.scope == BEFORE_WRITE:
            for case in cases:
                if case.host in now:
                    found.extend(_of(rule, rule.check(case, now[case.host])))
    return sorted(found, key=lambda f: (f.sort_key(), f.found))


FLAG_RULES: dict[str, tuple[str, ...]] = {}
"""Opt-in flag -> the rules it downgrades to warnings: the one list of flags (argspecs derive from it)."""
for _rule in RULES:
    if _rule.flag:
        FLAG_RULES[_rule.flag] = FLAG_RULES.get(_rule.flag, ()) + (_rule.rule,)

RULE_INDEX: dict[str, Rule] = {r.rule: r for r in RULES}


def _of(rule: Rule, findings: Iterable[Finding]) -> Iterator[Finding]:
    """``findings`` of ``rule`` with its row's source, and its severity where the rule picked none."""
    for item in findings:
        yield dataclasses.replace(item, severity=item.severity or rule.severity, source=rule.source)


def _never_lifted(rule: Rule, item: Finding) -> bool:
    """No flag lifts the lastActive part of SF-4."""
    return rule.rule == "SF-4" and "last active path" in item.found


def _downgrade(rule: Rule, desired: Desired, item: Finding) -> Finding:
    """An error of a gated rule becomes a warning when the task set the rule's opt-in flag."""
    if rule.flag and item.is_error and getattr(desired.flags, rule.flag, False) and not _never_lifted(rule, item):
        return dataclasses.replace(item, severity=WARNING, found="%s (accepted: %s is set)" % (item.found, rule.flag))
    return item


def validate(cases: Sequence[Case]) -> list[Finding]:
    """Every rule on every host (and across hosts); all findings sorted by host, rule ID, object."""
    by_host = {c.host: c for c in cases}
    found: list[Finding] = []
    for rule in RULES:
        if rule.scope == BEFORE_WRITE:
            continue  # recheck(), on the state read again just before the first write
        if rule.scope == CROSS_HOST:
            items = [(by_host.get(f.host), f) for f in _of(rule, rule.check(cases))]
            found.extend(_downgrade(rule, c.desired, f) if c else f for c, f in items)
            continue
        for case in cases:
            found.extend(_downgrade(rule, case.desired, f) for f in _of(rule, rule.check(case)))
    return sorted(found, key=lambda f: (f.sort_key(), f.found))


def check_escalation(rules: Sequence[str] | None) -> frozenset[str]:
    """The warning rules a task turns into errors (``warnings_as_errors``): rule IDs of the
    catalog whose default severity is warning, or ``all`` (every warning rule)."""
    warnings = {r.rule for r in RULES if r.severity == WARNING}
    given = [str(r).strip() for r in rules or ()]
    if "all" in given:
        return frozenset(warnings)
    unknown = [r for r in given if r not in warnings]
    if unknown:
        raise ArgumentError("warnings_as_errors", "%s: not a warning rule of the catalog (an error rule refuses "
                            "anyway); give warning rule IDs (%s) or all" % (", ".join(unknown), ", ".join(sorted(warnings))))
    return frozenset(given)


def escalate(findings: Iterable[Finding], rules: frozenset[str]) -> list[Finding]:
    """``findings`` with the warnings of ``rules`` raised to errors (the task asked to refuse them)."""
    return [dataclasses.replace(f, severity=ERROR) if f.rule in rules and not f.is_error else f for f in findings]


def refusals(findings: Iterable[Finding]) -> list[Finding]:
    """The error findings: any one refuses the whole run."""
    return [f for f in findings if f.is_error]


def one_line(f: Mapping[str, Any]) -> str:
    """A finding (``Finding.as_dict()``) on one line, as every module of the collection reports it."""
    return "[%s] host=%s object=%s: %s; change: %s" % (f["rule"], f["host"], f["object"], f["found"], f["change"])


WARN_EACH_UP_TO = 5
"""A rule with more warnings than this in one run is reported as one Ansible warning (how many, on which
hosts, the first one); every finding stays in the result's ``findings``."""


def warning_lines(findings: Sequence[Mapping[str, Any]]) -> list[str]:
    """The Ansible warnings of a run's findings (``Finding.as_dict()``): one line per finding, except that a
    rule found more than ``WARN_EACH_UP_TO`` times is one line (160 jumbo-frame reminders on 32 hosts are
    one warning, not a screen of them)."""
    by_rule: dict[str, list[Mapping[str, Any]]] = {}
    for f in findings:
        by_rule.setdefault(f["rule"], []).append(f)
    lines: list[str] = []
    for rule, group in by_rule.items():
        if len(group) <= WARN_EACH_UP_TO:
            lines.extend(one_line(f) for f in group)
            continue
        hosts = list(dict.fromkeys(f["host"] for f in group))
        shown = ", ".join(hosts[:3]) + (" and %d more" % (len(hosts) - 3) if len(hosts) > 3 else "")
        lines.append("[%s] %d findings on %s (%s), each one in the result's findings; the first: %s"
                     % (rule, len(group), counted(len(hosts), "host"), shown, one_line(group[0])[len(rule) + 3:]))
    return lines


def render(findings: Sequence[Finding]) -> str:
    """The text form of a refusal: a headline, then every finding."""
    errors = len(refusals(findings))
    warnings = len(findings) - errors
    if errors:
        head = "plan refused: %s, %s (no changes made)" % (counted(errors, "error"), counted(warnings, "warning"))
    else:
        head = "plan accepted: %s, %s" % (counted(0, "error"), counted(warnings, "warning"))
    return "\n".join([head] + [f.render() for f in findings])
