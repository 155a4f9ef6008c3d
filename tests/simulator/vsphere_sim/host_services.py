"""Host services a playbook touches before the fabric tasks: HostServiceSystem (ntpd, SSH, ...),
the host's advanced settings (``configManager.advancedOption``, an OptionManager), NTP
(HostDateTimeSystem), PCI passthrough (one entry per PCI device, none enabled) and one local VMFS
datastore per host, in the datacenter's datastore folder.

Values follow a fresh ESXi 8.0 U3 install; where the references leave a detail open it is marked
[INF]. Their state is saved with ``--state``.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
from typing import Any

from pyVmomi import VmomiSupport, vim

from . import luns
from .base import MO, NOW, invalid
from .host import Folder, HostSystem, hardware_info
from .host_model import HostModel
from .state import Simulator, register_state_section

LONG = VmomiSupport.vmodlTypes["long"]

# key -> (label, required, running at boot, startup policy): services of an ESXi 8.0 host [INF: the subset]
SERVICES: dict[str, tuple[str, bool, bool, str]] = {
    "DCUI": ("Direct Console UI", False, True, "on"),
    "TSM": ("ESXi Shell", False, False, "off"),
    "TSM-SSH": ("SSH", False, False, "off"),
    "lbtd": ("Load-Based Teaming Daemon", False, True, "on"),
    "lwsmd": ("Active Directory Service", False, False, "off"),
    "ntpd": ("NTP Daemon", False, False, "off"),
    "ptpd": ("PTP Daemon", False, False, "off"),
    "sfcbd-watchdog": ("CIM Server", False, False, "on"),
    "snmpd": ("SNMP Server", False, False, "on"),
    "vmsyslogd": ("Syslog Server", True, True, "on"),
    "vpxa": ("VMware vCenter Agent", False, True, "on"),
    "xorg": ("X.Org Server", False, False, "on"),
}
POLICIES = tuple(vim.host.Service.Policy.values)

# key -> (kind, min, max, default, read-only, summary): host advanced settings as ESXi 8.0 defines them [INF: the subset]
OPTIONS: dict[str, tuple[type, int | None, int | None, Any, bool, str]] = {
    "Config.HostAgent.log.level": (str, None, None, "info", False, "Logging level"),
    "Config.HostAgent.plugins.solo.enableMob": (bool, None, None, False, False, "Enable the managed object browser"),
    "Disk.MaxLUN": (int, 1, 1024, 1024, False, "Maximum LUN id that is scanned on a target"),
    "ISCSI.MaxIoSizeKB": (int, 128, 512, 128, False, "Maximum iSCSI I/O size in KB"),
    "Mem.ShareForceSalting": (int, 0, 2, 2, False, "Transparent page sharing salting"),
    "Misc.HostName": (str, None, None, "", True, "Host name"),
    "NFS.MaxVolumes": (int, 8, 256, 8, False, "Maximum number of mounted NFS v3 volumes"),
    "Net.BlockGuestBPDU": (int, 0, 1, 0, False, "Block BPDUs sent by guests"),
    "Net.FollowHardwareMac": (int, 0, 1, 0, False, "The vmk0 MAC follows the hardware MAC"),
    "Net.TcpipHeapMax": (int, 32, 1536, 1024, False, "Maximum TCP/IP heap size in MB"),
    "Net.TcpipHeapSize": (int, 0, 32, 0, False, "Initial TCP/IP heap size in MB"),
    "Syslog.global.logHost": (str, None, None, "", False, "Remote syslog hosts"),
    "UserVars.ESXiShellTimeOut": (int, 0, 86400, 0, False, "Seconds before the ESXi Shell is disabled"),
    "UserVars.SuppressShellWarning": (int, 0, 1, 0, False, "Suppress the warning that the shell is enabled"),
    "VMkernel.Boot.hyperthreading": (bool, None, None, True, False, "Enable hyperthreading (boot option, after a reboot)"),
}

UTC = vim.host.DateTimeSystem.TimeZone(key="UTC", name="UTC", description="UTC", gmtOffset=0)


class HostServices:
    """One host's service, option and time state (kept apart from the managed objects for --state)."""

    def __init__(self, host: HostModel) -> None:
        self.services = {k: {"running": v[2], "policy": v[3]} for k, v in SERVICES.items()}
        self.options: dict[str, Any] = {}  # the values set away from the default
        self.ntp_servers: list[str] = []
        self.ntp_file: list[str] = []
        self.protocol = "ntp"
        self.clock_offset = datetime.timedelta(0)
        host.services = self


