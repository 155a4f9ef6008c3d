# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hosts written in parallel (``parallel_hosts``): a fault on one host stops new hosts, the host writing
at that moment finishes its call in flight and starts no further one, the result names per host what was
done and not done, a rerun finishes; check mode and the result order do not depend on the pool."""

from __future__ import annotations

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import HOSTS, NETMASK, C, vmk_of

PG = "vMotion-P"
ADDRESSES = {h: "10.10.40.%d" % (11 + i) for i, h in enumerate(HOSTS)}
STEPS = ["UpdateNetworkConfig", "SelectVnicForNicType(vmotion, vmk1)"]


def vmotion(**extra):
    return {"vmkfabric.vsphere.vmknic": dict({
        "cluster": C, "portgroup": PG, "vswitch": "vSwitch0", "vlan": 40, "services": ["vmotion"],
        "ip": {"netmask": NETMASK, "addresses": ADDRESSES}}, **extra)}


def test_a_parallel_hosts_value_out_of_range_is_refused_before_the_login(playbook):
    run = playbook.run(vmotion(parallel_hosts=0))
    assert run[0].get("failed") and "parallel_hosts" in run[0]["msg"] and "between 1 and 32" in run[0]["msg"]
    assert run.stats["total"] == 0


def test_check_mode_and_result_order_do_not_depend_on_the_pool(playbook):
    one = playbook.run(vmotion(parallel_hosts=1), check=True)
    many = playbook.run(vmotion(parallel_hosts=8), check=True)
    assert not one[0].get("failed") and one[0]["changed"], one[0].get("msg")
    for key in ("plan", "before", "after", "findings"):
        assert many[0][key] == one[0][key], key
    assert list(many[0]["after"]) == sorted(HOSTS) and [a["host"] for a in many[0]["plan"]] == sorted(
        a["host"] for a in many[0]["plan"])
    assert one.writes == 0 and many.writes == 0


def test_a_fault_on_one_host_mid_pool_stops_new_hosts_and_names_every_step(playbook, sim):
    # two hosts at a time: esx01 and esx02 start together; esx01's network write is slow, esx02's fails
    sim.arm_fault({"method": "UpdateNetworkConfig", "host": "esx01.lab.local", "latency_ms": 800})
    sim.arm_fault({"method": "UpdateNetworkConfig", "nth": 1, "host": "esx02.lab.local", "fault": "HostConfigFault"})
    try:
        run = playbook.run(vmotion(parallel_hosts=2))
    finally:
        sim.disarm_faults()
    r = run[0]
    assert r.get("failed") and r["changed"] is True, r.get("msg")
    assert r["msg"].startswith("esx02.lab.local: UpdateNetworkConfig failed")
    assert "already changed in this run: esx01.lab.local (done: UpdateNetworkConfig)" in r["msg"]
    steps = r["steps"]
    # esx01 finished the call in flight when esx02 failed, and started nothing after it
    assert steps["esx01.lab.local"] == {"done": STEPS[:1], "not_done": STEPS[1:]}
    assert steps["esx02.lab.local"] == {"done": [], "failed": STEPS[0], "outcome": "failed", "not_done": STEPS[1:]}
    # never started
    assert steps["esx03.lab.local"] == steps["esx04.lab.local"] == {"done": [], "not_done": STEPS}
    assert run.calls.get("UpdateNetworkConfig") == 2 and run.calls.get("SelectVnicForNicType", 0) == 0

    again = playbook.run(vmotion())
    assert not again[0].get("failed") and again[0]["changed"], again[0].get("msg")
    assert again.calls.get("UpdateNetworkConfig") == 3 and again.calls.get("SelectVnicForNicType") == 4
    for h in HOSTS:
        vmk = vmk_of(again[0], h, PG)
        assert vmk is not None and vmk["services"] == ["vmotion"] and vmk["ip"]["address"] == ADDRESSES[h]
    last = playbook.run(vmotion())
    assert not last[0]["changed"] and last.writes == 0
