# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_client: argspec + env fallbacks, TLS context, connect-error and fault mapping (no server)."""

from __future__ import annotations

import datetime
import http.client
import socket
import ssl

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from pyVmomi import SoapAdapter, VmomiSupport, vim, vmodl

from ansible_collections.vmkfabric.vsphere.plugins.module_utils import _client
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import (
    ApplyError,
    ArgumentError,
    ConnectionFailure,
    StateReadError,
    TransientError,
)

ENV = {
    "VMWARE_HOST": "vc.lab.local",
    "VMWARE_USER": "admin@vsphere.local",
    "VMWARE_PASSWORD": "s3cret!",
    "VMWARE_PORT": "8443",
    "VMWARE_VALIDATE_CERTS": "false",
    "VMWARE_PROXY_HOST": "proxy.lab.local",
    "VMWARE_PROXY_PORT": "3128",
}
PARAMS = {"hostname": "vc.lab.local", "username": "admin", "password": "pw", "port": 443, "validate_certs": True,
          "ca_path": None, "proxy_host": None, "proxy_port": None}


def test_every_awx_variable_is_a_fallback(monkeypatch):
    for key, value in ENV.items():
        monkeypatch.setenv(key, value)
    result = ArgumentSpecValidator(_client.CONNECTION_ARGSPEC).validate({})
    assert result.error_messages == []
    p = result.validated_parameters
    assert (p["hostname"], p["username"], p["password"], p["port"]) == \
        ("vc.lab.local", "admin@vsphere.local", "s3cret!", 8443)
    assert p["validate_certs"] is False
    assert (p["proxy_host"], p["proxy_port"]) == ("proxy.lab.local", 3128)
    assert "s3cret!" in result._no_log_values


def test_defaults_verify_certificates(monkeypatch):
    for key in ENV:
        monkeypatch.delenv(key, raising=False)
    p = ArgumentSpecValidator(_client.CONNECTION_ARGSPEC).validate(
        {"hostname": "h", "username": "u", "password": "p"}).validated_parameters
    assert p["validate_certs"] is True and p["port"] == 443


def test_missing_credentials_are_reported(monkeypatch):
    for key in ENV:
        monkeypatch.delenv(key, raising=False)
    result = ArgumentSpecValidator(_client.CONNECTION_ARGSPEC).validate({})
    assert "hostname" in str(result.errors.messages) and "password" in str(result.errors.messages)


def test_ssl_context_verifies_by_default():
    ctx = _client.ssl_context(True, None)
    assert ctx.verify_mode == ssl.CERT_REQUIRED and ctx.check_hostname


def test_ssl_context_unverified_on_request():
    ctx = _client.ssl_context(False, None)
    assert ctx.verify_mode == ssl.CERT_NONE and not ctx.check_hostname


def test_ssl_context_bad_ca_path_names_the_option(tmp_path):
    with pytest.raises(ArgumentError, match="ca_path: cannot load CA bundle"):
        _client.ssl_context(True, str(tmp_path / "missing.pem"))


@pytest.mark.parametrize("exc, expected", [
    (vim.fault.InvalidLogin(msg="Cannot complete login"), r"incorrect user name or password \(InvalidLogin\)"),
    (ssl.SSLCertVerificationError(1, "certificate verify failed"), "is not trusted .*Set ca_path .*validate_certs: false"),
    (ConnectionRefusedError(111, "Connection refused"), r"Cannot reach vc.lab.local:443: Connection refused"),
    (socket.gaierror(-2, "Name or service not known"), "Cannot resolve vc.lab.local: Name or service not known"),
    (http.client.BadStatusLine("x"), "Cannot reach vc.lab.local:443"),
    (vim.fault.NoPermission(msg="denied"), r"Login to vc.lab.local:443 failed: denied \(NoPermission\)"),
])
def test_connect_errors_become_one_clear_message(monkeypatch, exc, expected):
    def boom(**kwargs):
        raise exc
    monkeypatch.setattr(_client, "SmartStubAdapter", boom)
    with pytest.raises(ConnectionFailure, match=expected) as info:
        _client.connect(PARAMS)
    assert "pw" not in str(info.value)


class _Seen(Exception):
    pass