class ServiceSystem(MO):
    WSDL, PYTYPE = "HostServiceSystem", vim.host.ServiceSystem
    WRITES = frozenset({"UpdateServicePolicy", "StartService", "StopService", "RestartService"})

    def __init__(self, sim: Simulator, moid: str, state: HostServices) -> None:
        super().__init__(sim, moid)
        self.state = state

    def p_serviceInfo(self) -> Any:
        return vim.host.ServiceInfo(service=[
            vim.host.Service(key=k, label=SERVICES[k][0], required=SERVICES[k][1], uninstallable=False, running=v["running"],
                             policy=v["policy"], ruleset=[k] if k in ("TSM-SSH", "ntpd", "snmpd") else [])
            for k, v in self.state.services.items()])

    def _service(self, key: str) -> dict[str, Any]:
        service = self.state.services.get(key)
        if service is None:
            raise vim.fault.NotFound(msg="service %s not found" % key)
        return service

    def m_UpdateServicePolicy(self, ctx: Any, id: str, policy: str) -> None:  # noqa: A002 (the API's name)
        service = self._service(id)
        if policy not in POLICIES:
            raise invalid("policy")
        if service["policy"] != policy:
            service["policy"] = policy
            self.sim.changed()

    def _run(self, key: str, running: bool) -> None:
        service = self._service(key)
        if not running and SERVICES[key][1]:
            raise vim.fault.HostConfigFault(msg="%s is a required service and cannot be stopped" % key)  # [INF]
        if service["running"] != running:
            service["running"] = running
            self.sim.changed()

    def m_StartService(self, ctx: Any, id: str) -> None:  # noqa: A002
        self._run(id, True)

    def m_StopService(self, ctx: Any, id: str) -> None:  # noqa: A002
        self._run(id, False)

    def m_RestartService(self, ctx: Any, id: str) -> None:  # noqa: A002
        self._run(id, True)

    def m_UninstallService(self, ctx: Any, id: str) -> None:  # noqa: A002
        self._service(id)
        raise vim.fault.HostConfigFault(msg="%s is part of the ESXi image and cannot be uninstalled" % id)

    def m_RefreshServices(self, ctx: Any) -> None:
        return None


def _option_type(key: str) -> Any:
    kind, low, high, default, readonly, _summary = OPTIONS[key]
    if kind is bool:
        return vim.option.BoolOption(supported=True, defaultValue=default, valueIsReadonly=readonly)
    if kind is int:
        return vim.option.LongOption(min=low, max=high, defaultValue=default, valueIsReadonly=readonly)
    return vim.option.StringOption(defaultValue=default, valueIsReadonly=readonly)


def _typed(key: str, value: Any) -> Any:
    return LONG(value) if OPTIONS[key][0] is int else value


class AdvancedOptions(MO):
    """``configManager.advancedOption``: typed host settings. A numeric setting is a LongOption and
    takes an ``xsd:long`` value (an ``xsd:int`` is refused, as ESXi does); read-only settings refuse
    any change with InvalidArgument [INF: fault type]; an unknown key is InvalidName."""

    WSDL, PYTYPE = "OptionManager", vim.option.OptionManager
    WRITES = frozenset({"UpdateOptions"})

    def __init__(self, sim: Simulator, moid: str, state: HostServices, host: HostModel) -> None:
        super().__init__(sim, moid)
        self.state, self.host = state, host

    def _value(self, key: str) -> Any:
        if key == "Misc.HostName":
            return self.host.name.split(".")[0]
        return _typed(key, self.state.options.get(key, OPTIONS[key][3]))

    def p_supportedOption(self) -> Any:
        return [vim.option.OptionDef(label=k, summary=v[5], key=k, optionType=_option_type(k)) for k, v in OPTIONS.items()]

    def p_setting(self) -> Any:
        return [vim.option.OptionValue(key=k, value=self._value(k)) for k in OPTIONS]

    def m_QueryOptions(self, ctx: Any, name: str | None = None) -> Any:
        """A key, a subtree ending in '.', or everything."""
        if not name:
            keys = list(OPTIONS)
        elif name.endswith("."):
            keys = [k for k in OPTIONS if k.startswith(name)]
        else:
            keys = [name] if name in OPTIONS else []
        if not keys:
            raise vim.fault.InvalidName(name=name, msg="no option %s" % name)
        return [vim.option.OptionValue(key=k, value=self._value(k)) for k in keys]

    def m_UpdateOptions(self, ctx: Any, changedValue: list[Any]) -> None:
        for change in changedValue:  # all checked before any is stored
            self._check(change)
        for change in changedValue:
            self.state.options[change.key] = change.value
        self.sim.changed()

    def _check(self, change: Any) -> None:
        spec = OPTIONS.get(change.key)
        if spec is None:
            raise vim.fault.InvalidName(name=change.key, msg="no option %s" % change.key)
        kind, low, high, _default, readonly, _summary = spec
        value = change.value
        if readonly:
            raise invalid(change.key, "%s is read-only" % change.key)
        if kind is bool:
            ok = isinstance(value, bool)
        elif kind is int:
            ok = isinstance(value, LONG) and low <= value <= high
        else:
            ok = isinstance(value, str)
        if not ok:
            raise invalid(change.key, "%s takes a %s%s" % (change.key, {bool: "boolean", int: "long", str: "string"}[kind],
                                                           " from %s to %s" % (low, high) if kind is int else ""))


