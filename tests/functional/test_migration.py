# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reference fabric on the demo cluster's distributed switch dvs-prod (which keeps its LAG lag1 on vmnic4+5 for
VM traffic): vmnic2/vmnic3 behind dvUplink1/dvUplink2, the two bound iSCSI vmks on dvPortgroups with one active
dvUplink each, the vMotion set and the replica vmk.

- From scratch with one host_fabric task: converges, the rerun writes nothing, gathered -> overridden is a no-op.
- Migrated from vSwitch1: every vmk keeps its device, IP, bindings and tags; bound iSCSI vmks move one path at a
  time (one UpdateNetworkConfig per path, read back with QueryBoundVnics before the next); a fault after the first
  step leaves one compliant path on each switch and the rerun finishes the job.
- Migrating both paths of a host whose second path is down is refused (MG-2) with zero writes.
"""

from __future__ import annotations

import copy
import os

import pytest
import yaml
from conftest import find, own_sim, pyvmomi  # pylint: disable=import-error

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import DEMO_INVENTORY

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTS = ("esx01.lab.local", "esx02.lab.local", "esx03.lab.local", "esx04.lab.local")
C, DVS = "Cluster-A", "dvs-prod"
with open(os.path.join(ROOT, "playbooks", "vars", "reference_fabric.yml"), encoding="utf-8") as _fh:
    REFERENCE = yaml.safe_load(_fh)["fabric_config"]

UPLINKS = [{"name": DVS, "uplinks": {"dvUplink1": ["vmnic2"], "dvUplink2": ["vmnic3"]}}]
MOVES = {"iSCSI-A": "iSCSI-A-dv", "iSCSI-B": "iSCSI-B-dv", "vMotion-A": "vMotion-A-dv", "vMotion-B": "vMotion-B-dv",
         "Replica": "Replica-dv"}


def dv_portgroups():
    def pg(name, vlan, active, standby=()):
        unused = [u for u in ("dvUplink1", "dvUplink2", "lag1") if u not in active and u not in standby]
        return {"name": name, "dvs": DVS, "vlan": vlan, "teaming": {
            "policy": "failover_explicit", "active": list(active), "standby": list(standby), "unused": unused}}
    return [pg("iSCSI-A-dv", 20, ["dvUplink1"]), pg("iSCSI-B-dv", 20, ["dvUplink2"]),
            pg("vMotion-A-dv", 30, ["dvUplink1"], ["dvUplink2"]), pg("vMotion-B-dv", 30, ["dvUplink2"], ["dvUplink1"]),
            pg("Replica-dv", 40, ["dvUplink1"], ["dvUplink2"])]


def scratch_doc(host):
    """The reference fabric declared on dvs-prod (no device names: new vmks)."""
    ref = REFERENCE[host]
    vmknics = [dict({k: v for k, v in vmk.items() if k != "portgroup"}, portgroup=MOVES[vmk["portgroup"]], dvswitch=DVS)
               for vmk in ref["vmknics"]]
    iscsi = [dict(ref["iscsi"][0], bindings=[{"vmk": "vmk1"}, {"vmk": "vmk2"}])]
    return {"dv_switches": UPLINKS, "dv_portgroups": dv_portgroups(), "vmknics": vmknics, "iscsi": iscsi}


def migration_doc(gathered):
    """Each vmk of the converged vSS fabric (by device) onto its dvPortgroup; vmnic2/3 behind dvUplink1/2."""
    vmknics = [{"device": v["device"], "portgroup": MOVES[v["portgroup"]], "dvswitch": DVS}
               for v in gathered["vmknics"] if v["portgroup"] in MOVES]
    return {"dv_switches": UPLINKS, "dv_portgroups": dv_portgroups(), "vmknics": vmknics}


def fabric(config=None, scope=None, state="merged", **extra):
    args = dict(scope or {"cluster": C}, state=state, **extra)
    if config is not None:
        args["config"] = config
    return {"vmkfabric.vsphere.host_fabric": args}


def network(sim, host):
    """(vmk -> (portgroup or dvPortgroup name, IP, services)), pnic -> switch, QueryBoundVnics of vmhba64
    (vmk -> (compliant, pathStatus)) of one host, read with plain pyVmomi."""
    from pyVmomi import vim
    with pyvmomi(sim) as si:
        mo = find(si, vim.HostSystem, host)
        net = mo.config.network
        dvpgs = {pg.key: pg.name for pg in mo.network if isinstance(pg, vim.dvs.DistributedVirtualPortgroup)}
        selected = {}
        for cfg in mo.config.virtualNicManagerInfo.netConfig:
            for key in cfg.selectedVnic or []:
                selected.setdefault(key.rsplit("-", 1)[-1], set()).add(cfg.nicType)
        vmks = {v.device: (v.portgroup or dvpgs.get(v.spec.distributedVirtualPort.portgroupKey), v.spec.ip.ipAddress,
                           sorted(selected.get(v.device, ()))) for v in net.vnic}
        pnics = {n: sw.name for sw in net.vswitch for n in (sw.spec.bridge.nicDevice if sw.spec.bridge else [])}
        pnics.update({p.pnicDevice: p_sw.dvsName for p_sw in net.proxySwitch for p in p_sw.spec.backing.pnicSpec})
        bound = {p.vnicDevice: (not p.complianceStatus.reason, p.pathStatus)
                 for p in mo.configManager.iscsiManager.QueryBoundVnics(iScsiHbaName="vmhba64")}
        return vmks, pnics, bound


# --- from scratch on the demo cluster ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def scratch_sim(tmp_path_factory):
    with own_sim(DEMO_INVENTORY, str(tmp_path_factory.mktemp("dv-scratch"))) as proc:
        yield proc


def test_the_fabric_converges_on_the_distributed_switch_from_scratch(scratch_sim, collections_path, tmp_path):
    from conftest import Playbook  # pylint: disable=import-error
    play = Playbook(scratch_sim, collections_path, str(tmp_path))
    config = {h: scratch_doc(h) for h in HOSTS}
    first = play.run(fabric(config))
    assert not first[0].get("failed"), first.stdout
    assert first.calls["CreateDVPortgroup_Task"] == 5 and first.calls["UpdateNetworkConfig"] == 4
    assert first.calls["BindVnic"] == 8
    for h in HOSTS:
        vmks, pnics, bound = network(scratch_sim, h)
        assert [pnics[n] for n in ("vmnic2", "vmnic3", "vmnic4", "vmnic5")] == [DVS] * 4
        assert vmks["vmk1"][0] == "iSCSI-A-dv" and vmks["vmk3"][2] == ["vmotion"]
        assert bound == {"vmk1": (True, "active"), "vmk2": (True, "active")}
    again = play.run(fabric(config))
    assert again[0]["changed"] is False and again.writes == 0, again.stdout
    gathered = play.run(fabric(state="gathered"))[0]["gathered"]
    assert gathered[HOSTS[0]]["dv_switches"][0]["uplinks"]["lag1"] == ["vmnic4", "vmnic5"]  # the LAG kept
    back = play.run(fabric(gathered, state="overridden"))
    assert not back[0].get("failed") and back[0]["changed"] is False and back.writes == 0, back.stdout


# --- vSwitch1 -> dvs-prod, one path at a time ------------------------------------------------------------------


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    with own_sim(DEMO_INVENTORY, str(tmp_path_factory.mktemp("migration"))) as proc:
        yield proc


@pytest.fixture(scope="module")
def on_vss(playbook):
    run = playbook.run(fabric(REFERENCE))
    assert not run[0].get("failed"), run.stdout
    return run[0]["after"]


def test_check_mode_shows_the_order_and_writes_nothing(on_vss, playbook):
    preview = playbook.run(fabric({HOSTS[0]: migration_doc(on_vss[HOSTS[0]])}, {"esxi_hostname": HOSTS[0]}), check=True)
    assert not preview[0].get("failed") and preview.writes == 0, preview.stdout
    steps = [(a.get("step"), a["kind"], a["name"]) for a in preview[0]["plan"] if a["kind"] in ("uplink", "vmk")]
    assert steps == [(1, "uplink", "dvs-prod/dvUplink1"), (1, "vmk", "vmk1"), (2, "uplink", "dvs-prod/dvUplink2"),
                     (2, "vmk", "vmk2"), (3, "vmk", "vmk3"), (3, "vmk", "vmk4"), (3, "vmk", "vmk5")], steps


def _bad_inputs(gathered):
    """(document of esx01, the rule or field its refusal names) for each bad migration input."""
    doc = migration_doc(gathered)

    def with_pg(name, **teaming):
        return dict(doc, dv_portgroups=[dict(p, teaming=dict(p["teaming"], **teaming)) if p["name"] == name else p
                                        for p in doc["dv_portgroups"]])
    crossed = dict(doc, dv_switches=[{"name": DVS, "uplinks": {"dvUplink1": ["vmnic3"], "dvUplink2": ["vmnic2"]}}])
    mgmt = dict(doc, dv_portgroups=doc["dv_portgroups"] + [{"name": "Mgmt-dv", "dvs": DVS}],
                vmknics=doc["vmknics"] + [{"device": "vmk0", "portgroup": "Mgmt-dv", "dvswitch": DVS}])
    nowhere = dict(doc, vmknics=[dict(v, portgroup="Nope-dv") if v["device"] == "vmk1" else v for v in doc["vmknics"]])
    return [
        (with_pg("iSCSI-A-dv", active=["lag1"], unused=["dvUplink1", "dvUplink2"]), "PB-9"),  # a bound vmk on a LAG
        (with_pg("iSCSI-A-dv", standby=["dvUplink2"], unused=["lag1"]), "PB-2"),  # a standby dvUplink under it
        (with_pg("iSCSI-A-dv", active=["lag1"], standby=["dvUplink1"], unused=["dvUplink2"]), "IP-6"),
        (dict(doc, dv_switches=[{"name": DVS, "uplinks": {"dvUplink7": ["vmnic2"]}}]), "dv_switches.dvs-prod.uplinks.dvUplink7"),
        (dict(doc, dv_switches=[{"name": "dvs-nope", "uplinks": {"dvUplink1": ["vmnic2"]}}]), "dvs-nope"),
        (nowhere, "Nope-dv"),
        (crossed, "MG-1"),
        (mgmt, "MG-3"),
    ]


def test_bad_migration_inputs_are_refused_naming_rule_or_field_with_zero_writes(on_vss, playbook):
    cases = _bad_inputs(on_vss[HOSTS[0]])
    run = playbook.run(*[fabric({HOSTS[0]: doc}, {"esxi_hostname": HOSTS[0]}) for doc, _what in cases])
    assert run.writes == 0 and "Traceback" not in run.stdout, run.stdout
    for result, (_doc, what) in zip(run.results, cases, strict=True):
        assert result.get("failed") and what in result["msg"], (what, result.get("msg"))


def test_a_fault_after_the_first_path_leaves_one_compliant_path_on_each_switch(on_vss, playbook, sim):
    before, _pnics, _bound = network(sim, HOSTS[0])
    sim.arm_fault({"method": "UpdateNetworkConfig", "nth": 2, "fault": "HostConfigFault", "host": HOSTS[0]})
    try:
        run = playbook.run(fabric({HOSTS[0]: migration_doc(on_vss[HOSTS[0]])}, {"esxi_hostname": HOSTS[0]}))
    finally:
        sim.disarm_faults()
    result = run[0]
    assert result.get("failed") and "HostConfigFault" in result["msg"], result
    assert "UpdateNetworkConfig(step 1: vmk1 with vmnic2)" in result["msg"] and "QueryBoundVnics" in result["msg"]
    assert run.calls["UpdateNetworkConfig"] == 2 and run.calls["QueryBoundVnics"] >= 1
    vmks, pnics, bound = network(sim, HOSTS[0])
    assert (vmks["vmk1"][0], pnics["vmnic2"]) == ("iSCSI-A-dv", DVS)
    assert (vmks["vmk2"][0], pnics["vmnic3"]) == ("iSCSI-B", "vSwitch1")
    assert bound == {"vmk1": (True, "active"), "vmk2": (True, "active")}  # one path on each side, both compliant
    assert {d: v[1:] for d, v in vmks.items()} == {d: v[1:] for d, v in before.items()}  # same IPs and tags

    rerun = playbook.run(fabric({HOSTS[0]: migration_doc(on_vss[HOSTS[0]])}, {"esxi_hostname": HOSTS[0]}))
    assert not rerun[0].get("failed"), rerun.stdout
    assert rerun.calls["UpdateNetworkConfig"] == 2  # step 1 = vmk2 with vmnic3, then the rest
    vmks, pnics, bound = network(sim, HOSTS[0])
    assert {d: v[0] for d, v in vmks.items()} == {"vmk0": "Management Network", "vmk1": "iSCSI-A-dv",
                                                  "vmk2": "iSCSI-B-dv", "vmk3": "vMotion-A-dv", "vmk4": "vMotion-B-dv",
                                                  "vmk5": "Replica-dv"}
    assert {d: v[1:] for d, v in vmks.items()} == {d: v[1:] for d, v in before.items()}
    assert bound == {"vmk1": (True, "active"), "vmk2": (True, "active")}


def test_the_cluster_migrates_one_path_at_a_time_keeping_device_ip_bindings_and_tags(on_vss, playbook, sim):
    before = {h: network(sim, h) for h in HOSTS[1:]}
    run = playbook.run(fabric({h: migration_doc(on_vss[h]) for h in HOSTS}))
    assert not run[0].get("failed"), run.stdout
    # esx01 was finished above; per other host: two path steps and the rest, a read-back after each path step
    assert run.calls["UpdateNetworkConfig"] == 3 * 3 and run.calls.get("BindVnic", 0) == 0
    assert run.calls.get("UnbindVnic", 0) == 0 and run.calls.get("RemoveVirtualNic", 0) == 0
    assert run.calls["QueryBoundVnics"] >= 2 * 3
    for h in HOSTS[1:]:
        vmks, pnics, bound = network(sim, h)
        assert {d: v[1:] for d, v in vmks.items()} == {d: v[1:] for d, v in before[h][0].items()}
        assert pnics["vmnic2"] == pnics["vmnic3"] == pnics["vmnic4"] == DVS and pnics["vmnic0"] == "vSwitch0"
        assert bound == {"vmk1": (True, "active"), "vmk2": (True, "active")}
    again = playbook.run(fabric({h: migration_doc(on_vss[h]) for h in HOSTS}))
    assert again[0]["changed"] is False and again.writes == 0, again.stdout


# --- refused: both paths of a host whose second path is down (MG-2) ---------------------------------------------


@pytest.fixture(scope="module")
def down_sim(tmp_path_factory):
    inventory = copy.deepcopy(DEMO_INVENTORY)
    host = inventory["vcenter"]["datacenters"][0]["clusters"][0]["hosts"][0]
    host["pnics"] = [dict(p, link_speed=0) if p["device"] == "vmnic3" else p
                     for p in inventory["host_defaults"]["pnics"]]
    with own_sim(inventory, str(tmp_path_factory.mktemp("path-down"))) as proc:
        yield proc


def test_migrating_both_paths_while_one_is_down_is_refused_with_zero_writes(down_sim, collections_path, tmp_path):
    from conftest import Playbook  # pylint: disable=import-error
    play = Playbook(down_sim, collections_path, str(tmp_path))
    scope = {"esxi_hostname": HOSTS[0]}
    converged = play.run(fabric({HOSTS[0]: REFERENCE[HOSTS[0]]}, scope))
    assert not converged[0].get("failed"), converged.stdout
    _vmks, _pnics, bound = network(down_sim, HOSTS[0])
    assert bound == {"vmk1": (True, "lastActive"), "vmk2": (True, "notUsed")}
    refused = play.run(fabric({HOSTS[0]: migration_doc(converged[0]["after"][HOSTS[0]])}, scope))
    assert refused[0].get("failed") and refused.writes == 0, refused.stdout
    assert "MG-2" in refused[0]["msg"] and "vmk1" in refused[0]["msg"] and "allow_path_disruption" in refused[0]["msg"]
