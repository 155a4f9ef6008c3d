# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_retry: bounded attempts, jittered backoff, hard timeout, only for opted-in errors."""

from __future__ import annotations

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ApplyError, TransientError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._retry import (
    NO_RETRY,
    RetryPolicy,
    call_with_retry,
    delays,
)


class Clock:
    def __init__(self):
        self.now, self.slept = 0.0, []

    def sleep(self, s):
        self.slept.append(s)
        self.now += s


def flaky(failures, error=TransientError):
    state = {"n": 0}

    def fn():
        state["n"] += 1
        if state["n"] <= failures:
            raise error("try %d" % state["n"])
        return state["n"]
    return fn, state


def test_retries_transient_errors_with_backoff():
    clock, (fn, _state) = Clock(), flaky(2)
    policy = RetryPolicy(attempts=3, base_delay=1.0, max_delay=10.0, timeout=60.0)
    assert call_with_retry(fn, policy, sleep=clock.sleep, clock=lambda: clock.now, rand=lambda: 1.0) == 3
    assert clock.slept == [1.0, 2.0]


def test_gives_up_after_the_attempts_and_reraises_the_last_error():
    clock, (fn, state) = Clock(), flaky(5)
    with pytest.raises(TransientError, match="try 3"):
        call_with_retry(fn, RetryPolicy(attempts=3), sleep=clock.sleep, clock=lambda: clock.now)
    assert state["n"] == 3


def test_hard_timeout_stops_early():
    clock, (fn, state) = Clock(), flaky(5)
    policy = RetryPolicy(attempts=10, base_delay=4.0, max_delay=100.0, timeout=5.0)
    with pytest.raises(TransientError):
        call_with_retry(fn, policy, sleep=clock.sleep, clock=lambda: clock.now, rand=lambda: 1.0)
    assert state["n"] == 2 and clock.now <= 5.0


def test_other_errors_and_the_default_policy_do_not_retry():
    fn, state = flaky(1, ApplyError)
    with pytest.raises(ApplyError):
        call_with_retry(fn, RetryPolicy(attempts=5), sleep=lambda s: None)
    fn, state = flaky(1)
    with pytest.raises(TransientError):
        call_with_retry(fn, NO_RETRY)
    assert state["n"] == 1


def test_delays_are_capped_and_jittered():
    assert list(delays(RetryPolicy(attempts=6, base_delay=1.0, max_delay=5.0), rand=lambda: 1.0)) == [1, 2, 4, 5, 5]
    assert list(delays(RetryPolicy(attempts=3), rand=lambda: 0.0)) == [0.0, 0.0]
