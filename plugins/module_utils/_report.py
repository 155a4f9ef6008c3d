# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fabric report (the ``fabric_report`` module's logic): one self-contained HTML file and the
findings as JUnit XML.

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.

Invariants
- Input is a gathered fabric (``host_fabric_info``'s ``gathered``: host name -> document) and,
  optionally, the registered result of a ``host_fabric`` check-mode run (its ``plan`` actions and
  ``findings``). Each document becomes a ``Host`` through ``doc_to_host`` and the findings are
  those of ``fabric_validate`` on the gathered state fed back as the plan (``validate_documents``):
  the same path, not a copy of it.
- The page references no URL and holds no script: inline CSS and one inline SVG per host
  (``_svg``), a cluster index, then one section per host. Names are escaped everywhere.
- Same input -> byte-identical output (no time stamp, everything sorted), so a rerun changes no file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import doc_to_host
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import Host
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._offline import validate_documents
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._svg import LEGEND, Ghost, esc, host_svg, object_keys
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._validator import RULES

FINDING_KEYS = ("rule", "severity", "host", "object", "found", "change")
ACTION_KEYS = ("host", "op", "kind", "name")
PLAN_CLASS = {"add": "plan-add", "remove": "plan-remove"}  # every other op (edit, select, rescan...) changes
FILE_MODE = 0o644


class Report(NamedTuple):
    """The checked input: hosts, the gathered state's findings, the plan's actions and findings."""

    hosts: Mapping[str, Host]
    findings: Sequence[Mapping[str, str]]
    actions: Sequence[Mapping[str, Any]]
    plan_findings: Sequence[Mapping[str, str]]
    has_plan: bool


# ---------------------------------------------------------------------------------------
# Input
# ---------------------------------------------------------------------------------------


def _entries(option: str, value: Any, keys: Sequence[str], hosts: Mapping[str, Host]) -> list[Mapping[str, Any]]:
    """A list of dicts that each carry ``keys`` and name a host of ``hosts``."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise ArgumentError(option, "must be a list, got %s" % type(value).__name__)
    for i, entry in enumerate(value):
        where = "%s[%d]" % (option, i)
        if not isinstance(entry, Mapping):
            raise ArgumentError(where, "must be a dict, got %s" % type(entry).__name__)
        missing = [k for k in keys if k not in entry]
        if missing:
            raise ArgumentError(where, "missing key(s) %s" % ", ".join(missing))
        if entry["host"] not in hosts:
            raise ArgumentError(where + ".host", "%r is not in gathered (hosts: %s): the plan must come from the same "
                                "hosts as the gathered fabric" % (entry["host"], ", ".join(sorted(hosts))))
    return list(value)


def load(gathered: Any, plan: Any = None) -> Report:
    """Hosts and findings of ``gathered``, and the actions and findings of ``plan``; raises
    ArgumentError naming the option (and the document path) for anything malformed."""
    if not isinstance(gathered, Mapping) or not gathered:
        raise ArgumentError("gathered", "must map each host name to its fabric document (host_fabric_info's gathered "
                            "result), got %s" % (type(gathered).__name__ if gathered else "nothing"))
    hosts = {}
    for name in sorted(gathered, key=str):
        if not isinstance(name, str) or not name:
            raise ArgumentError("gathered", "host names must be non-empty strings, got %r" % (name,))
        hosts[name] = doc_to_host(name, gathered[name])
    findings = validate_documents(gathered, gathered)["findings"]
    if plan is None:
        return Report(hosts, findings, [], [], False)
    if not isinstance(plan, Mapping) or not ("plan" in plan or "findings" in plan):
        raise ArgumentError("plan", "must be the registered result of a host_fabric check-mode run (a dict with plan and "
                            "findings), got %s" % (sorted(plan) if isinstance(plan, Mapping) else type(plan).__name__))
    actions = _entries("plan.plan", plan.get("plan"), ACTION_KEYS, hosts)
    plan_findings = _entries("plan.findings", plan.get("findings"), FINDING_KEYS, hosts)
    return Report(hosts, findings, actions, plan_findings, True)


# ---------------------------------------------------------------------------------------
# Marks: findings and actions -> the drawn objects they name
# ---------------------------------------------------------------------------------------


def finding_objects(obj: str, host: Host) -> list[str]:
    """The drawn objects a finding's object names (``netstack:X [vmk:vmk1]`` -> the vmk)."""
    if obj.endswith("]") and " [" in obj:
        obj = obj[obj.rindex(" [") + 2:-1]
    if obj.startswith("portgroup:?/"):
        pg = host.portgroups.get(obj[len("portgroup:?/"):])
        return ["portgroup:%s/%s" % (pg.vswitch, pg.name)] if pg else []
    if obj.startswith("binding:"):
        return [obj, "vmk:%s" % obj.rsplit(":", 1)[-1]]
    return [obj]


def action_objects(action: Mapping[str, Any], host: Host) -> list[str]:
    """The drawn objects a plan action touches (the object names of ``finding_objects``)."""
    kind, name = str(action["kind"]), str(action["name"])
    if kind == "portgroup":
        pg = host.portgroups.get(name)
        after = (action.get("changes") or {}).get("vswitch") or {}
        return ["portgroup:%s/%s" % (pg.vswitch if pg else after.get("after") or "?", name)]
    if kind in ("send_target", "static_target"):
        device, portal = (name.split("/") + [""])[:2]
        return ["target:%s/%s" % (device, portal)]
    prefix = {"vswitch": "vswitch:", "dv_portgroup": "dvportgroup:", "vmk": "vmk:", "adapter": "hba:"}.get(kind)
    if prefix:
        return [prefix + name]
    if kind == "service":
        return ["vmk:%s" % name.split(":", 1)[0]]
    if kind == "binding":
        return ["binding:" + name, "vmk:%s" % name.rsplit(":", 1)[-1]]
    if kind == "uplink":  # the NICs put behind an uplink of a distributed switch
        return ["nic:%s" % p for p in ((action.get("changes") or {}).get("pnics") or {}).get("after") or []]
    return []


def _marks(report: Report, name: str) -> tuple[dict[str, list[str]], list[str], list[Ghost]]:
    """(object -> marks, marks of the host itself, planned additions not drawn) of host ``name``."""
    host = report.hosts[name]
    marks: dict[str, list[str]] = {}
    ghosts: dict[str, Ghost] = {}
    drawn = object_keys(host)
    for a in report.actions:
        if a["host"] != name:
            continue
        mark = "%s %s: %s" % (PLAN_CLASS.get(a["op"], "plan-edit"), a["op"], a.get("summary") or a["name"])
        for obj in action_objects(a, host):
            if obj not in drawn and a["op"] == "add" and not obj.startswith("binding:"):
                ghosts.setdefault(obj, Ghost(str(a["kind"]), obj, "%s %s" % (a["kind"], a["name"])))
            marks.setdefault(obj, []).append(mark)
    host_marks: list[str] = []
    for f in list(report.findings) + list(report.plan_findings):
        if f["host"] != name:
            continue
        mark = "hl-%s %s: %s" % ("error" if f["severity"] == "error" else "warning", f["rule"], f["found"])
        objects = [o for o in finding_objects(str(f["object"]), host) if o in drawn or o in ghosts]
        if not objects:  # the host itself, or what the drawing has no box for (network:replica): the whole drawing
            host_marks.append(mark)
        for obj in objects:
            marks.setdefault(obj, []).append(mark)
    return marks, host_marks, list(ghosts.values())


# ---------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------

STYLE = """
body{font:14px/1.4 system-ui,sans-serif;margin:16px 24px;color:#1d2733;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 6px;border-top:2px solid #ccd5df;padding-top:12px}
h3{font-size:15px;margin:14px 0 4px}table{border-collapse:collapse;margin:6px 0 10px}
th,td{border:1px solid #ccd5df;padding:3px 8px;text-align:left;vertical-align:top}th{background:#eef2f6}
td.inconsistent,span.inconsistent{background:#fde2e1;font-weight:600}.sev-error{color:#b3261e;font-weight:700}
.sev-warning{color:#9a5b00;font-weight:700}.muted{color:#5f6b7a}.ok{color:#1e7b34;font-weight:600}
.figure{overflow-x:auto;border:1px solid #ccd5df;border-radius:6px;padding:6px;margin:6px 0}
svg text{font:11px system-ui,sans-serif;fill:#1d2733}svg text.b{font-weight:700}svg text.col{font-size:12px;fill:#5f6b7a}
svg .node rect{fill:#f4f7fa;stroke:#7d8b99;stroke-width:1.2}svg .switch rect{fill:#e6eef7}
svg .dvs rect{fill:#ece6f7}svg .nic rect{fill:#fff}svg .hba rect{fill:#e7f4ee}svg .target rect{fill:#f5faf7}
svg .link{stroke:#7d8b99;stroke-width:1.2}svg .chip rect{stroke-width:1.2}
svg .chip.active rect{fill:#1e7b34;stroke:#1e7b34}svg .chip.active text{fill:#fff}
svg .chip.standby rect{fill:#fff4d6;stroke:#b07700;stroke-dasharray:4 2}
svg .chip.unused rect{fill:#fff;stroke:#a0a8b0;stroke-dasharray:1 2}svg .chip.unused text{fill:#8a939c;text-decoration:line-through}
svg .bound circle{fill:#0b63b5}svg .bound text{fill:#fff;font-weight:700}svg .bound line{stroke:#0b63b5;stroke-dasharray:5 3}
svg .lag rect{fill:none;stroke:#6a4bb0;stroke-width:1.5;stroke-dasharray:6 3}svg .lag text{fill:#6a4bb0;font-weight:700}
svg .plan-add rect{stroke:#1e7b34;stroke-width:2.5;stroke-dasharray:6 3}svg .plan-edit rect{stroke:#0b63b5;stroke-width:2.5}
svg .plan-remove rect{stroke:#6b7580;stroke-width:2.5;stroke-dasharray:2 2;fill:#eceff2}
svg .hl-warning rect{stroke:#d98a00;stroke-width:3;fill:#fff4d6}svg .hl-error rect{stroke:#b3261e;stroke-width:3;fill:#fde2e1}
svg .bound.hl-error circle{fill:#b3261e}svg .ghost rect{fill:#fff}svg text.badge{font-weight:700;fill:#0b63b5}
svg .plan-add text.badge{fill:#1e7b34}svg .hl-warning text.badge,svg .hl-error text.badge{fill:#b3261e}
svg.fabric.hl-error{outline:3px solid #b3261e}svg.fabric.hl-warning{outline:3px solid #d98a00}
"""


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    """A table; each cell is markup already (callers escape values)."""
    head = "".join("<th>%s</th>" % esc(h) for h in headers)
    body = "".join("<tr>%s</tr>" % "".join("<td>%s</td>" % cell for cell in row) for row in rows)
    return '<table%s><thead><tr>%s</tr></thead><tbody>%s</tbody></table>' % (' class="%s"' % esc(cls) if cls else "", head, body)


def _sev(severity: str) -> str:
    return '<span class="sev-%s">%s</span>' % ("error" if severity == "error" else "warning", esc(severity))


def _findings_table(findings: Sequence[Mapping[str, str]], cls: str) -> str:
    if not findings:
        return '<p class="ok">no findings</p>'
    rows = [[esc(f["rule"]), _sev(f["severity"]), "<code>%s</code>" % esc(f["object"]), esc(f["found"]), esc(f["change"]),
             esc(f.get("source") or "")] for f in findings]
    return _table(("rule", "severity", "object", "found", "fix", "source"), rows, cls)


def _counts(findings: Sequence[Mapping[str, str]]) -> tuple[int, int]:
    errors = sum(1 for f in findings if f["severity"] == "error")
    return errors, len(findings) - errors


def _networks(hosts: Mapping[str, Host]) -> dict[str, dict[str, tuple[int, str, str]]]:
    """Logical network (port group name) -> host -> (VLAN, subnet of its vmk, MTU of its vmk)."""
    nets: dict[str, dict[str, tuple[int, str, str]]] = {}
    for name, host in hosts.items():
        pgs = [(pg.name, pg.vlan, host.vmk_on_portgroup(pg.name)) for pg in host.portgroups.values()]
        pgs += [(dv.name, dv.vlan, next((v for v in host.vmks.values() if v.dv_portgroup == dv.key), None))
                for dv in host.dv_portgroups.values()]
        for pg_name, vlan, vmk in pgs:
            net = vmk.ip.network if vmk is not None else None
            nets.setdefault(pg_name, {})[name] = (vlan, str(net) if net else ("DHCP" if vmk and vmk.ip.dhcp else ""),
                                                  str(vmk.mtu) if vmk is not None else "")
    return nets


def _index(report: Report, anchors: Mapping[str, str]) -> str:
    hosts = report.hosts
    all_findings = list(report.findings) + list(report.plan_findings)
    rows = []
    for name, host in hosts.items():
        errors, warnings = _counts([f for f in all_findings if f["host"] == name])
        rows.append(['<a href="#%s">%s</a>' % (anchors[name], esc(name)), str(len(host.vswitches) + len(
            {d.dvs for d in host.dv_portgroups.values()})), str(len(host.portgroups) + len(host.dv_portgroups)),
            str(len(host.vmks)), _sev("error") + " %d" % errors if errors else "0",
            _sev("warning") + " %d" % warnings if warnings else "0"]
            + ([str(sum(1 for a in report.actions if a["host"] == name))] if report.has_plan else []))
    out = ["<h2>Cluster</h2>", _table(("host", "switches", "port groups", "vmks", "errors", "warnings")
                                      + (("planned actions",) if report.has_plan else ()), rows, "hosts")]
    nets = _networks(hosts)
    header = ["logical network"] + ['<a href="#%s">%s</a>' % (anchors[h], esc(h)) for h in hosts]
    net_rows = []
    for net, per_host in sorted(nets.items()):
        spread = [len({v[i] for v in per_host.values() if v[i] != ""}) > 1 for i in range(3)]
        row = [esc(net)]
        for h in hosts:
            if h not in per_host:
                row.append('<span class="muted">absent</span>')
                continue
            parts = []
            for i, (label, value) in enumerate(zip(("VLAN", "subnet", "MTU"), per_host[h], strict=True)):
                if value == "":
                    continue
                text = "%s %s" % (label, value)
                parts.append('<span class="inconsistent">%s</span>' % esc(text) if spread[i] else esc(text))
            row.append(" · ".join(parts))
        net_rows.append(row)
    out.append("<h3>Logical networks (port group name on every host: one VLAN, one subnet, one MTU)</h3>")
    out.append("<table class=\"networks\"><thead><tr>%s</tr></thead><tbody>%s</tbody></table>" % (
        "".join("<th>%s</th>" % h if i else "<th>%s</th>" % esc(h) for i, h in enumerate(header)),
        "".join("<tr>%s</tr>" % "".join("<td>%s</td>" % c for c in r) for r in net_rows)))
    cross = [f for f in all_findings if str(f["rule"]).startswith("XH-")]
    out.append("<h3>Cross-host findings (XH rules)</h3>")
    out.append(_findings_table(cross, "findings cross-host"))
    return "".join(out)


def _plan_table(actions: Sequence[Mapping[str, Any]]) -> str:
    if not actions:
        return '<p class="ok">the plan changes nothing on this host</p>'
    rows = [['<span class="%s">%s</span>' % (esc(PLAN_CLASS.get(a["op"], "plan-edit")), esc(a["op"])), esc(a["kind"]),
             "<code>%s</code>" % esc(a["name"]), esc(a.get("summary") or "")] for a in actions]
    return _table(("op", "kind", "object", "summary"), rows, "plan")


def _host_section(report: Report, name: str, anchor: str) -> str:
    marks, host_marks, ghosts = _marks(report, name)
    findings = [f for f in report.findings if f["host"] == name]
    errors, warnings = _counts(findings)
    out = ['<section class="host" id="%s" data-host="%s">' % (anchor, esc(name)),
           "<h2>%s</h2>" % esc(name),
           '<p>%d error(s), %d warning(s) in the current state%s · <a href="#top">cluster index</a></p>' % (
               errors, warnings, " · %d planned action(s)" % sum(1 for a in report.actions if a["host"] == name)
               if report.has_plan else ""),
           '<div class="figure">%s%s</div>' % (LEGEND, host_svg(report.hosts[name], marks, ghosts, host_marks)),
           "<h3>Findings of the current state</h3>", _findings_table(findings, "findings")]
    if report.has_plan:
        out += ["<h3>Plan</h3>", _plan_table([a for a in report.actions if a["host"] == name]),
                "<h3>Findings of the plan</h3>",
                _findings_table([f for f in report.plan_findings if f["host"] == name], "findings plan-findings")]
    out.append("</section>")
    return "".join(out)


def render_html(report: Report, title: str) -> str:
    """The whole page (deterministic)."""
    anchors = {h: "host-%d" % (i + 1) for i, h in enumerate(report.hosts)}
    errors, warnings = _counts(list(report.findings) + list(report.plan_findings))
    summary = "%d host(s), %d error(s), %d warning(s)%s" % (
        len(report.hosts), errors, warnings, ", %d planned action(s)" % len(report.actions) if report.has_plan else "")
    body = ['<h1 id="top">%s</h1>' % esc(title), '<p class="summary">%s</p>' % esc(summary), _index(report, anchors)]
    body += [_host_section(report, h, anchors[h]) for h in report.hosts]
    return ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>%s</title>'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<style>%s</style></head><body>%s</body></html>\n' % (esc(title), STYLE.strip(), "".join(body)))


