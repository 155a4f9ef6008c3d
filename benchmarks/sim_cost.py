"""The simulator's own CPU cost per SOAP call, as the collection's read path uses it.

Starts the simulator on the 64-host lab inventory (no added latency), converges the reference
fabric's iSCSI part on one cluster's hosts with plain pyVmomi calls (so the reads below see
bound vmks and sessions), then measures the simulator process's CPU time (user + system, from
``SimProcess.cpu_seconds``) over repeated calls and prints milliseconds of server CPU per call:

- ``RetrievePropertiesEx`` with the collection's host properties (``_reader.HOST_PROPS``),
  traversal from the root folder (64 hosts) and from one cluster (32 hosts);
- ``QueryBoundVnics`` of the software adapter of one host with two bound vmks;
- ``UpdateNetworkConfig`` (modify) changing one port group's VLAN, alternating two values,
  followed by the RetrievePropertiesEx of 32 hosts a module makes next (the cache is rebuilt).

The numbers include TLS, request parsing, dispatch and response serialisation: everything the
server process does for the call. Options: --inventory (default lab.yml), --repeat N (default 20),
--profile FILE (additionally run the same calls in this process under cProfile, without HTTP,
and write the stats to FILE).

Usage: .venv/bin/python benchmarks/sim_cost.py [--repeat 20] [--profile /tmp/sim.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import os
import ssl
import sys
import time
from collections.abc import Callable
from typing import Any

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "simulator"))
sys.path.insert(0, os.path.join(ROOT, ".venv", "collections"))  # the collection, as `make venv` links it

from pyVim.connect import Disconnect, SmartConnect  # noqa: E402
from pyVmomi import SoapAdapter, vim, vmodl  # noqa: E402

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._reader import HOST_PROPS  # noqa: E402
from vsphere_sim.launcher import SimProcess  # noqa: E402

LAB = os.path.join(ROOT, "tests", "simulator", "inventories", "lab.yml")
PC = vmodl.query.PropertyCollector


def host_spec(start: Any) -> Any:
    """The collection's host properties for every host below ``start`` (a folder or a cluster)."""
    TS, SS = PC.TraversalSpec, PC.SelectionSpec
    folder = TS(name="folder", type=vim.Folder, path="childEntity", skip=False,
                selectSet=[SS(name="folder"), SS(name="datacenter"), SS(name="compute")])
    datacenter = TS(name="datacenter", type=vim.Datacenter, path="hostFolder", skip=False, selectSet=[SS(name="folder")])
    compute = TS(name="compute", type=vim.ComputeResource, path="host", skip=False)
    return PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=start, skip=False, selectSet=[folder, datacenter, compute])],
                         propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=list(HOST_PROPS))])


class Lab:
    """A pyVmomi session on a simulator with one cluster's hosts carrying two bound iSCSI vmks."""

    def __init__(self, si: Any) -> None:
        self.si = si
        content = si.RetrieveContent()
        self.pc = content.propertyCollector
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.ClusterComputeResource], True)
        self.cluster = view.view[0]
        self.root = content.rootFolder
        self.hosts = list(self.cluster.host)
        self.host = self.hosts[0]
        self.vlan = 20

    def build_fabric(self) -> None:
        for n, host in enumerate(self.hosts):
            net = host.configManager.networkSystem
            cfg = vim.host.NetworkConfig(
                vswitch=[vim.host.VirtualSwitch.Config(changeOperation="add", name="vSwitch1", spec=vim.host.VirtualSwitch.Specification(
                    numPorts=128, mtu=9000, bridge=vim.host.VirtualSwitch.BondBridge(nicDevice=["vmnic2", "vmnic3"])))],
                portgroup=[vim.host.PortGroup.Config(changeOperation="add", spec=vim.host.PortGroup.Specification(
                    name=pg, vlanId=20, vswitchName="vSwitch1", policy=vim.host.NetworkPolicy(nicTeaming=vim.host.NetworkPolicy.NicTeamingPolicy(
                        nicOrder=vim.host.NetworkPolicy.NicOrderPolicy(activeNic=[active], standbyNic=[])))))
                    for pg, active in (("iSCSI-A", "vmnic2"), ("iSCSI-B", "vmnic3"))],
                vnic=[vim.host.VirtualNic.Config(changeOperation="add", portgroup=pg, spec=vim.host.VirtualNic.Specification(
                    mtu=9000, ip=vim.host.IpConfig(dhcp=False, ipAddress="10.20.20.%d" % (base + n), subnetMask="255.255.255.0")))
                    for pg, base in (("iSCSI-A", 1), ("iSCSI-B", 150))])
            net.UpdateNetworkConfig(cfg, "modify")
            storage = host.configManager.storageSystem
            storage.UpdateSoftwareInternetScsiEnabled(True)
            storage.AddInternetScsiSendTargets("vmhba64", [vim.host.InternetScsiHba.SendTarget(address="10.20.20.100", port=3260)])
            for vmk in ("vmk1", "vmk2"):
                host.configManager.iscsiManager.BindVnic("vmhba64", vmk)

    def retrieve_all(self) -> None:
        assert len(self.pc.RetrievePropertiesEx([host_spec(self.root)], PC.RetrieveOptions()).objects) == 64

    def retrieve_cluster(self) -> None:
        assert len(self.pc.RetrievePropertiesEx([host_spec(self.cluster)], PC.RetrieveOptions()).objects) == 32

    def bound(self) -> None:
        assert len(self.host.configManager.iscsiManager.QueryBoundVnics("vmhba64")) == 2

    def write(self) -> None:
        self.vlan = 21 if self.vlan == 20 else 20
        spec = vim.host.PortGroup.Specification(name="iSCSI-A", vlanId=self.vlan, vswitchName="vSwitch1", policy=vim.host.NetworkPolicy(
            nicTeaming=vim.host.NetworkPolicy.NicTeamingPolicy(nicOrder=vim.host.NetworkPolicy.NicOrderPolicy(activeNic=["vmnic2"]))))
        self.host.configManager.networkSystem.UpdateNetworkConfig(
            vim.host.NetworkConfig(portgroup=[vim.host.PortGroup.Config(changeOperation="edit", spec=spec)]), "modify")

    def write_then_read(self) -> None:
        self.write()
        self.retrieve_cluster()


