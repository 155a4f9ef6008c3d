# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The validator's CH rules (iSCSI CHAP), and the family's rows of the rule table.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API. No
finding ever carries a secret: ESXi never reports one, and the rules only ask whether one is
given or held.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Union

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_plan import resolve_adapter
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    Chap,
    ChapSpec,
    Field,
    Finding,
    IscsiAdapter,
    IscsiTarget,
    is_set,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._rules._common import (
    ERROR,
    HOST,
    Case,
    Rule,
    finding,
    hba_obj,
    target_obj,
)

CHAP_GUIDE = 'VMware vSphere Storage guide, "Configuring CHAP Parameters for iSCSI or iSER Storage Adapters"'

Level = Union[IscsiAdapter, IscsiTarget]  # noqa: UP007  # a type alias mypy accepts (see _model.Field)


def _declared(case: Case) -> Iterator[tuple[str, str, Field[ChapSpec], Chap, Chap | None]]:
    """(object, field, declared CHAP direction, R's value, O's value or None) of every ``chap`` /
    ``mutual_chap`` the task declares on a resolvable adapter or one of its targets."""
    for spec in case.desired.iscsi:
        adapter = resolve_adapter(case.after.iscsi, spec)
        if adapter is None:
            continue
        before = case.observed.iscsi.get(adapter.device)
        levels: list[tuple[str, str, Level, Level | None, tuple[Field[ChapSpec], Field[ChapSpec]]]] = [
            (hba_obj(adapter.device), "", adapter, before, (spec.chap, spec.mutual_chap))]
        for kind, targets, old in (("send_targets", spec.send_targets, before.send_targets if before else {}),
                                   ("static_targets", spec.static_targets, before.static_targets if before else {})):
            new = adapter.send_targets if kind == "send_targets" else adapter.static_targets
            for t in targets:
                if t.state != "absent" and t.key in new:
                    levels.append((target_obj(adapter.device, t.portal), "%s[%d]." % (kind, t.index), new[t.key],
                                   old.get(t.key), (t.chap, t.mutual_chap)))
        for obj, prefix, level, old_level, (chap, mutual) in levels:
            yield obj, prefix + "chap", chap, level.chap, old_level.chap if old_level else None
            yield obj, prefix + "mutual_chap", mutual, level.mutual_chap, old_level.mutual_chap if old_level else None


def ch1_credentials_missing(case: Case) -> Iterator[Finding]:
    """A CHAP level other than prohibited without a name, or without a secret where the host holds none yet."""
    for obj, field_name, spec, after, before in _declared(case):
        if not is_set(spec) or spec.type == "prohibited":
            continue
        held = before is not None and before.held is not None and before.type != "prohibited"
        missing = [what for what, gone in (("a name", not after.name), ("a secret", not spec.secret and not held)) if gone]
        if missing:
            yield finding("CH-1", case.host, obj,
                          "%s: type %s without %s, and the host holds none at this level (%s)"
                          % (field_name, spec.type, " or ".join(missing),
                             "new" if before is None else "inherited" if before.held is None else "CHAP %s" % before.type),
                          "give %s.name and %s.secret (the target's CHAP account), or type: prohibited"
                          % (field_name, field_name))


def _effective(adapter: IscsiAdapter, level: Level) -> tuple[Chap, Chap]:
    """(one-way, mutual) CHAP in force at ``level``: its own, else its parent's (send target, then adapter)."""
    if not isinstance(level, IscsiTarget):
        return level.chap, level.mutual_chap
    parent: Level = adapter
    if level.discovered_from:
        parent = next((s for s in adapter.send_targets.values() if s.portal == level.discovered_from), adapter)
    above = _effective(adapter, parent)
    return (above[0] if level.chap.inherited else level.chap, above[1] if level.mutual_chap.inherited else level.mutual_chap)


def ch2_mutual_without_required_chap(case: Case) -> Iterator[Finding]:
    """Mutual CHAP in force where one-way CHAP is not required."""
    for spec in case.desired.iscsi:
        declared = [spec.chap, spec.mutual_chap] + [c for t in spec.send_targets + spec.static_targets
                                                    for c in (t.chap, t.mutual_chap)]
        adapter = resolve_adapter(case.after.iscsi, spec)
        if adapter is None or not any(is_set(c) for c in declared):
            continue
        levels: list[tuple[str, Level]] = [(hba_obj(adapter.device), adapter)]
        levels += [(target_obj(adapter.device, t.portal + ("/" + t.iqn if t.iqn else "")), t)
                   for t in list(adapter.send_targets.values()) + list(adapter.static_targets.values())]
        for obj, level in levels:
            one_way, mutual = _effective(adapter, level)
            if mutual.type != "prohibited" and one_way.type != "required":
                yield finding("CH-2", case.host, obj,
                              "mutual_chap type %s%s, but one-way chap is %s%s" % (
                                  mutual.type, " (inherited)" if level.mutual_chap.inherited else "",
                                  one_way.type, " (inherited)" if level.chap.inherited else ""),
                              "set chap type: required at this level (bidirectional CHAP needs one-way CHAP required), "
                              "or mutual_chap type: prohibited")


RULES: tuple[Rule, ...] = (
    Rule("CH-1", ERROR, HOST, ch1_credentials_missing, CHAP_GUIDE + "; vSphere API HostInternetScsiHbaAuthenticationProperties"),
    Rule("CH-2", ERROR, HOST, ch2_mutual_without_required_chap, CHAP_GUIDE + " (\"Use bidirectional CHAP\")"),
)
