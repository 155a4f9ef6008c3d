# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Property-based differential test: random valid-shaped fabric documents for esx01 (within the
demo hardware), from a fresh or an already converged host, through host_fabric.

- Refused (check mode or real): the real run is refused too, and no write method is attempted.
- Accepted: the real run converges; what host_fabric_info then gathers equals what check mode
  predicted (``after``), every declared value is in the gathered state (nothing dropped), and
  the rerun writes nothing.

A bounded number of examples runs in ``make test``; ``make property`` runs many more
(``VMKFABRIC_PROPERTY_EXAMPLES``). A shrunk counterexample becomes a regular test.
"""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ansible_collections.vmkfabric.vsphere.tests.functional.conftest import (
    connection,
    own_sim,
    run_in_process,
)
from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import DEMO_INVENTORY as INVENTORY
from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import REFERENCE as CONFIG
from ansible_collections.vmkfabric.vsphere.tests.functional.test_corpus import write_methods

H = "esx01.lab.local"
EXAMPLES = int(os.environ.get("VMKFABRIC_PROPERTY_EXAMPLES", "6"))
WRITES = write_methods()
UPLINKS = ("vmnic2", "vmnic3")


@st.composite
def documents(draw: Any) -> dict[str, Any]:
    uplinks = draw(st.permutations(UPLINKS).flatmap(lambda p: st.sampled_from([p[:1], p])))
    switch: dict[str, Any] = {"name": "vSwitch1", "uplinks": list(uplinks)}
    if draw(st.booleans()):
        switch["mtu"] = draw(st.sampled_from([1500, 9000]))
    names = draw(st.lists(st.sampled_from(["P-A", "P-B", "P-C"]), unique=True, max_size=3))
    portgroups: list[dict[str, Any]] = []
    vmknics: list[dict[str, Any]] = []
    for name in names:
        pg: dict[str, Any] = {"name": name, "vswitch": "vSwitch1", "vlan": draw(st.sampled_from([0, 20, 50, 60]))}
        shape = draw(st.sampled_from(["none", "standby", "unused"]))
        if shape != "none":
            first = draw(st.sampled_from(UPLINKS))
            other = [u for u in UPLINKS if u != first]
            pg["teaming"] = {"active": [first], shape: other}
        portgroups.append(pg)
        vmk: dict[str, Any] = {"portgroup": name, "ip": {
            "address": "10.10.%d.%d" % (draw(st.sampled_from([50, 60, 70])), draw(st.integers(10, 250))),
            "netmask": "255.255.255.0"}}
        if draw(st.booleans()):
            vmk["mtu"] = draw(st.sampled_from([1500, 9000]))
        services = draw(st.sampled_from([None, [], ["vmotion"], ["provisioning"]]))
        if services is not None:
            vmk["services"] = services
        vmknics.append(vmk)
    return {"vswitches": [switch], "portgroups": portgroups, "vmknics": vmknics}


def fabric(sim: Any, doc: dict[str, Any], check: bool = False) -> dict[str, Any]:
    return run_in_process("host_fabric", dict(connection(sim), esxi_hostname=H, config={H: doc},
                                              _ansible_check_mode=check))


def attempted_writes(sim: Any) -> dict[str, int]:
    return {m: n for m, n in sim.stats()["calls"].items() if m in WRITES}


def declared_in(gathered: dict[str, Any], doc: dict[str, Any]) -> list[str]:
    """Declared values missing from ``gathered`` (section/name/key), for "nothing dropped"."""
    missing = []
    keys = {"vswitches": "name", "portgroups": "name", "vmknics": "portgroup"}
    for section, key in keys.items():
        have = {e[key]: e for e in gathered.get(section, [])}
        for entry in doc.get(section, []):
            got = have.get(entry[key], {})
            for k, v in entry.items():
                want, value = v, got.get(k)
                if isinstance(want, dict) and isinstance(value, dict):
                    if any(value.get(kk) != vv for kk, vv in want.items()):
                        missing.append("%s/%s/%s" % (section, entry[key], k))
                elif k == "services" and isinstance(value, list):
                    if sorted(value) != sorted(want):
                        missing.append("%s/%s/%s" % (section, entry[key], k))
                elif value != want:
                    missing.append("%s/%s/%s: %r != %r" % (section, entry[key], k, want, value))
    return missing


@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(doc=documents(), converged=st.booleans())
def test_what_check_mode_promises_is_what_the_host_ends_with(doc, converged, tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp("property"))
    with own_sim(INVENTORY, workdir) as sim:
        if converged:
            ready = run_in_process("host_fabric", dict(connection(sim), cluster="Cluster-A", config=CONFIG))
            assert not ready.get("failed"), ready.get("msg")
        sim.reset_stats()
        preview = fabric(sim, doc, check=True)
        real = fabric(sim, doc)
        event("refused" if preview.get("failed") else "accepted")
        if preview.get("failed"):
            assert real.get("failed"), "check mode refused (%s) but the real run was accepted" % preview["msg"]
            assert attempted_writes(sim) == {}, (preview["msg"], sim.stats())
            assert real["msg"] == preview["msg"]  # the same refusal, in check mode or not
            return
        assert not real.get("failed"), "check mode accepted, the real run failed: %s" % real["msg"]
        gathered = run_in_process("host_fabric_info", dict(connection(sim), esxi_hostname=H))["gathered"][H]
        for section in ("vswitches", "portgroups", "vmknics"):
            assert gathered[section] == preview["after"][H][section], section
        assert declared_in(gathered, doc) == []
        sim.reset_stats()
        again = fabric(sim, doc)
        assert not again.get("failed") and again["changed"] is False, again.get("msg", again.get("plan"))
        assert attempted_writes(sim) == {}
