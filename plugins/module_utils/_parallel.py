# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A bounded pool for per-host work: several hosts at once, results in host order, stop on the first failure.

Private to this collection. Pure (threads only, no pyVmomi).

``each(items, fn, workers)`` runs ``fn`` on the items, at most ``workers`` at a time, in item order of
start. After a failure no item that has not started starts; items already running finish what they are
doing (their own failures are reported too). Then the failure of the first item in item order is raised,
so the error a run reports does not depend on thread timing. ``workers`` of 1 is a plain loop.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_WORKERS = 8
"""The default ``parallel_hosts`` (measured: see the collection's benchmark results)."""


class Stopped(Exception):
    """Raised by an item's work when it notices ``stop`` (another item failed) before its next step."""


class Steps(list[str]):
    """The confirmed steps of one host (labels, in order) and the run's stop signal: a host checks
    ``stopped()`` before each write and does not start it once another host has failed."""

    def __init__(self, stop: threading.Event) -> None:
        super().__init__()
        self.stop = stop

    def stopped(self) -> bool:
        return self.stop.is_set()


def each(items: Sequence[T], fn: Callable[[T], R], workers: int, stop: threading.Event | None = None,
         on_error: Callable[[T, BaseException], None] | None = None) -> list[R]:
    """``[fn(i) for i in items]`` with at most ``workers`` running at once. ``stop`` is set on the first
    failure (work may watch it and raise ``Stopped``); ``on_error(item, error)`` is called (under a lock)
    for every item that failed other than by ``Stopped``. The first real failure in item order is raised."""
    stop = threading.Event() if stop is None else stop
    if workers <= 1 or len(items) <= 1:
        results = []
        for item in items:
            try:
                results.append(fn(item))
            except BaseException as err:
                stop.set()
                if on_error is not None and not isinstance(err, Stopped):
                    on_error(item, err)
                raise
        return results
    slots: list[R | None] = [None] * len(items)
    errors: dict[int, BaseException] = {}
    lock = threading.Lock()
    order = iter(range(len(items)))

    def work() -> None:
        while not stop.is_set():
            with lock:
                index = next(order, None)
            if index is None:
                return
            try:
                slots[index] = fn(items[index])
            except BaseException as err:  # pylint: disable=broad-exception-caught
                # re-raised below in the caller's thread; a worker thread must never swallow or lose it
                with lock:
                    errors[index] = err
                    stop.set()
                    if on_error is not None and not isinstance(err, Stopped):
                        on_error(items[index], err)

    threads = [threading.Thread(target=work, name="vmkfabric-host-%d" % n, daemon=True)
               for n in range(min(workers, len(items)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        real = [i for i in sorted(errors) if not isinstance(errors[i], Stopped)]
        raise errors[real[0] if real else min(errors)]
    return cast(list[R], slots)  # every slot was filled: no item failed
