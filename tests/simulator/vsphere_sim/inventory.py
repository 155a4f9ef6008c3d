"""Inventory YAML -> a populated Simulator. Bad data raises InventoryError naming the YAML path.

Format (see tests/simulator/README.md):
  credentials: {username, password}
  host_defaults: {...}            # optional, merged under every host
  vcenter: {datacenters: [{name, clusters: [{name, hosts: [...]}], hosts: [...]}]}
  | esxi: {<one host>}
Host: name, version, pnics [{device, link_speed, driver, mac}], vswitches [{name, uplinks, mtu,
teaming}], portgroups [{name, vswitch, vlan, teaming}], vmks [{device, portgroup | dvportgroup,
ip, netmask, gateway, dhcp, mtu, netstack, services}], iscsi {...}. A vcenter datacenter may hold
distributed_switches [{name, uplinks, mtu, lags [{name, mode, uplinks, load_balance}],
portgroups [{name, vlan, teaming}], hosts [{name, pnics: {vmnicN: uplink port}}]}]; vmks on a
dvportgroup are created once the datacenter's switches exist. Other per-host or top-level keys
must be registered by a plugin with register_host_section / register_top_section.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import yaml
from pyVmomi import vim, vmodl

from . import dvs, host_services, iscsi, networks, storage
from .base import MO
from .host import Cluster, ComputeResource, Datacenter, Folder, HostSystem
from .host_model import HostModel, default_switch_policy, merge
from .host_network import NetworkSystem, VirtualNicManager
from .service import PropertyCollector, ServiceInstance, SessionManager, ViewManager
from .state import Simulator

HostBuilder = Callable[[Simulator, HostModel, Any, str], None]
TopBuilder = Callable[[Simulator, Any, str], None]
_HOST_SECTIONS: dict[str, HostBuilder] = {}
_TOP_SECTIONS: dict[str, TopBuilder] = {}
HOST_KEYS = {"name", "version", "pnics", "vswitches", "portgroups", "vmks", "iscsi"}
POLICIES = {"srcid": "loadbalance_srcid", "srcmac": "loadbalance_srcmac", "iphash": "loadbalance_ip",
            "failover_explicit": "failover_explicit"}
DVS_POLICIES = dict(POLICIES, loadbased="loadbalance_loadbased")
DEFAULT_DV_UPLINKS = ["dvUplink1", "dvUplink2", "dvUplink3", "dvUplink4"]
NETSTACKS = {"default": "defaultTcpipStack", "vmotion": "vmotion", "provisioning": "vSphereProvisioning"}


class InventoryError(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__("inventory error at %s: %s" % (path, message))
        self.path = path


def register_host_section(key: str, builder: HostBuilder) -> None:
    _HOST_SECTIONS[key] = builder


def register_top_section(key: str, builder: TopBuilder) -> None:
    _TOP_SECTIONS[key] = builder


def load(path: str, state_file: str | None = None, latency_ms: int = 0) -> Simulator:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as err:
        raise InventoryError("<file>", str(err)) from None
    return build(data, state_file, latency_ms)


def build(data: Any, state_file: str | None = None, latency_ms: int = 0) -> Simulator:
    _require(isinstance(data, dict), "<root>", "the inventory must be a mapping")
    creds = data.get("credentials")
    _require(isinstance(creds, dict) and "username" in creds and "password" in creds, "credentials",
             "give credentials: {username: ..., password: ...}")
    known = {"credentials", "host_defaults", "vcenter", "esxi", "storage_arrays"} | set(_TOP_SECTIONS)
    for key in data:
        _require(key in known, key, "unknown top-level key (known: %s)" % ", ".join(sorted(known)))
    _require(("vcenter" in data) != ("esxi" in data), "<root>", "give exactly one of vcenter or esxi")
    sim = Simulator((str(creds["username"]), str(creds["password"])), state_file, latency_ms)
    _PENDING_DV_VMKS.clear()  # left over from an earlier build that failed
    sim.storage_arrays = _arrays(data.get("storage_arrays") or [])
    defaults = data.get("host_defaults") or {}
    _service_objects(sim, esxi="esxi" in data)
    if "esxi" in data:
        sim.vcenter = False
        _build_esxi(sim, data["esxi"], defaults)
    else:
        _build_vcenter(sim, data["vcenter"], defaults)
    for key, builder in _TOP_SECTIONS.items():
        if key in data:
            builder(sim, data[key], key)
    networks.install(sim)
    return sim


def _require(cond: bool, path: str, message: str) -> None:
    if not cond:
        raise InventoryError(path, message)


def _service_objects(sim: Simulator, esxi: bool) -> None:
    sim.service_instance = sim.register(ServiceInstance(sim, "ServiceInstance"))
    sim.pc = sim.register(PropertyCollector(sim, "ha-property-collector" if esxi else "propertyCollector"))
    sim.view_manager = sim.register(ViewManager(sim, "ViewManager"))
    sim.session_manager = sim.register(SessionManager(sim, "ha-sessionmgr" if esxi else "SessionManager"))
    sim.root = sim.register(Folder(sim, "ha-folder-root" if esxi else "group-d1", "Datacenters"))


def _build_esxi(sim: Simulator, host: Any, defaults: dict[str, Any]) -> None:
    dc_folder = sim.root
    host_folder = sim.register(Folder(sim, "ha-folder-host", "host"))
    network_folder = sim.register(networks.NetworkFolder(sim, "ha-folder-network", "network"))
    dc = sim.register(Datacenter(sim, "ha-datacenter", "ha-datacenter", dc_folder, host_folder, network_folder))
    dc_folder.children.append(dc)
    host_folder.parent = network_folder.parent = dc
    compute = sim.register(ComputeResource(sim, "ha-compute-res", str(_get(host, "name", "esxi")), host_folder))
    host_folder.children.append(compute)
    compute.hosts.append(_build_host(sim, host, defaults, "esxi", compute, esxi=True))


def _build_vcenter(sim: Simulator, vc: Any, defaults: dict[str, Any]) -> None:
    _require(isinstance(vc, dict) and isinstance(vc.get("datacenters"), list), "vcenter.datacenters", "a list of datacenters is required")
    for i, dcd in enumerate(vc["datacenters"]):
        path = "vcenter.datacenters[%d]" % i
        _require(isinstance(dcd, dict) and "name" in dcd, path, "a datacenter needs a name")
        unknown = set(dcd) - {"name", "clusters", "hosts", "distributed_switches"}
        _require(not unknown, path, "unknown key(s) %s" % ", ".join(sorted(unknown)))
        host_folder = sim.register(Folder(sim, sim.next_id("group-h"), "host"))
        network_folder = sim.register(networks.NetworkFolder(sim, sim.next_id("group-n"), "network"))
        dc = sim.register(Datacenter(sim, sim.next_id("datacenter"), str(dcd["name"]), sim.root, host_folder, network_folder))
        host_folder.parent = network_folder.parent = dc
        sim.root.children.append(dc)
        for j, cd in enumerate(dcd.get("clusters") or []):
            cpath = "%s.clusters[%d]" % (path, j)
            _require(isinstance(cd, dict) and "name" in cd, cpath, "a cluster needs a name")
            cluster = sim.register(Cluster(sim, sim.next_id("domain-c"), str(cd["name"]), host_folder))
            host_folder.children.append(cluster)
            for k, hd in enumerate(cd.get("hosts") or []):
                cluster.hosts.append(_build_host(sim, hd, defaults, "%s.hosts[%d]" % (cpath, k), cluster))
        for k, hd in enumerate(dcd.get("hosts") or []):
            hpath = "%s.hosts[%d]" % (path, k)
            compute = sim.register(ComputeResource(sim, sim.next_id("domain-s"), str(_get(hd, "name", hpath)), host_folder))
            host_folder.children.append(compute)
            compute.hosts.append(_build_host(sim, hd, defaults, hpath, compute))
        for k, sd in enumerate(_list(dcd.get("distributed_switches"), path + ".distributed_switches")):
            _distributed_switch(sim, network_folder, sd, "%s.distributed_switches[%d]" % (path, k))
        for net, vnic_mgr, vmk, vpath in _PENDING_DV_VMKS:
            _vmk(net, vnic_mgr, vmk, vpath, network_folder)
        _PENDING_DV_VMKS.clear()


def _get(d: Any, key: str, path: str) -> Any:
    _require(isinstance(d, dict) and key in d, path, "missing %r" % key)
    return d[key]


def _build_host(sim: Simulator, raw: Any, defaults: dict[str, Any], path: str, parent: MO, esxi: bool = False) -> HostSystem:
    _require(isinstance(raw, dict), path, "a host must be a mapping")
    data = copy.deepcopy(defaults)
    data.update(raw)
    name = str(_get(data, "name", path))
    _require(name not in sim.hosts, path + ".name", "duplicate host name %s" % name)
    unknown = set(data) - HOST_KEYS - set(_HOST_SECTIONS)
    _require(not unknown, path, "unknown key(s) %s" % ", ".join(sorted(unknown)))
    model = HostModel(sim, name, str(data.get("version", "8.0.3")))
    model.datacenter = parent.parent.parent  # cluster or compute resource -> host folder -> datacenter
    sim.hosts[name] = model
    n = len(sim.hosts)
    suffix = "" if esxi else "-%d" % n
    managers = {
        "network": sim.register(NetworkSystem(sim, "networkSystem" + suffix, model)),
        "vnic": sim.register(VirtualNicManager(sim, "ha-vnic-mgr" + suffix, model)),
        "storage": sim.register(storage.StorageSystem(sim, "storageSystem" + suffix, model)),
        "iscsi": sim.register(iscsi.IscsiManager(sim, "iscsiManager" + suffix, model)),
    }
    host_services.add_host(sim, model, managers, suffix)
    host = HostSystem(sim, "ha-host" if esxi else "host-%d" % (10 + n), model, parent, managers)
    sim.register(host)
    _pnics(model, data.get("pnics") or [], path + ".pnics", n)
    net = managers["network"]
    for i, sw in enumerate(data.get("vswitches") or []):
        _vswitch(net, sw, "%s.vswitches[%d]" % (path, i))
    for i, pg in enumerate(data.get("portgroups") or []):
        _portgroup(net, pg, "%s.portgroups[%d]" % (path, i))
    for i, vmk in enumerate(data.get("vmks") or []):
        vpath = "%s.vmks[%d]" % (path, i)
        if isinstance(vmk, dict) and "dvportgroup" in vmk:
            _require(not esxi, vpath + ".dvportgroup", "distributed switches need a vcenter inventory")
            _PENDING_DV_VMKS.append((net, managers["vnic"], vmk, vpath))  # once the datacenter's switches exist
        else:
            _vmk(net, managers["vnic"], vmk, vpath)
    if data.get("iscsi"):
        _iscsi(managers["storage"], data["iscsi"], path + ".iscsi")
    for key, builder in _HOST_SECTIONS.items():
        if key in data:
            builder(sim, model, data[key], "%s.%s" % (path, key))
    return host


def _pnics(model: HostModel, pnics: list[Any], path: str, n: int) -> None:
    for i, p in enumerate(pnics):
        ppath = "%s[%d]" % (path, i)
        device = str(_get(p, "device", ppath))
        _require(device.startswith("vmnic"), ppath + ".device", "a physical NIC is named vmnicN")
        speed = p.get("link_speed", 10000)
        _require(isinstance(speed, int) and speed >= 0, ppath + ".link_speed", "Mb/s as a non-negative integer (0 = link down)")
        model.pnics[device] = (speed, str(p.get("driver", "ixgben")), str(p.get("mac", "00:1b:21:%02x:%02x:%02x" % (n, i, 0))))


def _teaming(t: Any, path: str, switch: bool) -> Any | None:
    if not t:
        return None
    _require(isinstance(t, dict), path, "teaming must be a mapping")
    team = vim.host.NetworkPolicy.NicTeamingPolicy()
    if "policy" in t:
        _require(t["policy"] in POLICIES, path + ".policy", "one of %s" % ", ".join(POLICIES))
        team.policy = POLICIES[t["policy"]]
    if "active" in t or "standby" in t:
        team.nicOrder = vim.host.NetworkPolicy.NicOrderPolicy(activeNic=list(t.get("active") or []), standbyNic=list(t.get("standby") or []))
    if "failback" in t:
        team.rollingOrder = not t["failback"]
    if "notify_switches" in t:
        team.notifySwitches = bool(t["notify_switches"])
    if "failure_detection" in t:
        team.failureCriteria = vim.host.NetworkPolicy.NicFailureCriteria(checkBeacon=t["failure_detection"] == "beacon_probing")
    return team


def _fault_text(err: Exception) -> str:
    return getattr(err, "msg", None) or type(err).__name__


def _vswitch(net: NetworkSystem, sw: Any, path: str) -> None:
    name = str(_get(sw, "name", path))
    for nic in sw.get("uplinks") or []:
        _require(nic in net.host.pnics, path + ".uplinks", "%s is not a physical NIC of %s" % (nic, net.host.name))
    bridge = vim.host.VirtualSwitch.BondBridge(nicDevice=list(sw.get("uplinks") or []),
                                               beacon=vim.host.VirtualSwitch.BeaconConfig(interval=sw["beacon_interval"])
                                               if sw.get("beacon_interval") else None) if sw.get("uplinks") else None
    spec = vim.host.VirtualSwitch.Specification(numPorts=128, bridge=bridge, mtu=sw.get("mtu", 1500))
    spec.policy = default_switch_policy(list(sw.get("uplinks") or []))
    team = _teaming(sw.get("teaming"), path + ".teaming", True)
    if team is not None:
        spec.policy.nicTeaming = merge(team, spec.policy.nicTeaming)
    try:
        net.add_switch(name, spec)
    except vmodl.MethodFault as err:  # the host's own checks, reported with the YAML path
        raise InventoryError(path, _fault_text(err)) from None


def _portgroup(net: NetworkSystem, pg: Any, path: str) -> None:
    spec = vim.host.PortGroup.Specification(name=str(_get(pg, "name", path)), vswitchName=str(_get(pg, "vswitch", path)),
                                            vlanId=int(pg.get("vlan", 0)), policy=vim.host.NetworkPolicy())
    team = _teaming(pg.get("teaming"), path + ".teaming", False)
    if team is not None:
        spec.policy.nicTeaming = team
    try:
        net.add_pg(spec)
    except vmodl.MethodFault as err:  # the host's own checks, reported with the YAML path
        raise InventoryError(path, _fault_text(err)) from None


def _vmk(net: NetworkSystem, vnic_mgr: VirtualNicManager, vmk: Any, path: str, dv_folder: Folder | None = None) -> None:
    device = str(_get(vmk, "device", path))
    _require(("portgroup" in vmk) != ("dvportgroup" in vmk), path, "give exactly one of portgroup or dvportgroup")
    ip = vim.host.IpConfig(dhcp=True) if vmk.get("dhcp") else vim.host.IpConfig(
        dhcp=False, ipAddress=str(_get(vmk, "ip", path)), subnetMask=str(vmk.get("netmask", "255.255.255.0")))
    stack = vmk.get("netstack", "default")
    _require(stack in NETSTACKS, path + ".netstack", "one of %s" % ", ".join(NETSTACKS))
    spec = vim.host.VirtualNic.Specification(ip=ip, mtu=vmk.get("mtu", 1500), netStackInstanceKey=NETSTACKS[stack])
    if vmk.get("gateway"):
        spec.ipRouteSpec = vim.host.VirtualNic.IpRouteSpec(ipRouteConfig=vim.host.IpRouteConfig(defaultGateway=vmk["gateway"]))
    if "dvportgroup" in vmk:
        pg = dvs.find_portgroup(net.sim, str(vmk["dvportgroup"]), dv_folder)
        _require(pg is not None, path + ".dvportgroup", "no dvPortgroup %s in this datacenter" % vmk["dvportgroup"])
        spec.distributedVirtualPort = vim.dvs.PortConnection(switchUuid=pg.switch.uuid, portgroupKey=pg.moid)
    try:
        net.add_vnic(str(vmk.get("portgroup", "")), spec, device)
        for service in vmk.get("services") or []:
            vnic_mgr._check(service, device)  # pylint: disable=protected-access
            net.host.selected.setdefault(service, set()).add(device)
    except vmodl.MethodFault as err:  # the host's own checks, reported with the YAML path
        raise InventoryError(path, _fault_text(err)) from None


_PENDING_DV_VMKS: list[tuple[NetworkSystem, VirtualNicManager, Any, str]] = []


def _list(value: Any, path: str) -> list[Any]:
    _require(value is None or isinstance(value, list), path, "a list")
    return value or []


def _distributed_switch(sim: Simulator, folder: Folder, data: Any, path: str) -> None:
    """One distributed switch, built through the same checks as the API methods."""
    _require(isinstance(data, dict), path, "a distributed switch must be a mapping")
    unknown = set(data) - {"name", "uplinks", "mtu", "lags", "portgroups", "hosts"}
    _require(not unknown, path, "unknown key(s) %s" % ", ".join(sorted(unknown)))
    VDS = vim.dvs.VmwareDistributedVirtualSwitch  # pylint: disable=invalid-name
    step = path
    try:
        switch = dvs.new_switch(sim, folder, str(_get(data, "name", path)), [str(u) for u in data.get("uplinks") or DEFAULT_DV_UPLINKS])
        if "mtu" in data:
            step = path + ".mtu"
            switch.reconfigure(VDS.ConfigSpec(configVersion=str(switch.state.version), maxMtu=data["mtu"]))
        lags = _list(data.get("lags"), path + ".lags")
        for i, lag in enumerate(lags):
            step = "%s.lags[%d]" % (path, i)
            _require(isinstance(lag, dict), step, "a LAG must be a mapping")
            config = VDS.LacpGroupConfig(name=str(_get(lag, "name", step)), mode=lag.get("mode", "active"), uplinkNum=_get(lag, "uplinks", step),
                                         loadbalanceAlgorithm=lag.get("load_balance", "srcDestIpTcpUdpPortVlan"))
            switch.update_lags([VDS.LacpGroupSpec(lacpGroupConfig=config, operation="add")])
        for i, member in enumerate(_list(data.get("hosts"), path + ".hosts")):
            step = "%s.hosts[%d]" % (path, i)
            host = str(_get(member, "name", step))
            _require(host in sim.hosts, step + ".name", "unknown host %s" % host)
            pnics = member.get("pnics") or {}
            _require(isinstance(pnics, dict), step + ".pnics", "a mapping vmnicN: uplink port name")
            switch.reconfigure(VDS.ConfigSpec(configVersion=str(switch.state.version),
                                              host=[dvs.member_spec(sim, switch, host, {}, "add")]))
            if pnics:
                spec = dvs.member_spec(sim, switch, host, {str(k): str(v) for k, v in pnics.items()}, "edit")
                switch.reconfigure(VDS.ConfigSpec(configVersion=str(switch.state.version), host=[spec]))
        for i, pgd in enumerate(_list(data.get("portgroups"), path + ".portgroups")):
            step = "%s.portgroups[%d]" % (path, i)
            _require(isinstance(pgd, dict), step, "a dvPortgroup must be a mapping")
            team = pgd.get("teaming") or {}
            _require(isinstance(team, dict), step + ".teaming", "teaming must be a mapping")
            if "policy" in team:
                _require(team["policy"] in DVS_POLICIES, step + ".teaming.policy", "one of %s" % ", ".join(DVS_POLICIES))
            order = "active" in team or "standby" in team
            setting = dvs.port_setting(vlan=int(pgd.get("vlan", 0)), policy_name=DVS_POLICIES.get(team.get("policy")),
                                       active=team.get("active") if order else None, standby=team.get("standby") if order else None,
                                       failback=team.get("failback"), notify=team.get("notify_switches"))
            spec = vim.dvs.DistributedVirtualPortgroup.ConfigSpec(name=str(_get(pgd, "name", step)), type="earlyBinding", numPorts=8,
                                                                  defaultPortConfig=setting)
            switch.create_portgroup(spec)
    except vmodl.MethodFault as err:  # vCenter's own checks, reported with the YAML path
        raise InventoryError(step, _fault_text(err)) from None


def _arrays(arrays: Any) -> list[dict[str, Any]]:
    """storage_arrays: [{name, portals: [{address, port}], targets: [{iqn}], luns: [{id, capacity_gb, datastore}]}]."""
    _require(isinstance(arrays, list), "storage_arrays", "a list of arrays")
    out = []
    for i, arr in enumerate(arrays):
        path = "storage_arrays[%d]" % i
        portals = [(str(_get(p, "address", "%s.portals[%d]" % (path, j))), int(p.get("port", 3260)))
                   for j, p in enumerate(_get(arr, "portals", path))]
        targets = [str(_get(t, "iqn", "%s.targets[%d]" % (path, j))) for j, t in enumerate(_get(arr, "targets", path))]
        _require(bool(portals) and bool(targets), path, "an array needs at least one portal and one target")
        luns = []
        for j, lun in enumerate(_list(arr.get("luns"), path + ".luns")):
            lpath = "%s.luns[%d]" % (path, j)
            number, size = _get(lun, "id", lpath), lun.get("capacity_gb", 1024)
            _require(isinstance(number, int) and 0 <= number < 16384, lpath + ".id", "a LUN number 0-16383")
            _require(isinstance(size, int) and size > 0, lpath + ".capacity_gb", "a positive integer")
            datastore = lun.get("datastore")
            _require(datastore is None or (isinstance(datastore, str) and 0 < len(datastore) <= 42), lpath + ".datastore",
                     "a datastore name (1-42 characters)")
            luns.append({"id": number, "capacity_gb": size, "datastore": datastore})
        out.append({"name": str(_get(arr, "name", path)), "portals": portals, "targets": targets, "luns": luns})
    return out


def _iscsi(system: storage.StorageSystem, data: Any, path: str) -> None:
    """Per-host iscsi: {software_iscsi: true, dependent_adapters: [{device: vmhba2, pnic: vmnic3}]}."""
    _require(isinstance(data, dict), path, "iscsi must be a mapping")
    unknown = set(data) - {"software_iscsi", "dependent_adapters"}
    _require(not unknown, path, "unknown key(s) %s" % ", ".join(sorted(unknown)))
    for i, dep in enumerate(data.get("dependent_adapters") or []):
        dpath = "%s.dependent_adapters[%d]" % (path, i)
        device, pnic = str(_get(dep, "device", dpath)), str(_get(dep, "pnic", dpath))
        _require(device.startswith("vmhba") and device not in system.adapters, dpath + ".device", "a new vmhbaN name")
        _require(pnic in system.host.pnics, dpath + ".pnic", "%s is not a physical NIC of %s" % (pnic, system.host.name))
        system.add_dependent(device, pnic)
    if data.get("software_iscsi"):
        system.m_UpdateSoftwareInternetScsiEnabled(None, True)
