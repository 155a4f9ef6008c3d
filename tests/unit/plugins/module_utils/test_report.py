# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fabric report renderer (_report, _svg): what each host's drawing holds, highlights and plan marks,
escaping, determinism, JUnit structure, the bad-input errors and the file contract (changed / check mode)."""

from __future__ import annotations

import copy
import os
import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser

import pytest

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import host_to_doc
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._report import load, render_html, render_junit, run
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._validator import RULES
from ansible_collections.vmkfabric.vsphere.tests.unit.plugins.module_utils import builders as b

H1, H2 = "esx01.lab.local", "esx02.lab.local"
SCRIPT = "<script>alert(1)</script>"


def gathered() -> dict:
    """Two hosts with two bound iSCSI vmks, a send target and its two static targets; esx02 also on a
    distributed switch with a LAG (a vmk on its dvPortgroup)."""
    dv = b.with_dv_vmk(b.iscsi_host(H2), "vmk3", "dvportgroup-31", "10.10.30.12", name="vMotion-DV",
                       active=("lag1",), standby=(), policy="iphash")
    return {H1: host_to_doc(b.iscsi_host(H1)), H2: host_to_doc(dv)}


class Page(HTMLParser):
    """Per host drawing: Counter of node kinds; classes of every data-obj; every start tag; all text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.svg: str | None = None
        self.svg_classes: dict[str, set[str]] = {}
        self.kinds: dict[str, Counter] = {}
        self.classes: dict[str, dict[str, set[str]]] = {}
        self.bound: Counter = Counter()
        self.tags: list[str] = []
        self.text: list[str] = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append(tag)
        if tag == "svg" and "fabric" in (a.get("class") or "").split():
            self.svg = a["data-host"]
            self.svg_classes[self.svg] = set(a["class"].split())
            self.kinds[self.svg] = Counter()
            self.classes[self.svg] = {}
        if tag == "g" and self.svg:
            classes = set((a.get("class") or "").split())
            if "node" in classes:
                self.kinds[self.svg][a["data-kind"]] += 1
            if "bound" in classes:
                self.bound[self.svg] += 1
            if "data-obj" in a:
                self.classes[self.svg].setdefault(a["data-obj"], set()).update(classes)

    def handle_endtag(self, tag):
        if tag == "svg":
            self.svg = None

    def handle_data(self, data):
        self.text.append(data)


def test_each_host_drawing_holds_its_nics_switches_portgroups_vmks_bindings_and_targets():
    page = Page(render_html(load(gathered()), "t"))
    assert page.kinds[H1] == Counter({"nic": 4, "switch": 2, "pg": 4, "vmk": 3, "hba": 1, "target": 3})
    # esx02: + the distributed switch with dvUplink1/2 (vmnic2, vmnic3 again) and the LAG (vmnic4, vmnic5)
    assert page.kinds[H2] == Counter({"nic": 8, "switch": 3, "pg": 5, "vmk": 4, "hba": 1, "target": 3})
    assert page.bound == Counter({H1: 2, H2: 2})
    assert page.classes[H2]["dvportgroup:dvs-prod/vMotion-DV"] >= {"node", "pg"}
    html = render_html(load(gathered()), "t")
    assert html.count('class="lag" data-lag="lag1"') == 1
    # the iphash dvPortgroup's chips: lag1 active, the two plain uplinks unused
    section = html[html.index('data-obj="dvportgroup:dvs-prod/vMotion-DV"'):]
    section = section[:section.index('data-obj="vmk:vmk3"')]
    assert section.count('data-role="active"') == 1 and section.count('data-role="unused"') == 2


