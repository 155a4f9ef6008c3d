# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pure layers (every module_utils file whose docstring says "Private to this collection. Pure", the
rules package included) import no pyVmomi: proven in a fresh interpreter where importing pyVmomi raises."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

MODULE_UTILS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "plugins", "module_utils")
DECLARED = re.compile(r"^Private to this collection\. Pure\b", re.MULTILINE)


def _declared_pure() -> tuple:
    """Dotted names (``_model``, ``_rules._mh``) of the module_utils files that declare themselves pure."""
    found = []
    for root, _dirs, files in os.walk(MODULE_UTILS):
        for name in files:
            path = os.path.join(root, name)
            if name.endswith(".py") and name != "__init__.py":
                with open(path, encoding="utf-8") as fh:
                    if DECLARED.search(fh.read()):
                        found.append(os.path.relpath(path, MODULE_UTILS)[:-3].replace(os.sep, "."))
    return tuple(sorted(found))


PURE = _declared_pure()

SCRIPT = """
import sys
sys.modules["pyVmomi"] = None  # any import of pyVmomi now raises ImportError
sys.path.insert(0, %(root)r)
import importlib
for name in %(names)r:
    importlib.import_module("ansible_collections.vmkfabric.vsphere.plugins.module_utils." + name)
loaded = sorted(m for m, mod in sys.modules.items() if mod is not None and m.split(".")[0] in ("pyVmomi", "pyVim"))
print("LOADED:" + ",".join(loaded))
"""


def _collection_parent() -> str:
    import ansible_collections.vmkfabric.vsphere as coll  # made importable by tests/conftest.py
    path = os.path.dirname(os.path.abspath(coll.__path__[0] if hasattr(coll, "__path__") else coll.__file__))
    return os.path.dirname(os.path.dirname(path))


@pytest.mark.parametrize("names", [PURE] + [(n,) for n in PURE], ids=["all"] + list(PURE))
def test_pure_layers_import_without_pyvmomi(names):
    code = SCRIPT % {"root": _collection_parent(), "names": names}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "LOADED:", proc.stdout


def test_the_pure_list_is_derived_and_covers_the_rule_families():
    """Control: the derived list holds the layers the pipeline relies on, the validator's families included."""
    assert {"_model", "_planner", "_validator", "_document", "_offline", "_errors", "_retry", "_fabric",
            "_rules._common", "_rules._pb", "_rules._xh", "_report", "_svg"} <= set(PURE)
    assert "_reader" not in PURE and "_client" not in PURE


def test_the_block_really_blocks():
    """Control: under the same block, importing pyVmomi fails."""
    code = 'import sys\nsys.modules["pyVmomi"] = None\nimport pyVmomi\n'
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode != 0 and "import of pyVmomi halted" in proc.stderr
