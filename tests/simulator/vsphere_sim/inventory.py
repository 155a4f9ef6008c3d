"""Inventory YAML -> a populated Simulator. Bad data raises InventoryError naming the YAML path.

Format (see tests/simulator/README.md):
  credentials: {username, password}
  host_defaults: {...}            # optional, merged under every host
  vcenter: {datacenters: [{name, clusters: [{name, hosts: [...]}], hosts: [...]}]}
  | esxi: {<one host>}
Host: name, version, pnics [{device, link_speed, driver, mac}], vswitches [{name, uplinks, mtu,
teaming}], portgroups [{name, vswitch, vlan, teaming}], vmks [{device, portgroup, ip, netmask,
gateway, dhcp, mtu, netstack, services}]. Other per-host or top-level keys must be registered
by a plugin with register_host_section / register_top_section.
"""

from __future__ import annotations

import copy
from typing import Any, Callable, Dict, List, Optional

import yaml
from pyVmomi import vim, vmodl

from . import iscsi, storage
from . import objects as o
from .state import Simulator

HostBuilder = Callable[[Simulator, o.HostModel, Any, str], None]
TopBuilder = Callable[[Simulator, Any, str], None]
_HOST_SECTIONS: Dict[str, HostBuilder] = {}
_TOP_SECTIONS: Dict[str, TopBuilder] = {}
HOST_KEYS = {"name", "version", "pnics", "vswitches", "portgroups", "vmks", "iscsi"}
POLICIES = {"srcid": "loadbalance_srcid", "srcmac": "loadbalance_srcmac", "iphash": "loadbalance_ip",
            "failover_explicit": "failover_explicit"}
NETSTACKS = {"default": "defaultTcpipStack", "vmotion": "vmotion", "provisioning": "vSphereProvisioning"}


class InventoryError(Exception):
    def __init__(self, path: str, message: str) -> None:
        super().__init__("inventory error at %s: %s" % (path, message))
        self.path = path


def register_host_section(key: str, builder: HostBuilder) -> None:
    _HOST_SECTIONS[key] = builder


def register_top_section(key: str, builder: TopBuilder) -> None:
    _TOP_SECTIONS[key] = builder


def load(path: str, state_file: Optional[str] = None, latency_ms: int = 0) -> Simulator:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except (OSError, yaml.YAMLError) as err:
        raise InventoryError("<file>", str(err)) from None
    return build(data, state_file, latency_ms)


def build(data: Any, state_file: Optional[str] = None, latency_ms: int = 0) -> Simulator:
    _require(isinstance(data, dict), "<root>", "the inventory must be a mapping")
    creds = data.get("credentials")
    _require(isinstance(creds, dict) and "username" in creds and "password" in creds, "credentials",
             "give credentials: {username: ..., password: ...}")
    known = {"credentials", "host_defaults", "vcenter", "esxi", "storage_arrays"} | set(_TOP_SECTIONS)
    for key in data:
        _require(key in known, key, "unknown top-level key (known: %s)" % ", ".join(sorted(known)))
    _require(("vcenter" in data) != ("esxi" in data), "<root>", "give exactly one of vcenter or esxi")
    sim = Simulator((str(creds["username"]), str(creds["password"])), state_file, latency_ms)
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
    return sim


def _require(cond: bool, path: str, message: str) -> None:
    if not cond:
        raise InventoryError(path, message)


def _service_objects(sim: Simulator, esxi: bool) -> None:
    sim.service_instance = sim.register(o.ServiceInstance(sim, "ServiceInstance"))
    sim.pc = sim.register(o.PropertyCollector(sim, "ha-property-collector" if esxi else "propertyCollector"))
    sim.view_manager = sim.register(o.ViewManager(sim, "ViewManager"))
    sim.session_manager = sim.register(o.SessionManager(sim, "ha-sessionmgr" if esxi else "SessionManager"))
    sim.root = sim.register(o.Folder(sim, "ha-folder-root" if esxi else "group-d1", "Datacenters"))


def _build_esxi(sim: Simulator, host: Any, defaults: Dict[str, Any]) -> None:
    dc_folder = sim.root
    host_folder = sim.register(o.Folder(sim, "ha-folder-host", "host"))
    network_folder = sim.register(o.Folder(sim, "ha-folder-network", "network"))
    dc = sim.register(o.Datacenter(sim, "ha-datacenter", "ha-datacenter", dc_folder, host_folder, network_folder))
    dc_folder.children.append(dc)
    host_folder.parent = network_folder.parent = dc
    compute = sim.register(o.ComputeResource(sim, "ha-compute-res", str(_get(host, "name", "esxi")), host_folder))
    host_folder.children.append(compute)
    compute.hosts.append(_build_host(sim, host, defaults, "esxi", compute, esxi=True))


