# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The FQCN playbooks and the README's role examples, run as printed against the demo cluster.

``vmkfabric.vsphere.site`` converges the reference fabric; ``gather`` writes the cluster's document
to a file and ``site -e @file`` converges it back with nothing to change and no write; ``validate``
opens no connection. The role examples of examples/roles/ (quoted in the README) each converge on a
fresh simulator, trusting its CA through ``SSL_CERT_FILE`` only: ``--check --diff`` first (no write,
the same diff as the real run), then the real run, then a rerun with no write."""

from __future__ import annotations

import os
import subprocess

import pytest
import yaml
from conftest import BIN, DEMO, LOCALHOST, ROOT, Playbook, ansible_playbook, own_sim  # pylint: disable=import-error

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import READ

HOSTS = ["esx0%d.lab.local" % n for n in range(1, 5)]


@pytest.fixture(scope="module")
def run(sim, collections_path, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("playbooks"))
    return lambda *args, **env: ansible_playbook(sim, collections_path, workdir, *args, VMKFABRIC_CA_PATH=sim.ca_file, **env)


def test_site_converges_the_reference_fabric_with_the_role(run):
    out, changed, stats = run("vmkfabric.vsphere.site")
    assert changed == 1 and "vmkfabric.vsphere.host_fabric : Converge the fabric (cluster Cluster-A)" in out
    assert stats["calls"]["UpdateNetworkConfig"] == 4 and stats["calls"]["BindVnic"] == 8 and stats["calls"]["Login"] == 1


def test_gather_writes_a_document_that_site_converges_with_no_change(run, tmp_path):
    dest = str(tmp_path / "fabric.yml")
    _out, changed, stats = run("vmkfabric.vsphere.gather", "-e", "gather_dest=%s" % dest)
    assert changed == 1 and stats["writes"] == 0
    with open(dest, encoding="utf-8") as fh:
        doc = yaml.safe_load(fh)
    assert doc["host_fabric_cluster"] == "Cluster-A" and sorted(doc["host_fabric_config"]) == HOSTS
    vmks = doc["host_fabric_config"]["esx01.lab.local"]["vmknics"]
    assert {v["portgroup"] for v in vmks} == {"Management Network", "iSCSI-A", "iSCSI-B", "vMotion-A", "vMotion-B", "Replica"}
    adapter, = doc["host_fabric_config"]["esx01.lab.local"]["iscsi"]
    assert adapter["software"] and "adapter" not in adapter and adapter["bindings"] == ["vmk1", "vmk2"]

    out, changed, stats = run("vmkfabric.vsphere.site", "-e", "@" + dest)
    assert changed == 0, out
    assert stats["writes"] == 0 and stats["calls"]["RetrievePropertiesEx"] == READ


def test_validate_opens_no_connection_and_refuses_with_rule_ids(run, sim, collections_path, tmp_path):
    out, changed, stats = run("vmkfabric.vsphere.validate")
    assert changed == 0 and "plan accepted: 0 errors" in out and stats["total"] == 0

    bad = tmp_path / "bad.yml"
    bad.write_text(yaml.safe_dump({"host_fabric_config": {"esx01.lab.local": {
        "vswitches": [{"name": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"]}],
        "portgroups": [{"name": "iSCSI-A", "vswitch": "vSwitch1", "teaming": {"active": ["vmnic2"], "standby": ["vmnic3"]}}],
        "vmknics": [{"portgroup": "iSCSI-A", "ip": {"address": "10.10.20.11", "netmask": "255.255.255.0"}, "purpose": "iscsi"}],
        "iscsi": [{"software": True, "enabled": True, "bindings": [{"portgroup": "iSCSI-A"}]}]}}}))
    sim.reset_stats()
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", LOCALHOST, "vmkfabric.vsphere.validate", "-e", "@%s" % bad],
                          env=Playbook(sim, collections_path, str(tmp_path)).env(), capture_output=True, text=True,
                          timeout=300, check=False)
    assert proc.returncode != 0 and "[PB-2]" in proc.stdout + proc.stderr
    assert sim.stats()["total"] == 0


@pytest.fixture(scope="module")
def fresh_sim(tmp_path_factory):
    with open(DEMO, encoding="utf-8") as fh:
        inventory = yaml.safe_load(fh)
    inventory.pop("credentials")
    with own_sim(inventory, str(tmp_path_factory.mktemp("fresh-sim"))) as proc:
        yield proc


# In this order on one simulator: each adds its networks to vSwitch1 next to the previous ones.
EXAMPLES = {"iscsi_multipath": {"UpdateNetworkConfig": 4, "BindVnic": 8, "AddInternetScsiSendTargets": 4},
            "vmotion_multinic": {"UpdateNetworkConfig": 4, "BindVnic": 0},
            "replica_network": {"UpdateNetworkConfig": 4, "BindVnic": 0}}


def diff_lines(output: str) -> list[str]:
    """The changed lines of a --diff output. The IQN of an adapter that software iSCSI creates and the
    static targets a send target discovers are the host's and the array's to choose, so a preview
    shows them empty: both are reduced to their key."""
    out: list[str] = []
    skipping = False
    for line in output.splitlines():
        if line[:1] not in ("+", "-") or line.startswith(("+++", "---")):
            continue
        body = line[1:].strip()
        if skipping:
            skipping = body not in ("]", "],")
            continue
        if body.startswith(('"iqn":', '"static_targets":')):
            skipping = body.endswith("[")
            body = body.split(":", 1)[0]
        out.append(line[0] + body)
    return out


@pytest.mark.parametrize("role", list(EXAMPLES))
def test_role_example_runs_as_printed_and_check_mode_previews_the_real_run(role, fresh_sim, collections_path, tmp_path):
    example = os.path.join(ROOT, "examples", "roles", role + ".yml")
    env = {"SSL_CERT_FILE": fresh_sim.ca_file}
    preview, changed, stats = ansible_playbook(fresh_sim, collections_path, str(tmp_path), example, "--check", "--diff", **env)
    assert changed == 1 and stats["writes"] == 0
    real, changed, stats = ansible_playbook(fresh_sim, collections_path, str(tmp_path), example, "--diff", **env)
    assert changed == 1
    assert {method: stats["calls"].get(method, 0) for method in EXAMPLES[role]} == EXAMPLES[role]
    assert diff_lines(preview) == diff_lines(real) and diff_lines(real)
    out, changed, stats = ansible_playbook(fresh_sim, collections_path, str(tmp_path), example, **env)
    assert changed == 0 and stats["writes"] == 0, out


def test_host_fabric_example_is_the_reference_fabric(run, sim):
    """After site converged the reference fabric (above), the host_fabric example has nothing to do."""
    out, changed, stats = run(os.path.join(ROOT, "examples", "roles", "host_fabric.yml"), SSL_CERT_FILE=sim.ca_file)
    assert changed == 0 and stats["writes"] == 0 and stats["calls"]["Login"] == 1, out
