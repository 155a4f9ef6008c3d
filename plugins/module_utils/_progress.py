# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What a writing run has done so far, per host, so that a failure reports it exactly.

Private to this collection. Pure: no pyVmomi.

The applier appends one label per call that the host (or vCenter) confirmed to ``done[h]``;
``planned[h]`` lists the same labels before anything is written, in the order they are
issued. When the run fails after its first write attempt, ``failure`` turns the error into
one ``ApplyError`` with ``changed: true`` and, per host, the steps done, the step that failed
(``outcome: failed`` — the host refused it, nothing of it was applied; ``unknown`` — the
connection dropped while it was in flight, so it may or may not have been applied) and the
steps not done. A rerun of the same task converges what is left: it plans against what the
host then reports.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ApplyError, FabricError, TransientError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._parallel import Steps

VCENTER = "vCenter"
"""The key of the switch-wide writes (dvPortgroups) in ``done``."""


@dataclass
class Progress:
    planned: dict[str, list[str]] = field(default_factory=dict)
    done: dict[str, list[str]] = field(default_factory=dict)
    attempted: bool = False  # a write was sent (the first one may have reached a host even if it failed)
    stop: threading.Event = field(default_factory=threading.Event)  # set by the first failure: no new step starts
    failed: dict[str, FabricError] = field(default_factory=dict)  # every host whose write failed (hosts in parallel)

    def of(self, host: str) -> list[str]:
        """The list the applier appends ``host``'s confirmed calls to (it carries the stop signal)."""
        return self.done.setdefault(host, Steps(self.stop))

    def record(self, host: str, err: BaseException) -> None:
        """A write of ``host`` failed (called by the pool for each failing host)."""
        if isinstance(err, FabricError):
            self.failed.setdefault(host, err)

    @property
    def changed(self) -> bool:
        return any(self.done.values())

    def steps(self, failed: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
        """host -> {done, failed, outcome, not_done}: ``failed`` (host -> outcome) only for the failed hosts."""
        failed = failed or {}
        out: dict[str, dict[str, Any]] = {}
        for host in sorted(set(self.planned) | {h for h, d in self.done.items() if d}):
            done = list(self.done.get(host, []))
            rest = list(self.planned.get(host, []))[len(done):]
            entry: dict[str, Any] = {"done": done, "not_done": rest}
            if host in failed and rest:
                entry.update(failed=rest[0], outcome=failed[host], not_done=rest[1:])
            out[host] = entry
        return out

    def _describe(self, host: str) -> str:
        """``host`` when all its steps are done, else ``host (done: ...)``."""
        done = self.done.get(host, [])
        return host if len(done) >= len(self.planned.get(host, [])) else "%s (done: %s)" % (host, ", ".join(done))

    def failure(self, err: FabricError) -> FabricError:
        """``err`` raised while writing, as the run's one error: unchanged when nothing was
        attempted yet, else an ApplyError with ``changed`` and ``steps``."""
        if not self.attempted:
            return err
        host = str(err.details.get("host") or "")
        errors = dict(self.failed)
        if host in self.planned:
            errors.setdefault(host, err)
        outcomes = {h: "unknown" if isinstance(e, TransientError) else "failed" for h, e in errors.items()}
        dropped = [e for e in errors.values() if isinstance(e, TransientError)] or \
            ([err] if isinstance(err, TransientError) else [])
        # a dropped write may have reached the host; the error itself may know of a change (a created task)
        changed = self.changed or bool(dropped) or any(bool(e.details.get("changed")) for e in [err, *errors.values()])
        message = err.message
        if isinstance(err, TransientError):
            message += "; whether %s reached %s is unknown: re-run the task, it plans against what the host then " \
                       "reports" % (err.details.get("call", "the call"), host or "the host")
        others = ["%s (%s)" % (h, e.message) for h, e in sorted(errors.items()) if h != host]
        if others:
            message += "; also failed at the same time: %s" % "; ".join(others)
        changed_hosts = [self._describe(h) for h in sorted(self.planned) if h not in errors and self.done.get(h)]
        if changed_hosts and "already changed in this run" not in message:
            message += " (already changed in this run: %s)" % ", ".join(changed_hosts)
        details: Mapping[str, Any] = dict(err.details, changed=changed, steps=self.steps(outcomes))
        return ApplyError(message, **details)
