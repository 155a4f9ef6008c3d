"""Role READMEs generated from each role's meta/argument_specs.yml and its example playbook.

    python tests/utils/role_docs.py          # rewrite roles/*/README.md
    python tests/utils/role_docs.py --check  # exit 1 when a README differs from what it would write

``tests/unit/test_roles.py`` runs the check, so a README cannot drift from its argument spec.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from typing import Any

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = os.path.join(ROOT, "roles")
EXAMPLES = os.path.join(ROOT, "examples", "roles")

_MARKUP = re.compile(r"\b([OVMCEI])\(([^()]*)\)")


def plain(text: str) -> str:
    """Ansible doc markup (O(), V(), M(), C(), E(), I()) as Markdown code spans."""
    return _MARKUP.sub(lambda m: "`%s`" % m.group(2).split("#")[0] if m.group(1) == "M" else "`%s`" % m.group(2), text)


def lines(value: Any) -> list[str]:
    return [plain(" ".join(str(v).split())) for v in (value if isinstance(value, list) else [value])]


def role_names() -> list[str]:
    return sorted(d for d in os.listdir(ROLES) if os.path.isfile(os.path.join(ROLES, d, "meta", "argument_specs.yml")))


def spec(role: str) -> Mapping[str, Any]:
    with open(os.path.join(ROLES, role, "meta", "argument_specs.yml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)["argument_specs"]["main"]


def _type(option: Mapping[str, Any]) -> str:
    kind = option.get("type", "str")
    return "%s of %s" % (kind, option["elements"]) if option.get("elements") else kind


def _default(option: Mapping[str, Any]) -> str:
    if option.get("required"):
        return "**required**"
    return "`%s`" % yaml.safe_dump(option.get("default"), default_flow_style=True, width=1000).strip().removesuffix("\n...")


def variable_rows(options: Mapping[str, Any], prefix: str = "") -> list[str]:
    rows = []
    for name, option in options.items():
        text = " ".join(lines(option.get("description", "")))
        if option.get("choices"):
            text += " Choices: %s." % ", ".join("`%s`" % c for c in option["choices"])
        rows.append("| `%s%s` | %s | %s | %s |" % (prefix, name, _type(option), _default(option), text.replace("|", "\\|")))
        rows += variable_rows(option.get("options") or {}, "%s%s[]." % (prefix, name) if option.get("elements") == "dict"
                              else "%s%s." % (prefix, name))
    return rows


def readme(role: str) -> str:
    main = spec(role)
    with open(os.path.join(EXAMPLES, role + ".yml"), encoding="utf-8") as fh:
        example = fh.read().strip()
    out = ["# vmkfabric.vsphere.%s" % role, "", plain(main["short_description"]) + ".", ""]
    for paragraph in lines(main.get("description", [])):
        out += [paragraph, ""]
    out += ["## Example", "", "Against the demo cluster (`examples/roles/%s.yml`):" % role, "", "```yaml", example, "```", "",
            "Run it with `--check --diff` first: the role validates on the controller, then converges in one",
            "`host_fabric` task, so check mode reports exactly the actions a real run takes.", "",
            "## Variables", "",
            "Generated from `meta/argument_specs.yml` (`ansible-doc -t role vmkfabric.vsphere.%s`)." % role, "",
            "| variable | type | default | description |", "|---|---|---|---|"]
    out += variable_rows(main["options"])
    out += ["", "## License", "", "GPL-3.0-or-later", ""]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale: dict[str, str] = {}
    for role in role_names():
        path = os.path.join(ROLES, role, "README.md")
        text = readme(role)
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else ""
        if current != text:
            stale[role] = path
            if not check:
                with open(path, "w", encoding="utf-8") as fh:
                    fh.write(text)
    for path in stale.values():
        print("%s %s" % ("stale:" if check else "wrote", os.path.relpath(path, ROOT)))
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
