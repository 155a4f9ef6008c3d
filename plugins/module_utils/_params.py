# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Module arguments -> ``Desired`` (one per host in scope), and the value checks they share
with the fabric document (``_document``): names, addresses, ports, teaming options.

Private to this collection. Pure: imports no pyVmomi and opens no connection. Every error is
an ``ArgumentError`` naming the option (and the host where there is one), raised before any
connection. Omitted options stay ``OMIT``: nothing is filled in from a default.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._fields import ipv4, netmask
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    DVS_POLICIES,
    FAILURE_DETECTION,
    FLAG_NAMES,
    INHERIT,
    NETSTACK_TO_API,
    OMIT,
    PURPOSES,
    Desired,
    DvPortgroupSpec,
    Field,
    Flags,
    IpSpec,
    TeamingSpec,
    VmkSpec,
    VSwitchSpec,
    vmk_number,
)

# ---------------------------------------------------------------------------------------
# Module arguments -> Desired (one per host)
# ---------------------------------------------------------------------------------------

_TEAMING_SCALARS = ("policy", "failback", "notify_switches", "failure_detection")
_TEAMING_INHERITABLE = _TEAMING_SCALARS + ("order",)


def arg_error(field_name: str, message: str, host: str | None = None) -> ArgumentError:
    return ArgumentError(field_name, message, host)


def teaming_from_args(args: Mapping[str, Any] | None, prefix: str = "teaming",
                      allow_inherit: bool = True) -> TeamingSpec:
    """Normalise a ``teaming`` option.

    ``inherit: true`` clears the whole override; ``inherit: [policy, order, ...]`` clears the
    named fields (``order`` = active + standby). ``active`` starts an explicit order;
    ``standby`` defaults to empty then, and ``unused`` (if given) is checked by the validator.
    A field given both ways is kept in ``conflicts`` for rule TS-7.
    """
    if not args:
        return TeamingSpec()
    inherit = args.get("inherit")
    if inherit and not allow_inherit:
        raise arg_error(prefix + ".inherit", "a vSwitch has no parent to inherit from")
    names: tuple[str, ...]
    if inherit is True:
        names = _TEAMING_INHERITABLE
    elif inherit in (None, False):
        names = ()
    else:
        names = tuple(inherit)
        bad = sorted(set(names) - set(_TEAMING_INHERITABLE))
        if bad:
            raise arg_error(prefix + ".inherit", "unknown field(s) %s; choose from %s"
                            % (", ".join(bad), ", ".join(_TEAMING_INHERITABLE)))
    values: dict[str, Any] = {}
    conflicts = []
    for name in _TEAMING_SCALARS:
        given = args.get(name)
        if given is not None and name in names:
            conflicts.append(name)
        values[name] = INHERIT if name in names else (OMIT if given is None else given)
    active, standby, unused = args.get("active"), args.get("standby"), args.get("unused")
    if "order" in names:
        if active is not None or standby is not None or unused is not None:
            conflicts.append("order")
        values.update(active=INHERIT, standby=INHERIT, unused=OMIT)
    elif active is not None:
        values.update(active=tuple(active), standby=tuple(standby or ()),
                      unused=OMIT if unused is None else tuple(unused))
    elif standby is not None or unused is not None:
        raise arg_error(prefix + ".active", "required when standby or unused is given: "
                        "a failover order is always written whole (active, standby, unused)")
    if values.get("policy") not in (OMIT, INHERIT) and values["policy"] not in DVS_POLICIES:
        raise arg_error(prefix + ".policy", "must be one of %s, got %r"
                        % (", ".join(DVS_POLICIES), values["policy"]))
    fd = values.get("failure_detection")
    if fd not in (OMIT, INHERIT) and fd not in FAILURE_DETECTION:
        raise arg_error(prefix + ".failure_detection", "must be one of %s, got %r"
                        % (", ".join(FAILURE_DETECTION), fd))
    return TeamingSpec(conflicts=tuple(conflicts), **values)


def check_range(field_name: str, value: int | None, low: int, high: int) -> None:
    if value is not None and not low <= value <= high:
        raise arg_error(field_name, "must be between %d and %d, got %d" % (low, high, value))


