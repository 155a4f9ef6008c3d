"""The 64-host lab inventory starts fast and one PropertyCollector call reads every host."""

from __future__ import annotations

import os
import ssl
import time

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
