# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checked scalar fields: each returns the value or raises ``ArgumentError`` naming the field (and the host).

Private to this collection. Pure (no pyVmomi). Shared by the fabric document (``_document``) and the module
arguments (``_params``), so a field is refused with the same words wherever it is given.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import ArgumentError


def kind_of(value: Any) -> str:
    return type(value).__name__ if value is not None else "null"


def text(path: str, value: Any, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not value and not allow_empty):
        raise ArgumentError(path, "must be a non-empty string, got %s %r" % (kind_of(value), value))
    return value


def integer(path: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(path, "must be an integer, got %s %r" % (kind_of(value), value))
    if value < low or (high is not None and value > high):
        bounds = "between %d and %d" % (low, high) if high is not None else "at least %d" % low
        raise ArgumentError(path, "must be %s, got %d" % (bounds, value))
    return value


def boolean(path: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise ArgumentError(path, "must be true or false, got %s %r" % (kind_of(value), value))
    return value


def choice(path: str, value: Any, choices: Sequence[str]) -> str:
    if value not in choices:
        raise ArgumentError(path, "must be one of %s, got %r" % (", ".join(choices), value))
    return str(value)


def names(path: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, (list, tuple)):
        raise ArgumentError(path, "must be a list of names, got %s %r" % (kind_of(value), value))
    return tuple(text("%s[%d]" % (path, i), item) for i, item in enumerate(value))


def ipv4(path: str, value: Any, host: str | None = None) -> str:
    if not isinstance(value, str):
        raise ArgumentError(path, "must be an IPv4 address in a string, got %s %r" % (kind_of(value), value), host)
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise ArgumentError(path, "%r is not an IPv4 address" % (value,), host) from None


def netmask(path: str, value: Any, host: str | None = None) -> str:
    address = ipv4(path, value, host)
    try:
        prefix = ipaddress.IPv4Network("0.0.0.0/%s" % address).prefixlen
    except ValueError:
        raise ArgumentError(path, "%s is not a contiguous netmask" % address, host) from None
    if prefix == 0:
        raise ArgumentError(path, "0.0.0.0 is not a usable netmask", host)
    return address


def mapping(path: str, value: Any, allowed: Sequence[str], required: Sequence[str] = ()) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ArgumentError(path, "must be a mapping, got %s %r" % (kind_of(value), value))
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise ArgumentError("%s.%s" % (path, unknown[0]), "unknown key; allowed keys: %s" % ", ".join(allowed))
    for key in required:
        if key not in value or value[key] is None:
            raise ArgumentError("%s.%s" % (path, key), "required")
    return value