def test_every_box_lies_inside_its_drawing():
    for svg in re.findall(r'<svg class="fabric.*?</svg>', render_html(load(gathered()), "t")):
        height = int(re.search(r' height="(\d+)"', svg).group(1))
        bottoms = [int(y) + int(h) for y, h in re.findall(r'<rect x="-?\d+" y="(\d+)" width="\d+" height="(\d+)"', svg)]
        assert bottoms and max(bottoms) <= height
    # the distributed switch's block is as tall as its NICs (the LAG group and the two plain uplinks)
    html = render_html(load(gathered()), "t")
    svg = html[html.index('<svg class="fabric" data-host="esx02.lab.local"'):]
    nic_bottom = max(int(y) + 30 for y in re.findall(r'data-obj="nic:vmnic\d"><title>[^<]*</title><rect x="\d+" y="(\d+)"', svg))
    switch = re.search(r'data-obj="dvswitch:dvs-prod"><title>[^<]*</title><rect x="\d+" y="(\d+)" width="\d+" height="(\d+)"', svg)
    assert int(switch.group(1)) + int(switch.group(2)) + 10 >= nic_bottom


def test_teaming_roles_per_portgroup_and_inherited_target_options():
    html = render_html(load(gathered()), "t")
    base_a = html[html.index('data-obj="portgroup:vSwitch1/Base-A"'):]
    base_a = base_a[:base_a.index("</g><line")]
    assert base_a.count('data-role="active"') == 1 and base_a.count('data-role="unused"') == 1
    assert "LoginTimeout inherited · DelayedAck inherited" in html


def test_a_planted_finding_is_highlighted_and_listed():
    docs = gathered()
    docs[H2]["vmknics"][1]["ip"]["address"] = docs[H1]["vmknics"][1]["ip"]["address"]  # duplicate address: XH-1
    report = load(docs)
    assert {(f["rule"], f["host"], f["object"]) for f in report.findings} >= {("XH-1", H1, "vmk:vmk1"), ("XH-1", H2, "vmk:vmk1")}
    html = render_html(report, "t")
    page = Page(html)
    assert "hl-error" in page.classes[H1]["vmk:vmk1"] and "hl-error" in page.classes[H2]["vmk:vmk1"]
    assert "hl-error" not in page.classes[H1]["vmk:vmk2"]
    assert html.count('<table class="findings"><thead>') == 2 and "XH-1" in html


def test_plan_actions_are_marked_in_the_drawing_and_listed():
    docs = gathered()
    plan = {"plan": [
        {"host": H1, "op": "edit", "kind": "vmk", "name": "vmk1", "changes": {"mtu": {"before": 1500, "after": 9000}},
         "summary": "edit vmk vmk1 (mtu: 1500 -> 9000)"},
        {"host": H1, "op": "add", "kind": "vmk", "name": "vmk7", "changes": {}, "summary": "add vmk vmk7"},
        {"host": H1, "op": "remove", "kind": "send_target", "name": "vmhba64/10.10.20.100:3260", "changes": {}},
        {"host": H1, "op": "add", "kind": "portgroup", "name": "New-PG",
         "changes": {"vswitch": {"before": None, "after": "vSwitch1"}}, "summary": "add portgroup New-PG"},
    ], "findings": [{"rule": "MTU-4", "severity": "warning", "host": H1, "object": "vmk:vmk2", "found": "f", "change": "c"},
                    {"rule": "PR-1", "severity": "error", "host": H2, "object": "network:replica", "found": "f", "change": "c"}]}
    report = load(docs, plan)
    page = Page(render_html(report, "t"))
    assert "plan-edit" in page.classes[H1]["vmk:vmk1"]
    assert "plan-remove" in page.classes[H1]["target:vmhba64/10.10.20.100:3260"]
    assert {"plan-add", "ghost"} <= page.classes[H1]["vmk:vmk7"]
    assert {"plan-add", "ghost"} <= page.classes[H1]["portgroup:vSwitch1/New-PG"]
    assert "hl-warning" in page.classes[H1]["vmk:vmk2"]
    # an object the drawing has no box for: the whole drawing of its host is highlighted
    assert "hl-error" in page.svg_classes[H2] and page.svg_classes[H1] == {"fabric"}
    assert page.kinds[H1]["vmk"] == 4 and page.kinds[H2]["vmk"] == 4  # the ghost is the one extra vmk of esx01
    html = render_html(report, "t")
    assert '<table class="plan">' in html and "edit vmk vmk1 (mtu: 1500 -&gt; 9000)" in html