# ESXi's limits on names: a vSwitch name is at most 32 characters (HostNetworkConfig); a
# standard port group's name (its network label) at most 59. Control characters are refused
# in any name: the SOAP request cannot carry most of them and ESXi rejects the rest.
NAME_LIMITS = {"vswitch": 32, "portgroup": 59}


def name_problem(kind: str, name: Any) -> str | None:
    """Why ``name`` cannot name a ``kind`` (``vswitch`` or ``portgroup``) on ESXi, or None."""
    if not isinstance(name, str):
        return "must be a string, got %s %r" % (type(name).__name__, name)
    if not name.strip():
        return "must be a non-empty name, got %r" % name
    bad = sorted({c for c in name if ord(c) < 0x20 or ord(c) == 0x7F})
    if bad:
        return "must not contain control characters, got %r (contains %s)" % (
            name, ", ".join("U+%04X" % ord(c) for c in bad))
    if len(name) > NAME_LIMITS[kind]:
        return "at most %d characters for a %s name (ESXi limit), got %d" % (
            NAME_LIMITS[kind], "vSwitch" if kind == "vswitch" else "port group", len(name))
    return None


def check_name(field_name: str, kind: str, name: Any, host: str | None = None) -> str:
    problem = name_problem(kind, name)
    if problem:
        raise arg_error(field_name, problem, host)
    return str(name)


def address_problem(address: str, netmask: str | None = None) -> str | None:
    """Why ``address`` cannot be a vmk's (or a target's) unicast address, or None: the
    unspecified, loopback, multicast, reserved and limited-broadcast ranges, and, with
    ``netmask``, the network and broadcast addresses of its own subnet (prefixes up to /30)."""
    ip = ipaddress.IPv4Address(address)
    if ip.is_unspecified:
        return "0.0.0.0 is not a host address"
    if ip == ipaddress.IPv4Address("255.255.255.255"):
        return "255.255.255.255 is the limited broadcast address, not a host address"
    for test, what in ((ip.is_loopback, "a loopback address (127.0.0.0/8)"), (ip.is_multicast, "a multicast address (224.0.0.0/4)"),
                       (ip.is_reserved, "in the reserved range 240.0.0.0/4")):
        if test:
            return "%s is %s, not a host address" % (address, what)
    if netmask is not None:
        net = ipaddress.IPv4Network("%s/%s" % (address, netmask), strict=False)
        if net.prefixlen <= 30 and ip in (net.network_address, net.broadcast_address):
            return "%s is the %s address of %s, not a host address" % (
                address, "network" if ip == net.network_address else "broadcast", net)
    return None


def host_address(field_name: str, address: Any, netmask: str | None, host: str | None) -> str:
    text = ipv4(field_name, address, host)
    problem = address_problem(text, netmask)
    if problem:
        raise arg_error(field_name, problem, host)
    return text


def ip_for_hosts(ip: Mapping[str, Any] | None, hosts: tuple[str, ...],
                 cluster_mode: bool) -> dict[str, Field[IpSpec]]:
    """Per-host IpSpec from ``ip`` ({address, netmask} | {dhcp: true} |
    {netmask, addresses: {host: address}})."""
    if not ip:
        return {h: OMIT for h in hosts}
    if ip.get("dhcp"):
        if ip.get("address") or ip.get("addresses"):
            raise arg_error("ip.dhcp", "cannot be combined with ip.address or ip.addresses")
        return {h: IpSpec(dhcp=True) for h in hosts}
    addresses = ip.get("addresses")
    if addresses is not None and ip.get("address"):
        raise arg_error("ip.address", "give ip.address (one host) or ip.addresses (per host), not both")
    if addresses is None:
        if ip.get("address") is None:
            raise arg_error("ip.address", "required unless ip.dhcp or ip.addresses is given")
        if cluster_mode and len(hosts) > 1:
            raise arg_error("ip.addresses", "a cluster needs one address per host, "
                            "e.g. ip: {netmask: 255.255.255.0, addresses: {esx01.lab.local: 10.0.0.11}}")
        addresses = {h: ip["address"] for h in hosts}
    unknown = sorted(set(addresses) - set(hosts))
    if unknown:
        raise arg_error("ip.addresses", "%s not in scope (hosts: %s)" % (", ".join(unknown), ", ".join(hosts)))
    result: dict[str, Field[IpSpec]] = {}
    for h in hosts:
        if h not in addresses:
            raise arg_error("ip.addresses", "no address given for this host", h)
        if ip.get("netmask") is None:
            raise arg_error("ip.netmask", "required with a static address", h)
        mask = netmask("ip.netmask", ip["netmask"], h)
        result[h] = IpSpec(address=host_address("ip.address", addresses[h], mask, h), netmask=mask)
    return result


