# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The inline SVG drawing of one host's fabric (the ``fabric_report`` module's picture).

Private to this collection. Pure: imports no pyVmomi, opens no connection, calls no API.

Invariants
- Columns left to right: physical NICs -> switches (standard vSwitches, then distributed switches
  with their LAGs drawn as a group around the NICs behind them) -> port groups (each with one chip
  per uplink of its switch: active, standby or unused) -> vmks -> the iSCSI adapters with their
  send and static targets. A vmk bound to an adapter carries a bound marker linked to it.
- Every drawn object is one ``<g class="node KIND" data-obj="OBJECT">``, OBJECT in the validator's
  object names (``vmk:vmk1``, ``portgroup:vSwitch1/iSCSI-A``, ``hba:vmhba64``, ...), so a finding's
  object finds its drawing; ``marks`` (object -> CSS classes) highlights findings and plan actions.
- Every name and value is escaped (``html.escape`` with ``quote=True``) in text and attributes;
  the output depends on its inputs only (same input -> same bytes).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import DvPortgroup, Host, IscsiAdapter, IscsiTarget, Teaming, Vmk

NIC_X, NIC_W = 16, 124
SW_X, SW_W = 170, 160
PG_X, PG_W = 360, 240
VMK_X, VMK_W = 630, 240
HBA_X, HBA_W = 900, 440
WIDTH = HBA_X + HBA_W + 16
ROW = 80  # one port group / vmk row
NIC_ROW = 40
TOP = 40
LINE = 14  # text line height
OPTIONS = (("login_timeout", "LoginTimeout"), ("delayed_ack", "DelayedAck"))


def esc(value: object) -> str:
    """Text or attribute value, escaped (``<``, ``>``, ``&`` and both quotes)."""
    return html.escape(str(value), quote=True)


class Ghost(NamedTuple):
    """An object the plan adds that the drawing of the current state does not hold."""

    kind: str  # the action kind: vswitch, portgroup, vmk, ...
    key: str  # its object name
    label: str


class _Canvas:
    """SVG markup in drawing order, with the highlight classes of ``marks``."""

    def __init__(self, marks: Mapping[str, Sequence[str]]) -> None:
        self.marks = marks
        self.body: list[str] = []

    def line(self, x1: int, y1: int, x2: int, y2: int, cls: str = "link") -> None:
        self.body.append('<line class="%s" x1="%d" y1="%d" x2="%d" y2="%d"/>' % (esc(cls), x1, y1, x2, y2))

    def node(self, kind: str, key: str, x: int, y: int, w: int, h: int, lines: Sequence[str],
             extra: str = "") -> None:
        """One object: a box with its text lines, its marks as classes and a badge of them."""
        marks = list(self.marks.get(key, ()))
        classes = " ".join(["node", kind] + ([extra] if extra else []) + sorted({m.split(" ", 1)[0] for m in marks}))
        out = ['<g class="%s" data-kind="%s" data-obj="%s">' % (esc(classes), esc(kind), esc(key)),
               "<title>%s</title>" % esc("\n".join([key] + [m.split(" ", 1)[1] for m in marks if " " in m])),
               '<rect x="%d" y="%d" width="%d" height="%d" rx="4"/>' % (x, y, w, h)]
        for i, text in enumerate(lines):
            out.append('<text x="%d" y="%d"%s>%s</text>' % (x + 6, y + 14 + i * LINE, ' class="b"' if i == 0 else "", esc(text)))
        badges = [m.split(" ", 1)[1].split(":", 1)[0] for m in marks if m.startswith(("hl-", "plan-")) and " " in m]
        if badges:
            text = " ".join(sorted(set(badges)))
            out.append('<text class="badge" x="%d" y="%d" text-anchor="end">%s</text>' % (x + w - 4, y + 13, esc(text)))
        out.append("</g>")
        self.body.extend(out)

    def chip(self, role: str, name: str, x: int, y: int, w: int) -> None:
        self.body.append('<g class="chip %s" data-role="%s"><title>%s</title><rect x="%d" y="%d" width="%d" height="16" '
                         'rx="3"/><text x="%d" y="%d">%s</text></g>'
                         % (esc(role), esc(role), esc("%s: %s" % (name, role)), x, y, w - 3, x + 3, y + 12, esc(name)))


