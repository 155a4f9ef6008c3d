"""Documentation generated from code stays in sync with it."""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "utils"))

import rules_doc  # noqa: E402  # pylint: disable=import-error,wrong-import-position


def test_rules_reference_matches_the_validator_table():
    with open(rules_doc.TARGET, encoding="utf-8") as fh:
        committed = fh.read()
    assert committed == rules_doc.render(), "docs/rules.md is stale: run `.venv/bin/python tests/utils/rules_doc.py`"


def test_every_rule_documents_itself():
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._validator import RULES

    assert all((r.check.__doc__ or "").strip() and r.source for r in RULES)
    assert len({r.rule for r in RULES}) == len(RULES)
