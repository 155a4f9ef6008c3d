"""`make demo`: start the simulator with the 4-host demo cluster and show what the collection does.

Steps: start the simulator → print the cluster's networking with plain pyVmomi → converge
playbooks/site.yml with --diff → run it again (must report 0 changed, 0 writes) → run an
unsafe plan that the validator refuses with rule IDs (0 writes) → print the fabric again →
write the fabric report of the converged cluster (playbooks/report.yml, 0 writes) to
.demo/fabric-report.html and print its path → stop the simulator. Exits non-zero if any step does not behave as described.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "simulator"))

from pyVim.connect import Disconnect, SmartConnect  # noqa: E402
from pyVmomi import vim, vmodl  # noqa: E402

from vsphere_sim.launcher import SimProcess  # noqa: E402

INVENTORY = os.path.join(ROOT, "tests", "simulator", "inventories", "demo.yml")
with open(INVENTORY, encoding="utf-8") as _fh:
    _CREDS = yaml.safe_load(_fh)["credentials"]
CREDENTIALS = (_CREDS["username"], _CREDS["password"])


def banner(text: str) -> None:
    print("\n==== %s ====" % text, flush=True)


def read_hosts(sim: SimProcess) -> list:
    """One PropertyCollector call: every host's name and network config."""
    ctx = ssl.create_default_context(cafile=sim.ca_file)
    si = SmartConnect(host="127.0.0.1", port=sim.port, user=CREDENTIALS[0], pwd=CREDENTIALS[1], sslContext=ctx)
    try:
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
        spec = vmodl.query.PropertyCollector.FilterSpec(
            objectSet=[vmodl.query.PropertyCollector.ObjectSpec(
                obj=view, skip=True,
                selectSet=[vmodl.query.PropertyCollector.TraversalSpec(
                    name="view", type=vim.view.ContainerView, path="view", skip=False)])],
            propSet=[vmodl.query.PropertyCollector.PropertySpec(
                type=vim.HostSystem, pathSet=["name", "config.network"])])
        result = content.propertyCollector.RetrievePropertiesEx([spec], vmodl.query.PropertyCollector.RetrieveOptions())
        view.Destroy()
        hosts = []
        for obj in result.objects:
            props = {p.name: p.val for p in obj.propSet}
            hosts.append((props["name"], props["config.network"]))
        return sorted(hosts, key=lambda h: h[0])
    finally:
        Disconnect(si)


def print_fabric(sim: SimProcess) -> None:
    for name, net in read_hosts(sim):
        print(name)
        for sw in net.vswitch:
            print("  %-10s uplinks=%s mtu=%s" % (sw.name, ",".join(sw.spec.bridge.nicDevice if sw.spec.bridge else []), sw.mtu))
            for pg in net.portgroup:
                if pg.spec.vswitchName != sw.name:
                    continue
                order = pg.computedPolicy.nicTeaming.nicOrder
                vmks = [v.device for v in net.vnic if v.portgroup == pg.spec.name]
                print("    %-20s vlan=%-4s active=%s standby=%s %s" % (
                    pg.spec.name, pg.spec.vlanId, ",".join(order.activeNic or []),
                    ",".join(order.standbyNic or []), " ".join(vmks)))
        for vnic in net.vnic:
            print("  %-5s %-15s mtu=%-5s %s" % (vnic.device, vnic.spec.ip.ipAddress, vnic.spec.mtu, vnic.portgroup))


def playbook(sim: SimProcess, name: str, *extra: str, expect_fail: bool = False) -> str:
    env = dict(os.environ)
    env.update(
        VMWARE_HOST="127.0.0.1", VMWARE_PORT=str(sim.port), VMWARE_USER=CREDENTIALS[0],
        VMWARE_PASSWORD=CREDENTIALS[1], VMKFABRIC_CA_PATH=sim.ca_file,
        ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", ANSIBLE_STDOUT_CALLBACK="default",
    )
    cmd = [os.path.join(sys.prefix, "bin", "ansible-playbook"), "-i", os.path.join(ROOT, "playbooks", "inventory", "localhost.yml"),
           os.path.join(ROOT, "playbooks", name)] + list(extra)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600, check=False)
    print(proc.stdout[-6000:])
    if (proc.returncode != 0) != expect_fail:
        print(proc.stderr[-3000:], file=sys.stderr)
        raise SystemExit("demo: %s %s unexpectedly (rc=%d)" % (name, "succeeded" if expect_fail else "failed", proc.returncode))
    return proc.stdout


def recap_changed(output: str) -> int:
    return sum(int(n) for n in re.findall(r"changed=(\d+)", output))


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="vmkfabric-demo-") as tmp:
        with SimProcess(INVENTORY, state=os.path.join(tmp, "state.json")) as sim:
            banner("simulator listening on %s (CA %s)" % (sim.url, sim.ca_file))
            print_fabric(sim)
            if not os.path.exists(os.path.join(ROOT, "playbooks", "site.yml")):
                return 0
            banner("converge playbooks/site.yml --diff")
            sim.reset_stats()
            playbook(sim, "site.yml", "--diff")
            print("simulator calls:", json.dumps(sim.stats()))
            banner("run it again: nothing to do")
            sim.reset_stats()
            out = playbook(sim, "site.yml")
            stats = sim.stats()
            print("simulator calls:", json.dumps(stats))
            if recap_changed(out) or stats["writes"]:
                raise SystemExit("demo: second run changed something (changed=%d, writes=%d)" % (recap_changed(out), stats["writes"]))
            banner("an unsafe plan is refused before anything is written")
            sim.reset_stats()
            out = playbook(sim, "demo_unsafe.yml", expect_fail=True)
            if not re.search(r"\[[A-Z]{2,3}-\d+\]", out) or sim.stats()["writes"]:
                raise SystemExit("demo: the unsafe plan was not refused cleanly")
            banner("the fabric now")
            print_fabric(sim)
            banner("the fabric report of the converged cluster")
            write_report(sim, tmp)
    return 0


REPORT = os.path.join(ROOT, ".demo", "fabric-report.html")


def write_report(sim: SimProcess, tmp: str) -> None:
    """playbooks/report.yml with the reference fabric as the plan: read-only, so 0 writes; prints the path."""
    os.makedirs(os.path.dirname(REPORT), exist_ok=True)
    with open(os.path.join(ROOT, "playbooks", "vars", "reference_fabric.yml"), encoding="utf-8") as fh:
        reference = yaml.safe_load(fh)["fabric_config"]
    plan_vars = os.path.join(tmp, "plan.yml")
    with open(plan_vars, "w", encoding="utf-8") as fh:
        yaml.safe_dump({"host_fabric_config": reference}, fh)
    sim.reset_stats()
    playbook(sim, "report.yml", "-e", "report_dest=%s" % REPORT, "-e", "@" + plan_vars)
    if sim.stats()["writes"] or not os.path.exists(REPORT):
        raise SystemExit("demo: the report run wrote to the cluster or wrote no report")
    print("fabric report written: %s (open it in a browser)" % REPORT, flush=True)


if __name__ == "__main__":
    sys.exit(main())
