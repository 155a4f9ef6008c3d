# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The path of a new user: the read-only probe on an existing cluster, the built tarball (no caches,
installs and runs from a clean venv with only the declared requirements), an execution environment
built from examples/execution-environment.yml, and an AWX-style ansible-runner job with the
credentials only in the environment.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from conftest import BIN, LOCALHOST, ROOT, Playbook, credentials, find, pyvmomi, run_playbook  # pylint: disable=import-error

CLUSTER = "Cluster-A"
HOSTS_OF_CLUSTER = ("esx01.lab.local", "esx02.lab.local", "esx03.lab.local", "esx04.lab.local")
BROKEN_HOST = "esx02.lab.local"
# Planted in a staged copy of the checkout before the build; none of them may end up in the tarball.
LEFTOVERS = (".ruff_cache/0.17/123", ".pytest_cache/v/cache/nodeids", ".mypy_cache/3.11/x.json", ".venv/bin/python",
             ".venv-compat/oldest/pyvenv.cfg", "tests/output/junit.xml", ".demo/inventory.yml", ".ansible/cache",
             "plugins/modules/__pycache__/vmknic.cpython-311.pyc")


def _run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False, **kwargs)
    assert proc.returncode == 0, "%s\n%s\n%s" % (" ".join(cmd), proc.stdout, proc.stderr)
    return proc


@contextlib.contextmanager
def vmotion_vmk_in_management_subnet(sim: Any) -> Iterator[None]:
    """A vMotion vmk beside the management vmk in its subnet on one host (MH-1), made with plain pyVmomi."""
    from pyVmomi import vim
    with pyvmomi(sim) as si:
        host = find(si, vim.HostSystem, BROKEN_HOST)
        mgmt = host.config.network.vnic[0].spec.ip
        address = mgmt.ipAddress.rsplit(".", 1)[0] + ".250"
        ip = vim.host.IpConfig(dhcp=False, ipAddress=address, subnetMask=mgmt.subnetMask)
        spec = vim.host.VirtualNic.Specification(ip=ip)
        device = host.configManager.networkSystem.AddVirtualNic(portgroup="VM Network", nic=spec)
        host.configManager.virtualNicManager.SelectVnicForNicType("vmotion", device)
    try:
        yield
    finally:
        with pyvmomi(sim) as si:
            find(si, vim.HostSystem, BROKEN_HOST).configManager.networkSystem.RemoveVirtualNic(device)


def probe_env(base: dict[str, str], sim: Any) -> dict[str, str]:
    env = dict(base, SSL_CERT_FILE=sim.ca_file, ANSIBLE_CALLBACK_RESULT_FORMAT="yaml")
    env.pop("VMKFABRIC_CA_PATH", None)
    return env


def assert_probe_found_mh1(out: Any) -> None:
    assert (out.rc, out.failed, out.changed) == (0, 0, 0), out.output
    assert out.writes == 0 and out.stats["calls"].get("RetrievePropertiesEx", 0) >= 1
    assert "Cluster %s: " % CLUSTER in out.output and "MH-1" in out.output, out.output
    assert BROKEN_HOST in out.output


def test_probe_reports_the_rules_the_cluster_breaks_with_zero_writes(sim, collections_path, tmp_path):
    env = probe_env(Playbook(sim, collections_path, str(tmp_path)).env(), sim)
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", LOCALHOST, "vmkfabric.vsphere.probe", "-e", "probe_cluster=" + CLUSTER]
    clean = run_playbook(sim, cmd, env)
    assert (clean.rc, clean.changed, clean.writes) == (0, 0, 0), clean.output
    assert "0 finding(s), rules none" in clean.output
    with vmotion_vmk_in_management_subnet(sim):
        assert_probe_found_mh1(run_playbook(sim, cmd, env))