class DateTimeSystem(MO):
    """NTP (or PTP) configuration; ESXi keeps its clock in UTC, the only time zone it offers."""

    WSDL, PYTYPE = "HostDateTimeSystem", vim.host.DateTimeSystem
    WRITES = frozenset({"UpdateDateTimeConfig", "UpdateDateTime"})

    def __init__(self, sim: Simulator, moid: str, state: HostServices) -> None:
        super().__init__(sim, moid)
        self.state = state

    def p_dateTimeInfo(self) -> Any:
        st = self.state
        return vim.host.DateTimeInfo(timeZone=UTC, systemClockProtocol=st.protocol,
                                     ntpConfig=vim.host.NtpConfig(server=list(st.ntp_servers), configFile=list(st.ntp_file)),
                                     enabled=st.services["ntpd"]["running"])

    def m_UpdateDateTimeConfig(self, ctx: Any, config: Any) -> None:
        if config.timeZone is not None and config.timeZone != "UTC":
            raise vim.fault.HostConfigFault(msg="ESXi supports only the UTC time zone")
        if config.protocol is not None and config.protocol not in vim.host.DateTimeInfo.ProtocolTypes.values:
            raise invalid("config.protocol")
        ntp = config.ntpConfig
        if ntp is not None:
            servers = list(ntp.server or [])
            if any(not s or " " in s for s in servers):
                raise invalid("config.ntpConfig.server")
            self.state.ntp_servers, self.state.ntp_file = servers, list(ntp.configFile or [])
        if config.protocol is not None:
            self.state.protocol = config.protocol
        self.sim.changed()

    def m_QueryDateTime(self, ctx: Any) -> Any:
        return datetime.datetime.now(datetime.UTC) + self.state.clock_offset

    def m_UpdateDateTime(self, ctx: Any, dateTime: Any) -> None:
        when = dateTime if dateTime.tzinfo else dateTime.replace(tzinfo=datetime.UTC)
        self.state.clock_offset = when - datetime.datetime.now(datetime.UTC)
        self.sim.changed()

    def m_QueryAvailableTimeZones(self, ctx: Any) -> Any:
        return [copy.deepcopy(UTC)]

    def m_RefreshDateTimeSystem(self, ctx: Any) -> None:
        return None


class PciPassthruSystem(MO):
    """Every PCI device of the host (its NICs), passthrough-capable and not enabled; UpdatePassthruConfig
    enables or disables it (active after a reboot, so ``passthruActive`` stays false) [INF]."""

    WSDL, PYTYPE = "HostPciPassthruSystem", vim.host.PciPassthruSystem
    WRITES = frozenset({"UpdatePassthruConfig"})

    def __init__(self, sim: Simulator, moid: str, host: HostModel) -> None:
        super().__init__(sim, moid)
        self.host = host
        self.enabled: dict[str, bool] = {}

    def p_pciPassthruInfo(self) -> Any:
        return [vim.host.PciPassthruInfo(id=d.id, dependentDevice=d.id, passthruEnabled=self.enabled.get(d.id, False),
                                         passthruCapable=True, passthruActive=False)
                for d in hardware_info(self.host).pciDevice]

    def m_UpdatePassthruConfig(self, ctx: Any, config: list[Any]) -> None:
        known = {d.id for d in hardware_info(self.host).pciDevice}
        for item in config:
            if item.id not in known:
                raise vim.fault.HostConfigFault(msg="PCI device %s not found" % item.id)
        for item in config:
            self.enabled[item.id] = bool(item.passthruEnabled)
        self.sim.changed()

    def m_Refresh(self, ctx: Any) -> None:
        return None


