"""IscsiManager: software-iSCSI port binding with ESXi's compliance checks (vsphere-api.md §5).

Compliance is recomputed on every call from the vmk's effective teaming, so a teaming change
after binding shows up in QueryBoundVnics. Sessions are modelled simply: a bound vmk whose
uplink has link carries a session to every discovered target portal in its subnet; its
pathStatus is ``lastActive`` when no other bound vmk carries sessions, ``active`` otherwise,
``notUsed`` without sessions. Inferred behaviour is marked [INF].
"""

from __future__ import annotations

import ipaddress
from typing import Any

from pyVmomi import vim

from .base import MO
from .host_model import HostModel, bridge_nics, effective_teaming, network_info, other_pnic_owner
from .state import Simulator

PortInfo = vim.host.IscsiManager.IscsiPortInfo


class IscsiManager(MO):
    WSDL, PYTYPE = "IscsiManager", vim.host.IscsiManager
    WRITES = frozenset({"BindVnic", "UnbindVnic"})

    def __init__(self, sim: Simulator, moid: str, host: HostModel) -> None:
        super().__init__(sim, moid)
        self.host = host
        host.iscsi = self
        host.vnic_removal_guards.append(self._guard_removal)

    # -- helpers -------------------------------------------------------------------------
    def _adapter(self, device: str) -> Any:
        storage = self.host.storage
        adapter = storage.adapters.get(device) if storage else None
        if adapter is None:
            raise vim.fault.NotFound(msg="iSCSI adapter %s not found" % device)
        return adapter

    def _bound_anywhere(self, device: str) -> Any | None:
        storage = self.host.storage
        for adapter in (storage.adapters.values() if storage else []):
            if device in adapter.bound:
                return adapter
        return None

    def compliance(self, device: str) -> list[Any]:
        """The compliance faults of a vmk for port binding ([] = compliant), per §5.4."""
        team = effective_teaming(self.host, device)
        if team.get("lag"):
            # an active LAG on a dvPortgroup is several uplinks by definition, whatever its pnics (§5.4)
            return [vim.fault.IscsiFaultVnicHasMultipleUplinks(vnicDevice=device)]
        bridge = team["bridge"]
        active = [n for n in team["active"] if n in bridge]
        standby = [n for n in team["standby"] if n in bridge]
        if not active and not standby:
            return [vim.fault.IscsiFaultVnicHasNoUplinks(vnicDevice=device)]
        if len(active) + len(standby) > 1 or team["policy"] == "loadbalance_ip":
            # IP hash spreads flows over the team: never one uplink per vmk [INF]
            return [vim.fault.IscsiFaultVnicHasMultipleUplinks(vnicDevice=device)]
        if not active:
            return [vim.fault.IscsiFaultVnicHasNoUplinks(vnicDevice=device)]  # standby only (choice, unverified)
        return []

    def _pnic(self, device: str) -> str | None:
        team = effective_teaming(self.host, device)
        active = [n for n in team["active"] if n in team["bridge"]]
        return active[0] if len(active) == 1 and not team.get("lag") else None

    def has_sessions(self, adapter: Any, device: str) -> bool:
        pnic = self._pnic(device)
        if pnic is None or self.host.pnics.get(pnic, (0,))[0] == 0 or self.compliance(device):
            return False
        ip = self.host.vnics[device].spec.ip
        if ip is None or ip.dhcp or not ip.ipAddress:
            return False
        net = ipaddress.IPv4Interface("%s/%s" % (ip.ipAddress, ip.subnetMask)).network
        portals = {key[0] for key in adapter.discovered} | {key[0] for key in adapter.static}
        return any(ipaddress.IPv4Address(p) in net for p in portals)

    def path_status(self, adapter: Any, device: str) -> str:
        if not self.has_sessions(adapter, device):
            return "notUsed"
        others = [d for d in adapter.bound if d != device and d in self.host.vnics and self.has_sessions(adapter, d)]
        return "active" if others else "lastActive"

    def _port_info(self, device: str, adapter: Any | None) -> Any:
        pnic = self._pnic(device)
        team = effective_teaming(self.host, device)
        info = PortInfo(vnicDevice=device, pnicDevice=pnic, switchName=team["switch"], portgroupName=team["portgroup"] or None,
                        complianceStatus=vim.host.IscsiManager.IscsiStatus(reason=self.compliance(device)))
        if team.get("switch_uuid"):  # a vmk on a dvPortgroup (§7.3)
            info.switchUuid, info.portgroupKey, info.portKey = team["switch_uuid"], team["portgroup_key"], team["port_key"]
        info.vnic = next(v for v in network_info(self.host).vnic if v.device == device)
        if pnic is not None and pnic in self.host.pnics:
            info.pnic = next(p for p in network_info(self.host).pnic if p.device == pnic)
        if adapter is not None:
            info.pathStatus = self.path_status(adapter, device)
        return info

    def _guard_removal(self, host: HostModel, device: str) -> None:
        adapter = self._bound_anywhere(device)
        if adapter is not None:
            # Hosts refuse to remove a bound vmk; the fault type is undocumented (HCF or ResourceInUse) [INF]
            raise vim.fault.HostConfigFault(msg="%s is bound to iSCSI adapter %s; unbind it first" % (device, adapter.device))

    # -- methods -------------------------------------------------------------------------
    def m_BindVnic(self, ctx: Any, iScsiHbaName: str, vnicDevice: str) -> None:
        adapter = self._adapter(iScsiHbaName)
        vnic = self.host.vnics.get(vnicDevice)
        if vnic is None:
            raise vim.fault.IscsiFaultVnicNotFound(vnicDevice=vnicDevice)
        if (vnic.spec.netStackInstanceKey or "defaultTcpipStack") != "defaultTcpipStack":
            raise vim.fault.IscsiFaultInvalidVnic(vnicDevice=vnicDevice)  # only default-stack vmks are candidates [INF]
        if vnicDevice in adapter.bound:
            raise vim.fault.IscsiFaultVnicAlreadyBound(vnicDevice=vnicDevice)
        faults = self.compliance(vnicDevice)
        if faults:
            raise faults[0]
        if adapter.pnic is not None and self._pnic(vnicDevice) != adapter.pnic:
            raise vim.fault.IscsiFaultVnicHasWrongUplink(vnicDevice=vnicDevice)
        adapter.bound.append(vnicDevice)
        self.sim.changed()

    def m_UnbindVnic(self, ctx: Any, iScsiHbaName: str, vnicDevice: str, force: bool) -> None:
        adapter = self._adapter(iScsiHbaName)
        if vnicDevice not in adapter.bound:
            raise vim.fault.IscsiFaultVnicNotBound(vnicDevice=vnicDevice)
        if not force:
            status = self.path_status(adapter, vnicDevice)
            if status == "lastActive":
                raise vim.fault.IscsiFaultVnicIsLastPath(vnicDevice=vnicDevice)
            if status == "active":
                raise vim.fault.IscsiFaultVnicHasActivePaths(vnicDevice=vnicDevice)
        adapter.bound.remove(vnicDevice)
        self.sim.changed()

    def m_QueryBoundVnics(self, ctx: Any, iScsiHbaName: str) -> Any:
        adapter = self._adapter(iScsiHbaName)
        return [self._port_info(d, adapter) for d in adapter.bound if d in self.host.vnics]

    def m_QueryCandidateNics(self, ctx: Any, iScsiHbaName: str) -> Any:
        adapter = self._adapter(iScsiHbaName)
        out = []
        for device, vnic in sorted(self.host.vnics.items(), key=lambda kv: int(kv[0][3:])):
            if device in adapter.bound or (vnic.spec.netStackInstanceKey or "defaultTcpipStack") != "defaultTcpipStack":
                continue
            if "management" in self.host.selected and device in self.host.selected["management"]:
                continue  # management vmks are not offered for binding [INF]
            if adapter.pnic is not None and self._pnic(device) != adapter.pnic:
                continue  # a dependent adapter binds only vmks whose single active uplink is its own NIC
            out.append(self._port_info(device, None))
        used = {self._pnic(d) for d in self.host.vnics}
        for pnic in sorted(self.host.pnics):
            if adapter.pnic is not None and pnic != adapter.pnic:
                continue
            on_vss = any(pnic in bridge_nics(s) for s in self.host.vswitches.values())
            on_switch = on_vss or other_pnic_owner(self.host, pnic) is not None
            if pnic not in used and not on_switch:
                out.append(PortInfo(pnicDevice=pnic))
        return out

    def m_QueryVnicStatus(self, ctx: Any, vnicDevice: str) -> Any:
        if vnicDevice not in self.host.vnics:
            raise vim.fault.IscsiFault(msg="%s not found" % vnicDevice)
        if self._bound_anywhere(vnicDevice) is None:
            return vim.host.IscsiManager.IscsiStatus(reason=[])
        return vim.host.IscsiManager.IscsiStatus(reason=[vim.fault.IscsiFaultVnicInUse(vnicDevice=vnicDevice)] + self.compliance(vnicDevice))

    def m_QueryPnicStatus(self, ctx: Any, pnicDevice: str) -> Any:
        if pnicDevice not in self.host.pnics:
            raise vim.fault.IscsiFault(msg="%s not found" % pnicDevice)
        in_use = any(self._pnic(d) == pnicDevice for a in self._adapters() for d in a.bound if d in self.host.vnics)
        return vim.host.IscsiManager.IscsiStatus(reason=[vim.fault.IscsiFaultPnicInUse(pnicDevice=pnicDevice)] if in_use else [])

    def m_QueryMigrationDependencies(self, ctx: Any, pnicDevice: list[str]) -> Any:
        deps = []
        for adapter in self._adapters():
            for device in adapter.bound:
                if device in self.host.vnics and self._pnic(device) in pnicDevice:
                    deps.append(vim.host.IscsiManager.IscsiDependencyEntity(pnicDevice=self._pnic(device), vnicDevice=device,
                                                                            vmhbaName=adapter.device))
        reason = vim.host.IscsiManager.IscsiStatus(reason=[vim.fault.IscsiFaultPnicInUse(pnicDevice=d.pnicDevice) for d in deps]) if deps else None
        return vim.host.IscsiManager.IscsiMigrationDependency(migrationAllowed=not deps, disallowReason=reason, dependency=deps)

    def _adapters(self) -> list[Any]:
        return list(self.host.storage.adapters.values()) if self.host.storage else []