@pytest.fixture(scope="module")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The collection built (ansible-galaxy collection build) from a copy of this checkout with leftovers planted."""
    stage = str(tmp_path_factory.mktemp("stage"))
    target = _run([os.path.join(ROOT, "tests", "utils", "stage.sh"), stage]).stdout.strip()
    for leftover in LEFTOVERS:
        os.makedirs(os.path.dirname(os.path.join(target, leftover)), exist_ok=True)
        with open(os.path.join(target, leftover), "w", encoding="utf-8") as fh:
            fh.write("leftover\n")
    out = str(tmp_path_factory.mktemp("dist"))
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", out, target])
    built, = glob.glob(os.path.join(out, "vmkfabric-vsphere-*.tar.gz"))
    return built


def test_tarball_holds_the_collection_and_no_caches(tarball):
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    for leftover in LEFTOVERS:
        top = leftover.split("/", maxsplit=1)[0] if leftover.startswith(".") else leftover
        assert not any(n == top or n.startswith(top + "/") for n in names), leftover
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc") or "cache" in n.split("/")[0]]
    assert {"MANIFEST.json", "requirements.txt", "meta/runtime.yml", "meta/execution-environment.yml",
            "playbooks/probe.yml", "playbooks/site.yml", "examples/execution-environment.yml",
            "plugins/modules/host_fabric.py", "docs/rules.md"} <= names


def readme_block(heading: str, lang: str) -> str:
    """The first ``lang`` code block of the README section under ``heading``."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        text = fh.read()
    section = text[text.index("\n%s\n" % heading):]
    body = section[section.index("```%s\n" % lang) + len(lang) + 4:]
    return body[:body.index("```")]


def test_tarball_installs_and_runs_in_a_clean_venv_as_the_readme_says(tarball, sim, tmp_path):
    """A fresh HOME and venv: the tarball instead of Galaxy, then the README's install, first-playbook and
    simulator blocks as written; the probe finds a broken host with zero writes."""
    import ansible
    home, venv = tmp_path / "home", str(tmp_path / "venv")
    vbin = os.path.join(venv, "bin")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "PYTHON", "VMWARE_", "VMKFABRIC_", "SSL_"))}
    env.update(HOME=str(home), PATH=vbin + os.pathsep + env.get("PATH", ""), ANSIBLE_NOCOLOR="1")
    install = readme_block("## Install", "sh").replace("ansible-galaxy collection install vmkfabric.vsphere",
                                                       "ansible-galaxy collection install " + tarball)
    _run([sys.executable, "-m", "venv", venv])
    _run([os.path.join(vbin, "python"), "-m", "pip", "install", "--quiet", "ansible-core==%s" % ansible.__version__], env=env)
    _run(["bash", "-euo", "pipefail", "-c", install], env=env, cwd=str(tmp_path))
    installed = home / ".ansible" / "collections" / "ansible_collections" / "vmkfabric" / "vsphere"
    listed = _run([os.path.join(vbin, "ansible-galaxy"), "collection", "list", "vmkfabric.vsphere"], env=env).stdout
    assert str(installed.parent.parent) in listed, listed
    frozen = _run([os.path.join(vbin, "python"), "-m", "pip", "freeze"], env=env).stdout.lower()
    assert "pyvmomi==9." in frozen and "jmespath==1." in frozen and "ansible-runner" not in frozen

    block = readme_block("### Try it with the bundled simulator first", "sh")
    block = block.replace("/tmp/sim.", "%s/sim." % tmp_path)  # as printed, but hermetic: another run may use /tmp/sim.*
    simulated = _run(["bash", "-euo", "pipefail", "-c", block],
                     env=env, cwd=str(tmp_path)).stdout
    recaps = [line.split() for line in simulated.splitlines() if line.startswith("localhost ")]
    assert [r[3] for r in recaps] == ["changed=1", "changed=1", "changed=0"] and all("failed=0" in r for r in recaps)
    assert "Cluster Cluster-A: 0 finding(s), rules none" in simulated

    creds = credentials()
    env.update(VMWARE_HOST="127.0.0.1", VMWARE_PORT=str(sim.port), VMWARE_USER=creds["username"],
               VMWARE_PASSWORD=creds["password"], SSL_CERT_FILE=sim.ca_file)
    (tmp_path / "first.yml").write_text(readme_block("### A first playbook against a real vCenter", "yaml"), encoding="utf-8")
    inventory = str(installed / "playbooks" / "inventory" / "localhost.yml")
    first = run_playbook(sim, [os.path.join(vbin, "ansible-playbook"), "-i", inventory, str(tmp_path / "first.yml")], env)
    assert (first.rc, first.changed, first.writes) == (0, 0, 0) and "vmknics" in first.output, first.output
    cmd = [os.path.join(vbin, "ansible-playbook"), "-i", inventory, "vmkfabric.vsphere.probe", "-e", "probe_cluster=" + CLUSTER]
    with vmotion_vmk_in_management_subnet(sim):
        assert_probe_found_mh1(run_playbook(sim, cmd, probe_env(env, sim)))