def test_connect_passes_context_and_proxy(monkeypatch):
    seen = {}

    def fake(**kwargs):
        seen.update(kwargs)
        raise _Seen()
    monkeypatch.setattr(_client, "SmartStubAdapter", fake)
    params = dict(PARAMS, proxy_host="proxy", proxy_port=3128, validate_certs=False, parallel_hosts=8)
    with pytest.raises(_Seen):  # not a bare Exception: it keeps its type (a bug is never a "connection" error)
        _client.connect(params)
    assert seen["httpProxyHost"] == "proxy" and seen["httpProxyPort"] == 3128
    assert seen["sslContext"].verify_mode == ssl.CERT_NONE
    assert (seen["host"], seen["port"], seen["poolSize"]) == ("vc.lab.local", 443, 9)


def test_version_negotiation_failure_is_a_connection_failure(monkeypatch):
    def down(**kwargs):
        raise Exception("vc.lab.local:443 is down or is not a VIM server")  # pylint: disable=broad-exception-raised
    monkeypatch.setattr(_client, "SmartStubAdapter", down)
    with pytest.raises(ConnectionFailure, match="Cannot reach vc.lab.local:443: .*not a VIM server"):
        _client.connect(PARAMS)


def test_fault_text_names_type_and_property():
    assert _client.fault_text(vmodl.fault.InvalidArgument(msg="A specified parameter was not correct",
                                                          invalidProperty="nicOrder")) == \
        "A specified parameter was not correct (InvalidArgument: nicOrder)"
    assert _client.fault_text(vim.fault.HostConfigFault()) == "HostConfigFault"


def test_guarded_maps_faults_to_the_requested_error():
    def fail(**kwargs):
        raise vim.fault.AlreadyExists(msg="The specified key, name, or identifier 'iSCSI-A' already exists.",
                                      name="iSCSI-A")
    with pytest.raises(ApplyError, match=r"^esx01: UpdateNetworkConfig failed: .*'iSCSI-A' already exists\. "
                                         r"\(AlreadyExists\)$") as info:
        _client.guarded("esx01", "UpdateNetworkConfig", fail, config=None)
    assert info.value.details == {"host": "esx01", "call": "UpdateNetworkConfig", "fault": "AlreadyExists"}
    with pytest.raises(StateReadError):
        _client.guarded("vc", "RetrievePropertiesEx", fail, error=StateReadError)


def test_guarded_marks_dropped_connections_transient():
    def drop():
        raise http.client.RemoteDisconnected("Remote end closed connection without response")
    with pytest.raises(TransientError, match="connection dropped"):
        _client.guarded("vc", "RetrievePropertiesEx", drop)


def test_session_logs_out_even_when_the_body_fails(monkeypatch):
    calls = []

    def connect(params):
        calls.append("login")
        return _client.Session(si=None, content="content", endpoint="vc.lab.local:443")
    monkeypatch.setattr(_client, "connect", connect)
    monkeypatch.setattr(_client, "disconnect", lambda s: calls.append("logout"))
    with pytest.raises(RuntimeError):
        with _client.session(PARAMS) as s:
            assert s.content == "content"
            raise RuntimeError("boom")
    assert calls == ["login", "logout"]


# --------------------------------------------------------------------------- the faster deserializer

class _Stub:
    """What SoapDeserializer needs of a stub: its API version (and, for managed objects, itself)."""

    version = "vim.version.v8_0_3_0"


def _answer(result, result_type, method="RetrievePropertiesEx"):
    """``result`` as a server's SOAP answer to ``method``."""
    nsmap = dict(SoapAdapter.SOAP_NSMAP)
    nsmap["urn:vim25"] = ""
    body = SoapAdapter.Serialize(result, VmomiSupport.Object(name="returnval", type=result_type, version=_Stub.version, flags=0),
                                 _Stub.version, nsmap)
    body = body.decode("utf-8") if isinstance(body, bytes) else body
    return (SoapAdapter.XML_HEADER + "\n" + SoapAdapter.SOAP_START + '<%sResponse xmlns="urn:vim25">%s</%sResponse>'
            % (method, body, method) + SoapAdapter.SOAP_END).encode("utf-8")


