"""The inventory a client traverses (folders, datacenters, clusters, standalone compute resources)
and HostSystem with its hardware. A datacenter's network and datastore folders are the subclasses
``networks.NetworkFolder`` and ``host_services.DatastoreFolder``, which add what the hosts bring
(standard networks, datastores). The hosts' state is saved with ``--state`` (section ``hosts``)."""

from __future__ import annotations

import datetime
import hashlib
from typing import Any

from pyVmomi import VmomiSupport, vim, vmodl

from . import storage
from .base import MO, NOW
from .host_model import HostModel, Vnic, network_info, pnic_pci, vnic_manager_info
from .service import new_task
from .state import Simulator, from_xml, register_state_section, to_xml


class Folder(MO):
    WSDL, PYTYPE = "Folder", vim.Folder
    WRITES = frozenset({"CreateDVS_Task"})

    def __init__(self, sim: Simulator, moid: str, name: str, parent: MO | None = None) -> None:
        super().__init__(sim, moid)
        self.name, self.parent = name, parent
        self.children: list[MO] = []

    def p_name(self) -> str:
        return self.name

    def p_parent(self) -> Any:
        return self.parent.ref if self.parent else None

    def entities(self) -> list[MO]:
        """The children (a datacenter's network and datastore folders add what the hosts bring)."""
        return list(self.children)

    def inventory_children(self) -> list[MO]:
        return self.entities()

    def used_by(self, host: HostSystem) -> list[MO]:
        """The objects of this folder ``host`` uses (networks, datastores): none in a plain folder."""
        return []

    def p_childEntity(self) -> Any:
        return vim.ManagedEntity.Array([c.ref for c in self.entities()])

    def p_overallStatus(self) -> str:
        return "green"

    def m_CreateDVS_Task(self, ctx: Any, spec: Any) -> Any:
        """Only a datacenter's network folder (``networks.NetworkFolder``) creates distributed switches."""
        fault = vmodl.fault.NotSupported(msg="a distributed switch is created in a datacenter's network folder")
        return new_task(self.sim, "CreateDVS_Task", self, error=fault).ref


class Datacenter(MO):
    WSDL, PYTYPE = "Datacenter", vim.Datacenter

    def __init__(self, sim: Simulator, moid: str, name: str, parent: MO, host_folder: Folder, network_folder: Folder | None = None) -> None:
        super().__init__(sim, moid)
        self.name, self.parent, self.host_folder, self.network_folder = name, parent, host_folder, network_folder
        self.datastore_folder: Folder | None = None  # made with the first host's datastore

    def p_name(self) -> str:
        return self.name

    def p_parent(self) -> Any:
        return self.parent.ref

    def p_hostFolder(self) -> Any:
        return self.host_folder.ref

    def p_networkFolder(self) -> Any:
        return self.network_folder.ref if self.network_folder else None

    def p_network(self) -> Any:
        """The datacenter's networks: every vim.Network in its network folder (standard port groups and dvPortgroups)."""
        return _of_kind(self.network_folder, vim.Network)

    def p_configStatus(self) -> str:
        return "green"

    def p_overallStatus(self) -> str:
        return "green"

    def p_datastore(self) -> Any:
        return _of_kind(self.datastore_folder, vim.Datastore)

    def p_datastoreFolder(self) -> Any:
        return self.datastore_folder.ref if self.datastore_folder else None

    def inventory_children(self) -> list[MO]:
        return [f for f in (self.host_folder, self.network_folder, self.datastore_folder) if f is not None]


def _of_kind(folder: Folder | None, kind: Any) -> Any:
    """The ``kind`` objects in ``folder`` (none without the folder), as a ``kind`` array."""
    return kind.Array([c.ref for c in (folder.entities() if folder else []) if issubclass(c.PYTYPE, kind)])


def _unique(refs: Any, array: Any) -> Any:
    """``refs`` without repeats, in first-seen order, as ``array``."""
    seen: dict[str, Any] = {}
    for ref in refs:
        seen.setdefault(ref._moId, ref)
    return array(list(seen.values()))