def test_execution_environment_definition_builds_a_context_with_the_collection_pyvmomi_and_the_ca(sim, tmp_path):
    """ansible-builder create on the example; the context's own introspection, run on the collection as the
    build would install it, yields pyVmomi; the final image trusts the CA."""
    work = tmp_path / "ee"
    work.mkdir()
    with open(os.path.join(ROOT, "examples", "execution-environment.yml"), encoding="utf-8") as fh:
        (work / "execution-environment.yml").write_text(fh.read(), encoding="utf-8")
    with open(sim.ca_file, encoding="utf-8") as fh:
        (work / "vcenter-ca.pem").write_text(fh.read(), encoding="utf-8")
    _run([os.path.join(BIN, "ansible-builder"), "create", "-f", "execution-environment.yml", "-c", "context",
          "--output-filename", "Containerfile"], cwd=str(work))
    context = work / "context"
    with open(context / "_build" / "requirements.yml", encoding="utf-8") as fh:
        galaxy = yaml.safe_load(fh)
    assert [c["name"] for c in galaxy["collections"]] == ["vmkfabric.vsphere"]
    containerfile = (context / "Containerfile").read_text(encoding="utf-8")
    final = containerfile[containerfile.rindex("AS final"):]
    assert "COPY _build/certs/vcenter-ca.pem /etc/pki/ca-trust/source/anchors/vcenter-ca.pem" in final
    assert "RUN update-ca-trust" in final
    assert (context / "_build" / "certs" / "vcenter-ca.pem").read_text(encoding="utf-8").startswith("-----BEGIN CERTIFICATE")
    # What the builder stage does after `ansible-galaxy collection install`: introspect the collections.
    tree = tmp_path / "collections" / "ansible_collections" / "vmkfabric"
    tree.mkdir(parents=True)
    (tree / "vsphere").symlink_to(ROOT)
    introspected = _run([sys.executable, str(context / "_build" / "scripts" / "introspect.py"), "introspect",
                         "--sanitize", str(tmp_path / "collections")]).stdout
    python = yaml.safe_load(introspected.split("---", 1)[1])["python"]
    assert any(line.startswith("pyvmomi>=9") and "vmkfabric.vsphere" in line for line in python), python
    assert any(line.startswith("jmespath") for line in python), python


def test_awx_style_runner_job_with_credentials_only_in_the_environment(sim, collections_path, tmp_path):
    """ansible-runner runs vmkfabric.vsphere.site as an AWX job does: VMWARE_* from the VMware credential
    (VMWARE_VALIDATE_CERTS=True), the CA file from a custom credential as SSL_CERT_FILE. The password is in
    no event, no stdout and no artifact but runner's own record of the job environment."""
    import ansible_runner
    creds = credentials()
    private = tmp_path / "private"
    (private / "inventory").mkdir(parents=True)
    (private / "project").mkdir()
    with open(LOCALHOST, encoding="utf-8") as fh:
        (private / "inventory" / "hosts.yml").write_text(fh.read(), encoding="utf-8")
    envvars = {"VMWARE_HOST": "127.0.0.1", "VMWARE_PORT": str(sim.port), "VMWARE_USER": creds["username"],
               "VMWARE_PASSWORD": creds["password"], "VMWARE_VALIDATE_CERTS": "True", "SSL_CERT_FILE": sim.ca_file,
               "ANSIBLE_COLLECTIONS_PATH": collections_path, "ANSIBLE_NOCOLOR": "1", "VMKFABRIC_CA_PATH": "",
               "PATH": BIN + os.pathsep + os.environ.get("PATH", "")}

    def job(**overrides: str) -> Any:
        return ansible_runner.run(private_data_dir=str(private), playbook="vmkfabric.vsphere.site", quiet=True,
                                  envvars=dict(envvars, **overrides), suppress_env_files=True, timeout=600)
    # Without the CA (SSL_CERT_FILE pointing at an empty bundle) verification fails before any write.
    (tmp_path / "empty.pem").write_text("", encoding="utf-8")
    sim.reset_stats()
    untrusted = job(SSL_CERT_FILE=str(tmp_path / "empty.pem"))
    assert untrusted.status == "failed" and "is not trusted" in untrusted.stdout.read()
    assert sim.stats()["writes"] == 0
    sim.reset_stats()
    result = job()
    stats = sim.stats()
    stdout = result.stdout.read()
    assert (result.status, result.rc) == ("successful", 0), stdout
    assert result.stats["changed"].get("localhost", 0) == 1 and not result.stats["failures"], result.stats
    assert stats["writes"] > 0
    converged = [e for e in result.events if e.get("event") == "runner_on_ok" and e["event_data"]["res"].get("changed")]
    assert converged and converged[0]["event_data"]["task_action"] == "vmkfabric.vsphere.host_fabric"
    assert creds["password"] not in stdout
    leaks = []
    for base, _dirs, files in os.walk(str(private)):
        for name in files:
            path = os.path.join(base, name)
            with open(path, encoding="utf-8", errors="replace") as fh:
                if creds["password"] in fh.read():
                    leaks.append(os.path.relpath(path, str(private)))
    # runner writes the environment it started ansible-playbook with to artifacts/<ident>/command (mode 0600)
    assert sorted(leaks) == sorted(os.path.join("artifacts", r.config.ident, "command") for r in (untrusted, result))
    with open(private / "artifacts" / result.config.ident / "command", encoding="utf-8") as fh:
        assert json.load(fh)["env"]["VMWARE_PASSWORD"] == creds["password"]


