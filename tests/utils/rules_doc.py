"""Write docs/rules.md from the validator's RULES table (`python tests/utils/rules_doc.py`).

tests/unit/test_docs.py fails when the committed file and the table disagree, so the rule
reference in the docs cannot drift from the code.
"""

from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TARGET = os.path.join(ROOT, "docs", "rules.md")


def render() -> str:
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._validator import RULES

    lines = [
        "# Validator rules",
        "",
        "Generated from `plugins/module_utils/_validator.py` (`RULES`) by `tests/utils/rules_doc.py`; do not edit.",
        "Every run evaluates every rule on every host in scope before anything is written, in check mode too.",
        "An `error` refuses the whole run; a rule with an opt-in flag reports a warning instead when the flag is set.",
        "",
        "| rule | severity | scope | opt-in flag | what it checks | source |",
        "|---|---|---|---|---|---|",
    ]
    for rule in sorted(RULES, key=lambda r: (r.rule.split("-")[0], int(r.rule.split("-")[1]))):
        doc = (rule.check.__doc__ or "").strip().splitlines()[0].replace("|", "\\|")
        lines.append("| %s | %s | %s | %s | %s | %s |" % (
            rule.rule, rule.severity, rule.scope, "`%s`" % rule.flag if rule.flag else "", doc, rule.source.replace("|", "\\|")))
    return "\n".join(lines) + "\n"


def main() -> int:
    with open(TARGET, "w", encoding="utf-8") as fh:
        fh.write(render())
    print("wrote %s" % TARGET)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    # importing tests/conftest.py makes the collection importable
    import conftest  # noqa: F401  # pylint: disable=unused-import,import-error
    sys.exit(main())
