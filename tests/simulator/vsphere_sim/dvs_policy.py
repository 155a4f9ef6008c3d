"""Distributed-switch port settings as vCenter keeps them (vsphere-api.md §7.2): pure functions
over pyVmomi data objects, no managed objects.

Every setting of a ``VMwareDVSPortSetting`` is an ``InheritablePolicy``. A switch holds complete
values; a dvPortgroup stores only what it overrides. Reading a dvPortgroup resolves its overrides
over the switch, leaf by leaf, and marks what came from the switch ``inherited=True`` [DOC].
A *container* policy (``uplinkTeamingPolicy``, ``failureCriteria``) holds inheritable members and
merges member by member; every other policy (``uplinkPortOrder``, ``vlan``, ``StringPolicy``, ...)
is a *leaf* that is replaced as a unit.
"""

from __future__ import annotations

import copy
from typing import Any

from pyVmomi import VmomiSupport, vim

VDS = vim.dvs.VmwareDistributedVirtualSwitch
TEAMING_POLICIES = ("loadbalance_srcid", "loadbalance_srcmac", "loadbalance_ip", "failover_explicit", "loadbalance_loadbased")
_META = ("dynamicType", "dynamicProperty", "inherited")


def _members(obj: Any) -> list[str]:
    return [p.name for p in obj._GetPropertyList() if p.name not in _META]


def is_container(policy: Any) -> bool:
    """True for a policy whose members are all themselves inheritable (merged member by member).
    Decided by the declared member types, so a container with no member set is still one. A
    policy with plain members (MacManagementPolicy's booleans) inherits as one unit [INF]."""
    members = [p for p in policy._GetPropertyList() if p.name not in _META] if isinstance(policy, vim.InheritablePolicy) else []
    return bool(members) and all(isinstance(p.type, type) and issubclass(p.type, vim.InheritablePolicy) for p in members)


def default_port_setting(uplinks: list[str]) -> Any:
    """What a new VMware DVS reports as its defaultPortConfig: every value set, inherited=False [OBS/INF]."""
    def text(value: str) -> Any:
        return vim.StringPolicy(inherited=False, value=value)

    def flag(value: bool) -> Any:
        return vim.BoolPolicy(inherited=False, value=value)

    teaming = VDS.UplinkPortTeamingPolicy(
        inherited=False, policy=text("loadbalance_srcid"), reversePolicy=flag(True), notifySwitches=flag(True), rollingOrder=flag(False),
        failureCriteria=VDS.FailureCriteria(inherited=False, checkSpeed=text("minimum"), speed=vim.IntPolicy(inherited=False, value=10),
                                            checkDuplex=flag(False), fullDuplex=flag(False), checkErrorPercent=flag(False),
                                            percentage=vim.IntPolicy(inherited=False, value=0), checkBeacon=flag(False)),
        uplinkPortOrder=VDS.UplinkPortOrderPolicy(inherited=False, activeUplinkPort=list(uplinks), standbyUplinkPort=[]))
    shaping = vim.dvs.DistributedVirtualPort.TrafficShapingPolicy(inherited=False, enabled=flag(False))
    return VDS.VmwarePortConfigPolicy(
        blocked=flag(False), vmDirectPathGen2Allowed=flag(False), inShapingPolicy=shaping, outShapingPolicy=copy.deepcopy(shaping),
        vlan=VDS.VlanIdSpec(inherited=False, vlanId=0), uplinkTeamingPolicy=teaming,
        securityPolicy=VDS.SecurityPolicy(inherited=False, allowPromiscuous=flag(False), macChanges=flag(False), forgedTransmits=flag(False)),
        macManagementPolicy=VDS.MacManagementPolicy(  # vSphere 6.7+: the same three settings, plus MAC learning (off)
            inherited=False, allowPromiscuous=False, macChanges=False, forgedTransmits=False,
            macLearningPolicy=VDS.MacLearningPolicy(inherited=False, enabled=False, allowUnicastFlooding=True, limit=4096,
                                                    limitPolicy="DROP")),
        ipfixEnabled=flag(False), txUplink=flag(False),
        lacpPolicy=VDS.UplinkLacpPolicy(inherited=False, enable=flag(False), mode=text("passive")))


