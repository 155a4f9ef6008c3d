"""LUN topology of iSCSI adapters: ``scsiLun``, ``scsiTopology`` and ``multipathInfo`` in
``config.storageDevice``, derived on every read from the adapters' targets and port binding.

A target the adapter knows (discovered or static) that belongs to a ``storage_arrays`` entry
with ``luns`` presents those LUNs; each (target portal, IQN) is one SCSI target ``T<n>``. With
bound vmks every bound vmk is a channel ``C<i>`` (binding order) and has a path to each target;
without binding there is one channel ``C0`` routed by the host. A path is ``active`` when its
vmk carries sessions to the portal (the rule iscsi.py uses for ``pathStatus``: link up, compliant,
portal in its subnet), else ``dead``. Naming follows ESXi (``vmhba64:C0:T0:L1``, ``naa.`` ids,
``VMW_PSP_RR`` / ``VMW_SATP_ALUA``) [OBS/INF].
"""

from __future__ import annotations

import hashlib
import ipaddress
from typing import Any

from pyVmomi import vim

from .state import Simulator

Topo = vim.host.ScsiTopology
MP = vim.host.MultipathInfo


def disk_id(array: str, iqn: str, lun: int) -> str:
    return "naa.624a9370" + hashlib.sha256(("%s|%s|%d" % (array, iqn, lun)).encode()).hexdigest()[:24]


def _array_of(sim: Simulator, address: str, port: int, iqn: str) -> dict[str, Any] | None:
    return next((a for a in sim.storage_arrays if (address, port) in a["portals"] and iqn in a["targets"] and a.get("luns")), None)


def _in_subnet(vnic: Any, address: str) -> bool:
    ip = vnic.spec.ip
    if ip is None or ip.dhcp or not ip.ipAddress:
        return False
    return ipaddress.IPv4Address(address) in ipaddress.IPv4Interface("%s/%s" % (ip.ipAddress, ip.subnetMask)).network


def _channels(storage: Any, adapter: Any) -> list[tuple[int, Any]]:
    """(channel number, is_live(address) -> bool) per channel of the adapter."""
    host = storage.host
    iscsi = getattr(host, "iscsi", None)
    bound = [d for d in adapter.bound if d in host.vnics]
    if bound and iscsi is not None:
        return [(i, (lambda addr, d=d: iscsi.has_sessions(adapter, d) and _in_subnet(host.vnics[d], addr))) for i, d in enumerate(bound)]
    # unbound: the host routes to the portal through any default-stack vmk in its subnet [INF]
    return [(0, lambda addr: any(_in_subnet(v, addr) for v in host.vnics.values()
                                 if (v.spec.netStackInstanceKey or "defaultTcpipStack") == "defaultTcpipStack"))]


def topology(storage: Any) -> tuple[list[Any], Any, Any]:
    """(scsiLun, scsiTopology, multipathInfo) for ``storage`` (a storage.StorageSystem)."""
    sim = storage.host.sim
    disks: dict[str, Any] = {}
    units: dict[str, list[Any]] = {}  # naa -> its paths
    interfaces = []
    for adapter in storage.adapters.values():
        if adapter.software and not storage.enabled:
            continue
        hba_key = "key-vim.host.InternetScsiHba-%s" % adapter.device
        targets = []
        known = sorted(set(adapter.discovered) | set(adapter.static))
        for number, (address, port, iqn) in enumerate(known):
            array = _array_of(sim, address, port, iqn)
            if array is None:
                continue
            transport = vim.host.InternetScsiTargetTransport(iScsiName=iqn, iScsiAlias=array["name"], address=["%s:%d" % (address, port)])
            luns = []
            for lun in array["luns"]:
                naa = disk_id(array["name"], iqn, lun["id"])
                disk_key = "key-vim.host.ScsiDisk-%s" % naa
                disks.setdefault(naa, vim.host.ScsiDisk(
                    key=disk_key, uuid=naa[4:], canonicalName=naa, displayName="PURE iSCSI Disk (%s)" % naa, deviceName="/vmfs/devices/disks/" + naa,
                    deviceType="disk", lunType="disk", vendor="PURE", model="FlashArray", revision="8888", scsiLevel=6,
                    operationalState=["ok"], localDisk=False, ssd=True, devicePath="/vmfs/devices/disks/" + naa,
                    capacity=vim.host.DiskDimensions.Lba(blockSize=512, block=lun["capacity_gb"] * 2 * 1024 * 1024)))
                luns.append(Topo.Lun(key="key-vim.host.ScsiTopology.Lun-%s-%d" % (naa, number), lun=lun["id"], scsiLun=disk_key))
                paths = units.setdefault(naa, [])
                for channel, live in _channels(storage, adapter):
                    name = "%s:C%d:T%d:L%d" % (adapter.device, channel, number, lun["id"])
                    state = "active" if live(address) else "dead"
                    paths.append(MP.Path(key="key-vim.host.MultipathInfo.Path-" + name, name=name, pathState=state, state=state,
                                         isWorkingPath=state == "active", adapter=hba_key, lun=_unit_key(naa), transport=transport))
            targets.append(Topo.Target(key="key-vim.host.ScsiTopology.Target-%s:0:%d" % (adapter.device, number), target=number,
                                       lun=luns, transport=transport))
        interfaces.append(Topo.Interface(key="key-vim.host.ScsiTopology.Interface-%s" % adapter.device, adapter=hba_key, target=targets))
    logical_units = [MP.LogicalUnit(key=_unit_key(naa), id=naa[4:], lun=disks[naa].key, path=paths, policy=MP.LogicalUnitPolicy(policy="VMW_PSP_RR"),
                                    storageArrayTypePolicy=MP.LogicalUnitStorageArrayTypePolicy(policy="VMW_SATP_ALUA"))
                     for naa, paths in units.items()]
    return list(disks.values()), Topo(adapter=interfaces), MP(lun=logical_units)


def active_disks(storage: Any) -> set:
    """The ``naa.`` ids of the LUNs the host reaches on at least one active path."""
    if storage is None:
        return set()
    return {"naa." + unit.id for unit in topology(storage)[2].lun if any(p.state == "active" for p in unit.path)}


def _unit_key(naa: str) -> str:
    return "key-vim.host.MultipathInfo.LogicalUnit-%s" % naa
