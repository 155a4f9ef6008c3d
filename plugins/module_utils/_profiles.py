# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Data: iSCSI send-target vendor profiles and the advanced options ESXi documents.

Private to this collection. Pure data: no pyVmomi, no logic beyond lookups. Adding a vendor
means adding a row to ``PROFILES`` (with its source), never code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

# Module option name -> the API key of HostInternetScsiHbaParamValue.
OPTION_KEYS: dict[str, str] = {
    "login_timeout": "LoginTimeout",
    "delayed_ack": "DelayedAck",
    "noop_timeout": "NoopTimeout",
    "noop_interval": "NoopInterval",
}
OPTION_NAMES: dict[str, str] = {v: k for k, v in OPTION_KEYS.items()}


class OptionDef(NamedTuple):
    """One advanced option as ``supportedAdvancedOptions`` describes it."""

    key: str
    kind: str  # "int" or "bool"
    low: int | None
    high: int | None
    default: Any
    readonly: bool


def _int(key: str, low: int, high: int, default: int, readonly: bool = False) -> OptionDef:
    return OptionDef(key, "int", low, high, default, readonly)


def _bool(key: str, default: bool, readonly: bool = False) -> OptionDef:
    return OptionDef(key, "bool", None, None, default, readonly)


# What ESXi 7.x/8.x report in supportedAdvancedOptions of the software adapter and its targets
# (vSphere API IscsiManager defaults). Used only for an adapter this run creates, before the host
# has reported its own definitions; otherwise the host's definitions are authoritative.
ESXI_OPTION_DEFS: dict[str, OptionDef] = {d.key: d for d in (
    _int("ErrorRecoveryLevel", 0, 2, 0, True),
    _int("LoginRetryMax", 0, 64, 4, True),
    _int("MaxOutstandingR2T", 1, 8, 1),
    _int("FirstBurstLength", 512, 16777215, 262144),
    _int("MaxBurstLength", 512, 16777215, 262144),
    _int("MaxRecvDataSegLen", 512, 16777215, 131072),
    _int("MaxCommands", 2, 2048, 128, True),
    _int("DefaultTimeToWait", 0, 60, 2, True),
    _int("DefaultTimeToRetain", 0, 60, 0, True),
    _int("LoginTimeout", 1, 60, 5),
    _int("LogoutTimeout", 0, 60, 15, True),
    _int("RecoveryTimeout", 1, 120, 10),
    _int("NoopTimeout", 10, 30, 10),
    _int("NoopInterval", 1, 60, 15),
    _bool("InitR2T", False, True),
    _bool("ImmediateData", True, True),
    _bool("DelayedAck", True),
)}

# LoginTimeout is 1-60 on every ESXi release that has it (rule TP-1), whatever a host reports.
LOGIN_TIMEOUT_RANGE: tuple[int, int] = (1, 60)


class Profile(NamedTuple):
    values: Mapping[str, Any]  # API key -> value, set on the send target
    source: str


PROFILES: dict[str, Profile] = {
    "pure": Profile(
        {"LoginTimeout": 30, "DelayedAck": False},
        "Pure Storage FlashArray VMware best practices (Set-VmHostPfaiSCSI sets both per dynamic target); "
        "article \"Another look at ESXi iSCSI Multipathing (or a Lack Thereof)\"",
    ),
    "dell_equallogic": Profile(
        {"LoginTimeout": 60, "DelayedAck": False},
        "Dell TR1074 (EqualLogic MEM best-practice settings: LoginTimeout 60, DelayedAck off)",
    ),
    "generic": Profile({}, "no vendor recommendation: ESXi defaults (LoginTimeout 5, DelayedAck true) stay"),
}
"""Vendor target-parameter profiles. ``pure`` is the catalog's ``pure_flasharray``."""

PROFILE_ALIASES: dict[str, str] = {"pure_flasharray": "pure"}


def profile_values(name: str) -> Mapping[str, Any]:
    """The API-keyed values of a profile (KeyError for an unknown name)."""
    return PROFILES[PROFILE_ALIASES.get(name, name)].values


def canonical_profile(name: str) -> str:
    return PROFILE_ALIASES.get(name, name)
