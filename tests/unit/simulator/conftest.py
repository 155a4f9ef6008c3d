"""Fixtures: a simulator subprocess per test module, and pyVmomi connections to it."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vmodl

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.simtools import DEMO, SimProcess, credentials


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    with SimProcess(DEMO) as proc:
        yield proc


@pytest.fixture(scope="module")
def connect(sim: SimProcess) -> Iterator[Callable[..., Any]]:
    """connect() -> a logged-in ServiceInstance verified against the simulator's CA."""
    opened = []

    def _connect(**kwargs: Any) -> Any:
        user, pwd = credentials()
        options = {"host": "127.0.0.1", "port": sim.port, "user": user, "pwd": pwd,
                   "sslContext": ssl.create_default_context(cafile=sim.ca_file)}
        options.update(kwargs)
        si = SmartConnect(**options)
        opened.append(si)
        return si

    yield _connect
    for si in opened:
        try:
            Disconnect(si)
        except (vmodl.MethodFault, OSError):  # a test may have logged out already
            pass


@pytest.fixture(scope="module")
def si(connect: Callable[..., Any]) -> Any:
    return connect()