# ---------------------------------------------------------------------------------------
# JUnit XML
# ---------------------------------------------------------------------------------------


def render_junit(report: Report) -> str:
    """One testsuite per host, one testcase per rule of the catalog (and any other rule a finding
    names) x host; an error finding fails its testcase, warnings are the testcase's output."""
    findings: list[Mapping[str, str]] = []
    for f in list(report.findings) + list(report.plan_findings):
        if f not in findings:
            findings.append(f)
    rules = [r.rule for r in RULES]
    rules += sorted({str(f["rule"]) for f in findings} - set(rules))
    suites = []
    total_failures = 0
    for host in report.hosts:
        cases = []
        failures = 0
        for rule in rules:
            found = [f for f in findings if f["host"] == host and f["rule"] == rule]
            errors = [f for f in found if f["severity"] == "error"]
            text = "\n".join("[%s] %s %s: %s; change: %s" % (f["rule"], f["severity"], f["object"], f["found"], f["change"])
                             for f in found)
            inner = ""
            if errors:
                failures += 1
                inner = '<failure message="%s" type="%s">%s</failure>' % (
                    esc("%d error(s): %s" % (len(errors), errors[0]["object"])), esc(rule), esc(text))
            elif found:
                inner = "<system-out>%s</system-out>" % esc(text)
            cases.append('    <testcase classname="%s" name="%s">%s</testcase>\n' % (esc(host), esc(rule), inner))
        total_failures += failures
        suites.append('  <testsuite name="%s" tests="%d" failures="%d" errors="0" skipped="0">\n%s  </testsuite>\n'
                      % (esc(host), len(rules), failures, "".join(cases)))
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="vmkfabric fabric rules" tests="%d" failures="%d">\n'
            '%s</testsuites>\n' % (len(rules) * len(report.hosts), total_failures, "".join(suites)))


