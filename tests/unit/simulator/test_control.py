"""Control plane: stats by WSDL name, fault injection, 400s, declared-fault enforcement, --state."""

from __future__ import annotations

import json
import ssl
import time
import urllib.error
import urllib.request

import pytest
from pyVim.connect import SmartConnect
from pyVmomi import vim, vmodl

from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.simtools import DEMO, SIM_DIR, SimProcess, credentials
from ansible_collections.vmkfabric.vsphere.tests.unit.simulator.test_protocol import hosts_by_name


def post(sim, path, body):
    req = urllib.request.Request("https://127.0.0.1:%d%s" % (sim.port, path), data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    return urllib.request.urlopen(req, context=ssl.create_default_context(cafile=sim.ca_file), timeout=30)  # pylint: disable=consider-using-with


def test_stats_count_wire_names_and_writes(sim, si):
    vnm = hosts_by_name(si)["esx01.lab.local"].configManager.virtualNicManager
    sim.reset_stats()
    vnm.SelectVnic("vsan", "vmk0")  # pyVmomi's Python alias; the wire name is SelectVnicForNicType
    vnm.DeselectVnic("vsan", "vmk0")
    with pytest.raises(vmodl.fault.InvalidArgument):
        vnm.DeselectVnic("vsan", "vmk0")
    stats = sim.stats()
    assert stats["calls"] == {"SelectVnicForNicType": 1, "DeselectVnicForNicType": 2}
    assert stats["writes"] == 2 and stats["total"] == 3


def test_fault_injection_fails_the_nth_call_with_a_declared_fault(sim, si):
    vnm = hosts_by_name(si)["esx01.lab.local"].configManager.virtualNicManager
    sim.arm_fault({"method": "QueryNetConfig", "nth": 2, "fault": "HostConfigFault", "message": "injected"})
    try:
        vnm.QueryNetConfig("vsan")
        with pytest.raises(vim.fault.HostConfigFault) as err:
            vnm.QueryNetConfig("vsan")
        assert err.value.msg == "injected"
        vnm.QueryNetConfig("vsan")
    finally:
        sim.disarm_faults()


def test_fault_injection_drop_and_latency(sim, si):
    vnm = hosts_by_name(si)["esx01.lab.local"].configManager.virtualNicManager
    sim.arm_fault({"method": "QueryNetConfig", "nth": 1, "action": "drop"})
    with pytest.raises(Exception) as err:  # pylint: disable=broad-exception-caught  # http.client raises a family of errors
        vnm.QueryNetConfig("vsan")
    assert not isinstance(err.value, vmodl.MethodFault)
    sim.disarm_faults()
    sim.arm_fault({"method": "QueryNetConfig", "latency_ms": 300})
    start = time.monotonic()
    vnm.QueryNetConfig("vsan")
    assert time.monotonic() - start >= 0.3
    sim.disarm_faults()


@pytest.mark.parametrize("body, reason", [
    ({"method": "NoSuchMethod", "fault": "HostConfigFault"}, "unknown method"),
    ({"method": "AddPortGroup", "fault": "InvalidLogin"}, "not declared"),
    ({"method": "AddPortGroup", "fault": "NoSuchFault"}, "unknown fault"),
    ({"method": "AddPortGroup", "nth": 0, "fault": "NotFound"}, "'nth'"),
    ({"method": "AddPortGroup"}, "give 'fault'"),
    ("not an object", "JSON object"),
])
def test_bad_control_requests_get_400_with_a_reason(sim, body, reason):
    with pytest.raises(urllib.error.HTTPError) as err:
        post(sim, "/_sim/faults", body)
    assert err.value.code == 400 and reason in json.loads(err.value.read())["error"]


def test_runtime_faults_may_be_injected_anywhere(sim):
    assert sim.arm_fault({"method": "AddPortGroup", "fault": "SystemError"}) == {"armed": 1}
    sim.disarm_faults()


def test_a_handler_cannot_raise_an_undeclared_fault():
    from vsphere_sim import host_network, soap  # pylint: disable=import-outside-toplevel,import-error
    from vsphere_sim.inventory import load  # pylint: disable=import-outside-toplevel,import-error
    from vsphere_sim.state import CallContext, declared  # pylint: disable=import-outside-toplevel,import-error

    sim = load(DEMO)
    ctx = CallContext(sim, None)
    sim.session_manager.m_Login(ctx, *credentials())
    info = soap.method_info("RefreshNetworkSystem")  # declares HostConfigFault only... and nothing else
    assert not declared(info, vim.fault.InvalidLogin()) and declared(info, vmodl.fault.InvalidArgument())
    ns = next(mo for mo in sim.objects.values() if isinstance(mo, host_network.NetworkSystem))

    def misbehaving(ctx):
        raise vim.fault.InvalidLogin()

    ns.m_RefreshNetworkSystem = misbehaving
    with pytest.raises(vmodl.fault.SystemError) as err:
        sim.dispatch(ctx, info, ns.ref, {})
    assert "undeclared fault InvalidLogin" in err.value.reason


def test_state_survives_a_restart(tmp_path):
    state = str(tmp_path / "state.json")
    user, pwd = credentials()
    with SimProcess(DEMO, state=state) as first:
        si = SmartConnect(host="127.0.0.1", port=first.port, user=user, pwd=pwd, sslContext=ssl.create_default_context(cafile=first.ca_file))
        managers = hosts_by_name(si)["esx04.lab.local"].configManager
        managers.networkSystem.AddPortGroup(vim.host.PortGroup.Specification(name="Kept", vswitchName="vSwitch0", vlanId=7,
                                                                             policy=vim.host.NetworkPolicy()))
        managers.storageSystem.UpdateSoftwareInternetScsiEnabled(True)
        managers.storageSystem.AddInternetScsiSendTargets("vmhba64", [vim.host.InternetScsiHba.SendTarget(address="10.10.20.100", port=3260)])
    with SimProcess(DEMO, state=state) as second:
        si = SmartConnect(host="127.0.0.1", port=second.port, user=user, pwd=pwd, sslContext=ssl.create_default_context(cafile=second.ca_file))
        managers = hosts_by_name(si)["esx04.lab.local"].configManager
        kept = [p.spec for p in managers.networkSystem.networkInfo.portgroup if p.spec.name == "Kept"]
        assert len(kept) == 1 and kept[0].vlanId == 7
        (hba,) = managers.storageSystem.storageDeviceInfo.hostBusAdapter
        assert hba.device == "vmhba64" and len(hba.configuredStaticTarget) == 2
    with open(state, encoding="utf-8") as fh:
        assert json.load(fh)["format"] == "vsphere_sim-state-1"


def test_simulator_directory_is_importable():
    assert SIM_DIR.endswith("tests/simulator")


def test_several_clients_at_once(sim):
    """The server is threaded: parallel sessions each get correct answers."""
    from concurrent.futures import ThreadPoolExecutor  # pylint: disable=import-outside-toplevel

    user, pwd = credentials()

    def work(_index: int) -> int:
        si = SmartConnect(host="127.0.0.1", port=sim.port, user=user, pwd=pwd, sslContext=ssl.create_default_context(cafile=sim.ca_file))
        return len(hosts_by_name(si))

    with ThreadPoolExecutor(max_workers=6) as pool:
        assert list(pool.map(work, range(6))) == [4] * 6


def test_launcher_start_and_stop_from_the_command_line(tmp_path):
    import os  # pylint: disable=import-outside-toplevel
    import subprocess  # pylint: disable=import-outside-toplevel
    import sys  # pylint: disable=import-outside-toplevel

    pidfile, infofile = str(tmp_path / "sim.pid"), str(tmp_path / "sim.json")
    env = dict(os.environ, PYTHONPATH=SIM_DIR)
    subprocess.run([sys.executable, "-m", "vsphere_sim.launcher", "start", "--inventory", DEMO, "--pidfile", pidfile,
                    "--infofile", infofile, "--idle-timeout", "60"], env=env, check=True, timeout=60)
    with open(infofile, encoding="utf-8") as fh:
        info = json.load(fh)
    user, pwd = credentials()
    si = SmartConnect(host="127.0.0.1", port=info["port"], user=user, pwd=pwd, sslContext=ssl.create_default_context(cafile=info["ca_file"]))
    assert len(hosts_by_name(si)) == 4
    subprocess.run([sys.executable, "-m", "vsphere_sim.launcher", "stop", "--pidfile", pidfile], env=env, check=True, timeout=60)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(info["pid"], 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the simulator did not stop")