def flags_from_args(params: Mapping[str, Any]) -> Flags:
    return Flags(**{name: bool(params.get(name)) for name in FLAG_NAMES if name in params})


def vmknic_desired(params: Mapping[str, Any], hosts: tuple[str, ...], cluster_mode: bool) -> dict[str, Desired]:
    """``vmknic`` module arguments -> one Desired per host in scope."""
    check_range("vlan", params.get("vlan"), 0, 4095)
    _check_vmk_mtu(params)
    netstack = params.get("netstack")
    if netstack is not None and netstack not in NETSTACK_TO_API:
        raise arg_error("netstack", "must be one of %s" % ", ".join(NETSTACK_TO_API))
    purpose = params.get("purpose") or "general"
    if purpose not in PURPOSES:
        raise arg_error("purpose", "must be one of %s" % ", ".join(PURPOSES))
    teaming = teaming_from_args(params.get("teaming"))
    _check_switch_names(params)
    device = params.get("device")
    if device is not None:
        check_device("device", device)
    ips = ip_for_hosts(params.get("ip"), hosts, cluster_mode) if params.get("state", "present") == "present" \
        else {h: OMIT for h in hosts}
    return vmk_per_host(params, hosts, ips, teaming, lambda h: {
        "device": opt(params.get("device")), "netstack": opt(netstack), "purpose": purpose})


def vmk_per_host(params: Mapping[str, Any], hosts: tuple[str, ...], ips: Mapping[str, Field[IpSpec]],
                 teaming: TeamingSpec, extra: Callable[[str], dict[str, Any]]) -> dict[str, Desired]:
    """The Desired of a one-vmk module (``vmknic``, ``replica_vmknic``) on every host: the fields both modules
    share (port group, switch, state, VLAN, the host's address, MTU, services, teaming) plus ``extra(host)``,
    on its standard port group or, with ``dvswitch``, on a dvPortgroup (``on_switch``)."""
    services = params.get("services")
    flags = flags_from_args(params)
    out: dict[str, Desired] = {}
    for h in hosts:
        spec = VmkSpec(portgroup=params["portgroup"], vswitch=opt(params.get("vswitch")),
                       state=params.get("state") or "present", vlan=opt(params.get("vlan")), ip=ips[h],
                       mtu=opt(params.get("mtu")), services=OMIT if services is None else frozenset(services),
                       teaming=teaming, **extra(h))
        vmk, dv_specs = on_switch(spec, params)
        out[h] = Desired(host=h, vmks=(vmk,), flags=flags, dv_portgroups=dv_specs)
    return out


def vswitch_desired(params: Mapping[str, Any], hosts: tuple[str, ...]) -> dict[str, Desired]:
    """``vswitch`` module arguments -> one Desired per host in scope."""
    if params.get("mtu") is not None and params["mtu"] < 1280:
        raise arg_error("mtu", "must be at least 1280 (ESXi's minimum), got %d" % params["mtu"])
    check_name("name", "vswitch", params["name"])
    uplinks = params.get("uplinks")
    if uplinks is not None:
        check_unique("uplinks", uplinks)
    spec = VSwitchSpec(
        name=params["name"],
        state=params.get("state") or "present",
        uplinks=OMIT if uplinks is None else tuple(uplinks),
        mtu=opt(params.get("mtu")),
        teaming=teaming_from_args(params.get("teaming"), allow_inherit=False),
    )
    flags = flags_from_args(params)
    return {h: Desired(host=h, vswitches=(spec,), flags=flags) for h in hosts}


