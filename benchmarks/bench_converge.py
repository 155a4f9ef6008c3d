"""make bench: converge the reference fabric with vmkfabric.vsphere and with community.vmware 5.10,
side by side on one simulator, and check the issue's performance targets.

Hosts (``--hosts``): 4 uses the demo inventory (Cluster-A) and ``playbooks/vars/reference_fabric.yml``;
64 uses ``tests/simulator/inventories/lab.yml`` (Cluster-A and Cluster-B, 32 hosts each) and
``lab_fabric.yml`` (the same fabric with the lab's addresses, written by ``make_lab.py``).

Runs, each on a fresh simulator with ``--latency-ms`` per call (default 20):

- ``fabric`` (the whole reference fabric: iSCSI, the 2-vmk vMotion set, the replica vmk):
  this collection as one ``host_fabric`` task per cluster, converge then a no-op rerun;
  community.vmware (``vmware_vswitch``, ``vmware_portgroup``, ``vmware_vmkernel``,
  ``vmware_host_iscsi``) as loops over the hosts (only at 4 hosts: ~27 minutes at 64) and as a
  per-host inventory with 5 and 16 forks.
- ``modules`` (the iSCSI part as the README writes it: ``vswitch``, two ``vmknic``,
  ``iscsi_adapter``, ``iscsi_target`` per cluster), at ``--modules-latency-ms`` (default 5):
  this collection, converge then a no-op rerun; community.vmware (at 4 hosts only) as loops and
  per host with 5 and 16 forks.
- probes (one ``host_fabric`` task with ``esxi_hostname``, on the demo's and the lab's first
  host, and at 64 hosts the demo cluster): what a single-host task costs in a small and a large
  inventory, and calls per host at 4 and 64 hosts.

After every converge and rerun the simulator's state is checked against what the run declares
(one ``host_fabric`` task per cluster in check mode must find nothing to change); a run that does
not reach it is reported FAIL. community.vmware has no option for iSCSI advanced settings, so its
runs are checked without the Pure values on the send target. The baseline is downloaded once into
.venv/bench from the released ``ansible`` 12.3.0 package (never a runtime dependency).

Counted by the simulator per run: SOAP calls, writes (calls that changed state), property reads
(``RetrievePropertiesEx``/``RetrieveProperties``/``ContinueRetrievePropertiesEx``/``Fetch``),
logins. Results: ``--out`` (JSON) and the same name with ``.md`` (the table).

Usage: .venv/bin/python benchmarks/bench_converge.py [--hosts 4|64] [--latency-ms 20] [--modules-latency-ms 5]
       [--only ours|baseline|all] [--out benchmarks/results/latest.json]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import glob
import io
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "simulator"))
OURS = os.path.join(ROOT, ".venv", "collections")  # the collection, as `make venv` links it
sys.path.insert(0, OURS)

from vsphere_sim.launcher import SimProcess  # noqa: E402

INVENTORIES = os.path.join(ROOT, "tests", "simulator", "inventories")
BENCH = os.path.join(ROOT, ".venv", "bench")
BASELINE_WHEEL = "ansible==12.3.0"
BIN = os.path.dirname(sys.executable)
LOCALHOST = os.path.join(ROOT, "playbooks", "inventory", "localhost.yml")
READS = ("Fetch", "RetrieveProperties", "RetrievePropertiesEx", "ContinueRetrievePropertiesEx")
ISCSI_PORTGROUPS = ("iSCSI-A", "iSCSI-B")
FORKS = (5, 16)


# ---------------------------------------------------------------------------------------
# The inventory and its fabric
# ---------------------------------------------------------------------------------------


@dataclass
class Lab:
    """An inventory (clusters -> hosts) and the fabric document of each host."""

    inventory: str
    clusters: dict[str, list[str]]
    fabric: dict[str, dict[str, Any]]
    credentials: dict[str, str] = field(default_factory=dict)

    @property
    def hosts(self) -> list[str]:
        return [h for hosts in self.clusters.values() for h in hosts]


def load_lab(hosts: int) -> Lab:
    inventory, fabric = {4: ("demo.yml", os.path.join(ROOT, "playbooks", "vars", "reference_fabric.yml")),
                         64: ("lab.yml", os.path.join(INVENTORIES, "lab_fabric.yml"))}[hosts]
    with open(os.path.join(INVENTORIES, inventory), encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    with open(fabric, encoding="utf-8") as fh:
        docs = yaml.safe_load(fh)["fabric_config"]
    clusters = {c["name"]: [h["name"] for h in c["hosts"]] for dc in data["vcenter"]["datacenters"] for c in dc["clusters"]}
    lab = Lab(os.path.join(INVENTORIES, inventory), clusters, docs, data["credentials"])
    assert len(lab.hosts) == hosts and set(lab.hosts) == set(docs), "inventory and fabric disagree"
    return lab


def iscsi_part(doc: dict[str, Any]) -> dict[str, Any]:
    """What the README's separate module tasks converge: the vSwitch, the iSCSI port groups and vmks, iSCSI."""
    return {"vswitches": doc["vswitches"], "iscsi": doc["iscsi"],
            "portgroups": [pg for pg in doc["portgroups"] if pg["name"] in ISCSI_PORTGROUPS],
            "vmknics": [v for v in doc["vmknics"] if v["portgroup"] in ISCSI_PORTGROUPS]}