def _read_back(data, result_type, fast):
    stub = _Stub()
    if fast:
        _client.fast_answers(stub)
    return SoapAdapter.SoapResponseDeserializer(stub).Deserialize(data, result_type)


def test_fast_answers_are_the_objects_pyvmomi_builds():
    """Missing properties with their faults, a task's error, enums, booleans, numbers, dates, arrays and
    managed object references: the fast path and pyVmomi's give objects that serialize alike."""
    PC = vmodl.query.PropertyCollector
    nic = vim.host.VirtualNic(device="vmk1", key="key-vim.host.VirtualNic-vmk1", portgroup="iSCSI-A", spec=vim.host.VirtualNic.Specification(
        ip=vim.host.IpConfig(dhcp=False, ipAddress="10.0.0.1", subnetMask="255.255.255.0"), mtu=9000, tsoEnabled=True))
    policy = vim.host.NetworkPolicy(nicTeaming=vim.host.NetworkPolicy.NicTeamingPolicy(
        policy="failover_explicit", rollingOrder=False, nicOrder=vim.host.NetworkPolicy.NicOrderPolicy(activeNic=["vmnic2"], standbyNic=[])))
    task = vim.TaskInfo(key="task-1", task=vim.Task("task-1"), state="error", cancelled=False, cancelable=False,
                        descriptionId="x", reason=vim.TaskReasonUser(userName="administrator"),
                        queueTime=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC),
                        error=vim.fault.DuplicateName(name="dvpg", object=vim.dvs.DistributedVirtualPortgroup("dvportgroup-1")))
    result = PC.RetrieveResult(objects=[
        PC.ObjectContent(obj=vim.HostSystem("host-1"), propSet=[
            vmodl.DynamicProperty(name="config.network", val=vim.host.NetworkInfo(vnic=[nic], portgroup=[vim.host.PortGroup(
                key="key-vim.host.PortGroup-iSCSI-A", spec=vim.host.PortGroup.Specification(
                    name="iSCSI-A", vlanId=20, vswitchName="vSwitch1", policy=policy), computedPolicy=policy)])),
            vmodl.DynamicProperty(name="config.storageDevice.softwareInternetScsiEnabled", val=True)],
            missingSet=[PC.MissingProperty(path="config.storageDevice.scsiTopology",
                                           fault=vim.fault.NoPermission(privilegeId="Host.Config.Storage", object=vim.HostSystem("host-1")))]),
        PC.ObjectContent(obj=vim.Task("task-1"), propSet=[vmodl.DynamicProperty(name="info", val=task)])])
    data = _answer(result, PC.RetrieveResult)
    slow, fast = _read_back(data, PC.RetrieveResult, False), _read_back(data, PC.RetrieveResult, True)
    assert SoapAdapter.Serialize(fast, version=_Stub.version) == SoapAdapter.Serialize(slow, version=_Stub.version)
    missing = fast.objects[0].missingSet[0]
    assert isinstance(missing.fault, vim.fault.NoPermission) and missing.fault.privilegeId == "Host.Config.Storage"
    info = fast.objects[1].propSet[0].val
    assert isinstance(info.error, vim.fault.DuplicateName) and info.state == vim.TaskInfo.State.error
    assert info.queueTime == slow.objects[1].propSet[0].val.queueTime
    net = fast.objects[0].propSet[0].val
    assert net.portgroup[0].spec.policy.nicTeaming.nicOrder.activeNic == ["vmnic2"] and net.vnic[0].spec.mtu == 9000
    assert net.vnic[0].spec.ip.dhcp is False and net.portgroup[0].spec.policy.nicTeaming.rollingOrder is False


def test_a_bad_value_fails_as_it_does_in_pyvmomi():
    data = _answer(vim.host.IpConfig(dhcp=True, ipAddress="10.0.0.1"), vim.host.IpConfig, "Probe").replace(
        b"<dhcp>true</dhcp>", b"<dhcp>perhaps</dhcp>")
    with pytest.raises(TypeError) as slow:
        _read_back(data, vim.host.IpConfig, False)
    with pytest.raises(TypeError) as fast:
        _read_back(data, vim.host.IpConfig, True)
    assert str(fast.value) == str(slow.value)