def test_names_are_escaped_as_text_everywhere():
    docs = gathered()
    docs[H1]["portgroups"][0]["name"] = SCRIPT
    docs[H1]["vmknics"][1]["portgroup"] = SCRIPT
    docs[H1]["vswitches"][1]["name"] = docs[H1]["portgroups"][0]["vswitch"] = 'sw"\'&x'
    for entry in docs[H1]["portgroups"] + docs[H1]["vmknics"]:
        if entry["vswitch"] == "vSwitch1":
            entry["vswitch"] = 'sw"\'&x'
    html = render_html(load(docs), 'title <b>"&')
    assert SCRIPT not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'data-obj="portgroup:sw&quot;&#x27;&amp;x/&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    page = Page(html)
    assert "script" not in page.tags and "b" not in page.tags
    assert SCRIPT in "".join(page.text)  # shown as text
    assert "portgroup:sw\"'&x/" + SCRIPT in page.classes[H1]  # attributes round-trip to the real name
    junit = render_junit(load(docs))
    ET.fromstring(junit)  # well-formed with the same names


def test_the_page_is_self_contained():
    html = render_html(load(gathered()), "t")
    tags = set(Page(html).tags)
    assert not tags & {"script", "link", "img", "iframe", "object", "embed"}
    assert "http" not in html and "url(" not in html and "src=" not in html and "@import" not in html
    assert all(ref.startswith('"#') for ref in html.split("href=")[1:])


def test_output_is_deterministic_byte_for_byte():
    docs = gathered()
    first = render_html(load(docs), "t")
    reordered = {h: copy.deepcopy(docs[h]) for h in reversed(list(docs))}
    assert render_html(load(reordered), "t") == first
    assert render_html(load(docs), "t") == first
    assert render_junit(load(reordered)) == render_junit(load(docs))


def test_junit_has_one_testcase_per_rule_and_host_and_fails_errors_only():
    docs = gathered()
    docs[H2]["vmknics"][1]["ip"]["address"] = docs[H1]["vmknics"][1]["ip"]["address"]
    plan = {"findings": [{"rule": "SITE-1", "severity": "warning", "host": H2, "object": "vmk:vmk2", "found": "f",
                          "change": "c", "source": "site policy"}]}
    root = ET.fromstring(render_junit(load(docs, plan)))
    rules = [r.rule for r in RULES] + ["SITE-1"]
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == [H1, H2]
    assert int(root.get("tests")) == 2 * len(rules) and int(root.get("failures")) == 2
    for suite in suites:
        cases = suite.findall("testcase")
        assert [c.get("name") for c in cases] == rules and {c.get("classname") for c in cases} == {suite.get("name")}
        failed = [c.get("name") for c in cases if c.find("failure") is not None]
        assert failed == ["XH-1"] and suite.get("failures") == "1"
    site = next(c for c in suites[1] if c.get("name") == "SITE-1")
    assert site.find("failure") is None and "[SITE-1] warning vmk:vmk2" in site.find("system-out").text


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d[H1]["vmknics"][0].pop("mtu"), "gathered.esx01.lab.local.vmknics[0].mtu: required"),
    (lambda d: d[H1].__setitem__("vswitches", "vSwitch1"), "gathered.esx01.lab.local.vswitches: must be a list"),
    (lambda d: d[H1]["portgroups"][0].pop("vswitch"), "gathered.esx01.lab.local.portgroups[0]"),
])
def test_a_gathered_document_missing_keys_fails_with_its_path(mutate, message):
    docs = gathered()
    mutate(docs)
    with pytest.raises(ArgumentError) as err:
        load(docs)
    assert message in str(err.value)