def per_call_ms(sim: SimProcess, call: Callable[[], None], repeat: int) -> float:
    call()  # warm: first-use costs (type caches) are not per-call costs
    before = sim.cpu_seconds()
    for _call in range(repeat):
        call()
    return (sim.cpu_seconds() - before) * 1000.0 / repeat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inventory", default=LAB)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--profile", help="also profile the calls in-process (cProfile stats file)")
    args = parser.parse_args()
    with open(args.inventory, encoding="utf-8") as fh:
        creds = yaml.safe_load(fh)["credentials"]
    with SimProcess(args.inventory) as sim:
        si = SmartConnect(host="127.0.0.1", port=sim.port, user=creds["username"], pwd=creds["password"],
                          sslContext=ssl.create_default_context(cafile=sim.ca_file))
        try:
            lab = Lab(si)
            lab.build_fabric()
            rows = [("RetrievePropertiesEx, 64 hosts (from the root folder)", lab.retrieve_all, max(1, args.repeat // 4)),
                    ("RetrievePropertiesEx, 32 hosts (from the cluster)", lab.retrieve_cluster, max(1, args.repeat // 2)),
                    ("QueryBoundVnics (2 bound vmks)", lab.bound, args.repeat * 5),
                    ("UpdateNetworkConfig (one port group)", lab.write, args.repeat * 5),
                    ("UpdateNetworkConfig + RetrievePropertiesEx of 32 hosts", lab.write_then_read, max(1, args.repeat // 2))]
            print("%-58s %10s" % ("call (simulator CPU per call)", "ms"))
            for name, call, repeat in rows:
                print("%-58s %10.1f" % (name, per_call_ms(sim, call, repeat)))
        finally:
            Disconnect(si)
    if args.profile:
        profile_in_process(args.inventory, args.profile, args.repeat)
    return 0


def profile_in_process(inventory: str, out: str, repeat: int) -> None:
    """The same calls through ``Simulator.dispatch`` + response serialisation in this process, under cProfile."""
    from vsphere_sim import soap
    from vsphere_sim.inventory import load
    from vsphere_sim.state import CallContext
    sim = load(inventory)
    ctx = CallContext(sim, None)
    ctx.new_session("administrator@vsphere.local")

    stub = SoapAdapter.SoapStubAdapterBase(version=ctx.version)
    stub.requestContext = {}

    def call(this: Any, method: str, *args: Any) -> Any:
        """Serialised as pyVmomi sends it, parsed, dispatched and answered as the server does."""
        body = stub.SerializeRequest(this, type(this)._GetMethodInfo(method), list(args))
        info, mo, params = soap.parse_request(body, ctx.version)
        result = sim.dispatch(ctx, info, mo, params)
        soap.serialize_response(info, result, ctx.version)
        return result

    cluster = sim.of_type(vim.ClusterComputeResource)[0]
    spec_all, spec_cluster = host_spec(sim.root.ref), host_spec(cluster.ref)
    net = sim.of_type(vim.host.NetworkSystem)[0]
    profiler = cProfile.Profile()
    start = time.process_time()
    profiler.enable()
    for n in range(repeat):
        pg = vim.host.PortGroup.Specification(name="VM Network", vlanId=n % 2, vswitchName="vSwitch0", policy=vim.host.NetworkPolicy())
        call(net.ref, "UpdateNetworkConfig", vim.host.NetworkConfig(portgroup=[vim.host.PortGroup.Config(changeOperation="edit", spec=pg)]),
             "modify")
        call(sim.pc.ref, "RetrievePropertiesEx", [spec_cluster], PC.RetrieveOptions())
        call(sim.pc.ref, "RetrievePropertiesEx", [spec_all], PC.RetrieveOptions())
    profiler.disable()
    profiler.dump_stats(out)
    print("in-process, %d x (a write, then a 32-host and a 64-host read): %.2f s CPU; profile in %s" % (repeat, time.process_time() - start, out))


if __name__ == "__main__":
    sys.exit(main())
