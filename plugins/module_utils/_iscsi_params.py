# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The iSCSI modules' arguments -> ``Desired``: adapters, bindings, send/static targets with their options or
profile, and CHAP (``iscsi_adapter``, ``iscsi_target``; the document's iSCSI section reuses the pieces).

Private to this collection. Pure: no pyVmomi. Every error is an ``ArgumentError`` naming the field (and host).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    CHAP_TYPES,
    OMIT,
    BindingSpec,
    ChapSpec,
    Desired,
    Field,
    IscsiSpec,
    TargetKey,
    TargetSpec,
    is_set,
    vmk_number,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._params import arg_error, check_range, flags_from_args, host_address, opt
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._profiles import OPTION_KEYS, PROFILES, canonical_profile

PROFILE_NAMES = tuple(sorted(PROFILES))

# CHAP (vSphere Storage guide, "Set Up CHAP for iSCSI Adapter"): the name at most 511 characters,
# the secret at most 255; outgoing (one-way) and incoming (mutual) CHAP use different secrets.
CHAP_LIMITS = {"name": 511, "secret": 255}
CHAP_KEYS = ("type", "name", "secret")
UPDATE_SECRET = ("on_create", "always")


CHAP_ARGSPEC: dict[str, Any] = {
    "type": {"type": "str", "required": True, "choices": list(CHAP_TYPES)},
    "name": {"type": "str"},
    "secret": {"type": "str", "no_log": True},
}
"""The argument spec of a ``chap`` / ``mutual_chap`` option (the modules' and the targets')."""
UPDATE_SECRET_ARGSPEC: dict[str, Any] = {"type": "str", "choices": list(UPDATE_SECRET), "default": "on_create"}


def chap_options() -> dict[str, Any]:
    """``chap`` and ``mutual_chap`` options for an argument spec."""
    return {key: {"type": "dict", "options": dict(CHAP_ARGSPEC)} for key in ("chap", "mutual_chap")}


def chap_spec(field_name: str, value: Any, host: str | None = None) -> Field[ChapSpec]:
    """A ``chap`` / ``mutual_chap`` dict -> ChapSpec (None -> OMIT). Errors name ``field_name`` and
    never show the secret."""
    if value is None:
        return OMIT
    if not isinstance(value, Mapping):
        raise arg_error(field_name, "must be a dict with type, name and secret", host)
    unknown = sorted(set(value) - set(CHAP_KEYS))
    if unknown:
        raise arg_error(field_name, "unknown key(s) %s; use %s" % (", ".join(map(str, unknown)), ", ".join(CHAP_KEYS)), host)
    level = value.get("type")
    if level not in CHAP_TYPES:
        raise arg_error(field_name + ".type", "must be one of %s, got %r" % (", ".join(CHAP_TYPES), level), host)
    checked: dict[str, str] = {}
    for key in ("name", "secret"):
        given = value.get(key)
        if given is None:
            continue
        shown = "" if key == "secret" else ", got %r" % (given,)
        if not isinstance(given, str) or not given or any(ord(c) < 0x20 or ord(c) == 0x7F for c in given):
            raise arg_error("%s.%s" % (field_name, key), "must be a non-empty string without control characters%s"
                            % shown, host)
        if len(given) > CHAP_LIMITS[key]:
            raise arg_error("%s.%s" % (field_name, key), "at most %d characters for a CHAP %s (ESXi limit), got %d"
                            % (CHAP_LIMITS[key], key, len(given)), host)
        checked[key] = given
    return ChapSpec(type=level, name=checked.get("name", OMIT), secret=checked.get("secret"))


def chap_pair(where: str, item: Mapping[str, Any], host: str | None = None) -> tuple[Field[ChapSpec], Field[ChapSpec]]:
    """``chap`` and ``mutual_chap`` of one level (``where``: the option path, "" at the top)."""
    prefix = where + "." if where else ""
    chap = chap_spec(prefix + "chap", item.get("chap"), host)
    mutual = chap_spec(prefix + "mutual_chap", item.get("mutual_chap"), host)
    if is_set(chap) and is_set(mutual) and chap.secret and chap.secret == mutual.secret:
        raise arg_error(prefix + "mutual_chap.secret", "must differ from chap.secret: one-way and mutual CHAP "
                        "use different secrets", host)
    return chap, mutual


def update_secret(params: Mapping[str, Any]) -> str:
    value = params.get("update_secret") or "on_create"
    if value not in UPDATE_SECRET:
        raise arg_error("update_secret", "must be one of %s, got %r" % (", ".join(UPDATE_SECRET), value))
    return str(value)


def chap_secrets(value: Any) -> set[str]:
    """Every CHAP secret anywhere in module arguments (for ``no_log_values``: the fabric document's
    nested secrets are not declared options, so the argument spec cannot mark them)."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        for key, item in value.items():
            if key in ("chap", "mutual_chap") and isinstance(item, Mapping) and isinstance(item.get("secret"), str):
                found.add(item["secret"])
            found |= chap_secrets(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            found |= chap_secrets(item)
    return found


def binding_specs(items: Any, field_name: str = "bindings") -> tuple[BindingSpec, ...]:
    """``bindings``: vmk names (``vmk1``) or ``{vmk: vmk1}`` / ``{portgroup: iSCSI-A}`` items.
    Errors name ``field_name[i]`` (the module option, or a document path)."""
    if not isinstance(items, (list, tuple)):
        raise arg_error(field_name, "must be a list, got %r" % (items,))
    out = []
    for i, item in enumerate(items):
        where = "%s[%d]" % (field_name, i)
        if isinstance(item, str):
            item = {"vmk": item}
        if not isinstance(item, Mapping):
            raise arg_error(where, "must be a vmk name or a dict with vmk or portgroup, got %r" % (item,))
        unknown = sorted(set(item) - {"vmk", "portgroup"})
        if unknown:
            raise arg_error(where, "unknown key(s) %s; use vmk or portgroup" % ", ".join(unknown))
        vmk, pg = item.get("vmk"), item.get("portgroup")
        if bool(vmk) == bool(pg):
            raise arg_error(where, "give exactly one of vmk or portgroup")
        if vmk is not None:
            try:
                vmk_number(str(vmk))
            except ValueError:
                raise arg_error(where + ".vmk", "%r is not a vmk device name (vmkN)" % (vmk,)) from None
        out.append(BindingSpec(vmk=str(vmk) if vmk else None, portgroup=str(pg) if pg else None))
    seen: dict[BindingSpec, int] = {}
    for i, b in enumerate(out):
        if b in seen:
            raise arg_error("%s[%d]" % (field_name, i), "%s is listed twice (also %s[%d])"
                            % (b.describe(), field_name, seen[b]))
        seen[b] = i
    return tuple(out)


def checked_profile(name: Any, field_name: str) -> str:
    """The canonical name of vendor profile ``name``; ArgumentError naming ``field_name`` if unknown."""
    if not isinstance(name, str) or canonical_profile(name) not in PROFILES:
        raise arg_error(field_name, "unknown profile %r; choose from %s" % (name, ", ".join(PROFILE_NAMES)))
    return canonical_profile(name)


def _explicit_options(item: Mapping[str, Any]) -> dict[str, Any]:
    return {OPTION_KEYS[name]: item[name] for name in OPTION_KEYS if item.get(name) is not None}


def _target_specs(items: Any, field_name: str, default_profile: str | None, static: bool) -> tuple[TargetSpec, ...]:
    out = []
    seen: dict[TargetKey, int] = {}
    for i, item in enumerate(items or ()):
        where = "%s[%d]" % (field_name, i)
        address = host_address(where + ".address", item.get("address"), None, None)
        port = item.get("port")
        if port is None:
            port = 3260
        elif isinstance(port, bool) or not isinstance(port, int):
            raise arg_error(where + ".port", "must be an integer TCP port, got %r" % (port,))
        check_range(where + ".port", port, 1, 65535)
        iqn = ""
        if static:
            iqn = str(item.get("iscsi_name") or "")
            if not iqn.startswith(("iqn.", "eui.", "naa.")):
                raise arg_error(where + ".iscsi_name", "required for a static target: the target's iqn./eui./naa. name")
        profile = item.get("profile") or default_profile
        if profile is not None:
            profile = checked_profile(profile, where + ".profile" if item.get("profile") else "profile")
        explicit = _explicit_options(item)
        options: dict[str, Any] = dict(PROFILES[profile].values) if profile else {}
        options.update(explicit)
        state = item.get("state") or "present"
        chap, mutual = chap_pair(where, item)
        spec = TargetSpec(address=address, port=int(port), iqn=iqn, state=state, options=options, explicit=explicit,
                          profile=profile, index=i, chap=chap, mutual_chap=mutual)
        if spec.key in seen:
            raise arg_error(where, "%s is listed twice (also %s[%d])" % (spec.portal, field_name, seen[spec.key]))
        seen[spec.key] = i
        out.append(spec)
    return tuple(out)


def _adapter_field(params: Mapping[str, Any]) -> Field[str]:
    adapter = params.get("adapter")
    if adapter is not None and not str(adapter).startswith("vmhba"):
        raise arg_error("adapter", "%r is not an adapter device name (vmhbaN)" % (adapter,))
    return opt(adapter)


def iscsi_adapter_desired(params: Mapping[str, Any], hosts: tuple[str, ...], cluster_mode: bool) -> dict[str, Desired]:
    """``iscsi_adapter`` module arguments -> one Desired per host in scope."""
    state = params.get("software_iscsi")
    bindings = params.get("bindings")
    chap, mutual = chap_pair("", params)
    spec = IscsiSpec(
        adapter=_adapter_field(params),
        software=OMIT if state is None else state == "enabled",
        iqn=opt(params.get("iqn")),
        alias=opt(params.get("alias")),
        bindings=OMIT if bindings is None else binding_specs(bindings),
        purge_bindings=bool(params.get("purge_bindings")),
        chap=chap,
        mutual_chap=mutual,
        update_secret=update_secret(params),
    )
    if spec.purge_bindings and bindings is None:
        raise arg_error("purge_bindings", "needs bindings: the complete list of vmks that stay bound")
    if is_set(spec.iqn) and not str(spec.iqn).startswith(("iqn.", "eui.")):
        raise arg_error("iqn", "must start with iqn. or eui., got %r" % (spec.iqn,))
    flags = flags_from_args(params)
    return {h: Desired(host=h, iscsi=(spec,), flags=flags) for h in hosts}


def iscsi_target_desired(params: Mapping[str, Any], hosts: tuple[str, ...], cluster_mode: bool) -> dict[str, Desired]:
    """``iscsi_target`` module arguments -> one Desired per host in scope."""
    profile = params.get("profile")
    if profile is not None:
        checked_profile(profile, "profile")
    sends = _target_specs(params.get("send_targets"), "send_targets", profile, static=False)
    statics = _target_specs(params.get("static_targets"), "static_targets", None, static=True)
    adapter_options = _explicit_options(params.get("adapter_options") or {})
    if not sends and not statics and not adapter_options and not params.get("purge"):
        raise arg_error("send_targets", "nothing to manage: give send_targets, static_targets or adapter_options")
    spec = IscsiSpec(
        adapter=_adapter_field(params),
        send_targets=sends,
        static_targets=statics,
        purge_targets=bool(params.get("purge")),
        adapter_options=adapter_options,
        rescan=params.get("rescan", True) is not False,
        update_secret=update_secret(params),
    )
    flags = flags_from_args(params)
    return {h: Desired(host=h, iscsi=(spec,), flags=flags) for h in hosts}
