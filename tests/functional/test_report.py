# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fabric report against the demo cluster, converged with vmkfabric.vsphere.site.

``vmkfabric.vsphere.report`` with a plan writes the report and the JUnit findings with zero writes on the
cluster, draws the plan, and a rerun changes no file. In a headless Chromium (tests/utils/chromium.sh
installs Debian's package when missing) the report of the gathered state, with a planted duplicate address
and a port group named ``<script>alert(1)</script>``, renders with no console error and no request but the
file, each host's drawing holds the gathered objects, the planted finding is highlighted, and the name is
text. The screenshot goes to ``VMKFABRIC_SCREENSHOT`` when set (``make report-screenshot``:
docs/images/fabric-report.png)."""

from __future__ import annotations

import copy
import os
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
import yaml
from conftest import BIN, LOCALHOST, ROOT, Playbook, ansible_playbook, run_playbook  # pylint: disable=import-error

from ansible_collections.vmkfabric.vsphere.tests.functional.browser import Browser
from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import HOSTS

with open(os.path.join(ROOT, "playbooks", "vars", "reference_fabric.yml"), encoding="utf-8") as _fh:
    REFERENCE = yaml.safe_load(_fh)["fabric_config"]
SCRIPT = "<script>alert(1)</script>"
WRITE_TASK = re.compile(r"TASK \[Write the report and the JUnit findings\] \*+\n(ok|changed): \[localhost\]")
COUNTS = """Object.fromEntries([...document.querySelectorAll('svg.fabric')].map(s => [s.dataset.host, {
  nic: s.querySelectorAll('g.node[data-kind=nic]').length, pg: s.querySelectorAll('g.node[data-kind=pg]:not(.ghost)').length,
  vmk: s.querySelectorAll('g.node[data-kind=vmk]:not(.ghost)').length, bound: s.querySelectorAll('g.bound').length,
  target: s.querySelectorAll('g.node[data-kind=target]:not(.ghost)').length, ghost: s.querySelectorAll('g.ghost').length}]))"""
NODE = "document.querySelector('svg[data-host=\"%s\"] [data-obj=\"%s\"]')"


@pytest.fixture(scope="module")
def run(sim, collections_path, tmp_path_factory):
    """A shipped playbook on the demo cluster, after vmkfabric.vsphere.site converged the reference fabric."""
    workdir = str(tmp_path_factory.mktemp("report"))

    def play(*args: str) -> tuple[str, int, dict[str, Any]]:
        return ansible_playbook(sim, collections_path, workdir, *args, VMKFABRIC_CA_PATH=sim.ca_file)

    play("vmkfabric.vsphere.site")
    return play


def with_nfs(config: dict[str, Any]) -> dict[str, Any]:
    """The reference fabric plus a port group NFS-A with a vmk on esx01: a plan that adds two objects."""
    config = copy.deepcopy(config)
    host = config[HOSTS[0]]
    host["portgroups"] = list(host["portgroups"]) + [{"name": "NFS-A", "vswitch": "vSwitch1", "vlan": 50}]
    host["vmknics"] = list(host["vmknics"]) + [{"portgroup": "NFS-A", "mtu": 9000,
                                                "ip": {"address": "10.10.50.11", "netmask": "255.255.255.0"}}]
    return config


def test_report_playbook_draws_the_plan_writes_nothing_on_the_cluster_and_reruns_unchanged(run, tmp_path):
    plan_vars = tmp_path / "plan.yml"
    plan_vars.write_text(yaml.safe_dump({"host_fabric_config": with_nfs(REFERENCE)}))
    dest = tmp_path / "out" / "cluster.html"
    dest.parent.mkdir()
    args = ("vmkfabric.vsphere.report", "-e", "@%s" % plan_vars, "-e", "report_dest=%s" % dest)
    out, _changed, stats = run(*args)
    assert stats["writes"] == 0 and stats["calls"]["Login"] == 2  # host_fabric_info + host_fabric (check mode)
    assert WRITE_TASK.search(out).group(1) == "changed"
    assert "fabric report: %s (4 hosts; current state: plan accepted: 0 errors, 0 warnings;" % dest in out
    html = dest.read_text()
    assert html.count('<section class="host"') == 4 and html.count('<svg class="fabric') == 4
    esx01 = html[html.index('data-host="esx01.lab.local"'):html.index('data-host="esx02.lab.local"')]
    assert 'data-obj="portgroup:vSwitch1/NFS-A"' in esx01 and esx01.count("ghost") == 2  # the port group and its vmk
    assert esx01.count("<tr><td><span class=\"plan-add\">add</span>") == 2
    assert "the plan changes nothing on this host" in html  # esx02..04
    suites = ET.parse(str(dest.parent / "cluster-findings.xml")).getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == list(HOSTS) and all(s.get("failures") == "0" for s in suites)
    before = dest.read_bytes()

    out, _changed, stats = run(*args)
    assert WRITE_TASK.search(out).group(1) == "ok" and stats["writes"] == 0 and dest.read_bytes() == before


def test_change_review_example_keeps_the_report_and_fails_on_an_error_finding(sim, collections_path, run, tmp_path):
    config = with_nfs(REFERENCE)
    # esx02's bound iSCSI vmk takes esx01's address: XH-1 on both, and SF-3 (a bound vmk's address changes) on esx02
    config[HOSTS[1]]["vmknics"][0]["ip"]["address"] = config[HOSTS[0]]["vmknics"][0]["ip"]["address"]
    plan_vars = tmp_path / "plan.yml"
    plan_vars.write_text(yaml.safe_dump({"host_fabric_cluster": "Cluster-A", "host_fabric_config": config}))
    env = Playbook(sim, collections_path, str(tmp_path)).env(VMKFABRIC_CA_PATH=sim.ca_file)
    outcome = run_playbook(sim, [os.path.join(BIN, "ansible-playbook"), "-i", LOCALHOST,
                                 os.path.join(ROOT, "examples", "change_review.yml"), "-e", "@%s" % plan_vars,
                                 "-e", "review_artifacts=%s" % (tmp_path / "artifacts")], env)
    assert outcome.rc != 0 and outcome.failed == 1 and outcome.writes == 0
    assert "3 error finding(s): see %s" % (tmp_path / "artifacts" / "fabric-report.html") in outcome.output
    suites = ET.parse(str(tmp_path / "artifacts" / "fabric-findings.xml")).getroot().findall("testsuite")
    failed = {s.get("name"): [c.get("name") for c in s if c.find("failure") is not None] for s in suites}
    assert failed == {HOSTS[0]: ["XH-1"], HOSTS[1]: ["SF-3", "XH-1"], HOSTS[2]: [], HOSTS[3]: []}
    assert "Change review - Cluster-A" in (tmp_path / "artifacts" / "fabric-report.html").read_text()


def expected_counts(doc: dict[str, Any]) -> dict[str, int]:
    """What the drawing of a gathered document must hold (no distributed switch in the demo cluster)."""
    iscsi = doc.get("iscsi") or []
    return {"nic": len({n for sw in doc["vswitches"] for n in sw["uplinks"]}), "pg": len(doc["portgroups"]),
            "vmk": len(doc["vmknics"]), "bound": sum(len(a["bindings"]) for a in iscsi),
            "target": sum(len(a["send_targets"]) + len(a["static_targets"]) for a in iscsi)}


def test_the_report_renders_in_a_headless_browser(run, playbook, tmp_path):
    gathered = playbook.run({"vmkfabric.vsphere.host_fabric_info": {"cluster": "Cluster-A"}})[0]["gathered"]
    vmk_of = {h: next(v for v in gathered[h]["vmknics"] if v["portgroup"] == "iSCSI-A") for h in HOSTS[:2]}
    vmk_of[HOSTS[1]]["ip"]["address"] = vmk_of[HOSTS[0]]["ip"]["address"]  # the planted finding: XH-1 on both
    next(pg for pg in gathered[HOSTS[3]]["portgroups"] if pg["name"] == "VM Network")["name"] = SCRIPT
    plan = {"vmkfabric.vsphere.host_fabric": {"cluster": "Cluster-A", "config": with_nfs(REFERENCE)}}
    planned = playbook.run(plan, check=True)[0]
    assert planned["changed"] is True and len(planned["plan"]) >= 2, planned.get("msg")
    dest = tmp_path / "report.html"
    result = playbook.run({"vmkfabric.vsphere.fabric_report": {"gathered": gathered, "plan": planned, "dest": str(dest),
                                                               "title": "Fabric report - Cluster-A"}})[0]
    assert result["changed"] is True and result["counts"]["errors"] == 2, result

    with Browser(1480, 1900) as browser:
        browser.open(str(dest))
        assert browser.errors == [] and browser.requests == ["file://%s" % dest]
        counts = browser.evaluate(COUNTS)
        for host in HOSTS:
            ghosts = 2 if host == HOSTS[0] else 0
            assert counts[host] == dict(expected_counts(gathered[host]), ghost=ghosts), host
        for host in HOSTS[:2]:
            node = NODE % (host, "vmk:" + vmk_of[host]["device"])
            assert browser.evaluate(node + ".classList.contains('hl-error')") is True
            assert browser.evaluate("getComputedStyle(%s.querySelector('rect')).stroke" % node) == "rgb(179, 38, 30)"
            assert "XH-1" in browser.evaluate(node + ".textContent")
        assert browser.evaluate("document.querySelectorAll('svg.fabric .hl-error').length") == 2
        assert browser.evaluate("document.querySelectorAll('script').length") == 0
        assert SCRIPT in browser.evaluate(NODE % (HOSTS[3], "portgroup:vSwitch0/" + SCRIPT.replace('"', '\\"')) + ".textContent")
        png = browser.screenshot()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and int.from_bytes(png[16:20], "big") == 1480
    target = os.environ.get("VMKFABRIC_SCREENSHOT")
    if target:
        with open(target, "wb") as fh:
            fh.write(png)


def test_the_browser_check_would_see_errors_and_requests(tmp_path):
    """Control: a page that logs an error, throws and fetches a URL is caught by the same checks."""
    page = tmp_path / "bad.html"
    page.write_text("<!DOCTYPE html><html><body><script>console.error('boom'); fetch('http://example.invalid/x')"
                    ".catch(() => {}); throw new Error('thrown');</script></body></html>")
    with Browser(400, 300) as browser:
        browser.open(str(page))
        errors, requests = browser.errors, browser.requests
    assert any("boom" in e for e in errors) and any("thrown" in e for e in errors)
    assert "http://example.invalid/x" in requests
