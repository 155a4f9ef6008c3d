# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Opt-in retry for transient faults: bounded attempts, jittered exponential backoff, hard timeout.

Private to this collection. Pure: no pyVmomi. Only idempotent calls (reads) should opt in;
a write that may have reached the host is never retried blindly.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import TransientError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` counts the first try; ``timeout`` bounds the whole sequence, sleeps included.

    Only ``TransientError`` is retried: the collection raises it for failures known to be safe
    to repeat (a dropped connection during a read).
    """

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    timeout: float = 60.0


NO_RETRY = RetryPolicy(attempts=1)


def delays(policy: RetryPolicy, rand: Callable[[], float] = random.random) -> Iterator[float]:
    """Full-jitter backoff: before retry n, sleep uniform(0, min(max_delay, base * 2**n))."""
    for n in range(max(policy.attempts - 1, 0)):
        yield rand() * min(policy.max_delay, policy.base_delay * (2 ** n))


def call_with_retry(fn: Callable[[], T], policy: RetryPolicy = NO_RETRY,
                    sleep: Callable[[float], None] = time.sleep,
                    clock: Callable[[], float] = time.monotonic,
                    rand: Callable[[], float] = random.random) -> T:
    """Call ``fn`` until it succeeds, raises anything but TransientError, or attempts/time run out.

    The last retryable error is re-raised unchanged when the budget is spent.
    """
    deadline = clock() + policy.timeout
    pauses = delays(policy, rand)
    while True:
        try:
            return fn()
        except TransientError:
            pause = next(pauses, None)
            if pause is None or clock() + pause > deadline:
                raise
            sleep(pause)