def _build_vcenter(sim: Simulator, vc: Any, defaults: Dict[str, Any]) -> None:
    _require(isinstance(vc, dict) and isinstance(vc.get("datacenters"), list), "vcenter.datacenters", "a list of datacenters is required")
    for i, dcd in enumerate(vc["datacenters"]):
        path = "vcenter.datacenters[%d]" % i
        _require(isinstance(dcd, dict) and "name" in dcd, path, "a datacenter needs a name")
        unknown = set(dcd) - {"name", "clusters", "hosts"}
        _require(not unknown, path, "unknown key(s) %s" % ", ".join(sorted(unknown)))
        host_folder = sim.register(o.Folder(sim, sim.next_id("group-h"), "host"))
        network_folder = sim.register(o.Folder(sim, sim.next_id("group-n"), "network"))
        dc = sim.register(o.Datacenter(sim, sim.next_id("datacenter"), str(dcd["name"]), sim.root, host_folder, network_folder))
        host_folder.parent = network_folder.parent = dc
        sim.root.children.append(dc)
        for j, cd in enumerate(dcd.get("clusters") or []):
            cpath = "%s.clusters[%d]" % (path, j)
            _require(isinstance(cd, dict) and "name" in cd, cpath, "a cluster needs a name")
            cluster = sim.register(o.Cluster(sim, sim.next_id("domain-c"), str(cd["name"]), host_folder))
            host_folder.children.append(cluster)
            for k, hd in enumerate(cd.get("hosts") or []):
                cluster.hosts.append(_build_host(sim, hd, defaults, "%s.hosts[%d]" % (cpath, k), cluster))
        for k, hd in enumerate(dcd.get("hosts") or []):
            hpath = "%s.hosts[%d]" % (path, k)
            compute = sim.register(o.ComputeResource(sim, sim.next_id("domain-s"), str(_get(hd, "name", hpath)), host_folder))
            host_folder.children.append(compute)
            compute.hosts.append(_build_host(sim, hd, defaults, hpath, compute))


def _get(d: Any, key: str, path: str) -> Any:
    _require(isinstance(d, dict) and key in d, path, "missing %r" % key)
    return d[key]


def _build_host(sim: Simulator, raw: Any, defaults: Dict[str, Any], path: str, parent: o.MO, esxi: bool = False) -> o.HostSystem:
    _require(isinstance(raw, dict), path, "a host must be a mapping")
    data = copy.deepcopy(defaults)
    data.update(raw)
    name = str(_get(data, "name", path))
    _require(name not in sim.hosts, path + ".name", "duplicate host name %s" % name)
    unknown = set(data) - HOST_KEYS - set(_HOST_SECTIONS)
    _require(not unknown, path, "unknown key(s) %s" % ", ".join(sorted(unknown)))
    model = o.HostModel(sim, name, str(data.get("version", "8.0.3")))
    sim.hosts[name] = model
    n = len(sim.hosts)
    suffix = "" if esxi else "-%d" % n
    managers = {
        "network": sim.register(o.NetworkSystem(sim, "networkSystem" + suffix, model)),
        "vnic": sim.register(o.VirtualNicManager(sim, "ha-vnic-mgr" + suffix, model)),
        "storage": sim.register(storage.StorageSystem(sim, "storageSystem" + suffix, model)),
        "iscsi": sim.register(iscsi.IscsiManager(sim, "iscsiManager" + suffix, model)),
    }
    host = o.HostSystem(sim, "ha-host" if esxi else "host-%d" % (10 + n), model, parent, managers)
    sim.register(host)
    _pnics(model, data.get("pnics") or [], path + ".pnics", n)
    net = managers["network"]
    for i, sw in enumerate(data.get("vswitches") or []):
        _vswitch(net, sw, "%s.vswitches[%d]" % (path, i))
    for i, pg in enumerate(data.get("portgroups") or []):
        _portgroup(net, pg, "%s.portgroups[%d]" % (path, i))
    for i, vmk in enumerate(data.get("vmks") or []):
        _vmk(net, managers["vnic"], vmk, "%s.vmks[%d]" % (path, i))
    if data.get("iscsi"):
        _iscsi(managers["storage"], data["iscsi"], path + ".iscsi")
    for key, builder in _HOST_SECTIONS.items():
        if key in data:
            builder(sim, model, data[key], "%s.%s" % (path, key))
    return host


