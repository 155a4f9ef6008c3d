# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""vmknic on one host: create -> idempotent rerun (0 writes) -> check+diff predicts the update
exactly -> update (MTU, teaming) -> absent removes it -> absent again changes nothing."""

from __future__ import annotations

from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import READ, portgroup_of, vmk_of

H = "esx01.lab.local"
SWITCH = {"vmkfabric.vsphere.vswitch": {"esxi_hostname": H, "name": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"],
                                        "mtu": 9000}}


def vmknic(**args):
    base = {"esxi_hostname": H, "portgroup": "Storage-A", "vswitch": "vSwitch1"}
    base.update(args)
    return {"vmkfabric.vsphere.vmknic": base}


CREATE = vmknic(vlan=20, mtu=9000, ip={"address": "10.10.20.11", "netmask": "255.255.255.0"},
                teaming={"active": ["vmnic2"], "unused": ["vmnic3"]})
UPDATE = vmknic(mtu=1500, teaming={"active": ["vmnic3"], "standby": ["vmnic2"], "policy": "failover_explicit",
                                   "failback": False})


def test_vmknic_lifecycle(playbook):
    first = playbook.run(SWITCH, CREATE)
    sw, vmk = first[0], first[1]
    assert not sw.get("failed") and not vmk.get("failed"), (sw.get("msg"), vmk.get("msg"))
    assert sw["changed"] and vmk["changed"]
    created = vmk_of(vmk, H, "Storage-A")
    assert created and created["mtu"] == 9000 and created["ip"] == {"address": "10.10.20.11", "netmask": "255.255.255.0"}
    pg = portgroup_of(vmk["after"][H], "Storage-A")
    assert pg["vlan"] == 20 and pg["teaming"]["active"] == ["vmnic2"] and pg["teaming"]["unused"] == ["vmnic3"]
    assert {(a["op"], a["kind"]) for a in vmk["plan"]} >= {("add", "portgroup"), ("add", "vmk")}
    assert first.calls.get("UpdateNetworkConfig") == 2 and first.calls.get("Fetch", 0) == 0

    # Same tasks again: nothing to do, and nothing written.
    again = playbook.run(SWITCH, CREATE)
    assert [r["changed"] for r in again.results] == [False, False]
    assert again[1]["plan"] == [] and again.writes == 0, again.calls
    assert again[1]["before"] == again[1]["after"] == vmk["after"]

    # Check mode with diff: predicts, writes nothing.
    preview = playbook.run(UPDATE, check=True, diff=True)
    p = preview[0]
    assert p["changed"] and not p.get("failed"), p.get("msg")
    assert preview.writes == 0, preview.calls
    assert p["diff"] and p["diff"][0]["before"] == p["before"][H] and p["diff"][0]["after"] == p["after"][H]
    assert p["diff"][0]["before_header"].startswith(H)
    assert "mtu: 9000" in preview.stdout.replace('"', "") or "9000" in preview.stdout  # rendered diff shown
    predicted = vmk_of(p, H, "Storage-A")
    assert predicted["mtu"] == 1500

    # The real run does exactly what check mode predicted, in one UpdateNetworkConfig.
    real = playbook.run(UPDATE, diff=True)
    r = real[0]
    assert r["changed"] and r["plan"] == p["plan"] and r["after"] == p["after"]
    assert real.calls.get("UpdateNetworkConfig") == 1 and real.writes == 1, real.calls
    team = portgroup_of(r["after"][H], "Storage-A")["teaming"]
    assert (team["active"], team["standby"], team["policy"], team["failback"]) == (["vmnic3"], ["vmnic2"],
                                                                                   "failover_explicit", False)

    # Read back through the info module: the host really has what `after` claimed.
    info = playbook.run({"vmkfabric.vsphere.host_fabric_info": {"esxi_hostname": H}})
    assert info[0]["gathered"][H] == r["after"][H]
    assert info.writes == 0 and info.calls.get("RetrievePropertiesEx") == READ and info.calls.get("Fetch", 0) == 0

    # Absent removes the vmk and its port group; absent again is a no-op.
    gone = playbook.run(vmknic(state="absent"), vmknic(state="absent"))
    assert gone[0]["changed"] and vmk_of(gone[0], H, "Storage-A") is None
    assert portgroup_of(gone[0]["after"][H], "Storage-A") is None
    assert not gone[1]["changed"] and gone[1]["plan"] == []
    assert gone.calls.get("UpdateNetworkConfig") == 1
