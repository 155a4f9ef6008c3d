# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Site policies: JMESPath queries over the canonical document, reported like built-in findings.

Private to this collection. Pure: imports no pyVmomi; needs the ``jmespath`` library (guarded:
``HAS_JMESPATH``; the module fails with ``missing_required_lib`` when policies are given
without it).

A policy is ``{id, severity, query, message, fix}``:

- ``id``: a name such as ``SITE-1`` (letters, digits, ``_``, ``.``, ``-``). Unique. Its family
  (the part before the first ``-``) may not be a built-in rule family (``RESERVED_FAMILIES``).
- ``severity``: ``error`` (default; refuses the plan) or ``warning``.
- ``query``: a JMESPath expression, evaluated once per host on the *resulting* state of that
  host (the plan applied to the gathered state) as one object::

      {host: NAME, vswitches: [...], portgroups: [...], vmknics: [...]}

  in the canonical document shape, where every vmknic also carries ``purpose`` (from the plan;
  ``general`` for a vmk the plan does not declare).
- ``message``: what the policy requires (shown in ``found``); ``fix``: the edit to make
  (shown in ``change``; a generic hint when omitted).

The result of the query decides: ``null``, ``false``, an empty list, object or string is no
violation. A non-empty list gives one finding per element; ``true`` or any other value gives one
finding. A finding's object is named from the element: ``vmk:<device>`` for an object with a
``device``, ``portgroup:<vswitch>/<name>`` for one with ``name`` and ``vswitch``,
``vswitch:<name>`` for one with ``name``, a string element as itself, else ``host:<NAME>``.
Example, "every iSCSI vmk has MTU 9000": ``vmknics[?purpose=='iscsi' && mtu != `9000`]``.
"""

from __future__ import annotations

import json
import re
import traceback
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import SEVERITIES, Finding, Severity

try:
    import jmespath
    from jmespath.exceptions import ArityError, JMESPathError, UnknownFunctionError
except ImportError:  # pragma: no cover - exercised through HAS_JMESPATH
    HAS_JMESPATH = False
    JMESPATH_IMPORT_ERROR: str | None = traceback.format_exc()
    jmespath = None
    JMESPathError = ArityError = UnknownFunctionError = Exception
else:
    HAS_JMESPATH = True
    JMESPATH_IMPORT_ERROR = None

RESERVED_FAMILIES = ("TS", "MTU", "NS", "MH", "IP", "PB", "TP", "CH", "MG", "MV", "PR", "XH", "SF")
"""Built-in rule families: a site policy may not use these as its ID family."""

POLICY_KEYS = ("id", "severity", "query", "message", "fix")
POLICY_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_.]*(-[A-Za-z0-9_.]+)*$")
SOURCE = "site policy"
MAX_SHOWN = 160


@dataclass(frozen=True)
class Policy:
    """One checked site policy with its compiled expression."""

    id: str
    severity: Severity
    query: str
    message: str
    fix: str
    compiled: Any


def _where(index: int, raw: Any) -> str:
    ident = raw.get("id") if isinstance(raw, Mapping) else None
    return "policies[%d]%s" % (index, " (%s)" % ident if isinstance(ident, str) and ident else "")


def parse_policies(raw: Any, reserved: Iterable[str] = RESERVED_FAMILIES) -> tuple[Policy, ...]:
    """Check and compile the ``policies`` option; every error names the policy (index and id)."""
    if raw is None:
        return ()
    if not isinstance(raw, (list, tuple)):
        raise ArgumentError("policies", "must be a list of policies, got %s" % type(raw).__name__)
    families = {f.upper() for f in reserved}
    seen: dict[str, int] = {}
    out: list[Policy] = []
    for i, item in enumerate(raw):
        where = _where(i, item)
        if not isinstance(item, Mapping):
            raise ArgumentError(where, "must be a mapping with id, query and message")
        unknown = sorted(str(k) for k in item if k not in POLICY_KEYS)
        if unknown:
            raise ArgumentError("%s.%s" % (where, unknown[0]), "unknown key; allowed keys: %s" % ", ".join(POLICY_KEYS))
        for key in ("id", "query", "message"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise ArgumentError("%s.%s" % (where, key), "required (a non-empty string)")
        ident = item["id"]
        if not POLICY_ID.match(ident):
            raise ArgumentError(where + ".id", "must look like SITE-1 (letters, digits, '_', '.', '-'), got %r" % ident)
        family = ident.split("-", 1)[0].upper()
        if family in families:
            raise ArgumentError(where + ".id", "%r uses the built-in rule family %s (%s); pick another prefix such as "
                                "SITE-" % (ident, family, ", ".join(sorted(families))))
        if ident.upper() in seen:
            raise ArgumentError(where + ".id", "%r is also the id of policies[%d]" % (ident, seen[ident.upper()]))
        seen[ident.upper()] = i
        given = item.get("severity") or "error"
        severity = next((s for s in SEVERITIES if s == given), None)
        if severity is None:
            raise ArgumentError(where + ".severity", "must be one of %s, got %r" % (", ".join(SEVERITIES), given))
        fix = item.get("fix")
        if fix is not None and not isinstance(fix, str):
            raise ArgumentError(where + ".fix", "must be a string")
        out.append(Policy(ident, severity, item["query"], item["message"].strip(), (fix or "").strip(),
                          _compile(where, item["query"])))
    return tuple(out)


def _compile(where: str, query: str) -> Any:
    if not HAS_JMESPATH:
        raise ArgumentError(where + ".query", "the jmespath Python library is required to evaluate site policies")
    try:
        compiled = jmespath.compile(query)
    except JMESPathError as err:
        raise ArgumentError(where + ".query", "malformed JMESPath expression %r: %s" % (query, _oneline(err))) from None
    try:  # unknown functions and wrong argument counts only show when the expression runs
        compiled.search(subject("", {}))
    except (UnknownFunctionError, ArityError) as err:
        raise ArgumentError(where + ".query", "malformed JMESPath expression %r: %s" % (query, _oneline(err))) from None
    except JMESPathError:
        pass  # a type error on empty data may not happen on real data; evaluate() reports it per host
    return compiled


def _oneline(err: Exception) -> str:
    return " ".join(str(err).split())


def subject(host: str, doc: Mapping[str, Any]) -> dict[str, Any]:
    """What a query is evaluated on: ``{host, vswitches, portgroups, vmknics}``."""
    return {"host": host, "vswitches": list(doc.get("vswitches") or []),
            "portgroups": list(doc.get("portgroups") or []), "vmknics": list(doc.get("vmknics") or [])}


def _violations(result: Any) -> list[Any]:
    if result is None or result is False:
        return []
    if isinstance(result, (list, tuple)):
        return [item for item in result if item is not None and item is not False]
    if isinstance(result, (dict, str)) and not result:
        return []
    return [result]


def object_of(host: str, item: Any) -> str:
    """The typed object a violating element names."""
    if isinstance(item, Mapping):
        if isinstance(item.get("device"), str) and item["device"]:
            return "vmk:%s" % item["device"]
        if isinstance(item.get("name"), str) and item["name"]:
            if isinstance(item.get("vswitch"), str) and item["vswitch"]:
                return "portgroup:%s/%s" % (item["vswitch"], item["name"])
            return "vswitch:%s" % item["name"]
    if isinstance(item, str) and item:
        return item
    return "host:%s" % host


def _shown(item: Any) -> str:
    """What matched, briefly: the scalar fields of an object, or the value itself."""
    if item is True:
        return ""
    if isinstance(item, Mapping):
        scalars = ["%s=%s" % (k, json.dumps(v) if isinstance(v, str) and " " in v else v)
                   for k, v in sorted(item.items()) if isinstance(v, (str, int, float, bool)) or v is None]
        text = " ".join(scalars) if scalars else json.dumps(item, sort_keys=True, default=str)
    else:
        text = item if isinstance(item, str) else json.dumps(item, sort_keys=True, default=str)
    return " (matched %s)" % (text if len(text) <= MAX_SHOWN else text[:MAX_SHOWN - 3] + "...")


def evaluate(policies: Sequence[Policy], host: str, doc: Mapping[str, Any]) -> Iterator[Finding]:
    """Findings of every policy on one host's resulting document (``rule`` = the policy id)."""
    data = subject(host, doc)
    for policy in policies:
        try:
            result = policy.compiled.search(data)
        except JMESPathError as err:
            raise ArgumentError("policies (%s).query" % policy.id, "cannot be evaluated on host %s: %s"
                                % (host, _oneline(err))) from None
        for item in _violations(result):
            yield Finding(
                rule=policy.id, severity=policy.severity, host=host, object=object_of(host, item),
                found="%s%s" % (policy.message, _shown(item)),
                change=policy.fix or "change the plan so that the query of %s matches nothing" % policy.id,
                source=SOURCE)