def test_community_vmware_option_names_plan_exactly_like_ours(playbook):
    """cluster_name, switch_name, nics, portgroup_name and vswitch_name are aliases: the same plan, no write."""
    ported = playbook.run(
        {"vmkfabric.vsphere.vswitch": {"cluster_name": CLUSTER, "switch_name": "vSwitch1", "nics": ["vmnic2", "vmnic3"]}},
        {"vmkfabric.vsphere.vmknic": {"esxi_hostname": BROKEN_HOST, "portgroup_name": "Ported", "vswitch_name": "vSwitch0",
                                      "ip": {"dhcp": True}}}, check=True)
    ours = playbook.run(
        {"vmkfabric.vsphere.vswitch": {"cluster": CLUSTER, "name": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"]}},
        {"vmkfabric.vsphere.vmknic": {"esxi_hostname": BROKEN_HOST, "portgroup": "Ported", "vswitch": "vSwitch0",
                                      "ip": {"dhcp": True}}}, check=True)
    # An alias the module did not know would fail the task (unsupported parameter, or a required option missing).
    for alias, canonical in zip(ported.results, ours.results, strict=True):
        assert not alias.get("failed") and not canonical.get("failed"), (alias.get("msg"), canonical.get("msg"))
        assert (alias["changed"], alias["plan"]) == (canonical["changed"], canonical["plan"])
    assert sorted(ported[0]["before"]) == list(HOSTS_OF_CLUSTER)  # cluster_name selected the whole cluster
    assert ported[1]["changed"] and {(a["op"], a["kind"]) for a in ported[1]["plan"]} >= {("add", "portgroup"), ("add", "vmk")}
    assert ported.writes == ours.writes == 0


def test_lab_scratch_portgroup_run_and_its_opt_in_guard(sim, collections_path, tmp_path):
    """`make integration-real` skips without a lab (and always under CI); its playbook, pointed at the
    simulator as a lab, creates the scratch port group, reruns clean, removes it and leaves the host as it was."""
    bare = {k: v for k, v in os.environ.items() if not k.startswith(("VMWARE_", "VMKFABRIC_", "MAKE", "MFLAGS", "CI"))}
    skipped = _run(["make", "--no-print-directory", "-C", ROOT, "integration-real"], env=bare).stdout
    assert "integration-real: skipped (not set: VMWARE_HOST VMWARE_USER VMWARE_PASSWORD VMKFABRIC_LAB_HOST)" in skipped
    in_ci = _run(["make", "--no-print-directory", "-C", ROOT, "integration-real"], env=dict(bare, CI="true")).stdout
    assert "skipped (CI is set" in in_ci
    env = Playbook(sim, collections_path, str(tmp_path)).env(VMKFABRIC_CA_PATH=sim.ca_file, VMKFABRIC_LAB_HOST=BROKEN_HOST)
    out = run_playbook(sim, [os.path.join(BIN, "ansible-playbook"), "-i", LOCALHOST,
                             os.path.join(ROOT, "tests", "integration_real", "scratch_portgroup.yml")], env)
    assert (out.rc, out.failed, out.changed) == (0, 0, 2), out.output
    assert out.calls_of("UpdateNetworkConfig") == out.writes == 2