def _roles(team: Teaming, uplinks: Sequence[str]) -> list[tuple[str, str]]:
    """(uplink, active|standby|unused) for every uplink of the switch, in the switch's order."""
    active, standby = tuple(team.active or ()), tuple(team.standby or ())
    if team.active is None:  # no order known: every uplink active (ESXi's default)
        return [(n, "active") for n in uplinks]
    return [(n, "active" if n in active else "standby" if n in standby else "unused") for n in uplinks] + [
        (n, "active" if n in active else "standby") for n in active + standby if n not in uplinks]


def _vmk_lines(vmk: Vmk, vlan: int) -> list[str]:
    net = vmk.ip.network
    ip = "DHCP" if vmk.ip.dhcp else "%s/%d" % (vmk.ip.address, net.prefixlen) if net else "no address"
    return [
        "%s  %s" % (vmk.device, ip),
        "VLAN %d · MTU %d · netstack %s" % (vlan, vmk.mtu, vmk.netstack),
        "services: %s" % (", ".join(sorted(vmk.services)) or "none"),
    ]


def _option_text(target: IscsiTarget, parents: Sequence[Mapping[str, object]]) -> str:
    """LoginTimeout / DelayedAck of a target: its own value, or the nearest level above that holds one."""
    parts = []
    for key, label in OPTIONS:
        if key in target.own or _api_key(key) in target.own:
            parts.append("%s %s (set)" % (label, _value(target.own, key)))
            continue
        held = next((p for p in parents if key in p or _api_key(key) in p), None)
        parts.append("%s %s" % (label, "%s (inherited)" % _value(held, key) if held is not None else "inherited"))
    return " · ".join(parts)


def _api_key(name: str) -> str:
    return {"login_timeout": "LoginTimeout", "delayed_ack": "DelayedAck"}[name]


def _value(options: Mapping[str, object], key: str) -> str:
    value = options[key] if key in options else options[_api_key(key)]
    return str(value).lower() if isinstance(value, bool) else str(value)


class _Layout:
    """Where each vmk was drawn (for the bound links) and how tall the drawing is."""

    def __init__(self) -> None:
        self.vmk_at: dict[str, tuple[int, int]] = {}
        self.y = TOP