# ---------------------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------------------


def write_if_changed(option: str, path: str, content: str, check_mode: bool) -> bool:
    """Write ``content`` to ``path`` unless it already holds exactly that; True when it (would) change.
    In check mode nothing is written. An unusable path is an ArgumentError naming ``option``."""
    data = content.encode("utf-8")
    parent = os.path.dirname(os.path.abspath(path)) or "/"
    if os.path.isdir(path):
        raise ArgumentError(option, "%s is a directory: give the path of a file" % path)
    if not os.path.isdir(parent):
        why = "is not a directory" if os.path.exists(parent) else "does not exist"
        raise ArgumentError(option, "cannot write %s: %s %s" % (path, parent, why))
    try:
        with open(path, "rb") as fh:
            if fh.read() == data:
                return False
    except FileNotFoundError:
        pass
    except OSError as err:
        raise ArgumentError(option, "cannot read %s: %s" % (path, err.strerror)) from None
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ArgumentError(option, "cannot write %s: the directory %s is not writable" % (path, parent))
    if check_mode:
        return True
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=parent, prefix=".%s." % os.path.basename(path))
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except OSError as err:
        if tmp is not None and os.path.exists(tmp):
            os.unlink(tmp)
        raise ArgumentError(option, "cannot write %s: %s" % (path, err.strerror or err)) from None
    return True


def run(params: Mapping[str, Any], check_mode: bool) -> dict[str, Any]:
    """The module's work: load, render, write (or, in check mode, only compare). The result."""
    report = load(params["gathered"], params.get("plan"))
    files = [("dest", params["dest"], render_html(report, params.get("title") or "Fabric report"))]
    if params.get("junit"):
        files.append(("junit", params["junit"], render_junit(report)))
    # Every path is checked before anything is written: a bad junit path leaves the report alone too.
    changes = [write_if_changed(option, path, content, True) for option, path, content in files]
    if not check_mode:
        for (option, path, content), change in zip(files, changes, strict=True):
            if change:
                write_if_changed(option, path, content, False)
    errors, warnings = _counts(list(report.findings) + list(report.plan_findings))
    return {
        "changed": any(changes),
        "dest": params["dest"],
        "junit": params.get("junit"),
        "hosts": list(report.hosts),
        "findings": list(report.findings),
        "counts": {"hosts": len(report.hosts), "errors": errors, "warnings": warnings, "actions": len(report.actions)},
    }