def resolve(own: Any, parent: Any) -> Any:
    """The read-back value of one level: ``own`` overrides over the complete ``parent``."""
    if parent is None:
        return copy.deepcopy(own)
    if own is None or (isinstance(own, vim.InheritablePolicy) and own.inherited and not is_container(own)):
        return _as_inherited(parent)
    if isinstance(parent, vim.InheritablePolicy) and not is_container(parent):
        return copy.deepcopy(own)
    out = copy.deepcopy(parent)
    overridden = False
    for name in _members(parent):
        mine = getattr(own, name, None)
        value = resolve(mine, getattr(parent, name))
        overridden = overridden or (mine is not None and not getattr(value, "inherited", False))
        setattr(out, name, value)
    if isinstance(out, vim.InheritablePolicy):
        out.inherited = not overridden
    return out


def _as_inherited(value: Any) -> Any:
    out = copy.deepcopy(value)
    _mark_inherited(out)
    return out


def _mark_inherited(value: Any) -> None:
    _mark(value, True)


def _mark(value: Any, inherited: bool) -> None:
    """Set ``inherited`` on a policy and every inheritable policy below it."""
    if isinstance(value, vim.InheritablePolicy):
        value.inherited = inherited
    if isinstance(value, VmomiSupport.DataObject):
        for name in _members(value):
            _mark(getattr(value, name), inherited)


def apply(own: Any | None, given: Any) -> Any | None:
    """A dvPortgroup's stored overrides after a reconfigure with ``given`` (a partial setting):
    unset = unchanged; ``inherited=True`` on a leaf, or on a container with no members set,
    reverts to the switch [INF]; ``inherited=False`` on a leaf overrides it as a unit."""
    if given is None:
        return own
    container = is_container(given) or not isinstance(given, vim.InheritablePolicy)
    if isinstance(given, vim.InheritablePolicy) and given.inherited:
        if not container or all(getattr(given, name) is None for name in _members(given)):
            return None
    if not container:
        out = copy.deepcopy(given)
        out.inherited = False
        return out
    out = copy.deepcopy(own) if own is not None else type(given)()
    for name in _members(given):
        setattr(out, name, apply(getattr(out, name, None), getattr(given, name)))
    if isinstance(out, vim.InheritablePolicy):
        out.inherited = False
    return out


def merge_complete(base: Any, given: Any) -> Any:
    """A switch-level update: every value set in ``given`` replaces the switch's; the result
    stays complete and ``inherited=False`` throughout (a switch inherits from nothing)."""
    if given is None:
        return base
    if base is None or not (is_container(given) or not isinstance(given, vim.InheritablePolicy)):
        out = copy.deepcopy(given)
        _mark_own(out)
        return out
    out = copy.deepcopy(base)
    for name in _members(given):
        setattr(out, name, merge_complete(getattr(base, name, None), getattr(given, name)))
    return out


def _mark_own(value: Any) -> None:
    _mark(value, False)


def teaming_errors(setting: Any, uplinks: list[str], lags: list[str]) -> list[str]:
    """What vCenter refuses in a (resolved) port setting's teaming: unknown policy or uplink names,
    a name twice, and LAG teaming that is not "exactly one active LAG, nothing standby" (§7.2)."""
    team = setting.uplinkTeamingPolicy if setting is not None else None
    if team is None:
        return []
    errors = []
    if team.policy is not None and team.policy.value is not None and team.policy.value not in TEAMING_POLICIES:
        errors.append("policy %s is not one of %s" % (team.policy.value, ", ".join(TEAMING_POLICIES)))
    order = team.uplinkPortOrder
    if order is None:
        return errors
    active, standby = list(order.activeUplinkPort or []), list(order.standbyUplinkPort or [])
    names = active + standby
    unknown = [n for n in names if n not in uplinks and n not in lags]
    if unknown:
        errors.append("unknown uplink(s) %s" % ", ".join(unknown))
    if len(names) != len(set(names)):
        errors.append("an uplink is listed twice")
    active_lags = [n for n in active if n in lags]
    if active_lags and (len(active) != 1 or standby):
        errors.append("a LAG must be the only active uplink, with no standby uplinks")
    if [n for n in standby if n in lags] and [n for n in active if n in lags]:
        errors.append("only one LAG may be used at a time")
    return errors