@pytest.mark.parametrize("gathered_value", [{}, None, ["esx01"]])
def test_no_gathered_hosts_is_an_error(gathered_value):
    with pytest.raises(ArgumentError, match="^gathered: must map each host name"):
        load(gathered_value)


@pytest.mark.parametrize("plan, message", [
    ({"plan": [{"host": "esx09.lab.local", "op": "add", "kind": "vmk", "name": "vmk1"}]},
     "plan.plan[0].host: 'esx09.lab.local' is not in gathered (hosts: esx01.lab.local, esx02.lab.local)"),
    ({"findings": [{"rule": "XH-1", "severity": "error", "host": "esx09", "object": "vmk:vmk1", "found": "", "change": ""}]},
     "plan.findings[0].host: 'esx09' is not in gathered"),
    ({"plan": [{"host": H1, "op": "add"}]}, "plan.plan[0]: missing key(s) kind, name"),
    ({"changed": False}, "plan: must be the registered result of a host_fabric check-mode run"),
    ({"plan": "add vmk1"}, "plan.plan: must be a list"),
])
def test_a_bad_plan_fails_clearly(plan, message):
    with pytest.raises(ArgumentError) as err:
        load(gathered(), plan)
    assert message in str(err.value)


def params(tmp_path, **kw):
    return dict({"gathered": gathered(), "dest": str(tmp_path / "r.html"), "junit": str(tmp_path / "r.xml")}, **kw)


def test_files_change_once_and_check_mode_writes_nothing(tmp_path):
    assert run(params(tmp_path), check_mode=True)["changed"] is True
    assert os.listdir(tmp_path) == []
    first = run(params(tmp_path), check_mode=False)
    assert first["changed"] is True and first["counts"] == {"hosts": 2, "errors": 0, "warnings": 0, "actions": 0}
    assert sorted(os.listdir(tmp_path)) == ["r.html", "r.xml"]
    assert oct(os.stat(tmp_path / "r.html").st_mode & 0o777) == "0o644"
    assert run(params(tmp_path), check_mode=False)["changed"] is False
    assert run(params(tmp_path), check_mode=True)["changed"] is False
    assert run(params(tmp_path, title="other"), check_mode=True)["changed"] is True
    assert "<title>other</title>" not in (tmp_path / "r.html").read_text()  # check mode left the file alone
    assert (tmp_path / "r.html").read_text().count("<title>Fabric report</title>") == 1


@pytest.mark.parametrize("dest, message", [
    ("missing-dir/r.html", "cannot write {tmp}/missing-dir/r.html: {tmp}/missing-dir does not exist"),
    ("", "{tmp} is a directory: give the path of a file"),
    ("file/r.html", "cannot write {tmp}/file/r.html: {tmp}/file is not a directory"),
])
def test_an_unusable_output_path_fails_clearly_and_writes_nothing(tmp_path, dest, message):
    (tmp_path / "file").write_text("x")
    for option in ("dest", "junit"):
        kw = {option: str(tmp_path / dest)}
        with pytest.raises(ArgumentError) as err:
            run(params(tmp_path, **kw), check_mode=False)
        assert str(err.value) == "%s: %s" % (option, message.format(tmp=tmp_path))
        assert sorted(os.listdir(tmp_path)) == ["file"]  # neither file was written


def test_a_write_error_is_reported_with_its_cause(tmp_path):
    with pytest.raises(ArgumentError, match=r"^dest: cannot write /proc/fabric-report\.html: "):
        run(params(tmp_path, dest="/proc/fabric-report.html"), check_mode=False)
    assert os.listdir(tmp_path) == []


def test_a_nic_put_behind_a_dvuplink_is_marked():
    from ansible_collections.vmkfabric.vsphere.plugins.module_utils._report import action_objects
    action = {"host": H1, "op": "edit", "kind": "uplink", "name": "dvs-prod/dvUplink1", "step": 1,
              "changes": {"pnics": {"before": [], "after": ["vmnic2"]}}}
    assert action_objects(action, b.demo_host(H1)) == ["nic:vmnic2"]