VMFS_CAPACITY = 500 * 1024 ** 3
VMFS_FREE = 480 * 1024 ** 3


class Datastore(MO):
    """The host's local VMFS 6 datastore (on its boot disk, which the simulator does not list as a SCSI LUN) [INF]."""

    WSDL, PYTYPE = "Datastore", vim.Datastore
    CAPACITY, FREE, DISK, PARTITION = VMFS_CAPACITY, VMFS_FREE, "mpx.vmhba0:C0:T0:L0", 3

    def __init__(self, sim: Simulator, moid: str, name: str, host: HostModel | None, folder: Folder | None, seed: str = "") -> None:
        super().__init__(sim, moid)
        self.name, self.host, self.folder = name, host, folder
        digest = hashlib.sha256((seed or host.name).encode()).hexdigest()  # type: ignore[union-attr]
        self.uuid = "%s-%s-%s-%s" % (digest[:8], digest[8:16], digest[16:20], digest[20:32])

    def mounts(self) -> list[HostSystem]:
        return [m for m in self.sim.of_type(vim.HostSystem) if isinstance(m, HostSystem) and m.model is self.host]

    def p_name(self) -> str:
        return self.name

    def p_parent(self) -> Any:
        return self.folder.ref if self.folder else None

    def p_overallStatus(self) -> str:
        return "green"

    def p_summary(self) -> Any:
        return vim.Datastore.Summary(datastore=self.ref, name=self.name, url="ds:///vmfs/volumes/%s/" % self.uuid, capacity=self.CAPACITY,
                                     freeSpace=self.FREE, uncommitted=0, accessible=bool(self.mounts()),
                                     multipleHostAccess=self.host is None, type="VMFS", maintenanceMode="normal")

    def p_info(self) -> Any:
        volume = vim.host.VmfsVolume(type="VMFS", name=self.name, capacity=self.CAPACITY, blockSizeMb=1, blockSize=1024,
                                     maxBlocks=63963136, majorVersion=6, version="6.82", uuid=self.uuid, vmfsUpgradable=False,
                                     ssd=True, local=self.host is not None, scsiDiskType="native512",
                                     extent=[vim.host.ScsiDisk.Partition(diskName=self.DISK, partition=self.PARTITION)])
        return vim.host.VmfsDatastoreInfo(name=self.name, url="/vmfs/volumes/%s" % self.uuid, freeSpace=self.FREE,
                                          maxFileSize=68169720922112, maxVirtualDiskCapacity=68169720922112,
                                          maxMemoryFileSize=68169720922112, maxPhysicalRDMFileSize=68169720922112,
                                          maxVirtualRDMFileSize=68169720922112, timestamp=NOW, vmfs=volume)

    def p_capability(self) -> Any:
        return vim.Datastore.Capability(directoryHierarchySupported=True, rawDiskMappingsSupported=True,
                                        perFileThinProvisioningSupported=True, storageIORMSupported=True, nativeSnapshotSupported=False,
                                        topLevelDirectoryCreateSupported=True, seSparseSupported=True, vmfsSparseSupported=False,
                                        vsanSparseSupported=False)

    def p_host(self) -> Any:
        mount = vim.host.MountInfo(path="/vmfs/volumes/%s" % self.uuid, accessMode="readWrite", mounted=True, accessible=True)
        return [vim.Datastore.HostMount(key=h.ref, mountInfo=copy.deepcopy(mount)) for h in self.mounts()]

    def p_vm(self) -> Any:
        return vim.VirtualMachine.Array()


class LunDatastore(Datastore):
    """A VMFS datastore on an array LUN (``storage_arrays[].luns[].datastore``), mounted by every host of
    the datacenter with an active path to the LUN; with no host mounting it, it leaves the inventory [INF].
    Its extent is the LUN as presented by the array's first target."""

    def __init__(self, sim: Simulator, moid: str, name: str, folder: Folder, array: dict[str, Any], lun: dict[str, Any]) -> None:
        super().__init__(sim, moid, name, None, folder, seed="%s|%s|%d" % (folder.moid, array["name"], lun["id"]))
        self.naa = luns.disk_id(array["name"], array["targets"][0], lun["id"])
        self.CAPACITY = lun["capacity_gb"] * 1024 ** 3  # pylint: disable=invalid-name
        self.FREE, self.DISK, self.PARTITION = self.CAPACITY * 9 // 10, self.naa, 1  # pylint: disable=invalid-name

    def mounts(self) -> list[HostSystem]:
        dc = self.folder.parent if self.folder else None
        return [m for m in self.sim.of_type(vim.HostSystem)
                if isinstance(m, HostSystem) and m.model.datacenter is dc and self.naa in luns.active_disks(m.model.storage)]


