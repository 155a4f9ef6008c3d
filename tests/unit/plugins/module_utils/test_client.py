# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_client: argspec + env fallbacks, TLS context, connect-error and fault mapping (no server)."""

from __future__ import annotations

import http.client
import socket
import ssl

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from pyVmomi import vim, vmodl

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
