"""The networks a vSphere client sees as objects: a datacenter's network folder (``NetworkFolder``)
with a ``vim.Network`` per standard port group name (also in ``HostSystem.network``), where
``CreateDVS_Task`` makes distributed switches, and ``ServiceContent.dvSwitchManager``.

vCenter keeps one Network per port-group name across the hosts of a datacenter, for the port groups
VMs can use: a port group that carries a VMkernel NIC is not a VM network [INF]. The objects follow
the hosts' port groups on every read: a name that appears gets a Network, one that no host has any
more goes away.
"""

from __future__ import annotations

from typing import Any

from pyVmomi import vim

from . import dvs
from .base import MO
from .host import Folder, HostSystem
from .host_model import HostModel
from .state import Simulator


class StandardNetwork(MO):
    WSDL, PYTYPE = "Network", vim.Network

    def __init__(self, sim: Simulator, moid: str, name: str, folder: Folder) -> None:
        super().__init__(sim, moid)
        self.name, self.folder = name, folder

    def hosts(self) -> list[HostSystem]:
        return [h for h in datacenter_hosts(self.sim, self.folder) if self.name in vm_portgroups(h.model)]

    def p_name(self) -> str:
        return self.name

    def p_parent(self) -> Any:
        return self.folder.ref

    def p_host(self) -> Any:
        return vim.HostSystem.Array([h.ref for h in self.hosts()])

    def p_vm(self) -> Any:
        return vim.VirtualMachine.Array()

    def p_summary(self) -> Any:
        return vim.Network.Summary(network=self.ref, name=self.name, accessible=bool(self.hosts()), ipPoolName="")

    def p_overallStatus(self) -> str:
        return "green"

    def p_configStatus(self) -> str:
        return "green"


def vm_portgroups(host: HostModel) -> list[str]:
    """The host's port groups VMs can use: those without a VMkernel NIC."""
    used = {v.portgroup for v in host.vnics.values()}
    return [name for name in host.portgroups if name not in used]


def datacenter_hosts(sim: Simulator, folder: Folder) -> list[HostSystem]:
    dc = folder.parent
    return [mo for mo in sim.of_type(vim.HostSystem) if isinstance(mo, HostSystem) and mo.model.datacenter is dc]


class NetworkFolder(Folder):
    """A datacenter's network folder: its children (distributed switches and their portgroups) and a
    standard network per VM port group name of its hosts."""

    def networks(self) -> list[StandardNetwork]:
        """The folder's standard networks, brought up to date with the hosts."""
        sim = self.sim
        known: dict[str, StandardNetwork] = sim.derived.setdefault(("networks", self.moid), {})  # name -> Network
        names = sorted({n for h in datacenter_hosts(sim, self) for n in vm_portgroups(h.model)})
        for name in [n for n in known if n not in names]:
            sim.unregister(known.pop(name))
        for name in names:
            if name not in known:
                moid = "HaNetwork-%s" % name if not sim.vcenter else sim.next_id("network")
                known[name] = StandardNetwork(sim, moid, name, self)
                sim.register(known[name])
        return [known[n] for n in names]

    def entities(self) -> list[MO]:
        return list(self.children) + list(self.networks())

    def used_by(self, host: HostSystem) -> list[MO]:
        """HostSystem.network: the standard networks of its VM port groups and the dvPortgroups of its switches."""
        mine = set(vm_portgroups(host.model))
        out: list[MO] = [n for n in self.networks() if n.name in mine]
        out += [pg for sw in dvs.switches(host.sim) if host.model.name in sw.state.members for pg in sw.portgroups]
        return out

    def m_CreateDVS_Task(self, ctx: Any, spec: Any) -> Any:
        return dvs.create_dvs_task(self, spec)


class DvsManager(MO):
    """ServiceContent.dvSwitchManager (vCenter only)."""

    WSDL, PYTYPE = "DistributedVirtualSwitchManager", vim.dvs.DistributedVirtualSwitchManager

    def m_QueryAvailableDvsSpec(self, ctx: Any, recommended: bool | None = None) -> Any:
        """The switch versions this vCenter 8.0 U3 can create; 8.0.3 is the recommended one [INF: the list of versions]."""
        versions = ["8.0.3"] if recommended else ["7.0.3", "8.0.0", "8.0.3"]
        return [vim.dvs.ProductSpec(name="DVS", vendor="VMware, Inc.", version=v, build="24026615") for v in versions]

    def m_QueryDvsByUuid(self, ctx: Any, uuid: str) -> Any:
        switch = next((sw for sw in dvs.switches(self.sim) if sw.uuid == uuid), None)
        if switch is None:
            raise vim.fault.NotFound(msg="no distributed switch with uuid %s" % uuid)
        return switch.ref

    def m_DVSManagerLookupDvPortGroup(self, ctx: Any, switchUuid: str, portgroupKey: str) -> Any:
        switch = next((sw for sw in dvs.switches(self.sim) if sw.uuid == switchUuid), None)
        pg = next((p for p in switch.portgroups if p.moid == portgroupKey), None) if switch else None
        if pg is None:
            raise vim.fault.NotFound(msg="no dvPortgroup %s on switch %s" % (portgroupKey, switchUuid))
        return pg.ref


def install(sim: Simulator) -> None:
    """Add the vCenter service objects of this module to a built simulator."""
    if sim.vcenter:
        sim.content_extras["dvSwitchManager"] = sim.register(DvsManager(sim, "DVSManager"))
