# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Functional tests: ansible-playbook drives the modules against a simulator subprocess.

One simulator per test module and xdist worker (``sim`` is module-scoped), so ``pytest -n 2``
is safe. Connection details reach the modules only through the ``VMWARE_*`` variables AWX
injects; ``ca_path`` is the simulator's own CA, so TLS verification is really exercised.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIM_DIR = os.path.join(ROOT, "tests", "simulator")
DEMO = os.path.join(SIM_DIR, "inventories", "demo.yml")
LOCALHOST = os.path.join(ROOT, "playbooks", "inventory", "localhost.yml")  # sets the controller interpreter
# ansible-playbook and the module interpreter: this venv's, or a compat venv's (make compat).
BIN = os.environ.get("VMKFABRIC_ANSIBLE_BIN") or os.path.dirname(sys.executable)


def credentials() -> dict[str, str]:
    with open(DEMO, encoding="utf-8") as fh:
        return yaml.safe_load(fh)["credentials"]


@pytest.fixture(scope="session")
def collections_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("collections")
    target = root / "ansible_collections" / "vmkfabric"
    target.mkdir(parents=True)
    (target / "vsphere").symlink_to(ROOT)
    return str(root)


@contextlib.contextmanager
def pyvmomi(sim: Any) -> Iterator[Any]:
    """A plain pyVmomi session on ``sim`` (TLS verified against its CA): the ServiceInstance."""
    import ssl

    from pyVim.connect import Disconnect, SmartConnect
    creds = credentials()
    si = SmartConnect(host="127.0.0.1", port=sim.port, user=creds["username"], pwd=creds["password"],
                      sslContext=ssl.create_default_context(cafile=sim.ca_file))
    try:
        yield si
    finally:
        Disconnect(si)


def objects(si: Any, kind: Any) -> list[Any]:
    """Every managed object of type ``kind`` in the inventory (a container view, destroyed after)."""
    view = si.content.viewManager.CreateContainerView(si.content.rootFolder, [kind], True)
    try:
        return list(view.view)
    finally:
        view.DestroyView()


def find(si: Any, kind: Any, name: str) -> Any:
    """The managed object of type ``kind`` named ``name``."""
    return next(mo for mo in objects(si, kind) if mo.name == name)


@contextlib.contextmanager
def own_sim(inventory: dict[str, Any], workdir: str) -> Iterator[Any]:
    """A simulator on a test's own inventory (the demo's credentials), written to ``workdir``."""
    if SIM_DIR not in sys.path:
        sys.path.insert(0, SIM_DIR)
    launcher = importlib.import_module("vsphere_sim.launcher")
    path = os.path.join(workdir, "inventory.yml")
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(dict(inventory, credentials=credentials()), fh, sort_keys=False)
    with launcher.SimProcess(path) as proc:
        yield proc


def run_in_process(module: str, args: dict[str, Any]) -> dict[str, Any]:
    """One module run in this process, as Ansible runs it (argument spec, check mode through
    ``_ansible_check_mode``): its JSON result. Much faster than a playbook per case."""
    from ansible.module_utils.testing import patch_module_args
    main = importlib.import_module("ansible_collections.vmkfabric.vsphere.plugins.modules." + module).main
    out = io.StringIO()
    with patch_module_args(args), contextlib.redirect_stdout(out), pytest.raises(SystemExit):
        main()
    return json.loads(out.getvalue())


def connection(sim: Any) -> dict[str, Any]:
    """The module options that reach ``sim`` (what module_defaults gives the playbook tests)."""
    creds = credentials()
    return {"hostname": "127.0.0.1", "port": sim.port, "username": creds["username"], "password": creds["password"],
            "ca_path": sim.ca_file}


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    if not os.path.isdir(os.path.join(SIM_DIR, "vsphere_sim")):
        pytest.skip("the vSphere simulator (tests/simulator/vsphere_sim) is not in this checkout")
    if SIM_DIR not in sys.path:
        sys.path.insert(0, SIM_DIR)
    launcher = importlib.import_module("vsphere_sim.launcher")
    with launcher.SimProcess(DEMO) as proc:
        yield proc