class Cluster(MO):
    WSDL, PYTYPE = "ClusterComputeResource", vim.ClusterComputeResource
    STATE_PROPS = True

    def __init__(self, sim: Simulator, moid: str, name: str, parent: MO) -> None:
        super().__init__(sim, moid)
        self.name, self.parent = name, parent
        self.hosts: list[HostSystem] = []

    def p_name(self) -> str:
        return self.name

    def p_parent(self) -> Any:
        return self.parent.ref

    def p_host(self) -> Any:
        return vim.HostSystem.Array([h.ref for h in self.hosts])

    def inventory_children(self) -> list[MO]:
        return list(self.hosts)

    def p_overallStatus(self) -> str:
        return "green"

    def p_configStatus(self) -> str:
        return "green"

    def p_datastore(self) -> Any:
        return _unique((ref for h in self.hosts for ref in h.p_datastore()), vim.Datastore.Array)

    def p_network(self) -> Any:
        return _unique((ref for h in self.hosts for ref in h.p_network()), vim.Network.Array)

    def p_configurationEx(self) -> Any:
        """What a new vCenter 8 cluster reports: HA and DRS off, swap files with the VM [INF]."""
        return vim.cluster.ConfigInfoEx(
            vmSwapPlacement="vmDirectory", spbmEnabled=True, defaultHardwareVersionKey=None,
            dasConfig=vim.cluster.DasConfigInfo(enabled=False, vmMonitoring="vmMonitoringDisabled", hostMonitoring="enabled",
                                                vmComponentProtecting="disabled", admissionControlEnabled=True,
                                                hBDatastoreCandidatePolicy="allFeasibleDsWithUserPreference"),
            drsConfig=vim.cluster.DrsConfigInfo(enabled=False, enableVmBehaviorOverrides=True, defaultVmBehavior="fullyAutomated",
                                                vmotionRate=3, scaleDescendantsShares="disabled"),
            dpmConfigInfo=vim.cluster.DpmConfigInfo(enabled=False, defaultDpmBehavior="automated", hostPowerActionRate=3))


class ComputeResource(Cluster):
    """The standalone-host wrapper vCenter and ESXi put around a HostSystem."""

    WSDL, PYTYPE = "ComputeResource", vim.ComputeResource


