# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One exception family for the collection; every failure a module reports is one of these.

Private to this collection. Pure: no pyVmomi.
"""

from __future__ import annotations

from typing import Any


class FabricError(Exception):
    """Base class. ``str(err)`` is the one-line message shown to the user."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details


class ArgumentError(FabricError):
    """Bad module input, caught before any connection or write. Names the field and host."""

    def __init__(self, field: str, message: str, host: str | None = None) -> None:
        where = "%s (host %s)" % (field, host) if host else field
        super().__init__("%s: %s" % (where, message), field=field, host=host)
        self.field = field
        self.host = host


class ConnectionFailure(FabricError):
    """Login, TLS or network failure talking to vCenter/ESXi."""


class NotFoundError(FabricError):
    """A host, cluster or object named in the task does not exist."""


class StateReadError(FabricError):
    """Observed state needed by a rule could not be read (fail closed, rule SF-9)."""


class ApplyError(FabricError):
    """A write failed on the host. ``details`` name the host, the call and the fault."""


class DriftError(FabricError):
    """The host changed between validation and the first write (rule SF-10)."""


class TransientError(FabricError):
    """A failure worth retrying (dropped connection, busy host)."""
