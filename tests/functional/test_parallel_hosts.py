# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Hosts written in parallel (``parallel_hosts``): a fault on one host stops new hosts, the host writing
at that moment finishes its call in flight and starts no further one, the result names per host what was
done and not done, a rerun finishes; check mode and the result order do not depend on the pool.
The module runs in this process (as Ansible runs it) against the simulator: what is tested is the pool."""

from __future__ import annotations

from typing import Any, NamedTuple

from conftest import connection, run_in_process  # pylint: disable=import-error

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import HOSTS, NETMASK, C, vmk_of

PG = "vMotion-P"
ADDRESSES = {h: "10.10.40.%d" % (11 + i) for i, h in enumerate(HOSTS)}
STEPS = ["UpdateNetworkConfig", "SelectVnicForNicType(vmotion, vmk1)"]


def vmotion(**extra):
    return dict({"cluster": C, "portgroup": PG, "vswitch": "vSwitch0", "vlan": 40, "services": ["vmotion"],
                 "ip": {"netmask": NETMASK, "addresses": ADDRESSES}}, **extra)


class Run(NamedTuple):
    result: dict[str, Any]
    stats: dict[str, Any]

    @property
    def calls(self) -> dict[str, int]:
        return dict(self.stats["calls"])

    @property
    def writes(self) -> int:
        return int(self.stats["writes"])


def run(sim, args, check=False):
    sim.reset_stats()
    result = run_in_process("vmknic", dict(connection(sim), _ansible_check_mode=check, **args))
    return Run(result, sim.stats())


def test_a_parallel_hosts_value_out_of_range_is_refused_before_the_login(sim):
    out = run(sim, vmotion(parallel_hosts=0))
    assert out.result.get("failed") and "parallel_hosts" in out.result["msg"] and "between 1 and 32" in out.result["msg"]
    assert out.stats["total"] == 0


def test_check_mode_and_result_order_do_not_depend_on_the_pool(sim):
    one = run(sim, vmotion(parallel_hosts=1), check=True)
    many = run(sim, vmotion(parallel_hosts=8), check=True)
    assert not one.result.get("failed") and one.result["changed"], one.result.get("msg")
    for key in ("plan", "before", "after", "findings"):
        assert many.result[key] == one.result[key], key
    assert list(many.result["after"]) == sorted(HOSTS) and [a["host"] for a in many.result["plan"]] == sorted(
        a["host"] for a in many.result["plan"])
    assert one.writes == 0 and many.writes == 0


def test_a_fault_on_one_host_mid_pool_stops_new_hosts_and_names_every_step(sim):
    # two hosts at a time: esx01 and esx02 start together; esx01's network write is slow, esx02's fails
    sim.arm_fault({"method": "UpdateNetworkConfig", "host": "esx01.lab.local", "latency_ms": 800})
    sim.arm_fault({"method": "UpdateNetworkConfig", "nth": 1, "host": "esx02.lab.local", "fault": "HostConfigFault"})
    try:
        out = run(sim, vmotion(parallel_hosts=2))
    finally:
        sim.disarm_faults()
    r = out.result
    assert r.get("failed") and r["changed"] is True, r.get("msg")
    assert r["msg"].startswith("esx02.lab.local: UpdateNetworkConfig failed")
    assert "already changed in this run: esx01.lab.local (done: UpdateNetworkConfig)" in r["msg"]
    steps = r["steps"]
    # esx01 finished the call in flight when esx02 failed, and started nothing after it
    assert steps["esx01.lab.local"] == {"done": STEPS[:1], "not_done": STEPS[1:]}
    assert steps["esx02.lab.local"] == {"done": [], "failed": STEPS[0], "outcome": "failed", "not_done": STEPS[1:]}
    # never started
    assert steps["esx03.lab.local"] == steps["esx04.lab.local"] == {"done": [], "not_done": STEPS}
    assert out.calls.get("UpdateNetworkConfig") == 2 and out.calls.get("SelectVnicForNicType", 0) == 0

    again = run(sim, vmotion())
    assert not again.result.get("failed") and again.result["changed"], again.result.get("msg")
    assert again.calls.get("UpdateNetworkConfig") == 3 and again.calls.get("SelectVnicForNicType") == 4
    for h in HOSTS:
        vmk = vmk_of(again.result, h, PG)
        assert vmk is not None and vmk["services"] == ["vmotion"] and vmk["ip"]["address"] == ADDRESSES[h]
    last = run(sim, vmotion())
    assert not last.result["changed"] and last.writes == 0