class HostSystem(MO):
    WSDL, PYTYPE = "HostSystem", vim.HostSystem
    WRITES = frozenset({"ReconfigureHostForDAS_Task"})
    STATE_PROPS = True

    def __init__(self, sim: Simulator, moid: str, model: HostModel, parent: MO, managers: dict[str, MO]) -> None:
        super().__init__(sim, moid)
        self.model, self.parent, self.managers = model, parent, managers
        self.name = model.name

    def p_name(self) -> str:
        return self.model.name

    def p_parent(self) -> Any:
        return self.parent.ref

    def p_configManager(self) -> Any:
        """ConfigManager with the managers the host has (the host services register theirs under their property name)."""
        m = self.managers
        return vim.host.ConfigManager(networkSystem=m["network"].ref, virtualNicManager=m["vnic"].ref,
                                      storageSystem=m["storage"].ref if "storage" in m else None,
                                      iscsiManager=m["iscsi"].ref if "iscsi" in m else None,
                                      **{k: mo.ref for k, mo in m.items() if k not in ("network", "vnic", "storage", "iscsi")})

    def p_overallStatus(self) -> str:
        return "green"

    def p_configStatus(self) -> str:
        return "green"

    def p_datastore(self) -> Any:
        """Its local datastores and those of its datacenter's datastore folder it mounts."""
        folder = getattr(self.model.datacenter, "datastore_folder", None)
        shared = folder.used_by(self) if folder is not None else []
        return vim.Datastore.Array([ds.ref for ds in list(self.model.datastores) + shared])

    def p_network(self) -> Any:
        """The networks the host is on: its VM port groups' vim.Network objects and the dvPortgroups of its switches."""
        folder = getattr(self.model.datacenter, "network_folder", None)
        return vim.Network.Array([n.ref for n in (folder.used_by(self) if folder is not None else [])])

    def p_capability(self) -> Any:
        """HostCapability of an ESXi 8.0 host (what vSphere clients test before offering a feature) [INF]."""
        yes = ("recursiveResourcePoolsSupported", "cpuMemoryResourceConfigurationSupported", "rebootSupported", "shutdownSupported",
               "vmotionSupported", "standbySupported",
               "datastorePrincipalSupported", "sanSupported", "nfsSupported", "iscsiSupported", "vlanTaggingSupported",
               "nicTeamingSupported", "highGuestMemSupported", "maintenanceModeSupported", "suspendedRelocateSupported",
               "restrictedSnapshotRelocateSupported", "perVmSwapFiles", "localSwapDatastoreSupported", "unsharedSwapVMotionSupported",
               "backgroundSnapshotsSupported", "preAssignedPCIUnitNumbersSupported", "screenshotSupported", "scaledScreenshotSupported",
               "storageVMotionSupported", "vmotionWithStorageVMotionSupported", "hbrNicSelectionSupported", "vrNfcNicSelectionSupported",
               "ftSupported", "vmotionAcrossNetworkSupported", "ipmiSupported")
        cap = vim.host.Capability(maxSupportedVMs=1024, maxRunningVMs=1024, maxSupportedVcpus=768, maxRegisteredVMs=1024,
                                  maxNumDisksSVMotion=248, maxVirtualDiskDescVersionSupported=8, replayUnsupportedReason="cpuNotSupported")
        for prop in vim.host.Capability._GetPropertyList():
            if prop.type is bool and (prop.name in yes or not prop.flags & VmomiSupport.F_OPTIONAL):
                setattr(cap, prop.name, prop.name in yes)
        return cap

    def part(self, name: str, member: str) -> Any:
        """The parts of ``config`` clients read most, built alone (the whole ConfigInfo costs every part)."""
        if name != "config":
            return None
        if member == "network":
            return network_info(self.model)
        if member == "virtualNicManagerInfo":
            return vnic_manager_info(self.model)
        if member == "storageDevice":
            return self._storage_device()
        if member == "product":
            return self.sim.about(self.model.version)
        return None

    def _storage_device(self) -> Any:
        return self.model.storage.device_info() if self.model.storage else vim.host.StorageDeviceInfo()

    def p_config(self) -> Any:
        """HostConfigInfo; the services, advanced settings and clock come from the host's managers when it has them."""
        m = self.managers
        config = vim.host.ConfigInfo(host=self.ref, product=self.sim.about(self.model.version),
                                     network=network_info(self.model), virtualNicManagerInfo=vnic_manager_info(self.model),
                                     storageDevice=self._storage_device(),
                                     hyperThread=vim.host.CpuSchedulerSystem.HyperThreadScheduleInfo(available=True, active=True, config=True),
                                     adminDisabled=False)
        if "serviceSystem" in m:
            config.service = m["serviceSystem"].prop("serviceInfo")
        if "advancedOption" in m:
            config.option, config.optionDef = m["advancedOption"].prop("setting"), m["advancedOption"].prop("supportedOption")
        if "dateTimeSystem" in m:
            config.dateTimeInfo = m["dateTimeSystem"].prop("dateTimeInfo")
        datastores = [self.sim.find(ref) for ref in self.p_datastore()]
        config.fileSystemVolume = vim.host.FileSystemVolumeInfo(volumeTypeList=["VMFS", "NFS", "NFS41", "vsan", "VVOL", "VFFS", "OTHER", "PMEM"],
                                                                mountInfo=[vim.host.FileSystemMountInfo(
                                                                    mountInfo=ds.prop("host")[0].mountInfo, volume=ds.prop("info").vmfs)
                                                                    for ds in datastores if ds is not None])
        return config

    def p_runtime(self) -> Any:
        return vim.host.RuntimeInfo(connectionState="connected", powerState="poweredOn", standbyMode="none", inMaintenanceMode=False,
                                    inQuarantineMode=False, bootTime=NOW, hostMaxVirtualDiskCapacity=68169720922112,
                                    cryptoState="incapable",
                                    dasHostState=vim.cluster.DasFdmHostState(state="uninitialized") if self.sim.vcenter else None)

    def p_hardware(self) -> Any:
        return hardware_info(self.model)

    def p_summary(self) -> Any:
        return vim.host.Summary(host=self.ref, runtime=self.p_runtime(), config=vim.host.Summary.ConfigSummary(
            name=self.model.name, port=443, product=self.sim.about(self.model.version), vmotionEnabled=bool(self.model.selected["vmotion"]),
            faultToleranceEnabled=False), overallStatus="green", rebootRequired=False,
            quickStats=vim.host.Summary.QuickStats(overallCpuUsage=0, overallMemoryUsage=0, distributedCpuFairness=0,
                                                   distributedMemoryFairness=0, uptime=86400),
            hardware=hardware_summary(self.model), managementServerIp="127.0.0.1" if self.sim.vcenter else None)

    def m_ReconfigureHostForDAS_Task(self, ctx: Any) -> Any:
        """Completes at once: the simulator has no HA agent to reconfigure [INF]."""
        return new_task(self.sim, "ReconfigureHostForDAS_Task", self).ref


# ---------------------------------------------------------------------------------------
# Building NetworkInfo from the truth
# ---------------------------------------------------------------------------------------


# A fixed, plausible server for every simulated host: what clients read next to the NICs [INF].
CPU = {"vendor": "intel", "model": "Intel(R) Xeon(R) Gold 6338 CPU @ 2.00GHz", "mhz": 2000, "packages": 2, "cores": 64, "threads": 128}
MEMORY = 512 * 1024 ** 3
NIC_PCI_NAME = ("Intel(R)", "Ethernet Controller E810-XXV for SFP")