def without_profile(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` without vendor values on the send targets (community.vmware cannot set them)."""
    out = copy.deepcopy(doc)
    for adapter in out.get("iscsi", []):
        for target in adapter.get("send_targets", []):
            target.pop("profile", None)
    return out


def vmk_address(doc: dict[str, Any], portgroup: str) -> str:
    return next(v["ip"]["address"] for v in doc["vmknics"] if v["portgroup"] == portgroup)


# ---------------------------------------------------------------------------------------
# The tasks of each run
# ---------------------------------------------------------------------------------------


def ours_fabric(lab: Lab) -> list[dict[str, Any]]:
    return [{"name": "reference fabric on %s" % c, "vmkfabric.vsphere.host_fabric": {
        "cluster": c, "state": "merged", "config": {h: lab.fabric[h] for h in hosts}}} for c, hosts in lab.clusters.items()]


def ours_modules(lab: Lab) -> list[dict[str, Any]]:
    """The README's iSCSI example per cluster: vswitch, two vmknic, iscsi_adapter, iscsi_target."""
    tasks: list[dict[str, Any]] = []
    for c, hosts in lab.clusters.items():
        first = lab.fabric[hosts[0]]
        (sw,) = first["vswitches"]
        tasks.append({"name": "%s on %s" % (sw["name"], c), "vmkfabric.vsphere.vswitch": {
            "cluster": c, "name": sw["name"], "uplinks": sw["uplinks"], "mtu": sw["mtu"]}})
        for pg in (p for p in first["portgroups"] if p["name"] in ISCSI_PORTGROUPS):
            vmk = next(v for v in first["vmknics"] if v["portgroup"] == pg["name"])
            tasks.append({"name": "%s on %s" % (pg["name"], c), "vmkfabric.vsphere.vmknic": {
                "cluster": c, "portgroup": pg["name"], "vswitch": pg["vswitch"], "vlan": pg["vlan"], "mtu": vmk["mtu"],
                "purpose": "iscsi", "teaming": pg["teaming"],
                "ip": {"netmask": vmk["ip"]["netmask"], "addresses": {h: vmk_address(lab.fabric[h], pg["name"]) for h in hosts}}}})
        (adapter,) = first["iscsi"]
        (target,) = adapter["send_targets"]
        tasks.append({"name": "bind on %s" % c, "vmkfabric.vsphere.iscsi_adapter": {
            "cluster": c, "software_iscsi": "enabled", "bindings": adapter["bindings"]}})
        tasks.append({"name": "send target on %s" % c, "vmkfabric.vsphere.iscsi_target": {
            "cluster": c, "profile": target["profile"], "send_targets": [{"address": target["address"]}]}})
    return tasks


def baseline_tasks(lab: Lab, doc_of: Callable[[dict[str, Any]], dict[str, Any]], per_host: bool) -> list[dict[str, Any]]:
    """community.vmware tasks for what ``doc_of(host document)`` declares: a loop over the hosts
    (port groups once per cluster with ``cluster_name``), or one host per inventory host."""
    host = "{{ inventory_hostname }}" if per_host else "{{ item }}"

    def each_host(task: dict[str, Any]) -> dict[str, Any]:
        return task if per_host else dict(task, loop=lab.hosts)

    first = doc_of(lab.fabric[lab.hosts[0]])
    tasks: list[dict[str, Any]] = []
    for sw in first["vswitches"]:
        tasks.append(each_host({"name": sw["name"], "community.vmware.vmware_vswitch": {
            "esxi_hostname": host, "switch": sw["name"], "nics": sw["uplinks"], "mtu": sw["mtu"]}}))
    for pg in first["portgroups"]:
        args: dict[str, Any] = {"switch": pg["vswitch"], "portgroup": pg["name"], "vlan_id": pg["vlan"]}
        if pg.get("teaming"):
            args["teaming"] = {"load_balancing": "failover_explicit", "active_adapters": pg["teaming"]["active"],
                               "standby_adapters": pg["teaming"].get("standby", [])}
        if per_host:
            tasks.append({"name": pg["name"], "community.vmware.vmware_portgroup": dict(args, esxi_hostname=host)})
        else:
            tasks.append({"name": pg["name"], "loop": list(lab.clusters),
                          "community.vmware.vmware_portgroup": dict(args, cluster_name="{{ item }}")})
    for vmk in first["vmknics"]:
        tasks.append(each_host({"name": vmk["portgroup"] + " vmk", "community.vmware.vmware_vmkernel": {
            "esxi_hostname": host, "portgroup_name": vmk["portgroup"], "vswitch_name": first["vswitches"][0]["name"],
            "mtu": vmk["mtu"], "enable_vmotion": "vmotion" in vmk.get("services", []), "state": "present",
            "network": {"type": "static", "ip_address": "{{ addresses[%s][%r] }}" % (host[3:-3], vmk["portgroup"]),
                        "subnet_mask": vmk["ip"]["netmask"]}}}))
    (adapter,) = first["iscsi"]
    (target,) = adapter["send_targets"]
    bound = [v["portgroup"] for v in first["vmknics"]]
    tasks.append(each_host({"name": "software iSCSI", "community.vmware.vmware_host_iscsi": {"esxi_hostname": host, "state": "enabled"}}))
    tasks.append(each_host({"name": "bind + send target", "community.vmware.vmware_host_iscsi": {
        "esxi_hostname": host, "state": "present", "iscsi_config": {
            "vmhba_name": "vmhba64", "port_bind": ["vmk%d" % (bound.index(b["portgroup"]) + 1) for b in adapter["bindings"]],
            "send_target": {"address": target["address"], "port": 3260}}}}))
    return tasks


# ---------------------------------------------------------------------------------------
# Running a playbook and checking the state it leaves
# ---------------------------------------------------------------------------------------


@dataclass
class Run:
    """One benchmark run: a playbook on a fresh simulator, converge and (optionally) a no-op rerun."""

    name: str
    scenario: str  # fabric | modules
    tool: str
    mode: str
    tasks: list[dict[str, Any]]
    expected: dict[str, dict[str, Any]]  # host -> the document the final state must match
    latency_ms: int
    forks: int = 0  # >0: per-host inventory with this many forks
    rerun: bool = True

    @property
    def ours(self) -> bool:
        return self.tool == "vmkfabric.vsphere"


def ensure_baseline() -> str:
    """Unpack community.vmware + vmware.vmware from the released ansible wheel (once)."""
    target = os.path.join(BENCH, "collections")
    if os.path.isdir(os.path.join(target, "ansible_collections", "community", "vmware")):
        return target
    dl = os.path.join(BENCH, "dl")
    os.makedirs(dl, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "-d", dl, BASELINE_WHEEL], check=True, timeout=900)
    wheel = glob.glob(os.path.join(dl, "ansible-*.whl"))[0]
    with zipfile.ZipFile(wheel) as zf:
        members = [n for n in zf.namelist() if n.startswith(("ansible_collections/community/vmware/", "ansible_collections/vmware/vmware/"))]
        zf.extractall(target, members)
    return target


RECAP = re.compile(r"^\S+\s*:\s*ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", re.M)


def play_files(run: Run, lab: Lab, workdir: str) -> tuple[str, str]:
    """(playbook, inventory) for ``run``: localhost, or the ESXi hosts as the inventory (local connection)."""
    addresses = {h: {v["portgroup"]: v["ip"]["address"] for v in lab.fabric[h]["vmknics"]} for h in lab.hosts}
    play: dict[str, Any] = {"name": run.name, "hosts": "esxi" if run.forks else "localhost", "gather_facts": False,
                            "vars": {"addresses": addresses}, "tasks": run.tasks}
    if run.ours:
        play["module_defaults"] = {"group/vmkfabric.vsphere.vsphere": {}}
    path = os.path.join(workdir, "play.yml")
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump([play], fh, sort_keys=False)
    if not run.forks:
        return path, LOCALHOST
    inventory = os.path.join(workdir, "hosts.yml")
    with open(inventory, "w", encoding="utf-8") as fh:
        yaml.safe_dump({"all": {"children": {"esxi": {
            "hosts": {h: {} for h in lab.hosts},
            "vars": {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}}}}}, fh)
    return path, inventory


def run_playbook(sim: SimProcess, run: Run, lab: Lab, collections: str, workdir: str) -> dict[str, Any]:
    play, inventory = play_files(run, lab, workdir)
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR="1", VMWARE_HOST="127.0.0.1",
               VMWARE_PORT=str(sim.port), VMWARE_USER=lab.credentials["username"], VMWARE_PASSWORD=lab.credentials["password"],
               SSL_CERT_FILE=sim.ca_file, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    cmd = [os.path.join(BIN, "ansible-playbook"), "-i", inventory, play] + (["-f", str(run.forks)] if run.forks else [])
    sim.reset_stats()
    start, cpu = time.monotonic(), sim.cpu_seconds()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=7200, check=False)
    wall, cpu = time.monotonic() - start, sim.cpu_seconds() - cpu
    stats = sim.stats()
    recap = proc.stdout.rsplit("PLAY RECAP", 1)[-1]
    calls = stats["calls"]
    return {"ok": proc.returncode == 0, "wall_s": round(wall, 2), "sim_cpu_s": round(cpu, 2), "calls": stats["total"], "writes": stats["writes"],
            "logins": calls.get("Login", 0), "reads": sum(calls.get(m, 0) for m in READS),
            "changed": sum(int(m[0]) for m in RECAP.findall(recap)), "by_method": calls,
            "tail": "" if proc.returncode == 0 else proc.stdout[-3000:]}


def check_state(sim: SimProcess, lab: Lab, expected: dict[str, dict[str, Any]]) -> str:
    """Empty when the simulator's state matches ``expected`` (host -> document): ``host_fabric`` in check
    mode finds nothing to change, one task per cluster (per host where ``expected`` names only some
    hosts of a cluster: the cross-host rules need them all). Otherwise what differs."""
    from ansible.module_utils.testing import patch_module_args  # pylint: disable=import-outside-toplevel

    from ansible_collections.vmkfabric.vsphere.plugins.modules import host_fabric  # pylint: disable=import-outside-toplevel
    problems = []
    scopes: list[tuple[dict[str, str], list[str]]] = []
    for cluster, hosts in lab.clusters.items():
        if all(h in expected for h in hosts):
            scopes.append(({"cluster": cluster}, hosts))
        else:
            scopes += [({"esxi_hostname": h}, [h]) for h in hosts if h in expected]
    for scope, hosts in scopes:
        args = dict(scope, hostname="127.0.0.1", port=sim.port, username=lab.credentials["username"],
                    password=lab.credentials["password"], ca_path=sim.ca_file, state="merged",
                    config={h: expected[h] for h in hosts}, _ansible_check_mode=True)
        where = next(iter(scope.values()))
        out = io.StringIO()
        with patch_module_args(args), contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
            host_fabric.main()
        result = json.loads(out.getvalue())
        if result.get("failed"):
            problems.append("%s: %s" % (where, result.get("msg")))
        elif result.get("changed"):
            plan = [a.get("summary", a) for a in result.get("plan", [])]
            problems.append("%s: %d differences, e.g. %s" % (where, len(plan), "; ".join(map(str, plan[:3]))))
    return " | ".join(problems)


def measure(run: Run, lab: Lab) -> dict[str, Any]:
    collections = OURS if run.ours else ensure_baseline()
    print("-- %s (%s, %d ms/call) ..." % (run.name, run.mode, run.latency_ms), flush=True)
    out: dict[str, Any] = {"name": run.name, "scenario": run.scenario, "tool": run.tool, "mode": run.mode, "forks": run.forks,
                           "latency_ms": run.latency_ms, "hosts": len(run.expected)}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, SimProcess(lab.inventory, latency_ms=run.latency_ms) as sim:
        for phase in ("converge", "rerun") if run.rerun else ("converge",):
            result = run_playbook(sim, run, lab, collections, tmp)
            result["state"] = check_state(sim, lab, run.expected) if result["ok"] else "the playbook failed"
            result["pass"] = result["ok"] and not result["state"]
            out[phase] = result
            problem = "" if result["pass"] else ": " + result["state"]
            print("   %-8s %s  %d calls, %d writes, %.1f s%s" % (
                phase, "ok  " if result["pass"] else "FAIL", result["calls"], result["writes"], result["wall_s"], problem), flush=True)
    return out


# ---------------------------------------------------------------------------------------
# The minimum call count and the targets
# ---------------------------------------------------------------------------------------

PER_TASK = ("RetrieveServiceContent", "Login", "RetrievePropertiesEx", "Logout")


def minimum_calls(docs: dict[str, dict[str, Any]], tasks: int) -> tuple[int, str]:
    """The fewest SOAP calls that converge ``docs`` from the inventory's start state with ``tasks`` tasks.

    Per host, the necessary writes: one UpdateNetworkConfig (every vSwitch, port group and vmk
    in one batch), one SelectVnicForNicType per service of a vmk, one UpdateSoftwareInternetScsiEnabled
    per software adapter, one BindVnic per binding, one AddInternetScsiSendTargets and one
    UpdateInternetScsiAdvancedOptions per adapter with send targets (with vendor values), and
    one RescanHba per adapter (ESXi logs in to newly discovered targets on a rescan). Per task:
    RetrieveServiceContent, Login, one RetrievePropertiesEx reading every host in scope, Logout."""
    per_host = []
    for doc in docs.values():
        n = 1 + sum(len(v.get("services", [])) for v in doc.get("vmknics", []))
        for adapter in doc.get("iscsi", []):
            targets = adapter.get("send_targets", [])
            n += int(bool(adapter.get("software"))) + len(adapter.get("bindings", [])) + int(bool(targets))
            n += int(any(t.get("profile") or t.get("options") for t in targets)) + 1
        per_host.append(n)
    total = sum(per_host) + tasks * len(PER_TASK)
    sizes = sorted(set(per_host))
    how = ("%d hosts x %s necessary writes per host (UpdateNetworkConfig 1, SelectVnicForNicType per vmk service, "
           "UpdateSoftwareInternetScsiEnabled 1, BindVnic per binding, AddInternetScsiSendTargets 1, "
           "UpdateInternetScsiAdvancedOptions 1, RescanHba 1) + %d task(s) x %d (%s) = %d"
           % (len(per_host), "/".join(map(str, sizes)), tasks, len(PER_TASK), ", ".join(PER_TASK), total))
    return total, how


def verdict(name: str, ok: bool | None, detail: str) -> dict[str, Any]:
    return {"target": name, "result": "SKIP" if ok is None else "PASS" if ok else "FAIL", "detail": detail}


def ratio(a: float, b: float) -> float:
    return a / b if b else float("inf")


def targets(hosts: int, runs: list[dict[str, Any]], minimum: int, probes: dict[str, Any]) -> list[dict[str, Any]]:
    by = {r["name"]: r for r in runs}
    ours = by.get("fabric: host_fabric per cluster")
    out = []
    base16 = by.get("fabric: community.vmware per host, 16 forks")
    if hosts != 64:
        out.append(verdict("64 hosts: host_fabric >= 100x fewer calls and >= 40x less wall than community.vmware per host, 16 forks",
                           None, "needs BENCH_HOSTS=64"))
        out.append(verdict("64 hosts: host_fabric converges in < 8 s", None, "needs BENCH_HOSTS=64"))
    elif ours and base16:
        c, b = ours["converge"], base16["converge"]
        ok = c["pass"] and b["pass"] and ratio(b["calls"], c["calls"]) >= 100 and ratio(b["wall_s"], c["wall_s"]) >= 40
        out.append(verdict("64 hosts: host_fabric >= 100x fewer calls and >= 40x less wall than community.vmware per host, 16 forks",
                           ok, "%.0fx fewer calls (%d vs %d), %.1fx less wall (%.1f s vs %.1f s)" % (
                               ratio(b["calls"], c["calls"]), c["calls"], b["calls"], ratio(b["wall_s"], c["wall_s"]),
                               c["wall_s"], b["wall_s"])))
    else:
        out.append(verdict("64 hosts: host_fabric >= 100x fewer calls and >= 40x less wall than community.vmware per host, 16 forks",
                           None, "both runs are needed (--only all)"))
    if ours and hosts == 64:
        out.append(verdict("64 hosts: host_fabric converges in < 8 s", ours["converge"]["pass"] and ours["converge"]["wall_s"] < 8,
                           "%.1f s" % ours["converge"]["wall_s"]))
    if ours:
        c, r = ours["converge"], ours["rerun"]
        detail = "%d calls, minimum %d (%.2fx)" % (c["calls"], minimum, ratio(c["calls"], minimum))
        out.append(verdict("64 hosts: host_fabric converge within 1.2x of the minimum call count",
                           c["pass"] and c["calls"] <= 1.2 * minimum if hosts == 64 else None,
                           detail if hosts == 64 else "needs BENCH_HOSTS=64; here " + detail))
        detail = "%d writes, %.1f s, %d calls" % (r["writes"], r["wall_s"], r["calls"])
        if hosts == 64:
            out.append(verdict("64 hosts: no-op rerun of host_fabric, 0 writes, under 4 s", r["pass"] and r["writes"] == 0 and r["wall_s"] < 4,
                               detail))
        else:
            out.append(verdict("no-op rerun of host_fabric: 0 writes (under 4 s is checked at 64 hosts)", r["pass"] and r["writes"] == 0,
                               detail))
    mods = by.get("modules: separate module tasks")
    bases = [r for r in runs if r["scenario"] == "modules" and r["tool"] != "vmkfabric.vsphere"]
    name = "4 hosts, 5 ms: the README's separate module tasks >= 10x fewer calls and >= 4x less wall than community.vmware"
    if hosts != 4:
        out.append(verdict(name, None, "needs BENCH_HOSTS=4"))
    elif mods and bases:
        m = mods["converge"]
        best_calls = min(b["converge"]["calls"] for b in bases)
        best_wall = min(b["converge"]["wall_s"] for b in bases)
        ok = m["pass"] and all(b["converge"]["pass"] for b in bases) and ratio(best_calls, m["calls"]) >= 10 \
            and ratio(best_wall, m["wall_s"]) >= 4
        detail = "%.1fx fewer calls (%d vs the fewest of community.vmware, %d), %.1fx less wall (%.1f s vs the fastest, %.1f s)" % (
            ratio(best_calls, m["calls"]), m["calls"], best_calls, ratio(best_wall, m["wall_s"]), m["wall_s"], best_wall)
        out.append(verdict(name, ok, detail))
    else:
        out.append(verdict(name, None, "both runs are needed (--only all)"))
    if probes:
        small, large = probes["single host, demo"], probes["single host, lab"]
        out.append(verdict("a single-host task costs the same in a 4-host and a 64-host inventory (calls equal, simulator CPU "
                           "within 1.5x + 50 ms)", small["pass"] and large["pass"] and small["calls"] == large["calls"]
                           and large["sim_cpu_s"] <= 1.5 * small["sim_cpu_s"] + 0.05,
                           "%d calls, %.2f s simulator CPU, %.1f s wall (demo) vs %d calls, %.2f s, %.1f s (lab)" % (
                               small["calls"], small["sim_cpu_s"], small["wall_s"], large["calls"], large["sim_cpu_s"], large["wall_s"])))
        four = probes.get("4 hosts") or (ours["converge"] if ours and hosts == 4 else None)
        big = ours["converge"] if ours and hosts == 64 else None
        if four and big:
            per4, per64 = four["calls"] / 4, big["calls"] / 64
            out.append(verdict("calls grow linearly in hosts (calls per host at 64 <= at 4)", four["pass"] and big["pass"] and per64 <= per4,
                               "%.1f calls per host at 64, %.1f at 4" % (per64, per4)))
        else:
            out.append(verdict("calls grow linearly in hosts (calls per host at 64 <= at 4)", None, "needs BENCH_HOSTS=64"))
    return out


def probe(hosts: int, latency: int, scope_all: bool = False) -> dict[str, Any]:
    """host_fabric on the first host (``esxi_hostname``) or, with ``scope_all``, per cluster, of the ``hosts`` lab."""
    lab = load_lab(hosts)
    if scope_all:
        tasks, expected = ours_fabric(lab), lab.fabric
    else:
        h = lab.hosts[0]
        tasks = [{"name": "one host", "vmkfabric.vsphere.host_fabric": {"esxi_hostname": h, "state": "merged", "config": {h: lab.fabric[h]}}}]
        expected = {h: lab.fabric[h]}
    name = "probe: host_fabric %s of the %d-host inventory" % ("per cluster" if scope_all else "on the first host", hosts)
    run = Run(name, "fabric", "vmkfabric.vsphere", "one task", tasks, expected, latency, rerun=False)
    return measure(run, lab)["converge"]


# ---------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------


def table(result: dict[str, Any]) -> str:
    lines = ["| run | tool | mode | ms/call | phase | calls | writes | reads | logins | wall s | simulator CPU s | state |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["runs"]:
        for phase in ("converge", "rerun"):
            if phase in r:
                m = r[phase]
                lines.append("| %s | %s | %s | %d | %s | %s | %s | %s | %s | %.1f | %.2f | %s |" % (
                    r["scenario"], r["tool"], r["mode"], r["latency_ms"], "no-op rerun" if phase == "rerun" else phase,
                    format(m["calls"], ","), format(m["writes"], ","), format(m["reads"], ","), format(m["logins"], ","),
                    m["wall_s"], m["sim_cpu_s"], "PASS" if m["pass"] else "FAIL"))
    return "\n".join(lines)


def markdown(result: dict[str, Any]) -> str:
    parts = ["# make bench BENCH_HOSTS=%d (%s)" % (result["hosts"], result["date"]), "",
             "%d hosts (%s), the reference fabric; fabric runs at %d ms per call, the separate-module runs at %d ms. "
             "`state` PASS: the simulator's state matched what the run declares (checked after every run)."
             % (result["hosts"], os.path.basename(result["inventory"]), result["latency_ms"], result["modules_latency_ms"]), "",
             table(result), "", "Minimum call count of the host_fabric converge: %s." % result["minimum"]["how"], ""]
    if result.get("probes"):
        parts += ["Probes (host_fabric converge, %d ms/call): %s." % (result["latency_ms"], "; ".join(
            "%s: %d calls, %.1f s, simulator CPU %.2f s" % (k, v["calls"], v["wall_s"], v["sim_cpu_s"])
            for k, v in result["probes"].items())), ""]
    parts += ["Targets:", ""] + ["- %s %s: %s" % (t["result"], t["target"], t["detail"]) for t in result["targets"]]
    return "\n".join(parts) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, choices=(4, 64), default=4, help="4: demo inventory, 64: lab inventory (default 4)")
    parser.add_argument("--latency-ms", type=int, default=20, help="per-call latency of the fabric runs (default 20)")
    parser.add_argument("--modules-latency-ms", type=int, default=5, help="per-call latency of the separate-module runs (default 5)")
    parser.add_argument("--only", choices=("ours", "baseline", "all"), default="all", help="which tools to run (default all)")
    parser.add_argument("--out", default=None, help="write the JSON result here (and the table next to it, .md)")
    args = parser.parse_args()
    lab = load_lab(args.hosts)
    fabric, modules = lab.fabric, {h: iscsi_part(d) for h, d in lab.fabric.items()}
    lat, mlat = args.latency_ms, args.modules_latency_ms
    plan = []
    if args.only in ("ours", "all"):
        plan += [Run("fabric: host_fabric per cluster", "fabric", "vmkfabric.vsphere", "one task per cluster", ours_fabric(lab), fabric, lat),
                 Run("modules: separate module tasks", "modules", "vmkfabric.vsphere", "5 tasks per cluster", ours_modules(lab), modules, mlat)]
    if args.only in ("baseline", "all"):
        tool = "community.vmware 5.10"
        plain = {h: without_profile(d) for h, d in fabric.items()}
        plain_modules = {h: without_profile(d) for h, d in modules.items()}
        if args.hosts == 4:
            plan.append(Run("fabric: community.vmware loops", "fabric", tool, "loops over hosts",
                            baseline_tasks(lab, lambda d: d, False), plain, lat, rerun=False))
        plan += [Run("fabric: community.vmware per host, %d forks" % f, "fabric", tool, "per host, %d forks" % f,
                     baseline_tasks(lab, lambda d: d, True), plain, lat, forks=f, rerun=False) for f in FORKS]
        if args.hosts == 4:
            plan.append(Run("modules: community.vmware loops", "modules", tool, "loops over hosts",
                            baseline_tasks(lab, iscsi_part, False), plain_modules, mlat, rerun=False))
            plan += [Run("modules: community.vmware per host, %d forks" % f, "modules", tool, "per host, %d forks" % f,
                         baseline_tasks(lab, iscsi_part, True), plain_modules, mlat, forks=f, rerun=False) for f in FORKS]
    runs = [measure(run, lab) for run in plan]
    probes = {}
    if args.only in ("ours", "all"):
        probes = {"single host, demo": probe(4, lat), "single host, lab": probe(64, lat)}
        if args.hosts == 64:
            probes["4 hosts"] = probe(4, lat, scope_all=True)
    minimum, how = minimum_calls(fabric, len(lab.clusters))
    result = {"hosts": args.hosts, "inventory": lab.inventory, "latency_ms": lat, "modules_latency_ms": mlat,
              "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "runs": runs, "probes": probes,
              "minimum": {"calls": minimum, "how": how}}
    result["targets"] = targets(args.hosts, runs, minimum, probes)
    print()
    print(table(result))
    print("\nminimum call count of the host_fabric converge: %s" % how)
    for t in result["targets"]:
        print("%s %s: %s" % (t["result"], t["target"], t["detail"]))
    for r in runs:
        for phase in ("converge", "rerun"):
            if r.get(phase, {}).get("tail"):
                print("\n%s %s failed:\n%s" % (r["name"], phase, r[phase]["tail"]))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump(result, fh, indent=2, sort_keys=True)
        with open(os.path.splitext(args.out)[0] + ".md", "w", encoding="utf-8") as fh:
            fh.write(markdown(result))
    mine_ok = all(r[p]["pass"] for r in runs if r["tool"] == "vmkfabric.vsphere" for p in ("converge", "rerun") if p in r)
    return 0 if mine_ok else 1


if __name__ == "__main__":
    sys.exit(main())
