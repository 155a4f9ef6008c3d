"""Converge the same iSCSI fabric with vmkfabric.vsphere and with community.vmware, side by side.

Both sides run against a fresh simulator (demo inventory: 4 hosts in Cluster-A) with the same
per-call latency, first to create the fabric, then again when nothing is left to do. For each
run the table shows wall time, SOAP calls (total, writes, logins, property reads) as counted
by the simulator, and how many tasks reported a change.

Scenarios:
- ``vmk``: vSwitch1 on vmnic2+vmnic3 (MTU 9000) and two iSCSI port groups with one active
  uplink each and the other unused, each carrying a vmk with a static address and MTU 9000.
- ``iscsi``: the same, plus software iSCSI with both vmks bound and the array's send target.
  This collection also sets LoginTimeout 30 / DelayedAck off on the send target (profile
  ``pure``); community.vmware has no option for iSCSI advanced settings, so its run does less.
- ``fabric``: the reference fabric of ``playbooks/vars/reference_fabric.yml`` (the iSCSI part,
  a 2-vmk vMotion set with mirrored active/standby, the replica vmk): one ``host_fabric`` task
  here, the equivalent community.vmware tasks there.

The baseline is community.vmware 5.10 from the released `ansible` 12.3.0 package, downloaded
once into .venv/bench (never a runtime dependency of this collection):
`vmware_vswitch`, `vmware_vmkernel` and `vmware_host_iscsi` per host, `vmware_portgroup` per cluster.

Usage: .venv/bin/python benchmarks/bench_converge.py [--latency-ms 20] [--scenario vmk|iscsi|all]
       [--out benchmarks/results/X.json]
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from typing import Any

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "simulator"))

from vsphere_sim.launcher import SimProcess  # noqa: E402

DEMO = os.path.join(ROOT, "tests", "simulator", "inventories", "demo.yml")
BENCH = os.path.join(ROOT, ".venv", "bench")
BASELINE_WHEEL = "ansible==12.3.0"
HOSTS = ["esx0%d.lab.local" % i for i in range(1, 5)]
PORTGROUPS = [("iSCSI-A", "vmnic2", "vmnic3", 11), ("iSCSI-B", "vmnic3", "vmnic2", 21)]
BIN = os.path.dirname(sys.executable)


def address(first: int, index: int) -> str:
    return "10.10.20.%d" % (first + index)


def ours() -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = [{
        "name": "vSwitch1",
        "vmkfabric.vsphere.vswitch": {"cluster": "Cluster-A", "name": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"], "mtu": 9000},
    }]
    for pg, active, unused, first in PORTGROUPS:
        tasks.append({"name": pg, "vmkfabric.vsphere.vmknic": {
            "cluster": "Cluster-A", "portgroup": pg, "vswitch": "vSwitch1", "vlan": 20, "mtu": 9000, "purpose": "iscsi",
            "ip": {"netmask": "255.255.255.0", "addresses": {h: address(first, i) for i, h in enumerate(HOSTS)}},
            "teaming": {"active": [active], "unused": [unused]},
        }})
    return tasks


PORTAL = "10.10.20.100"


def ours_iscsi() -> list[dict[str, Any]]:
    return ours() + [
        {"name": "bind", "vmkfabric.vsphere.iscsi_adapter": {
            "cluster": "Cluster-A", "software_iscsi": "enabled", "bindings": [{"portgroup": pg} for pg, *_r in PORTGROUPS]}},
        {"name": "send target", "vmkfabric.vsphere.iscsi_target": {
            "cluster": "Cluster-A", "profile": "pure", "send_targets": [{"address": PORTAL}]}},
    ]


def baseline_iscsi() -> list[dict[str, Any]]:
    return baseline() + [
        {"name": "software iSCSI", "loop": HOSTS,
         "community.vmware.vmware_host_iscsi": {"esxi_hostname": "{{ item }}", "state": "enabled"}},
        {"name": "bind + send target", "loop": HOSTS, "community.vmware.vmware_host_iscsi": {
            "esxi_hostname": "{{ item }}", "state": "present",
            "iscsi_config": {"vmhba_name": "vmhba64", "port_bind": ["vmk1", "vmk2"],
                             "send_target": {"address": PORTAL, "port": 3260}}}},
    ]


def baseline() -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = [{
        "name": "vSwitch1", "loop": HOSTS,
        "community.vmware.vmware_vswitch": {"esxi_hostname": "{{ item }}", "switch": "vSwitch1", "nics": ["vmnic2", "vmnic3"], "mtu": 9000},
    }]
    for pg, active, _unused, first in PORTGROUPS:
        tasks.append({"name": pg, "community.vmware.vmware_portgroup": {
            "cluster_name": "Cluster-A", "switch": "vSwitch1", "portgroup": pg, "vlan_id": 20,
            "teaming": {"load_balancing": "failover_explicit", "active_adapters": [active], "standby_adapters": []},
        }})
        tasks.append({"name": pg + " vmk", "loop": ["%s=%s" % (h, address(first, i)) for i, h in enumerate(HOSTS)],
                      "community.vmware.vmware_vmkernel": {
                          "esxi_hostname": "{{ item.split('=')[0] }}", "portgroup_name": pg, "vswitch_name": "vSwitch1",
                          "mtu": 9000, "network": {"type": "static", "ip_address": "{{ item.split('=')[1] }}", "subnet_mask": "255.255.255.0"},
                          "state": "present"}})
    return tasks


def reference_fabric() -> dict[str, Any]:
    with open(os.path.join(ROOT, "playbooks", "vars", "reference_fabric.yml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)["fabric_config"]


def ours_fabric() -> list[dict[str, Any]]:
    return [{"name": "reference fabric", "vmkfabric.vsphere.host_fabric": {
        "cluster": "Cluster-A", "state": "merged", "config": reference_fabric()}}]


def baseline_fabric() -> list[dict[str, Any]]:
    """The same document as community.vmware tasks: a vSwitch per host, each port group once for the
    cluster, each vmk per host (vMotion enabled on the vMotion vmks), software iSCSI per host."""
    config = reference_fabric()
    first = config[HOSTS[0]]
    tasks: list[dict[str, Any]] = []
    for sw in first["vswitches"]:
        tasks.append({"name": sw["name"], "loop": HOSTS, "community.vmware.vmware_vswitch": {
            "esxi_hostname": "{{ item }}", "switch": sw["name"], "nics": sw["uplinks"], "mtu": sw["mtu"]}})
    for pg in first["portgroups"]:
        team = pg.get("teaming") or {}
        task: dict[str, Any] = {"cluster_name": "Cluster-A", "switch": pg["vswitch"], "portgroup": pg["name"], "vlan_id": pg["vlan"]}
        if team:
            task["teaming"] = {"load_balancing": "failover_explicit", "active_adapters": team["active"],
                               "standby_adapters": team.get("standby", [])}
        tasks.append({"name": pg["name"], "community.vmware.vmware_portgroup": task})
    for index, vmk in enumerate(first["vmknics"]):
        items = ["%s=%s" % (h, config[h]["vmknics"][index]["ip"]["address"]) for h in HOSTS]
        tasks.append({"name": vmk["portgroup"] + " vmk", "loop": items, "community.vmware.vmware_vmkernel": {
            "esxi_hostname": "{{ item.split('=')[0] }}", "portgroup_name": vmk["portgroup"], "vswitch_name": "vSwitch1",
            "mtu": vmk["mtu"], "enable_vmotion": "vmotion" in vmk.get("services", []), "state": "present",
            "network": {"type": "static", "ip_address": "{{ item.split('=')[1] }}", "subnet_mask": vmk["ip"]["netmask"]}}})
    return tasks + baseline_iscsi()[len(baseline()):]


SCENARIOS = {"vmk": (ours, baseline), "iscsi": (ours_iscsi, baseline_iscsi), "fabric": (ours_fabric, baseline_fabric)}


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


def run_play(sim: SimProcess, tasks: list[dict[str, Any]], collections: str, workdir: str, defaults: dict[str, Any]) -> dict[str, Any]:
    with open(DEMO, encoding="utf-8") as fh:
        creds = yaml.safe_load(fh)["credentials"]
    play = [{"name": "bench", "hosts": "localhost", "gather_facts": False,
             "module_defaults": defaults, "tasks": tasks}]
    path = os.path.join(workdir, "play.yml")
    with open(path, "w", encoding="utf-8") as fh:
        yaml.safe_dump(play, fh, sort_keys=False)
    inventory = os.path.join(ROOT, "playbooks", "inventory", "localhost.yml")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=collections, ANSIBLE_NOCOLOR="1", VMWARE_HOST="127.0.0.1",
               VMWARE_PORT=str(sim.port), VMWARE_USER=creds["username"], VMWARE_PASSWORD=creds["password"],
               SSL_CERT_FILE=sim.ca_file, PATH=BIN + os.pathsep + os.environ.get("PATH", ""))
    sim.reset_stats()
    start = time.monotonic()
    proc = subprocess.run([os.path.join(BIN, "ansible-playbook"), "-i", inventory, path], env=env,
                          capture_output=True, text=True, timeout=1800, check=False)
    wall = time.monotonic() - start
    stats = sim.stats()
    recap = proc.stdout.rsplit("PLAY RECAP", 1)[-1]
    changed = int(recap.split("changed=")[1].split()[0]) if "changed=" in recap else -1
    calls = stats["calls"]
    reads = sum(calls.get(m, 0) for m in ("Fetch", "RetrieveProperties", "RetrievePropertiesEx", "ContinueRetrievePropertiesEx"))
    return {"ok": proc.returncode == 0, "wall_s": round(wall, 2), "calls": stats["total"], "writes": stats["writes"],
            "logins": calls.get("Login", 0), "property_reads": reads,
            "changed_tasks": changed, "by_method": calls, "tail": "" if proc.returncode == 0 else proc.stdout[-2000:]}


def measure(name: str, tasks: list[dict[str, Any]], collections: str, defaults: dict[str, Any], latency: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, SimProcess(DEMO, latency_ms=latency) as sim:
        first = run_play(sim, tasks, collections, tmp, defaults)
        second = run_play(sim, tasks, collections, tmp, defaults)
    return {"tool": name, "converge": first, "rerun": second}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=20, help="simulated per-call latency (default 20 ms)")
    parser.add_argument("--scenario", choices=sorted(SCENARIOS) + ["all"], default="all", help="what to converge (default: all)")
    parser.add_argument("--out", default=None, help="write the JSON result here")
    args = parser.parse_args()
    ours_root = os.path.join(ROOT, ".venv", "collections")
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    scenarios: dict[str, list[dict[str, Any]]] = {}
    for name in names:
        mine, theirs = SCENARIOS[name]
        scenarios[name] = [
            measure("vmkfabric.vsphere", mine(), ours_root, {"group/vmkfabric.vsphere.vsphere": {}}, args.latency_ms),
            measure("community.vmware 5.10", theirs(), ensure_baseline(), {}, args.latency_ms),
        ]
    print("%-9s %-22s %-9s %4s %7s %6s %6s %6s %8s" % ("scenario", "tool", "run", "ok", "wall s", "calls", "writes", "logins", "reads"))
    for name, results in scenarios.items():
        for r in results:
            for run in ("converge", "rerun"):
                m = r[run]
                row = (name, r["tool"], run, "yes" if m["ok"] else "NO", m["wall_s"], m["calls"], m["writes"], m["logins"],
                       m["property_reads"])
                print("%-9s %-22s %-9s %4s %7.2f %6d %6d %6d %8d" % row)
    for name, results in scenarios.items():
        for r in results:
            for run in ("converge", "rerun"):
                if r[run]["tail"]:
                    print("\n%s %s %s failed:\n%s" % (name, r["tool"], run, r[run]["tail"]))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w", encoding="utf-8") as fh:
            json.dump({"latency_ms": args.latency_ms, "scenarios": scenarios}, fh, indent=2, sort_keys=True)
    mine_ok = all(r["converge"]["ok"] and r["rerun"]["ok"] for results in scenarios.values() for r in results
                  if r["tool"] == "vmkfabric.vsphere")
    return 0 if mine_ok else 1


if __name__ == "__main__":
    sys.exit(main())
