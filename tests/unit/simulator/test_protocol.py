"""Protocol fidelity with unmodified pyVmomi: TLS, sessions, Fetch, PropertyCollector, views, tasks."""

from __future__ import annotations

import ssl
import subprocess
import sys

import pytest
from pyVim.connect import SmartConnect
from pyVim.task import WaitForTask
from pyVmomi import SoapStubAdapter, vim, vmodl

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.simtools import DEMO, ESXI, SIM_DIR, SimProcess, credentials

PC = vmodl.query.PropertyCollector


def hosts_by_name(si):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
    try:
        return {h.name: h for h in view.view}
    finally:
        view.Destroy()


def traversal_spec(root):
    to_folder = PC.SelectionSpec(name="folder")
    folder = PC.TraversalSpec(name="folder", type=vim.Folder, path="childEntity", skip=False,
                              selectSet=[to_folder, PC.SelectionSpec(name="dc"), PC.SelectionSpec(name="cr")])
    dc = PC.TraversalSpec(name="dc", type=vim.Datacenter, path="hostFolder", skip=False, selectSet=[to_folder])
    cr = PC.TraversalSpec(name="cr", type=vim.ComputeResource, path="host", skip=False)
    return PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=root, skip=True, selectSet=[folder, dc, cr])],
                         propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=["name", "config.network.vnic", "configManager.networkSystem"]),
                                  PC.PropertySpec(type=vim.ClusterComputeResource, pathSet=["name"])])


def test_tls_verified_against_the_simulator_ca(si):
    assert si.content.about.apiVersion == "8.0.3.0"
    assert si.CurrentTime() is not None


def test_tls_unverified_connection_also_works(sim):
    user, pwd = credentials()
    si = SmartConnect(host="127.0.0.1", port=sim.port, user=user, pwd=pwd, disableSslCertValidation=True)
    assert si.content.sessionManager is not None


def test_untrusted_certificate_is_refused(sim):
    user, pwd = credentials()
    with pytest.raises(ssl.SSLError):
        SmartConnect(host="127.0.0.1", port=sim.port, user=user, pwd=pwd, sslContext=ssl.create_default_context())


def test_bad_password_is_invalid_login(sim):
    user, _pwd = credentials()
    with pytest.raises(vim.fault.InvalidLogin) as err:
        SmartConnect(host="127.0.0.1", port=sim.port, user=user, pwd="wrong", sslContext=ssl.create_default_context(cafile=sim.ca_file))
    assert "incorrect user name or password" in err.value.msg


def test_call_without_session_is_not_authenticated(sim):
    stub = SoapStubAdapter(host="127.0.0.1", port=sim.port, version="vim.version.v8_0_3_0",
                           sslContext=ssl.create_default_context(cafile=sim.ca_file))
    content = vim.ServiceInstance("ServiceInstance", stub).RetrieveContent()  # allowed without a session
    with pytest.raises(vim.fault.NotAuthenticated):
        content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)


def test_fetch_reads_managed_properties_one_hop_each(sim, si):
    sim.reset_stats()
    hosts = hosts_by_name(si)
    assert sorted(hosts) == ["esx01.lab.local", "esx02.lab.local", "esx03.lab.local", "esx04.lab.local"]
    net = hosts["esx01.lab.local"].configManager.networkSystem.networkInfo
    assert [v.device for v in net.vnic] == ["vmk0"]
    assert sim.stats()["calls"]["Fetch"] >= 6


def test_property_collector_traversal_and_nested_paths(si):
    content = si.RetrieveContent()
    result = content.propertyCollector.RetrievePropertiesEx([traversal_spec(content.rootFolder)], PC.RetrieveOptions())
    by_type = {}
    for obj in result.objects:
        by_type.setdefault(type(obj.obj).__name__, []).append({p.name: p.val for p in obj.propSet})
    assert [c["name"] for c in by_type["vim.ClusterComputeResource"]] == ["Cluster-A"]
    hosts = by_type["vim.HostSystem"]
    assert len(hosts) == 4 and all(h["config.network.vnic"][0].device == "vmk0" for h in hosts)
    assert all(isinstance(h["configManager.networkSystem"], vim.host.NetworkSystem) for h in hosts)


def test_paging_with_continue(si):
    content = si.RetrieveContent()
    first = content.propertyCollector.RetrievePropertiesEx([traversal_spec(content.rootFolder)], PC.RetrieveOptions(maxObjects=2))
    assert len(first.objects) == 2 and first.token
    rest = content.propertyCollector.ContinueRetrievePropertiesEx(first.token)
    assert len(rest.objects) == 3 and not rest.token
    with pytest.raises(vmodl.fault.InvalidArgument):
        content.propertyCollector.ContinueRetrievePropertiesEx(first.token)


def test_container_view_filters_by_type_and_is_destroyed(si):
    content = si.RetrieveContent()
    view = content.viewManager.CreateContainerView(content.rootFolder, [vim.ClusterComputeResource], True)
    assert [c.name for c in view.view] == ["Cluster-A"]
    flat = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], False)
    assert list(flat.view) == []
    view.Destroy()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        view.Destroy()


def test_wait_for_task(si):
    host = hosts_by_name(si)["esx02.lab.local"]
    task = host.ReconfigureHostForDAS_Task()
    assert WaitForTask(task) == "success"
    assert task.info.state == "success" and task.info.entityName == "esx02.lab.local"


def test_standalone_esxi_uses_esxi_moids():
    with SimProcess(ESXI) as esxi:
        user, pwd = credentials(ESXI)
        si = SmartConnect(host="127.0.0.1", port=esxi.port, user=user, pwd=pwd, sslContext=ssl.create_default_context(cafile=esxi.ca_file))
        hosts = hosts_by_name(si)
        assert list(hosts) == ["esxi01.lab.local"] and hosts["esxi01.lab.local"]._moId == "ha-host"  # pylint: disable=protected-access
        assert si.content.rootFolder._moId == "ha-folder-root"  # pylint: disable=protected-access


@pytest.mark.parametrize("text, path", [
    ("credentials: {username: a, password: b}\nvcenter: {datacenters: [{name: DC, clusters: [{name: C, hosts: "
     "[{name: h1, pnics: [{device: vmnic0}], vswitches: [{name: vSwitch0, uplinks: [vmnic9]}]}]}]}]}\n",
     "vcenter.datacenters[0].clusters[0].hosts[0].vswitches[0].uplinks"),
    ("credentials: {username: a}\nesxi: {name: h}\n", "credentials"),
    ("credentials: {username: a, password: b}\nesxi: {name: h, colour: red}\n", "esxi"),
])
def test_malformed_inventory_names_the_yaml_path(tmp_path, text, path):
    inv = tmp_path / "bad.yml"
    inv.write_text(text)
    proc = subprocess.run([sys.executable, "-m", "vsphere_sim", "--inventory", str(inv), "--port", "0"], capture_output=True, text=True,
                          timeout=60, env={"PYTHONPATH": SIM_DIR}, check=False)
    assert proc.returncode == 2
    assert "inventory error at %s" % path in proc.stderr and "Traceback" not in proc.stderr


def test_demo_inventory_is_the_documented_cluster():
    assert DEMO.endswith("demo.yml")