def _switch_block(c: _Canvas, lay: _Layout, host: Host, sw_key: str, sw_lines: list[str], nics: list[tuple[str, str]],
                  lags: Mapping[str, Sequence[str]], pgs: list[tuple[str, list[str], list[tuple[str, str]], Vmk | None, int]],
                  extra: str = "") -> None:
    """One switch: its NICs (``lags`` groups some of them), the switch box, its port groups and their vmks."""
    in_lags = {n for members in lags.values() for n in members}
    nic_height = sum(20 + len(m) * NIC_ROW for m in lags.values()) + sum(NIC_ROW for n, _l in nics if n not in in_lags)
    height = max(max(len(pgs), 1) * ROW, nic_height + 8, 70)
    top = lay.y
    c.node("switch", sw_key, SW_X, top, SW_W, height - 10, sw_lines, extra)
    y = top
    drawn: set[str] = set()
    for lag, members in sorted(lags.items()):
        group_h = len(members) * NIC_ROW + 18
        c.body.append('<g class="lag" data-lag="%s"><rect x="%d" y="%d" width="%d" height="%d" rx="6"/>'
                      '<text x="%d" y="%d">LAG %s</text></g>' % (esc(lag), NIC_X - 6, y, NIC_W + 12, group_h - 4, NIC_X, y + 12, esc(lag)))
        y += 16
        for nic in members:
            c.node("nic", "nic:%s" % nic, NIC_X, y, NIC_W, 30, [nic, "in %s" % lag])
            c.line(NIC_X + NIC_W, y + 15, SW_X, y + 15)
            drawn.add(nic)
            y += NIC_ROW
        y += 4
    for nic, label in nics:
        if nic in drawn:
            continue
        c.node("nic", "nic:%s" % nic, NIC_X, y, NIC_W, 30, [nic] + ([label] if label else []))
        c.line(NIC_X + NIC_W, y + 15, SW_X, y + 15)
        y += NIC_ROW
    for i, (pg_key, pg_lines, roles, vmk, vlan) in enumerate(pgs):
        py = top + i * ROW
        c.line(SW_X + SW_W, py + 30, PG_X, py + 30)
        c.node("pg", pg_key, PG_X, py, PG_W, ROW - 12, pg_lines)
        chip_w = min(62, (PG_W - 8) // max(len(roles), 1))
        for j, (name, role) in enumerate(roles):
            c.chip(role, name, PG_X + 5 + j * chip_w, py + ROW - 32, chip_w)
        if vmk is not None:
            c.line(PG_X + PG_W, py + 30, VMK_X, py + 30)
            c.node("vmk", "vmk:%s" % vmk.device, VMK_X, py, VMK_W, ROW - 12, _vmk_lines(vmk, vlan))
            lay.vmk_at[vmk.device] = (VMK_X + VMK_W, py + 30)
    lay.y = top + height + 10


def _standard(c: _Canvas, lay: _Layout, host: Host) -> None:
    for sw in sorted(host.vswitches.values(), key=lambda s: s.name):
        pgs = []
        for pg in sorted((p for p in host.portgroups.values() if p.vswitch == sw.name), key=lambda p: p.name):
            eff = pg.override.merged_over(sw.teaming)
            team = "own teaming" if not pg.override.is_empty else "teaming of %s" % sw.name
            pgs.append(("portgroup:%s/%s" % (sw.name, pg.name), [pg.name, "VLAN %d · %s · %s" % (pg.vlan, eff.policy or "default", team)],
                        _roles(eff, sw.uplinks), host.vmk_on_portgroup(pg.name), pg.vlan))
        lines = [sw.name, "standard vSwitch · MTU %d" % sw.mtu, "policy %s" % (sw.teaming.policy or "default")]
        _switch_block(c, lay, host, "vswitch:%s" % sw.name, lines, [(n, "") for n in sw.uplinks], {}, pgs)


def _distributed(c: _Canvas, lay: _Layout, host: Host) -> None:
    by_dvs: dict[str, list[DvPortgroup]] = {}
    for dv in host.dv_portgroups.values():
        by_dvs.setdefault(dv.dvs, []).append(dv)
    for dvs, dvpgs in sorted(by_dvs.items()):
        dvpgs.sort(key=lambda d: (d.name, d.key))
        uplinks: dict[str, tuple[str, ...]] = {}
        lags: set[str] = set()
        for dv in dvpgs:
            uplinks.update(dv.uplinks)
            lags.update(dv.lags)
        names = tuple(n for n in sorted(uplinks) if n not in lags)
        nics = [(p, "on %s" % n) for n in names for p in uplinks[n]]
        pgs = []
        for dv in dvpgs:
            vmk = next((v for v in sorted(host.vmks.values(), key=lambda v: v.number) if v.dv_portgroup == dv.key), None)
            pgs.append(("dvportgroup:%s/%s" % (dvs, dv.name), [dv.name, "VLAN %d · %s · distributed" % (dv.vlan, dv.teaming.policy or "default")],
                        _roles(dv.teaming, names + tuple(sorted(lags))), vmk, dv.vlan))
        lines = [dvs, "distributed switch", "%d uplinks, %d LAGs" % (len(names), len(lags))]
        _switch_block(c, lay, host, "dvswitch:%s" % dvs, lines, nics, {n: uplinks.get(n, ()) for n in lags}, pgs, "dvs")


def _loose_vmks(c: _Canvas, lay: _Layout, host: Host) -> None:
    """vmks on no drawn port group (a distributed port whose switch was not read)."""
    for vmk in sorted(host.vmks.values(), key=lambda v: v.number):
        if vmk.device not in lay.vmk_at:
            c.node("vmk", "vmk:%s" % vmk.device, VMK_X, lay.y, VMK_W, ROW - 12, _vmk_lines(vmk, 0)[:1] + ["port group not read"])
            lay.vmk_at[vmk.device] = (VMK_X + VMK_W, lay.y + 30)
            lay.y += ROW


def _adapters(c: _Canvas, lay: _Layout, host: Host) -> None:
    y = TOP
    for _device, adapter in sorted(host.iscsi.items()):
        y = _adapter(c, lay, adapter, y)
    lay.y = max(lay.y, y)


def _adapter(c: _Canvas, lay: _Layout, a: IscsiAdapter, y: int) -> int:
    head = [a.device, "%s iSCSI · %s" % ("software" if a.software else "hardware", "enabled" if a.enabled else "disabled"),
            a.iqn or "(no IQN)"]
    c.node("hba", "hba:%s" % a.device, HBA_X, y, HBA_W, 50, head)
    hba_y = y + 25
    y += 58
    sends = {t.portal: t for t in a.send_targets.values()}
    for kind, targets in (("send", a.send_targets), ("static", a.static_targets)):
        for _key, t in sorted(targets.items()):
            parents: list[Mapping[str, object]] = [a.own]
            if t.discovered_from in sends:
                parents.insert(0, sends[t.discovered_from].own)
            lines = ["%s target %s%s" % (kind, t.portal, " (discovered)" if t.discovered_from else ""), _option_text(t, parents)]
            if t.iqn:
                lines.append(t.iqn)
            height = 8 + len(lines) * LINE
            c.node("target", "target:%s/%s" % (a.device, t.portal), HBA_X + 20, y, HBA_W - 20, height, lines, extra=kind)
            c.line(HBA_X + 10, y - 8, HBA_X + 10, y + height // 2, "link")
            c.line(HBA_X + 10, y + height // 2, HBA_X + 20, y + height // 2, "link")
            y += height + 8
    for vmk in a.bound:
        at = lay.vmk_at.get(vmk)
        if at is None:
            continue
        key = "binding:%s:%s" % (a.device, vmk)
        marks = " ".join(sorted({m.split(" ", 1)[0] for m in c.marks.get(key, ())}))
        c.body.append('<g class="bound%s" data-obj="%s" data-vmk="%s"><title>%s bound to %s</title>'
                      '<line x1="%d" y1="%d" x2="%d" y2="%d"/><circle cx="%d" cy="%d" r="7"/>'
                      '<text x="%d" y="%d" text-anchor="middle">B</text></g>'
                      % (" " + esc(marks) if marks else "", esc(key), esc(vmk), esc(vmk), esc(a.device),
                         at[0] + 7, at[1], HBA_X, hba_y, at[0], at[1], at[0], at[1] + 4))
    return y + 12


def _ghosts(c: _Canvas, lay: _Layout, ghosts: Sequence[Ghost]) -> None:
    """Objects the plan adds, dashed, in their column below the current state."""
    if not ghosts:
        return
    column = {"nic": NIC_X, "vswitch": SW_X, "dv_portgroup": PG_X, "portgroup": PG_X, "vmk": VMK_X}
    c.body.append('<text class="b" x="%d" y="%d">planned additions</text>' % (NIC_X, lay.y + 14))
    y = lay.y + 24
    per_column: dict[int, int] = {}
    for ghost in ghosts:
        x = column.get(ghost.kind, HBA_X)
        w = HBA_W if x == HBA_X else VMK_W if x in (VMK_X, PG_X) else SW_W
        gy = per_column.get(x, y)
        c.node(ghost.kind if ghost.kind in column else "target", ghost.key, x, gy, w, 34, ["+ " + ghost.label], extra="ghost")
        per_column[x] = gy + 42
    lay.y = max(per_column.values()) + 8


def object_keys(host: Host) -> frozenset[str]:
    """The object names ``host_svg`` draws for ``host`` (what a mark can land on)."""
    keys = {"vswitch:%s" % n for n in host.vswitches} | {"vmk:%s" % d for d in host.vmks}
    keys |= {"nic:%s" % n for sw in host.vswitches.values() for n in sw.uplinks}
    keys |= {"portgroup:%s/%s" % (pg.vswitch, pg.name) for pg in host.portgroups.values()}
    for dv in host.dv_portgroups.values():
        keys |= {"dvswitch:%s" % dv.dvs, "dvportgroup:%s/%s" % (dv.dvs, dv.name)}
        keys |= {"nic:%s" % p for pnics in dv.uplinks.values() for p in pnics}
    for device, a in host.iscsi.items():
        keys.add("hba:%s" % device)
        keys |= {"target:%s/%s" % (device, t.portal) for t in list(a.send_targets.values()) + list(a.static_targets.values())}
        keys |= {"binding:%s:%s" % (device, vmk) for vmk in a.bound}
    return frozenset(keys)


def host_svg(host: Host, marks: Mapping[str, Sequence[str]], ghosts: Sequence[Ghost] = (),
             host_marks: Sequence[str] = ()) -> str:
    """The SVG of ``host``. ``marks``: object -> ``"CLASS LABEL"`` entries (``hl-error XH-1: ...``,
    ``plan-add add``) that highlight and badge the object; ``host_marks`` the same for the host itself."""
    c = _Canvas(marks)
    lay = _Layout()
    for x, label in ((NIC_X, "physical NICs"), (SW_X, "switches"), (PG_X, "port groups"), (VMK_X, "VMkernel NICs"),
                     (HBA_X, "iSCSI adapters and targets")):
        c.body.append('<text class="col" x="%d" y="24">%s</text>' % (x, esc(label)))
    _standard(c, lay, host)
    _distributed(c, lay, host)
    _loose_vmks(c, lay, host)
    _adapters(c, lay, host)
    _ghosts(c, lay, ghosts)
    classes = " ".join(["fabric"] + sorted({m.split(" ", 1)[0] for m in host_marks}))
    height = lay.y + 10
    return ('<svg class="%s" data-host="%s" width="%d" height="%d" viewBox="0 0 %d %d" '
            'role="img" aria-label="%s">' % (esc(classes), esc(host.name), WIDTH, height, WIDTH, height, esc("fabric of " + host.name))
            + "".join(c.body) + "</svg>")


LEGEND = (
    '<svg class="legend" width="900" height="30" viewBox="0 0 900 30" role="img" '
    'aria-label="legend">'
    '<g class="chip active"><rect x="2" y="6" width="60" height="16" rx="3"/><text x="6" y="18">active</text></g>'
    '<g class="chip standby"><rect x="70" y="6" width="60" height="16" rx="3"/><text x="74" y="18">standby</text></g>'
    '<g class="chip unused"><rect x="138" y="6" width="60" height="16" rx="3"/><text x="142" y="18">unused</text></g>'
    '<g class="bound"><circle cx="220" cy="14" r="7"/><text x="220" y="18" text-anchor="middle">B</text></g>'
    '<text x="232" y="18">bound to iSCSI</text>'
    '<g class="node hl-error"><rect x="340" y="4" width="60" height="20" rx="4"/><text x="346" y="18">error</text></g>'
    '<g class="node hl-warning"><rect x="408" y="4" width="70" height="20" rx="4"/><text x="414" y="18">warning</text></g>'
    '<g class="node plan-add"><rect x="486" y="4" width="80" height="20" rx="4"/><text x="492" y="18">plan adds</text></g>'
    '<g class="node plan-edit"><rect x="574" y="4" width="90" height="20" rx="4"/><text x="580" y="18">plan changes</text></g>'
    '<g class="node plan-remove"><rect x="672" y="4" width="100" height="20" rx="4"/><text x="678" y="18">plan removes</text></g>'
    '<g class="lag"><rect x="780" y="4" width="60" height="20" rx="6"/><text x="786" y="18">LAG</text></g>'
    "</svg>"
)
"""What the colours and markers mean (the same for every host)."""
