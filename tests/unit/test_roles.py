# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles' argument specs are complete and everything derived from them agrees with them:
defaults/main.yml holds exactly the optional variables with the spec's defaults, the README is
the generated one, the top-level README quotes each role's example, and ansible-doc renders the
spec of every role."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "utils"))

import role_docs  # noqa: E402  # pylint: disable=import-error,wrong-import-position

ROLES = role_docs.role_names()


def load(*parts: str) -> Any:
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def options(spec: Mapping[str, Any], path: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    for name, option in spec.items():
        yield path + name, option
        yield from options(option.get("options") or {}, "%s%s." % (path, name))


def test_the_four_roles_exist():
    assert ROLES == ["host_fabric", "iscsi_multipath", "replica_network", "vmotion_multinic"]


@pytest.mark.parametrize("role", ROLES)
def test_every_variable_is_prefixed_typed_and_documented(role):
    spec = role_docs.spec(role)
    assert spec["short_description"] and spec["description"]
    for name in spec["options"]:
        assert name.startswith(role + "_"), name
    for name, option in options(spec["options"]):
        assert option.get("type") in ("str", "int", "bool", "list", "dict", "path"), name
        assert option.get("description"), name
        assert not (option.get("required") and "default" in option), name
        if option["type"] == "list":
            assert option.get("elements"), name


@pytest.mark.parametrize("role", ROLES)
def test_defaults_hold_exactly_the_optional_variables_with_the_spec_defaults(role):
    spec = role_docs.spec(role)["options"]
    optional = {name: option.get("default") for name, option in spec.items() if not option.get("required")}
    assert load("roles", role, "defaults", "main.yml") == optional
    assert [name for name, option in spec.items() if option.get("required")], "a role without required input"


@pytest.mark.parametrize("role", ROLES)
def test_meta_names_the_role(role):
    meta = load("roles", role, "meta", "main.yml")
    assert meta["galaxy_info"]["role_name"] == role and meta["galaxy_info"]["namespace"] == "vmkfabric"
    assert meta["dependencies"] == []


@pytest.mark.parametrize("role", ROLES)
def test_readme_is_generated_from_the_spec(role):
    with open(os.path.join(ROOT, "roles", role, "README.md"), encoding="utf-8") as fh:
        committed = fh.read()
    assert committed == role_docs.readme(role), "roles/%s/README.md is stale: run tests/utils/role_docs.py" % role
    for name, _option in options(role_docs.spec(role)["options"]):
        assert "`%s" % name.split(".")[0] in committed


def test_top_level_readme_quotes_every_role_example():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        readme = fh.read()
    section = readme.split("\n## Roles\n", 1)[1].split("\n## ", 1)[0]
    for role in ROLES:
        with open(os.path.join(ROOT, "examples", "roles", role + ".yml"), encoding="utf-8") as fh:
            example = fh.read().removeprefix("---\n").strip()
        assert "```yaml\n%s\n```" % example in section, role


def test_ansible_doc_renders_every_role(tmp_path):
    link = tmp_path / "ansible_collections" / "vmkfabric"
    link.mkdir(parents=True)
    (link / "vsphere").symlink_to(ROOT)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(tmp_path), ANSIBLE_NOCOLOR="1")
    names = ["vmkfabric.vsphere.%s" % role for role in ROLES]
    proc = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", "role", "--json", *names],
                          env=env, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    docs = json.loads(proc.stdout)
    for role, name in zip(ROLES, names, strict=True):
        entry = docs[name]["entry_points"]["main"]
        assert set(entry["options"]) == set(role_docs.spec(role)["options"])
        assert entry["short_description"] == role_docs.spec(role)["short_description"]
    text = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "-t", "role", names[1]],
                          env=env, capture_output=True, text=True, timeout=120, check=True).stdout
    assert "iscsi_multipath_paths" in text and re.search(r"ENTRY POINT: \W*main", text)
