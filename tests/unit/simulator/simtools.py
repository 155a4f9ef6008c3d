"""Shared paths and helpers of the simulator tests."""

from __future__ import annotations

import os
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
SIM_DIR = os.path.join(ROOT, "tests", "simulator")
INVENTORIES = os.path.join(SIM_DIR, "inventories")
DEMO = os.path.join(INVENTORIES, "demo.yml")
ESXI = os.path.join(INVENTORIES, "esxi.yml")
if SIM_DIR not in sys.path:
    sys.path.insert(0, SIM_DIR)

# SimProcess is re-exported for the test modules.
from vsphere_sim.launcher import SimProcess  # noqa: E402,F401  # pylint: disable=wrong-import-position,import-error,unused-import


def credentials(inventory: str = DEMO) -> tuple:
    with open(inventory, encoding="utf-8") as fh:
        creds = yaml.safe_load(fh)["credentials"]
    return creds["username"], creds["password"]
