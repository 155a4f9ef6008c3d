# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_parallel.each: bounded, results in item order, no new item after a failure, the first failure raised."""

from __future__ import annotations

import threading
import time

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._parallel import Steps, Stopped, each


class Boom(Exception):
    pass


@pytest.mark.parametrize("workers", [1, 3, 8])
def test_results_come_in_item_order(workers):
    def slow_first(i):
        time.sleep(0.02 if i == 0 else 0)
        return i * 10
    assert each(list(range(6)), slow_first, workers) == [0, 10, 20, 30, 40, 50]


def test_at_most_workers_run_at_once():
    running, peak, lock = [0], [0], threading.Lock()

    def work(_i):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
    each(list(range(12)), work, 3)
    assert peak[0] == 3


def test_a_failure_starts_no_new_item_and_running_ones_finish():
    started, finished = [], []
    release = threading.Event()

    def work(i):
        started.append(i)
        if i == 0:
            release.wait(1)
            finished.append(i)
            return i
        if i == 1:
            release.set()
            raise Boom("item 1")
        time.sleep(0.05)
        finished.append(i)
        return i
    errors = []
    with pytest.raises(Boom, match="item 1"):
        each(list(range(10)), work, 2, on_error=lambda item, err: errors.append(item))
    assert 0 in finished  # running when 1 failed: finished
    assert max(started) <= 2 and errors == [1]  # at most the item already picked up when 1 failed


def test_the_first_failure_in_item_order_is_raised_whatever_the_timing():
    def work(i):
        if i in (1, 2):
            time.sleep(0.03 if i == 1 else 0)  # 2 fails first in time
            raise Boom("item %d" % i)
        return i
    seen = []
    stop = threading.Event()
    with pytest.raises(Boom, match="item 1"):
        each([0, 1, 2], work, 3, stop=stop, on_error=lambda item, err: seen.append(item))
    assert sorted(seen) == [1, 2] and stop.is_set()


def test_stopped_items_are_not_reported_and_never_hide_the_real_failure():
    stop = threading.Event()
    gate = threading.Event()

    def work(i):
        if i == 0:
            gate.wait(1)
            if stop.is_set():
                raise Stopped("item 0")
            return 0
        stop.set()
        gate.set()
        raise Boom("item 1")
    seen = []
    with pytest.raises(Boom):
        each([0, 1], work, 2, stop=stop, on_error=lambda item, err: seen.append(item))
    assert seen == [1]


def test_one_worker_is_a_plain_loop_that_stops_at_the_failure():
    calls = []

    def work(i):
        calls.append(i)
        if i == 2:
            raise Boom("two")
    stop = threading.Event()
    with pytest.raises(Boom):
        each(list(range(5)), work, 1, stop=stop)
    assert calls == [0, 1, 2] and stop.is_set()


def test_steps_is_a_list_that_sees_the_stop_signal():
    stop = threading.Event()
    steps = Steps(stop)
    steps.append("UpdateNetworkConfig")
    assert steps == ["UpdateNetworkConfig"] and not steps.stopped()
    stop.set()
    assert steps.stopped()
