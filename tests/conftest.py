"""Make ``ansible_collections.vmkfabric.vsphere`` importable for plain pytest runs.

`make` exports PYTHONPATH with a symlinked collection root; when pytest is run by hand this
creates the same layout in a temporary directory.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _importable(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a parent package (ansible_collections) is missing
        return False


if not _importable("ansible_collections.vmkfabric.vsphere"):
    _LINKROOT = os.path.join(tempfile.gettempdir(), "vmkfabric-pytest-%d" % os.getuid())
    _LINK = os.path.join(_LINKROOT, "ansible_collections", "vmkfabric", "vsphere")
    os.makedirs(os.path.dirname(_LINK), exist_ok=True)
    if os.path.realpath(_LINK) != ROOT:
        if os.path.islink(_LINK):
            os.unlink(_LINK)
        os.symlink(ROOT, _LINK)
    sys.path.insert(0, _LINKROOT)