def opt(value: Any) -> Any:
    return OMIT if value is None else value


def check_unique(field_name: str, names: Any, host: str | None = None) -> None:
    """A list of names (uplinks) with none given twice: ESXi refuses the order only at write time."""
    twice = sorted({n for n in names if list(names).count(n) > 1})
    if twice:
        raise arg_error(field_name, "lists %s more than once" % ", ".join(map(str, twice)), host)


def check_device(field_name: str, device: Any, host: str | None = None) -> str:
    """A vmk device name (``vmk1``); anything else is an error naming ``field_name``."""
    try:
        vmk_number(str(device))
    except ValueError:
        raise arg_error(field_name, "must be a vmk device name such as vmk1, got %r" % (device,), host) from None
    return str(device)


def _check_switch_names(params: Mapping[str, Any]) -> None:
    """``portgroup`` and ``vswitch`` of a vmk module, when given, are names ESXi accepts (a dvPortgroup's
    name is vCenter's to check); ``vswitch`` and ``dvswitch`` exclude each other. ``vmotion_multinic`` has
    no ``portgroup``: only its switch names are checked."""
    if params.get("dvswitch") is not None:
        if params.get("vswitch") is not None:
            raise arg_error("dvswitch", "give vswitch (a standard port group) or dvswitch (a dvPortgroup), not both")
        if not isinstance(params["dvswitch"], str) or not params["dvswitch"].strip():
            raise arg_error("dvswitch", "must name a distributed switch, got %r" % (params["dvswitch"],))
        return
    if params.get("portgroup") is not None:
        check_name("portgroup", "portgroup", params["portgroup"])
    if params.get("vswitch") is not None:
        check_name("vswitch", "vswitch", params["vswitch"])


def on_switch(spec: VmkSpec, params: Mapping[str, Any]) -> tuple[VmkSpec, tuple[DvPortgroupSpec, ...]]:
    """A vmk module's VmkSpec as declared on a standard vSwitch, or, with ``dvswitch``, moved onto that
    distributed switch: the port group's VLAN and teaming then belong to the (switch-wide) dvPortgroup,
    which is created when missing (``state: absent`` removes only the vmk: the dvPortgroup stays)."""
    dvs = params.get("dvswitch")
    if dvs is None:
        return spec, ()
    dv_spec = DvPortgroupSpec(name=spec.portgroup, dvs=dvs, vlan=spec.vlan, teaming=spec.teaming)
    vmk = dataclasses.replace(spec, vswitch=OMIT, dvswitch=dvs, vlan=OMIT, teaming=TeamingSpec())
    return vmk, (dv_spec,) if spec.state == "present" else ()


# ---------------------------------------------------------------------------------------
# vmotion_multinic: a multi-NIC vMotion set (N vmks, N port groups, mirrored teaming)
# ---------------------------------------------------------------------------------------

VMOTION_NETSTACKS = ("default", "vmotion")
VMOTION_SERVICE = "vmotion"
VMOTION_PREFIX = "vMotion"


def mirrored_teaming(uplinks: tuple[str, ...], index: int) -> TeamingSpec:
    """The failover order of vmk ``index`` of a set: active ``uplinks[index]``, standby the next
    uplink round-robin (for two: A = u1/u2, B = u2/u1). Every other NIC of the vSwitch is
    unused (derived, rule TS-3), so each uplink is active for one vmk and standby for one."""
    return TeamingSpec(active=(uplinks[index],), standby=(uplinks[(index + 1) % len(uplinks)],))


