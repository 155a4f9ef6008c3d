# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The functional smoke set, run the way a user runs the shipped playbooks: check mode, converge,
idempotent rerun, one refusal. `make compat` runs this file again with the ansible-playbook of the
oldest and the newest supported ansible-core (VMKFABRIC_ANSIBLE_BIN); the CA reaches the modules
through SSL_CERT_FILE, as the README tells execution-environment users.
"""

from __future__ import annotations

import os
import re
import subprocess
from typing import Any

import pytest
from conftest import BIN, LOCALHOST, ROOT, Playbook, find, pyvmomi, run_playbook  # pylint: disable=import-error

FABRIC_PORTGROUPS = {"iSCSI-A", "iSCSI-B", "vMotion-A", "vMotion-B", "Replica"}
HOSTS = ("esx01.lab.local", "esx02.lab.local", "esx03.lab.local", "esx04.lab.local")


@pytest.fixture(scope="module")
def shipped(sim: Any, collections_path: str, tmp_path_factory: pytest.TempPathFactory):
    """Runs one of playbooks/*.yml against ``sim``: credentials in VMWARE_*, the CA in SSL_CERT_FILE."""
    env = Playbook(sim, collections_path, str(tmp_path_factory.mktemp("smoke"))).env(SSL_CERT_FILE=sim.ca_file)
    env.pop("VMKFABRIC_CA_PATH", None)

    def run(name: str, *args: str):
        cmd = [os.path.join(BIN, "ansible-playbook"), "-i", LOCALHOST, os.path.join(ROOT, "playbooks", name), *args]
        return run_playbook(sim, cmd, env)
    return run


def vmk_portgroups(sim: Any) -> dict[str, set]:
    from pyVmomi import vim
    with pyvmomi(sim) as si:
        return {h: {v.portgroup for v in find(si, vim.HostSystem, h).config.network.vnic} for h in HOSTS}


def test_check_mode_predicts_without_writing(sim, shipped):
    out = shipped("site.yml", "--check", "--diff")
    assert (out.rc, out.failed, out.changed) == (0, 0, 1), out.output
    assert out.writes == 0
    assert all(not FABRIC_PORTGROUPS & pgs for pgs in vmk_portgroups(sim).values())


def test_converge(sim, shipped):
    out = shipped("site.yml")
    assert (out.rc, out.failed, out.changed) == (0, 0, 1), out.output
    assert out.writes > 0
    assert all(FABRIC_PORTGROUPS <= pgs for pgs in vmk_portgroups(sim).values())


def test_rerun_is_idempotent(shipped):
    out = shipped("site.yml")
    assert (out.rc, out.failed, out.changed) == (0, 0, 0), out.output
    assert out.writes == 0


def test_unsafe_plan_is_refused_with_rule_ids_and_no_write(shipped):
    out = shipped("demo_unsafe.yml")
    assert out.rc != 0 and out.failed == 1, out.output
    assert re.search(r"\bMV-3\b", out.output), out.output
    assert out.writes == 0


@pytest.mark.skipif(not os.environ.get("VMKFABRIC_ANSIBLE_CORE"), reason="set by make compat only")
def test_runs_the_requested_ansible_core():
    out = subprocess.run([os.path.join(BIN, "ansible-playbook"), "--version"], capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert "[core %s]" % os.environ["VMKFABRIC_ANSIBLE_CORE"] in out.splitlines()[0], out