def hardware_summary(host: HostModel) -> Any:
    return vim.host.Summary.HardwareSummary(
        vendor="VMware, Inc.", model="Simulated ESXi host", uuid=_host_uuid(host), memorySize=MEMORY, cpuModel=CPU["model"],
        cpuMhz=CPU["mhz"], numCpuPkgs=CPU["packages"], numCpuCores=CPU["cores"], numCpuThreads=CPU["threads"],
        numNics=len(host.pnics), numHBAs=len(host.storage.adapters) if host.storage else 0)


def hardware_info(host: HostModel) -> Any:
    """HostHardwareInfo: the system, CPU and memory of ``hardware_summary`` and one PCI device per pnic
    (the ``pci`` address its PhysicalNic reports, so clients can name the adapter)."""
    pci = [vim.host.PciDevice(id=pnic_pci(host, d), classId=0x0200, bus=0, slot=i, function=0, vendorId=-32634, subVendorId=-32634,
                              vendorName=NIC_PCI_NAME[0], deviceId=5433, subDeviceId=2, parentBridge="0000:00:00.0",
                              deviceName=NIC_PCI_NAME[1])
           for i, d in enumerate(sorted(host.pnics))]
    return vim.host.HardwareInfo(
        systemInfo=vim.host.SystemInfo(vendor="VMware, Inc.", model="Simulated ESXi host", uuid=_host_uuid(host)),
        cpuInfo=vim.host.CpuInfo(numCpuPackages=CPU["packages"], numCpuCores=CPU["cores"], numCpuThreads=CPU["threads"],
                                 hz=CPU["mhz"] * 1000000),
        cpuPkg=[vim.host.CpuPackage(index=n, vendor=CPU["vendor"], hz=CPU["mhz"] * 1000000, busHz=100000000,
                                    description=CPU["model"],
                                    threadId=list(range(n * CPU["threads"] // CPU["packages"], (n + 1) * CPU["threads"] // CPU["packages"])))
                for n in range(CPU["packages"])],
        memorySize=MEMORY, smcPresent=False, pciDevice=pci,
        biosInfo=vim.host.BIOSInfo(biosVersion="VMW201.00V.21805430.B64.2305221830", releaseDate=datetime.datetime(2023, 5, 22, tzinfo=datetime.UTC),
                                   vendor="VMware, Inc.", firmwareType="UEFI"))


def _host_uuid(host: HostModel) -> str:
    digest = hashlib.sha256(host.name.encode()).hexdigest()
    return "%s-%s-%s-%s-%s" % (digest[:8], digest[8:12], digest[12:16], digest[16:20], digest[20:32])


def dump_hosts(sim: Simulator) -> dict[str, Any]:
    """The hosts' networking and storage truth (``--state``), specs as pyVmomi XML."""
    return {name: {
        "vswitches": {n: to_xml(s) for n, s in h.vswitches.items()},
        "portgroups": {n: to_xml(s) for n, s in h.portgroups.items()},
        "vnics": {d: {"portgroup": v.portgroup, "mac": v.mac, "spec": to_xml(v.spec)} for d, v in h.vnics.items()},
        "selected": {t: sorted(d) for t, d in h.selected.items()},
        "dns": to_xml(h.dns),
        "route": to_xml(h.route),
        "storage": storage.dump(h.storage) if h.storage else None,
    } for name, h in sim.hosts.items()}


def load_hosts(sim: Simulator, data: dict[str, Any]) -> None:
    for name, saved in data.items():
        if name in sim.hosts:
            _load_host(sim.hosts[name], saved)


def _load_host(h: HostModel, data: dict[str, Any]) -> None:
    h.vswitches = {n: from_xml(x, vim.host.VirtualSwitch.Specification) for n, x in data["vswitches"].items()}
    h.portgroups = {n: from_xml(x, vim.host.PortGroup.Specification) for n, x in data["portgroups"].items()}
    h.vnics = {d: Vnic(v["portgroup"], from_xml(v["spec"], vim.host.VirtualNic.Specification), v["mac"]) for d, v in data["vnics"].items()}
    h.selected = {t: set(d) for t, d in data["selected"].items()}
    if data.get("dns"):
        h.dns = from_xml(data["dns"], vim.host.DnsConfig)
    if data.get("route"):
        h.route = from_xml(data["route"], vim.host.IpRouteConfig)
    if h.storage and data.get("storage"):
        storage.load(h.storage, data["storage"])


register_state_section("hosts", dump_hosts, load_hosts)
