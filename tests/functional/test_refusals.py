# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every bad input fails with one clear message naming the rule or field and the host,
and the simulator sees zero writes. All cases run in one playbook (one ansible-playbook start),
each task asserted on its own."""

from __future__ import annotations

import re

import pytest

H = "esx01.lab.local"
BASE_IP = {"address": "10.10.20.11", "netmask": "255.255.255.0"}


def vmknic(portgroup="Bad", **args):
    base = {"esxi_hostname": H, "portgroup": portgroup, "vswitch": "vSwitch1"}
    base.update(args)
    return {"vmkfabric.vsphere.vmknic": base}


def ip(address, netmask="255.255.255.0"):
    return {"address": address, "netmask": netmask}


# (case id, task, rule ID or None for a plain argument/connection error, message regex)
CASES = [
    ("invalid-ip", vmknic(ip=ip("10.10.20.300")), None, r"ip\.address \(host esx01\.lab\.local\): .*not an IPv4"),
    ("invalid-netmask", vmknic(ip=ip("10.10.21.5", "255.0.255.0")), None,
     r"ip\.netmask \(host esx01\.lab\.local\): .*not a contiguous netmask"),
    ("invalid-vlan", vmknic(vlan=5000, ip=ip("10.10.22.5")), None,
     r"vlan \(host esx01\.lab\.local\): must be between 0 and 4095, got 5000"),
    ("invalid-mtu-low", vmknic(mtu=1000, ip=ip("10.10.22.5")), None, r"mtu \(host esx01\.lab\.local\): .*1280"),
    ("invalid-mtu-high", vmknic(mtu=9216, ip=ip("10.10.22.5")), "MTU-3", r"MTU-3"),
    ("uplink-not-on-vswitch", vmknic(ip=ip("10.10.22.5"), teaming={"active": ["vmnic5"]}), "TS-2", r"TS-2"),
    ("active-and-standby", vmknic(ip=ip("10.10.22.5"), teaming={"active": ["vmnic2"], "standby": ["vmnic2"]}),
     "TS-1", r"TS-1"),
    ("iphash-with-standby", vmknic(ip=ip("10.10.22.5"), physical_etherchannel_confirmed=True,
                                   teaming={"policy": "iphash", "active": ["vmnic2"], "standby": ["vmnic3"]}),
     "IP-1", r"IP-"),
    ("beacon-without-config", vmknic(ip=ip("10.10.22.5"), teaming={"failure_detection": "beacon_probing"}),
     "TS-5", r"TS-5"),
    ("vmk-mtu-above-vswitch", vmknic(mtu=9000, ip=ip("10.10.22.5")), "MTU-1", r"MTU-1"),
    ("netstack-change", vmknic("Base-A", netstack="vmotion"), "NS-1", r"NS-1"),
    ("service-not-on-netstack", vmknic(netstack="vmotion", services=["vsan"], ip=ip("10.10.40.11")), "NS-2",
     r"NS-2"),
    ("second-vmk-in-subnet", vmknic(ip=ip("10.10.20.12")), "MH-1", r"MH-1"),
    ("touching-vmk0", {"vmkfabric.vsphere.vmknic": {"esxi_hostname": H, "portgroup": "Management Network",
                                                    "mtu": 9000}}, "SF-1", r"SF-1"),
    ("vswitch-drops-relied-on-uplink", {"vmkfabric.vsphere.vswitch": {"esxi_hostname": H, "name": "vSwitch1",
                                                                      "uplinks": ["vmnic3"]}}, "SF-8", r"SF-8"),
    ("vswitch-unknown-nic", {"vmkfabric.vsphere.vswitch": {"esxi_hostname": H, "name": "vSwitch1",
                                                           "uplinks": ["vmnic2", "vmnic3", "vmnic9"]}}, "TS-2",
     r"TS-2"),
    ("unknown-host", vmknic(esxi_hostname="esx99.lab.local", ip=ip("10.10.22.5")), None,
     r"Host 'esx99\.lab\.local' not found on 127\.0\.0\.1:\d+; hosts: esx01\.lab\.local, esx02\.lab\.local"),
    ("unknown-cluster", {"vmkfabric.vsphere.vmknic": {"cluster": "Cluster-Z", "portgroup": "Bad"}}, None,
     r"Cluster 'Cluster-Z' not found on 127\.0\.0\.1:\d+; clusters: Cluster-A"),
    ("bad-password", vmknic(password="not-the-password", ip=ip("10.10.22.5")), None,
     r"Cannot log in to 127\.0\.0\.1:\d+ as .*incorrect user name or password \(InvalidLogin\)"),
    ("unreachable", vmknic(port=1, ip=ip("10.10.22.5")), None, r"Cannot reach 127\.0\.0\.1:1: Connection refused"),
    ("untrusted-certificate", vmknic(ca_path="/etc/ssl/certs/ca-certificates.crt", ip=ip("10.10.22.5")), None,
     r"TLS certificate of 127\.0\.0\.1:\d+ is not trusted .*Set ca_path .*validate_certs: false"),
]

SETUP = [
    {"vmkfabric.vsphere.vswitch": {"esxi_hostname": H, "name": "vSwitch1", "uplinks": ["vmnic2", "vmnic3"]}},
    vmknic("Base-A", vlan=20, ip=BASE_IP, teaming={"active": ["vmnic2"], "unused": ["vmnic3"]}),
]


@pytest.fixture(scope="module")
def refused(playbook):
    setup = playbook.run(*SETUP)
    assert all(not r.get("failed") for r in setup.results), [r.get("msg") for r in setup.results]
    return playbook.run(*[case[1] for case in CASES])


def test_bad_inputs_write_nothing(refused):
    assert refused.writes == 0, refused.calls
    assert "not-the-password" not in refused.stdout
    assert all(r.get("failed") for r in refused.results)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_bad_input_is_refused_with_a_clear_message(refused, index):
    _name, _task, rule, pattern = CASES[index]
    result = refused[index]
    assert result.get("failed"), result
    assert not result.get("changed")
    msg = result["msg"]
    assert "\n" not in msg.strip() and "Traceback" not in msg
    assert re.search(pattern, msg), msg
    if rule:
        assert H in msg
        rules = {(f["rule"], f["host"]) for f in result["refused"]}
        assert (rule, H) in rules, result["refused"]
        assert all(f["severity"] == "error" for f in result["refused"])
        assert all(f["object"] and f["change"] for f in result["refused"])