@dataclass
class Run:
    """One ansible-playbook run: per-task registered results, output and the simulator's counters."""

    results: list[dict[str, Any]]
    stdout: str
    rc: int
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def calls(self) -> dict[str, int]:
        return dict(self.stats.get("calls", {}))

    @property
    def writes(self) -> int:
        return int(self.stats.get("writes", -1))

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.results[index]


class Playbook:
    """Writes a play of module tasks (each registered, errors kept) and runs it."""

    def __init__(self, sim: Any, collections_path: str, workdir: str) -> None:
        self.sim, self.collections_path, self.workdir = sim, collections_path, workdir
        self.count = 0

    def env(self, **overrides: str) -> dict[str, str]:
        creds = credentials()
        env = dict(os.environ)
        env.update({
            "ANSIBLE_COLLECTIONS_PATH": self.collections_path,
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_RETRY_FILES_ENABLED": "0",
            "ANSIBLE_LOCALHOST_WARNING": "0",
            "PATH": BIN + os.pathsep + env.get("PATH", ""),
            "VMWARE_HOST": "127.0.0.1",
            "VMWARE_PORT": str(self.sim.port),
            "VMWARE_USER": creds["username"],
            "VMWARE_PASSWORD": creds["password"],
        })
        env.pop("VMWARE_VALIDATE_CERTS", None)
        env.update(overrides)
        return env

    def _write(self, tasks: list[dict[str, Any]], defaults: dict[str, Any]) -> str:
        self.count += 1
        out = os.path.join(self.workdir, "results-%d.json" % self.count)
        body = []
        for i, task in enumerate(tasks):
            body.append(dict(task, register="r%d" % i, ignore_errors=True))
        names = ", ".join("'r%d': r%d" % (i, i) for i in range(len(tasks)))
        body.append({"name": "dump results", "check_mode": False, "diff": False,
                     "ansible.builtin.copy": {"content": "{{ {%s} | to_json }}" % names, "dest": out, "mode": "0600"}})
        play = [{"name": "functional", "hosts": "localhost", "gather_facts": False,
                 "module_defaults": {"group/vmkfabric.vsphere.vsphere": dict({"ca_path": self.sim.ca_file}, **defaults)},
                 "tasks": body}]
        path = os.path.join(self.workdir, "play-%d.yml" % self.count)
        with open(path, "w", encoding="utf-8") as fh:
            yaml.safe_dump(play, fh, sort_keys=False)
        return path

    def run(self, *tasks: dict[str, Any], check: bool = False, diff: bool = False,
            defaults: dict[str, Any] | None = None, env: dict[str, str] | None = None, verbose: bool = False) -> Run:
        path = self._write(list(tasks), defaults or {})
        out = os.path.join(self.workdir, "results-%d.json" % self.count)
        cmd = [os.path.join(BIN, "ansible-playbook"), "-i", LOCALHOST, path]
        cmd += ["--check"] if check else []
        cmd += ["--diff"] if diff else []
        cmd += ["-vvv"] if verbose else []
        self.sim.reset_stats()
        proc = subprocess.run(cmd, env=self.env(**(env or {})), capture_output=True, text=True, timeout=300,
                              check=False)
        stats = self.sim.stats()
        assert os.path.exists(out), "playbook did not finish:\n%s\n%s" % (proc.stdout, proc.stderr)
        with open(out, encoding="utf-8") as fh:
            registered = json.load(fh)
        results = [registered["r%d" % i] for i in range(len(tasks))]
        return Run(results=results, stdout=proc.stdout + proc.stderr, rc=proc.returncode, stats=stats)


