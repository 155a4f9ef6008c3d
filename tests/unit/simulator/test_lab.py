"""The 64-host lab inventory starts fast and one PropertyCollector call reads every host; its files are generated."""

from __future__ import annotations

import importlib.util
import os
import ssl
import time

import yaml
from pyVim.connect import Disconnect, SmartConnect
from pyVmomi import vim, vmodl

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.simtools import INVENTORIES, SimProcess, credentials

PC = vmodl.query.PropertyCollector


def test_lab_starts_under_5_seconds_and_one_call_reads_all_hosts():
    lab = os.path.join(INVENTORIES, "lab.yml")
    start = time.monotonic()
    with SimProcess(lab) as sim:
        assert time.monotonic() - start < 5
        user, pwd = credentials(lab)
        si = SmartConnect(host="127.0.0.1", port=sim.port, user=user, pwd=pwd, sslContext=ssl.create_default_context(cafile=sim.ca_file))
        content = si.RetrieveContent()
        view = content.viewManager.CreateContainerView(content.rootFolder, [vim.HostSystem], True)
        to_hosts = PC.TraversalSpec(type=vim.view.ContainerView, path="view", skip=False)
        spec = PC.FilterSpec(objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[to_hosts])],
                             propSet=[PC.PropertySpec(type=vim.HostSystem, pathSet=["name", "config.network", "config.storageDevice"])])
        sim.reset_stats()
        result = content.propertyCollector.RetrievePropertiesEx([spec], PC.RetrieveOptions())
        assert sim.stats()["calls"] == {"RetrievePropertiesEx": 1}
        assert len(result.objects) == 64 and not result.token
        names = sorted(p.val for o in result.objects for p in o.propSet if p.name == "name")
        assert names[0] == "lab-esx01.lab.local" and names[-1] == "lab-esx64.lab.local"
        Disconnect(si)


def test_the_lab_files_are_what_make_lab_writes():
    """lab.yml and lab_fabric.yml are generated: a change to make_lab.py or to the reference fabric needs a re-run."""
    spec = importlib.util.spec_from_file_location("make_lab", os.path.join(INVENTORIES, "make_lab.py"))
    assert spec is not None and spec.loader is not None
    make_lab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_lab)
    for name, text in (("lab.yml", make_lab.inventory()), ("lab_fabric.yml", make_lab.fabric())):
        with open(os.path.join(INVENTORIES, name), encoding="utf-8") as fh:
            assert fh.read() == text, "%s is stale: run python make_lab.py in %s" % (name, INVENTORIES)
    fabric = yaml.safe_load(make_lab.fabric())["fabric_config"]
    assert len(fabric) == 64
    addresses = [v["ip"]["address"] for doc in fabric.values() for v in doc["vmknics"]]
    assert len(set(addresses)) == len(addresses) == 64 * 5  # no address twice
    assert {a["send_targets"][0]["address"] for doc in fabric.values() for a in doc["iscsi"]} == {"10.20.20.100"}  # the lab array