def vmotion_portgroups(params: Mapping[str, Any], count: int | None) -> tuple[str, ...]:
    """The set's port group names: ``portgroups`` as given, else ``<portgroup_prefix>-1..N``."""
    explicit, prefix = params.get("portgroups"), params.get("portgroup_prefix")
    if explicit is not None and prefix is not None:
        raise arg_error("portgroups", "give portgroups or portgroup_prefix, not both")
    if explicit is not None:
        names = tuple(explicit)
        if count is not None and len(names) != count:
            raise arg_error("portgroups", "lists %d port group(s) for %d uplinks; give one per uplink"
                            % (len(names), count))
        if len(names) < 2:
            raise arg_error("portgroups", "a multi-NIC vMotion set needs at least 2 port groups")
        for i, n in enumerate(names):
            check_name("portgroups[%d]" % i, "portgroup", n)
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise arg_error("portgroups", "each vmk needs its own, non-empty port group name (repeated: %s)"
                            % (", ".join(dupes) or "''"))
        return names
    if count is None:
        raise arg_error("uplinks", "required to name the port groups %s-1..N (or give portgroups)"
                        % (prefix or VMOTION_PREFIX))
    names = tuple("%s-%d" % (prefix or VMOTION_PREFIX, i + 1) for i in range(count))
    for n in names:
        check_name("portgroup_prefix", "portgroup", n)
    return names


def _vmotion_addresses(ip: Mapping[str, Any] | None, hosts: tuple[str, ...],
                       count: int) -> dict[str, tuple[IpSpec, ...]]:
    """Per host, ``count`` IpSpecs from ``ip: {netmask, addresses: {host: [one per uplink]}}``
    (a plain list is accepted when one host is in scope)."""
    example = "ip: {netmask: 255.255.255.0, addresses: {%s: [%s]}}" % (
        hosts[0] if hosts else "esx01.lab.local", ", ".join("10.20.0.%d" % (10 + 100 * i) for i in range(count)))
    if not ip or ip.get("addresses") is None:
        raise arg_error("ip.addresses", "required with state=present, one list of %d addresses per host, e.g. %s"
                        % (count, example))
    if ip.get("netmask") is None:
        raise arg_error("ip.netmask", "required with ip.addresses")
    addresses = ip["addresses"]
    if isinstance(addresses, (list, tuple)):
        if len(hosts) != 1:
            raise arg_error("ip.addresses", "a cluster needs one list per host, e.g. %s" % example)
        addresses = {hosts[0]: addresses}
    if not isinstance(addresses, Mapping):
        raise arg_error("ip.addresses", "must map each host to a list of addresses, e.g. %s" % example)
    unknown = sorted(set(addresses) - set(hosts))
    if unknown:
        raise arg_error("ip.addresses", "%s not in scope (hosts: %s)" % (", ".join(unknown), ", ".join(hosts)))
    out: dict[str, tuple[IpSpec, ...]] = {}
    for h in hosts:
        given = addresses.get(h)
        if given is None:
            raise arg_error("ip.addresses", "no address list given for this host", h)
        if isinstance(given, str) or not isinstance(given, (list, tuple)):
            raise arg_error("ip.addresses", "must be a list of %d addresses (one per uplink), got %r" % (count, given), h)
        if len(given) != count:
            raise arg_error("ip.addresses", "%d address(es) given, %d needed (one per uplink)" % (len(given), count), h)
        mask = netmask("ip.netmask", ip["netmask"], h)
        out[h] = tuple(IpSpec(address=host_address("ip.addresses", a, mask, h), netmask=mask) for a in given)
    return out


def _check_vmk_mtu(params: Mapping[str, Any]) -> None:
    if params.get("mtu") is not None and params["mtu"] < 1280:
        raise arg_error("mtu", "must be at least 1280 (ESXi's minimum), got %d" % params["mtu"])