class PerHost:
    """Per-host inventory mode (AWX job slicing): ``hosts`` are the inventory, ``task`` (one module
    call, Jinja allowed) runs for each of them with ``delegate_to: localhost``, in parallel forks."""

    def __init__(self, sim: Any, collections_path: str, workdir: str, hosts: Sequence[str], task: dict[str, Any],
                 vars_files: Sequence[str] = ()) -> None:
        self.sim, self.workdir = sim, workdir
        self.env = Playbook(sim, collections_path, workdir).env()
        (module, args), = task.items()
        play = [{"name": "per host", "hosts": "esxi", "gather_facts": False, "vars_files": list(vars_files), "tasks": [
            {"name": "this host", "delegate_to": "localhost", "register": "result",
             module: dict(args, ca_path="{{ ca_path }}")},
            {"name": "keep the result", "delegate_to": "localhost", "check_mode": False, "diff": False,
             "ansible.builtin.copy": {"content": "{{ result | to_json }}", "dest": "{{ out_dir }}/{{ inventory_hostname }}.json",
                                      "mode": "0600"}}]}]
        self.play = os.path.join(workdir, "per-host.yml")
        with open(self.play, "w", encoding="utf-8") as fh:
            yaml.safe_dump(play, fh, sort_keys=False)
        self.inventory = os.path.join(workdir, "hosts.yml")
        with open(self.inventory, "w", encoding="utf-8") as fh:
            yaml.safe_dump({"all": {
                "hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}},
                "children": {"esxi": {"hosts": {h: {} for h in hosts}}}}}, fh)
        self.runs = 0

    def run(self, *extra: str, **extra_vars: Any) -> tuple[Any, dict[str, dict[str, Any]], dict[str, Any]]:
        """(completed process, inventory host -> registered result, simulator stats)."""
        self.runs += 1
        out = os.path.join(self.workdir, "out-%d" % self.runs)
        os.makedirs(out)
        self.sim.reset_stats()
        proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", self.inventory, "-f", "8", self.play,
                               "-e", json.dumps(dict(extra_vars, ca_path=self.sim.ca_file, out_dir=out)), *extra],
                              env=self.env, capture_output=True, text=True, timeout=300, check=False)
        results = {}
        for name in os.listdir(out):
            with open(os.path.join(out, name), encoding="utf-8") as fh:
                results[name[:-len(".json")]] = json.load(fh)
        return proc, results, self.sim.stats()


@pytest.fixture(scope="module")
def playbook(sim: Any, collections_path: str, tmp_path_factory: pytest.TempPathFactory) -> Playbook:
    return Playbook(sim, collections_path, str(tmp_path_factory.mktemp("play")))


def ansible_playbook(sim: Any, collections_path: str, workdir: str, *args: str, **env: str) -> tuple[str, int, dict[str, Any]]:
    """A shipped playbook run in ``workdir``: (output, sum of changed= in the recap, simulator stats); fails the
    test when the run fails."""
    sim.reset_stats()
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", LOCALHOST, *args],
                          env=Playbook(sim, collections_path, workdir).env(**env), capture_output=True, text=True,
                          timeout=300, check=False, cwd=workdir)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    return out, sum(int(n) for n in re.findall(r"changed=(\d+)", proc.stdout)), sim.stats()


RECAP = re.compile(r"^localhost\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


class Outcome(NamedTuple):
    """A shipped playbook's run: return code, the PLAY RECAP counts of localhost, output, simulator stats."""

    rc: int
    changed: int
    failed: int
    output: str
    stats: dict[str, Any]

    @property
    def writes(self) -> int:
        return int(self.stats.get("writes", -1))

    def calls_of(self, method: str) -> int:
        return int(self.stats.get("calls", {}).get(method, 0))


def run_playbook(sim: Any, cmd: Sequence[str], env: dict[str, str]) -> Outcome:
    """Runs ``cmd`` (an ansible-playbook command line) with the simulator's counters reset first."""
    sim.reset_stats()
    proc = subprocess.run(list(cmd), env=env, capture_output=True, text=True, timeout=600, check=False)
    output = proc.stdout + proc.stderr
    recap = RECAP.search(proc.stdout)
    assert recap, output
    assert "does not support Ansible version" not in output, output
    return Outcome(proc.returncode, int(recap.group(2)), int(recap.group(4)), output, sim.stats())


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the bad-input corpus counts (recorded by test_corpus, also from xdist workers)."""
    lines = [value for report in terminalreporter.stats.get("passed", []) + terminalreporter.stats.get("failed", [])
             for key, value in getattr(report, "user_properties", ()) if key == "corpus"]
    if lines:
        terminalreporter.write_sep("-", "bad-input corpus")
        for line in sorted(lines):
            terminalreporter.write_line(line)