def lun_datastores(sim: Simulator, folder: Folder) -> list[LunDatastore]:
    """The folder's LUN datastores that some host mounts."""
    return [ds for ds in _declared(sim, folder) if ds.mounts()]


def _declared(sim: Simulator, folder: Folder) -> list[LunDatastore]:
    """Every LUN datastore the inventory declares, as objects of this datastore folder (made on first use)."""
    out = []
    for array in sim.storage_arrays:
        for lun in array["luns"]:
            if not lun.get("datastore"):
                continue
            key = ("lun-datastore", folder.moid, luns.disk_id(array["name"], array["targets"][0], lun["id"]))
            ds = sim.derived.get(key)
            if ds is None:
                ds = sim.derived[key] = LunDatastore(sim, sim.next_id("datastore") if sim.vcenter else key[2][4:28],
                                                     lun["datastore"], folder, array, lun)
                sim.register(ds)
            out.append(ds)
    return out


class DatastoreFolder(Folder):
    """A datacenter's datastore folder: the local datastores of its hosts and the LUN datastores some host mounts."""

    def entities(self) -> list[MO]:
        local = [ds for h in self.sim.hosts.values() if h.datacenter is self.parent for ds in h.datastores]
        return list(self.children) + local + lun_datastores(self.sim, self)

    def used_by(self, host: HostSystem) -> list[MO]:
        """The LUN datastores ``host`` mounts (its local ones are the host's own)."""
        declared = _declared(self.sim, self)
        if not declared:  # the common case: no LUN datastore, no LUN topology to compute
            return []
        active = luns.active_disks(host.model.storage)
        return [ds for ds in declared if ds.naa in active]


def add_host(sim: Simulator, model: HostModel, managers: dict[str, MO], suffix: str) -> None:
    """Give a host its services, advanced options, clock, PCI passthrough and local datastore."""
    state = HostServices(model)
    managers["serviceSystem"] = sim.register(ServiceSystem(sim, "serviceSystem" + suffix, state))
    managers["advancedOption"] = sim.register(AdvancedOptions(sim, "EsxHostAdvSettings" + suffix, state, model))
    managers["dateTimeSystem"] = sim.register(DateTimeSystem(sim, "dateTimeSystem" + suffix, state))
    managers["pciPassthruSystem"] = sim.register(PciPassthruSystem(sim, "pciPassthruSystem" + suffix, model))
    dc = model.datacenter
    folder = getattr(dc, "datastore_folder", None) if dc is not None else None
    if dc is not None and folder is None:
        folder = sim.register(DatastoreFolder(sim, "ha-folder-datastore" if not sim.vcenter else sim.next_id("group-s"), "datastore", dc))
        dc.datastore_folder = folder
    taken = {ds.name for h in sim.hosts.values() for ds in h.datastores}
    name, n = "datastore1", 0
    while name in taken:  # vCenter makes local datastore names unique: "datastore1 (1)", ...
        n += 1
        name = "datastore1 (%d)" % n
    moid = sim.next_id("datastore") if sim.vcenter else hashlib.sha256(model.name.encode()).hexdigest()[:24]
    model.datastores.append(sim.register(Datastore(sim, moid, name, model, folder)))


def dump(sim: Simulator) -> dict[str, Any]:
    out = {}
    for name, host in sim.hosts.items():
        st = getattr(host, "services", None)
        if st is not None:
            out[name] = {"services": st.services, "options": {k: [type(v).__name__, v] for k, v in st.options.items()},
                         "ntp": st.ntp_servers, "ntp_file": st.ntp_file, "protocol": st.protocol}
    return out


def load(sim: Simulator, data: dict[str, Any]) -> None:
    for name, saved in data.items():
        st = getattr(sim.hosts.get(name), "services", None)
        if st is None:
            continue
        st.services = {k: dict(v) for k, v in saved["services"].items()}
        st.options = {k: LONG(v) if kind == "long" else v for k, (kind, v) in saved["options"].items()}
        st.ntp_servers, st.ntp_file, st.protocol = list(saved["ntp"]), list(saved["ntp_file"]), saved["protocol"]


register_state_section("host_services", dump, load)
