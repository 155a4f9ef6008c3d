"""Documentation generated from code stays in sync with it."""

from __future__ import annotations

import os
import re
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


# What users do not have: internal notes, seed files, issue numbers. User-visible text cites
# KB numbers, vendor documents and articles by title instead.
PRIVATE = re.compile(r"seed \d|\b\d{3}_[0-9a-f]{16}\.txt|\bissue \d|design\.md|safety-rules\.md|vsphere-api\.md")
USER_VISIBLE = ("plugins", "docs", "playbooks", "roles", "examples", "meta", "changelogs", "README.md", "CHANGELOG.rst",
                "galaxy.yml")


def _user_visible_files():
    for top in USER_VISIBLE:
        path = os.path.join(ROOT, top)
        if os.path.isfile(path):
            yield path
        for base, _dirs, files in os.walk(path):
            for name in files:
                if name.endswith((".py", ".yml", ".yaml", ".md", ".rst", ".txt", ".j2")):
                    yield os.path.join(base, name)


def test_user_visible_text_cites_public_sources_only():
    offenders = []
    for path in _user_visible_files():
        with open(path, encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if PRIVATE.search(line):
                    offenders.append("%s:%d: %s" % (os.path.relpath(path, ROOT), number, line.strip()))
    assert not offenders, "\n".join(offenders)


def test_rule_and_profile_sources_are_public():
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._profiles import PROFILES
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._validator import RULES

    sources = [r.source for r in RULES] + [p.source for p in PROFILES.values()]
    assert [s for s in sources if PRIVATE.search(s)] == []
    assert any("Another look at ESXi iSCSI Multipathing" in s for s in sources)