def vmotion_desired(params: Mapping[str, Any], hosts: tuple[str, ...], cluster_mode: bool) -> dict[str, Desired]:
    """``vmotion_multinic`` arguments -> one Desired per host: one VmkSpec (``purpose:
    vmotion``) per uplink, each on its own port group with the mirrored order of
    ``mirrored_teaming``. With ``dvswitch`` the port groups are dvPortgroups of that switch
    (``Desired.dv_portgroups``, the same on every host: order and VLAN live there) and
    ``uplinks`` names the switch's uplink ports (``dvUplink1``). On the default netstack each vmk carries exactly the vMotion service;
    on the ``vmotion`` netstack nothing is selected (the stack implies it). ``state: absent``
    removes the set's vmks and port groups. ``cluster_mode`` only shapes error messages."""
    del cluster_mode  # addresses are always per host for a set
    state = params.get("state") or "present"
    check_range("vlan", params.get("vlan"), 0, 4095)
    _check_vmk_mtu(params)
    netstack = params.get("netstack") or "default"
    if netstack not in VMOTION_NETSTACKS:
        raise arg_error("netstack", "must be one of %s" % ", ".join(VMOTION_NETSTACKS))
    uplinks: tuple[str, ...] | None = None
    if params.get("uplinks") is not None:
        uplinks = tuple(params["uplinks"])
        if len(uplinks) < 2:
            raise arg_error("uplinks", "a multi-NIC vMotion set needs at least 2 uplinks, got %d" % len(uplinks))
        dupes = sorted({n for n in uplinks if uplinks.count(n) > 1})
        if dupes:
            raise arg_error("uplinks", "lists %s more than once; each vmk needs its own active NIC" % ", ".join(dupes))
    elif state == "present":
        raise arg_error("uplinks", "required with state=present (at least 2 NICs of the vSwitch)")
    names = vmotion_portgroups(params, len(uplinks) if uplinks else None)
    _check_switch_names(params)
    flags = flags_from_args(params)
    dvs = params.get("dvswitch")
    switch: dict[str, Any] = {"dvswitch": dvs} if dvs is not None else {"vswitch": opt(params.get("vswitch"))}
    if state == "absent":
        gone = tuple(VmkSpec(portgroup=n, state="absent", purpose="vmotion", **switch) for n in names)
        return {h: Desired(host=h, vmks=gone, flags=flags) for h in hosts}
    nics = uplinks or ()
    ips = _vmotion_addresses(params.get("ip"), hosts, len(nics))
    services: Field[frozenset[str]] = frozenset({VMOTION_SERVICE}) if netstack == "default" else OMIT
    vlan = opt(params.get("vlan"))
    dv_specs: tuple[DvPortgroupSpec, ...] = ()
    if dvs is not None:  # the order and the VLAN belong to the (switch-wide) dvPortgroups
        dv_specs = tuple(DvPortgroupSpec(name=names[i], dvs=dvs, vlan=vlan, teaming=mirrored_teaming(nics, i),
                                         teaming_field="uplinks")
                         for i in range(len(nics)))
    out: dict[str, Desired] = {}
    for h in hosts:
        specs = tuple(
            VmkSpec(portgroup=names[i], vlan=OMIT if dvs is not None else vlan, ip=ips[h][i],
                    mtu=opt(params.get("mtu")), netstack=netstack, services=services,
                    teaming=TeamingSpec() if dvs is not None else mirrored_teaming(nics, i), purpose="vmotion",
                    **switch)
            for i in range(len(nics)))
        out[h] = Desired(host=h, vmks=specs, flags=flags, dv_portgroups=dv_specs)
    return out


# ---------------------------------------------------------------------------------------
# replica_vmknic: the isolated replica (FVP-style peer) vmk
# ---------------------------------------------------------------------------------------


def replica_desired(params: Mapping[str, Any], hosts: tuple[str, ...], cluster_mode: bool) -> dict[str, Desired]:
    """``replica_vmknic`` arguments -> one Desired per host with one ``purpose: replica`` VmkSpec.

    The address is static (the replica network is isolated, so no DHCP). ``gateway`` is carried
    as declared so that rule PR-4 can refuse it with the fix; ``shared_with_vmotion`` selects
    rules PR-6/PR-7 instead of the isolation checks PR-2/PR-3 for the vMotion subnet."""
    state = params.get("state") or "present"
    check_range("vlan", params.get("vlan"), 0, 4095)
    _check_vmk_mtu(params)
    _check_switch_names(params)
    ip = params.get("ip")
    if ip and ip.get("dhcp"):
        raise arg_error("ip.dhcp", "the replica network is isolated and non-routed: give a static ip.address")
    ips = ip_for_hosts(ip, hosts, cluster_mode) if state == "present" else {h: OMIT for h in hosts}
    gateway = params.get("gateway")
    teaming = teaming_from_args(params.get("teaming"))
    return vmk_per_host(params, hosts, ips, teaming, lambda h: {
        "purpose": "replica", "gateway": OMIT if gateway is None else host_address("gateway", gateway, None, h),
        "shared_with_vmotion": bool(params.get("shared_with_vmotion"))})