def _pnics(model: o.HostModel, pnics: List[Any], path: str, n: int) -> None:
    for i, p in enumerate(pnics):
        ppath = "%s[%d]" % (path, i)
        device = str(_get(p, "device", ppath))
        _require(device.startswith("vmnic"), ppath + ".device", "a physical NIC is named vmnicN")
        speed = p.get("link_speed", 10000)
        _require(isinstance(speed, int) and speed >= 0, ppath + ".link_speed", "Mb/s as a non-negative integer (0 = link down)")
        model.pnics[device] = (speed, str(p.get("driver", "ixgben")), str(p.get("mac", "00:1b:21:%02x:%02x:%02x" % (n, i, 0))))


def _teaming(t: Any, path: str, switch: bool) -> Optional[Any]:
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


def _vswitch(net: o.NetworkSystem, sw: Any, path: str) -> None:
    name = str(_get(sw, "name", path))
    for nic in sw.get("uplinks") or []:
        _require(nic in net.host.pnics, path + ".uplinks", "%s is not a physical NIC of %s" % (nic, net.host.name))
    bridge = vim.host.VirtualSwitch.BondBridge(nicDevice=list(sw.get("uplinks") or []),
                                               beacon=vim.host.VirtualSwitch.BeaconConfig(interval=sw["beacon_interval"])
                                               if sw.get("beacon_interval") else None) if sw.get("uplinks") else None
    spec = vim.host.VirtualSwitch.Specification(numPorts=128, bridge=bridge, mtu=sw.get("mtu", 1500))
    spec.policy = o.default_switch_policy(list(sw.get("uplinks") or []))
    team = _teaming(sw.get("teaming"), path + ".teaming", True)
    if team is not None:
        spec.policy.nicTeaming = o._merge(team, spec.policy.nicTeaming)  # pylint: disable=protected-access
    try:
        net.add_switch(name, spec)
    except vmodl.MethodFault as err:  # the host's own checks, reported with the YAML path
        raise InventoryError(path, _fault_text(err)) from None


def _portgroup(net: o.NetworkSystem, pg: Any, path: str) -> None:
    spec = vim.host.PortGroup.Specification(name=str(_get(pg, "name", path)), vswitchName=str(_get(pg, "vswitch", path)),
                                            vlanId=int(pg.get("vlan", 0)), policy=vim.host.NetworkPolicy())
    team = _teaming(pg.get("teaming"), path + ".teaming", False)
    if team is not None:
        spec.policy.nicTeaming = team
    try:
        net.add_pg(spec)
    except vmodl.MethodFault as err:  # the host's own checks, reported with the YAML path
        raise InventoryError(path, _fault_text(err)) from None


def _vmk(net: o.NetworkSystem, vnic_mgr: o.VirtualNicManager, vmk: Any, path: str) -> None:
    device = str(_get(vmk, "device", path))
    ip = vim.host.IpConfig(dhcp=True) if vmk.get("dhcp") else vim.host.IpConfig(
        dhcp=False, ipAddress=str(_get(vmk, "ip", path)), subnetMask=str(vmk.get("netmask", "255.255.255.0")))
    stack = vmk.get("netstack", "default")
    _require(stack in NETSTACKS, path + ".netstack", "one of %s" % ", ".join(NETSTACKS))
    spec = vim.host.VirtualNic.Specification(ip=ip, mtu=vmk.get("mtu", 1500), netStackInstanceKey=NETSTACKS[stack])
    if vmk.get("gateway"):
        spec.ipRouteSpec = vim.host.VirtualNic.IpRouteSpec(ipRouteConfig=vim.host.IpRouteConfig(defaultGateway=vmk["gateway"]))
    try:
        net.add_vnic(str(_get(vmk, "portgroup", path)), spec, device)
        for service in vmk.get("services") or []:
            vnic_mgr._check(service, device)  # pylint: disable=protected-access
            net.host.selected.setdefault(service, set()).add(device)
    except vmodl.MethodFault as err:  # the host's own checks, reported with the YAML path
        raise InventoryError(path, _fault_text(err)) from None


def _arrays(arrays: Any) -> List[Dict[str, Any]]:
    """storage_arrays: [{name, portals: [{address, port}], targets: [{iqn}]}]."""
    _require(isinstance(arrays, list), "storage_arrays", "a list of arrays")
    out = []
    for i, arr in enumerate(arrays):
        path = "storage_arrays[%d]" % i
        portals = [(str(_get(p, "address", "%s.portals[%d]" % (path, j))), int(p.get("port", 3260)))
                   for j, p in enumerate(_get(arr, "portals", path))]
        targets = [str(_get(t, "iqn", "%s.targets[%d]" % (path, j))) for j, t in enumerate(_get(arr, "targets", path))]
        _require(bool(portals) and bool(targets), path, "an array needs at least one portal and one target")
        out.append({"name": str(_get(arr, "name", path)), "portals": portals, "targets": targets})
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
