# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_client's faster deserializer gives the objects pyVmomi gives: the same answers (the reads of a converged
cluster, QueryBoundVnics, a fault) read through the collection's session and through a plain pyVmomi
session serialize to the same XML; connections that are not the collection's keep pyVmomi's deserializer."""

from __future__ import annotations

import pytest
from pyVmomi import SoapAdapter, vim, vmodl

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _client, _reader
from ansible_collections.vmkfabric.vsphere.tests.functional.conftest import connection, pyvmomi, run_in_process
from ansible_collections.vmkfabric.vsphere.tests.functional.fabric import HOSTS, REFERENCE, C


def answers(si) -> tuple[list[str], tuple[str, str]]:
    """The shape read, the full read of the cluster's hosts, QueryBoundVnics of every iSCSI adapter (XML),
    and the fault of QueryBoundVnics on an adapter that does not exist (type, message)."""
    content = si.RetrieveContent()
    pc, version = content.propertyCollector, si._stub.version
    shape = pc.RetrievePropertiesEx([_reader.filter_spec(content.rootFolder, ("name",))], vmodl.query.PropertyCollector.RetrieveOptions())
    refs = sorted((oc.obj for oc in shape.objects if isinstance(oc.obj, vim.HostSystem)), key=lambda r: r._moId)
    full = pc.RetrievePropertiesEx([_reader.hosts_spec(refs, _reader.HOST_PROPS + _reader.STORAGE_PROPS)],
                                   vmodl.query.PropertyCollector.RetrieveOptions())
    out = [SoapAdapter.Serialize(shape, version=version), SoapAdapter.Serialize(full, version=version)]
    for oc in sorted(full.objects, key=lambda o: o.obj._moId):
        props = {p.name: p.val for p in oc.propSet}
        for hba in props["config.storageDevice.hostBusAdapter"]:
            if isinstance(hba, vim.host.InternetScsiHba):
                out.append(SoapAdapter.Serialize(props["configManager.iscsiManager"].QueryBoundVnics(iScsiHbaName=hba.device),
                                                 version=version))
    with pytest.raises(vim.fault.NotFound) as fault:
        props["configManager.iscsiManager"].QueryBoundVnics(iScsiHbaName="vmhba999")
    return out, (type(fault.value).__name__, fault.value.msg)


def test_the_collections_session_reads_what_pyvmomi_reads(sim):
    result = run_in_process("host_fabric", dict(connection(sim), cluster=C, state="merged", config={h: REFERENCE[h] for h in HOSTS}))
    assert result["changed"] and not result.get("failed"), result.get("msg")
    with pyvmomi(sim) as plain:
        expected, expected_fault = answers(plain)
        assert not getattr(plain._stub, "_vmkfabric_fast_answers", False)
    with _client.session(connection(sim)) as s:
        got, got_fault = answers(s.si)
        assert getattr(s.si._stub, "_vmkfabric_fast_answers", False)
    assert len(got) == 2 + len(HOSTS)  # one software iSCSI adapter per host
    assert any(b"<iScsiName>" in x and b"BoundVnics" not in x for x in got[1:2])  # targets and adapters were read
    assert got == expected
    assert got_fault == expected_fault


def test_only_marked_connections_take_the_fast_path(sim):
    with _client.session(connection(sim)) as s, pyvmomi(sim) as plain:
        fast = SoapAdapter.SoapDeserializer(s.si._stub)
        other = SoapAdapter.SoapDeserializer(plain._stub)
        standalone = SoapAdapter.SoapDeserializer(version=plain._stub.version)  # as the simulator parses requests
    assert type(fast) is not type(other) and isinstance(fast, type(other))
    assert type(other) is type(standalone)
    assert type(other).__module__ == "pyVmomi.SoapAdapter"
