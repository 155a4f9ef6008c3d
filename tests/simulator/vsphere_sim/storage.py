"""HostStorageSystem: software iSCSI, send/static targets, advanced options with inheritance,
and discovery against simulated storage arrays (vsphere-api.md §6).

Inheritance (§6.4): adapter → send target → static targets discovered from that send target.
A level that holds its own value reports ``isInherited = False``; otherwise it shows the value
of the level above with ``isInherited = True``. Port binding is iscsi.py; LUNs, topology and
paths (``config.storageDevice.scsiLun``/``scsiTopology``/``multipathInfo``) are luns.py.
"""

from __future__ import annotations

import hashlib
from typing import Any

from pyVmomi import vim, vmodl

from . import luns
from .base import MO
from .host_model import HostModel, pnic_pci
from .state import Simulator

HBA = vim.host.InternetScsiHba
SOFTWARE_FIRST = 64

# key -> (type, min, max, default, read-only). LoginTimeout 1-60 default 5 and DelayedAck
# default true are the values ESXi 7/8 report (vsphere-api.md §6); the rest follow the same table.
OPTIONS: dict[str, tuple[type, int | None, int | None, Any, bool]] = {
    "ErrorRecoveryLevel": (int, 0, 2, 0, True),
    "LoginRetryMax": (int, 0, 64, 4, True),
    "MaxOutstandingR2T": (int, 1, 8, 1, False),
    "FirstBurstLength": (int, 512, 16777215, 262144, False),
    "MaxBurstLength": (int, 512, 16777215, 262144, False),
    "MaxRecvDataSegLen": (int, 512, 16777215, 131072, False),
    "MaxCommands": (int, 2, 2048, 128, True),
    "DefaultTimeToWait": (int, 0, 60, 2, True),
    "DefaultTimeToRetain": (int, 0, 60, 0, True),
    "LoginTimeout": (int, 1, 60, 5, False),
    "LogoutTimeout": (int, 0, 60, 15, True),
    "RecoveryTimeout": (int, 1, 120, 10, False),
    "NoopTimeout": (int, 10, 30, 10, False),
    "NoopInterval": (int, 1, 60, 15, False),
    "InitR2T": (bool, None, None, False, True),
    "ImmediateData": (bool, None, None, True, True),
    "DelayedAck": (bool, None, None, True, False),
}


def option_defs() -> list[Any]:
    defs = []
    for key, (kind, low, high, default, readonly) in OPTIONS.items():
        if kind is bool:
            otype = vim.option.BoolOption(supported=True, defaultValue=default, valueIsReadonly=readonly)
        else:
            otype = vim.option.IntOption(min=low, max=high, defaultValue=default, valueIsReadonly=readonly)
        defs.append(vim.option.OptionDef(label=key, summary="iSCSI option : %s" % key, key=key, optionType=otype))
    return defs


CHAP_TYPES = tuple(HBA.ChapAuthenticationType.values)
CHAP_KEYS = ("chapAuthEnabled", "chapName", "chapSecret", "chapAuthenticationType")
MUTUAL_KEYS = ("mutualChapName", "mutualChapSecret", "mutualChapAuthenticationType")
ADAPTER_AUTH: dict[str, Any] = {"chapAuthEnabled": False, "chapName": "", "chapSecret": None, "chapAuthenticationType": "chapProhibited",
                                "mutualChapName": "", "mutualChapSecret": None, "mutualChapAuthenticationType": "chapProhibited"}


def _auth_api(values: dict[str, Any], own: dict[str, Any] | None = None) -> Any:
    """AuthenticationProperties as ESXi reports them: never the secrets; on a target, whether
    its CHAP and mutual CHAP parts are inherited (``own`` is None at adapter level)."""
    props = HBA.AuthenticationProperties(**{k: v for k, v in values.items() if not k.endswith("Secret")})
    if own is not None:
        props.chapInherited = not any(k in own for k in CHAP_KEYS)
        props.mutualChapInherited = not any(k in own for k in MUTUAL_KEYS)
    return props


def _digest(target: bool) -> Any:
    """Header and data digests: prohibited, as ESXi defaults them (not settable here)."""
    return HBA.DigestProperties(headerDigestType="digestProhibited", dataDigestType="digestProhibited",
                                headerDigestInherited=True if target else None, dataDigestInherited=True if target else None)


class Adapter:
    """One iSCSI adapter: its own option overrides and its targets' overrides."""

    def __init__(self, device: str, iqn: str, software: bool, pnic: str | None = None) -> None:
        self.device, self.iqn, self.software = device, iqn, software
        self.pnic = pnic  # a dependent hardware adapter's own NIC function
        self.alias: str | None = None
        self.own: dict[str, Any] = {}
        self.send: dict[tuple[str, int], dict[str, Any]] = {}  # (address, port) -> own options
        self.static: dict[tuple[str, int, str], dict[str, Any]] = {}  # manually added static targets
        self.discovered: dict[tuple[str, int, str], tuple[str, int]] = {}  # static -> parent send target
        self.discovered_own: dict[tuple[str, int, str], dict[str, Any]] = {}
        self.bound: list[str] = []  # vmks bound by IscsiManager.BindVnic, in binding order
        # CHAP: the adapter's own values, and per target only what it overrides ("chap" / "mutual" parts)
        self.auth: dict[str, Any] = dict(ADAPTER_AUTH)
        self.target_auth: dict[tuple[Any, ...], dict[str, Any]] = {}  # send (addr, port) / static (addr, port, iqn) key


def _values(own: dict[str, Any], parent: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """(ParamValues for this level, the effective values it passes down)."""
    effective = dict(parent)
    effective.update(own)
    return [HBA.ParamValue(key=k, value=effective[k], isInherited=k not in own) for k in OPTIONS], effective


class StorageSystem(MO):
    WSDL, PYTYPE = "HostStorageSystem", vim.host.StorageSystem
    WRITES = frozenset({"UpdateSoftwareInternetScsiEnabled", "AddInternetScsiSendTargets", "RemoveInternetScsiSendTargets",
                        "AddInternetScsiStaticTargets", "RemoveInternetScsiStaticTargets", "UpdateInternetScsiAdvancedOptions",
                        "UpdateInternetScsiName", "UpdateInternetScsiAlias", "UpdateInternetScsiAuthenticationProperties"})

    def __init__(self, sim: Simulator, moid: str, host: HostModel) -> None:
        super().__init__(sim, moid)
        self.host = host
        self.enabled = False
        self.adapters: dict[str, Adapter] = {}
        host.storage = self

    # -- read side -----------------------------------------------------------------------
    def device_info(self) -> Any:
        """``config.storageDevice`` (shared until the next change: callers must not modify it)."""
        return self.sim.memo(("device_info", self.moid), self._device_info)

    def _device_info(self) -> Any:
        scsi_luns, scsi_topology, multipath = luns.topology(self)
        return vim.host.StorageDeviceInfo(hostBusAdapter=[self._hba(a) for a in self.adapters.values()],
                                          softwareInternetScsiEnabled=self.enabled, scsiLun=scsi_luns, scsiTopology=scsi_topology,
                                          multipathInfo=multipath)

    def p_storageDeviceInfo(self) -> Any:
        return self.device_info()

    def _target_values(self, own: dict[str, Any], parent: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
        """A target's ``advancedOptions`` and the effective values it passes on; targets with the
        same values share one list (serialised once per state generation)."""
        key = ("iscsi target values", tuple(sorted(own.items())), tuple(sorted(parent.items())))
        return self.sim.memo(key, lambda: _values(own, parent)[0]), dict(parent, **own)

    def _hba(self, a: Adapter) -> Any:
        defs = self.sim.memo(("iscsi option defs",), option_defs)  # one list for every adapter and target
        digest = self.sim.memo(("iscsi target digest",), lambda: _digest(True))
        defaults = {k: v[3] for k, v in OPTIONS.items()}
        adapter_values, adapter_eff = _values(a.own, defaults)
        for value in adapter_values:
            value.isInherited = value.key not in a.own  # adapter level: inherited = the host default
        sends, statics = [], []
        for (addr, port), own in sorted(a.send.items()):
            values, eff = self._target_values(own, adapter_eff)
            auth = dict(a.auth, **a.target_auth.get((addr, port), {}))
            sends.append(HBA.SendTarget(address=addr, port=port, supportedAdvancedOptions=defs, advancedOptions=values,
                                        authenticationProperties=_auth_api(auth, a.target_auth.get((addr, port), {})),
                                        digestProperties=digest, parent=a.device))
            for key, parent in sorted(a.discovered.items()):
                if parent == (addr, port):
                    svalues = self._target_values(a.discovered_own.get(key, {}), eff)[0]
                    sown = a.target_auth.get(key, {})
                    statics.append(HBA.StaticTarget(address=key[0], port=key[1], iScsiName=key[2], discoveryMethod="sendTargetMethod",
                                                    supportedAdvancedOptions=defs, advancedOptions=svalues,
                                                    authenticationProperties=_auth_api(dict(auth, **sown), sown),
                                                    digestProperties=digest, parent="%s:%d" % (addr, port)))
        for key, own in sorted(a.static.items()):
            values = self._target_values(own, adapter_eff)[0]
            sown = a.target_auth.get(key, {})
            statics.append(HBA.StaticTarget(address=key[0], port=key[1], iScsiName=key[2], discoveryMethod="staticMethod",
                                            supportedAdvancedOptions=defs, advancedOptions=values,
                                            authenticationProperties=_auth_api(dict(a.auth, **sown), sown),
                                            digestProperties=digest, parent=a.device))
        return HBA(
            key="key-vim.host.InternetScsiHba-%s" % a.device, device=a.device, bus=0, pci=pnic_pci(self.host, a.pnic) if a.pnic else None,
            status="online" if self.enabled or not a.software else "offline",
            model="iSCSI Software Adapter" if a.software else "Dependent iSCSI Adapter", driver="iscsi_vmk" if a.software else "bnx2i",
            isSoftwareBased=a.software, canBeDisabled=a.software, networkBindingSupport="optional" if a.software else "required",
            discoveryCapabilities=HBA.DiscoveryCapabilities(iSnsDiscoverySettable=False, slpDiscoverySettable=False,
                                                            staticTargetDiscoverySettable=False, sendTargetsDiscoverySettable=False),
            discoveryProperties=HBA.DiscoveryProperties(iSnsDiscoveryEnabled=False, slpDiscoveryEnabled=False,
                                                        staticTargetDiscoveryEnabled=True, sendTargetsDiscoveryEnabled=True),
            authenticationCapabilities=HBA.AuthenticationCapabilities(chapAuthSettable=True, krb5AuthSettable=False, srpAuthSettable=False,
                                                                      spkmAuthSettable=False, mutualChapSettable=True,
                                                                      targetChapSettable=True, targetMutualChapSettable=True),
            authenticationProperties=_auth_api(a.auth),
            digestCapabilities=HBA.DigestCapabilities(headerDigestSettable=False, dataDigestSettable=False,
                                                      targetHeaderDigestSettable=False, targetDataDigestSettable=False),
            digestProperties=_digest(False),
            ipCapabilities=HBA.IPCapabilities(addressSettable=False, ipConfigurationMethodSettable=False, subnetMaskSettable=False,
                                              defaultGatewaySettable=False, primaryDnsServerAddressSettable=False,
                                              alternateDnsServerAddressSettable=False),
            ipProperties=HBA.IPProperties(dhcpConfigurationEnabled=False),
            supportedAdvancedOptions=defs, advancedOptions=adapter_values, iScsiName=a.iqn, iScsiAlias=a.alias,
            configuredSendTarget=sends, configuredStaticTarget=statics)

    # -- software iSCSI --------------------------------------------------------------------
    def m_UpdateSoftwareInternetScsiEnabled(self, ctx: Any, enabled: bool) -> None:
        if enabled and not any(a.software for a in self.adapters.values()):
            n = SOFTWARE_FIRST
            while "vmhba%d" % n in self.adapters:
                n += 1
            digest = hashlib.sha256(self.host.name.encode()).hexdigest()[:8]
            device = "vmhba%d" % n
            self.adapters[device] = Adapter(device, "iqn.1998-01.com.vmware:%s-%s" % (self.host.name.split(".")[0], digest), True)
        if self.enabled != enabled:
            # Disabling keeps the adapter until the host reboots, as ESXi does [INF]
            self.enabled = enabled
            self.sim.changed()

    def add_dependent(self, device: str, pnic: str) -> None:
        """A dependent hardware iSCSI adapter (inventory only): binds only vmks on its own NIC."""
        digest = hashlib.sha256((self.host.name + device).encode()).hexdigest()[:8]
        self.adapters[device] = Adapter(device, "iqn.1998-01.com.broadcom:%s-%s" % (self.host.name.split(".")[0], digest), False, pnic)

    def _adapter(self, device: str) -> Adapter:
        adapter = self.adapters.get(device)
        if adapter is None:
            raise vim.fault.NotFound(msg="iSCSI adapter %s not found" % device)
        return adapter

    # -- targets -------------------------------------------------------------------------
    def m_AddInternetScsiSendTargets(self, ctx: Any, iScsiHbaDevice: str, targets: list[Any]) -> None:
        adapter = self._adapter(iScsiHbaDevice)
        for target in targets:
            key = (target.address, target.port or 3260)
            if key not in adapter.send:
                adapter.send[key] = {}
                self.sim.changed()
        self._discover(adapter)

    def m_RemoveInternetScsiSendTargets(self, ctx: Any, iScsiHbaDevice: str, targets: list[Any], force: bool | None = None) -> None:
        adapter = self._adapter(iScsiHbaDevice)
        for target in targets:
            key = (target.address, target.port or 3260)
            if key not in adapter.send:
                raise vim.fault.NotFound(msg="send target %s:%d not found" % (key[0], key[1]))
        for target in targets:
            key = (target.address, target.port or 3260)
            del adapter.send[key]
            adapter.target_auth.pop(key, None)
            for static in [s for s, parent in adapter.discovered.items() if parent == key]:
                del adapter.discovered[static]
                adapter.discovered_own.pop(static, None)
                adapter.target_auth.pop(static, None)
        self.sim.changed()

    def m_AddInternetScsiStaticTargets(self, ctx: Any, iScsiHbaDevice: str, targets: list[Any]) -> None:
        adapter = self._adapter(iScsiHbaDevice)
        for target in targets:
            key = (target.address, target.port or 3260, target.iScsiName)
            if key not in adapter.static and key not in adapter.discovered:
                adapter.static[key] = {}
                self.sim.changed()

    def m_RemoveInternetScsiStaticTargets(self, ctx: Any, iScsiHbaDevice: str, targets: list[Any]) -> None:
        adapter = self._adapter(iScsiHbaDevice)
        keys = [(t.address, t.port or 3260, t.iScsiName) for t in targets]
        for key in keys:
            if key not in adapter.static and key not in adapter.discovered:
                raise vim.fault.NotFound(msg="static target %s:%d %s not found" % (key[0], key[1], key[2]))
        for key in keys:
            # a target a send target discovered goes too, as on ESXi (the next rescan finds it again)
            adapter.static.pop(key, None)
            adapter.discovered.pop(key, None)
            adapter.discovered_own.pop(key, None)
            adapter.target_auth.pop(key, None)
        self.sim.changed()

    def _discover(self, adapter: Adapter) -> None:
        """SendTargets discovery: every array target behind a configured portal appears as a
        static target whose parent is that send target; unknown portals discover nothing."""
        for (addr, port) in adapter.send:
            for array in self.sim.storage_arrays:
                if (addr, port) in array["portals"]:
                    for iqn in array["targets"]:
                        for portal in array["portals"]:
                            key = (portal[0], portal[1], iqn)
                            if key not in adapter.discovered and key not in adapter.static:
                                adapter.discovered[key] = (addr, port)
                                self.sim.changed()

    # -- options -------------------------------------------------------------------------
    def m_UpdateInternetScsiAdvancedOptions(self, ctx: Any, iScsiHbaDevice: str, options: list[Any], targetSet: Any = None) -> None:
        adapter = self._adapter(iScsiHbaDevice)
        levels = self._levels(adapter, targetSet)
        for opt in options:
            _check_option(opt)
        for own in levels:
            for opt in options:
                if opt.isInherited:
                    own.pop(opt.key, None)
                else:
                    own[opt.key] = opt.value
        self.sim.changed()

    def _levels(self, adapter: Adapter, target_set: Any) -> list[dict[str, Any]]:
        """The option overrides a TargetSet names (the adapter's own when it names no target)."""
        keys = self._target_keys(adapter, target_set)
        if not keys:
            return [adapter.own]
        return [adapter.send[k] if len(k) == 2 else adapter.static[k] if k in adapter.static
                else adapter.discovered_own.setdefault(k, {}) for k in keys]

    def m_UpdateInternetScsiAuthenticationProperties(self, ctx: Any, iScsiHbaDevice: str, authenticationProperties: Any,
                                                     targetSet: Any = None) -> None:
        """CHAP of the adapter, or of the listed targets: a target part (CHAP, mutual CHAP) with
        ``*Inherited`` true goes back to the level above. Secrets are kept, never reported."""
        adapter = self._adapter(iScsiHbaDevice)
        props = authenticationProperties
        for name in ("chapAuthenticationType", "mutualChapAuthenticationType"):
            value = getattr(props, name)
            if value is not None and value not in CHAP_TYPES:
                raise vmodl.fault.InvalidArgument(invalidProperty="authenticationProperties.%s" % name)
        keys = self._target_keys(adapter, targetSet)
        if not keys:  # the adapter level: nothing above it to inherit from
            updated = {None: _set_auth(adapter.auth, props, inherit_chap=False, inherit_mutual=False)}
        else:
            updated = {key: _set_auth(adapter.target_auth.get(key, {}), props, inherit_chap=bool(props.chapInherited),
                                      inherit_mutual=bool(props.mutualChapInherited)) for key in keys}
        for key, own in updated.items():  # every level checked before any is stored: all or nothing
            where = adapter.device if key is None else "%s target %s" % (adapter.device, ":".join(str(k) for k in key))
            _check_mutual(own if key is None else dict(self._parent_auth(adapter, key), **own), where)
        for key, own in updated.items():
            if key is None:
                adapter.auth = own
            else:
                adapter.target_auth[key] = own
        self.sim.changed()

    @staticmethod
    def _parent_auth(adapter: Adapter, key: tuple[Any, ...]) -> dict[str, Any]:
        """The CHAP a target inherits: a SendTargets-discovered static target's from its send target
        (which may inherit from the adapter), any other target's from the adapter."""
        parent = adapter.discovered.get(key)
        return dict(adapter.auth, **adapter.target_auth.get(parent, {})) if parent else adapter.auth

    def _target_keys(self, adapter: Adapter, target_set: Any) -> list[tuple[Any, ...]]:
        """The keys of the targets a TargetSet names (NotFound for one that is not configured)."""
        if target_set is None:
            return []
        keys: list[tuple[Any, ...]] = []
        for target in target_set.sendTargets or []:
            key = (target.address, target.port or 3260)
            if key not in adapter.send:
                raise vim.fault.NotFound(msg="send target %s:%d not found" % (key[0], key[1]))
            keys.append(key)
        for target in target_set.staticTargets or []:
            key = (target.address, target.port or 3260, target.iScsiName)
            if key not in adapter.static and key not in adapter.discovered:
                raise vim.fault.NotFound(msg="static target %s:%d %s not found" % (key[0], key[1], key[2]))
            keys.append(key)
        return keys

    def m_UpdateInternetScsiName(self, ctx: Any, iScsiHbaDevice: str, iScsiName: str) -> None:
        if not iScsiName.startswith(("iqn.", "eui.")):
            raise vmodl.fault.InvalidArgument(invalidProperty="iScsiName")
        self._adapter(iScsiHbaDevice).iqn = iScsiName
        self.sim.changed()

    def m_UpdateInternetScsiAlias(self, ctx: Any, iScsiHbaDevice: str, iScsiAlias: str) -> None:
        self._adapter(iScsiHbaDevice).alias = iScsiAlias
        self.sim.changed()

    def m_RescanHba(self, ctx: Any, hbaDevice: str) -> None:
        self._discover(self._adapter(hbaDevice))

    def m_RescanAllHba(self, ctx: Any) -> None:
        for adapter in self.adapters.values():
            self._discover(adapter)


def _check_option(opt: Any) -> None:
    spec = OPTIONS.get(opt.key)
    if spec is None:
        raise vmodl.fault.InvalidArgument(invalidProperty="options.key", msg="unknown iSCSI option %s" % opt.key)
    kind, low, high, _default, readonly = spec
    if readonly:
        raise vmodl.fault.InvalidArgument(invalidProperty="options.key", msg="%s is read-only" % opt.key)
    if opt.isInherited:
        return
    if kind is bool and not isinstance(opt.value, bool):
        raise vmodl.fault.InvalidArgument(invalidProperty="options.value", msg="%s takes a boolean" % opt.key)
    if kind is int and (isinstance(opt.value, bool) or not isinstance(opt.value, int) or not low <= opt.value <= high):
        raise vmodl.fault.InvalidArgument(invalidProperty="options.value", msg="%s must be an integer from %s to %s" % (opt.key, low, high))


def _set_auth(current: dict[str, Any], props: Any, inherit_chap: bool, inherit_mutual: bool) -> dict[str, Any]:
    """A level's own CHAP values after one AuthenticationProperties (a secret left unset is kept)."""
    own = dict(current)
    for part, inherit in ((CHAP_KEYS, inherit_chap), (MUTUAL_KEYS, inherit_mutual)):
        if inherit:
            for k in part:
                own.pop(k, None)
            continue
        for k in part:
            value = getattr(props, k)
            if value is not None or not k.endswith("Secret"):
                own[k] = value if value is not None else ADAPTER_AUTH[k]
    return own


def _check_mutual(values: dict[str, Any], where: str) -> None:
    """ESXi allows mutual CHAP only when CHAP itself is required [INF: the vSphere client enforces the same]."""
    mutual = values.get("mutualChapAuthenticationType") or "chapProhibited"
    if mutual != "chapProhibited" and values.get("chapAuthenticationType") != "chapRequired":
        raise vim.fault.HostConfigFault(msg="%s: mutual CHAP needs chapAuthenticationType chapRequired" % where)


def dump(storage: StorageSystem) -> dict[str, Any]:
    """JSON-able state for --state."""
    return {"enabled": storage.enabled, "adapters": [
        {"device": a.device, "iqn": a.iqn, "software": a.software, "pnic": a.pnic, "alias": a.alias, "own": a.own, "bound": a.bound,
         "auth": a.auth, "target_auth": [[list(k), v] for k, v in a.target_auth.items()],
         "send": [[k[0], k[1], v] for k, v in a.send.items()],
         "static": [[k[0], k[1], k[2], v] for k, v in a.static.items()],
         "discovered": [[k[0], k[1], k[2], p[0], p[1], a.discovered_own.get(k, {})] for k, p in a.discovered.items()]}
        for a in storage.adapters.values()]}


def load(storage: StorageSystem, data: dict[str, Any]) -> None:
    storage.enabled = bool(data.get("enabled"))
    storage.adapters = {}
    for d in data.get("adapters", []):
        a = Adapter(d["device"], d["iqn"], d["software"], d.get("pnic"))
        a.alias, a.own, a.bound = d.get("alias"), dict(d.get("own", {})), list(d.get("bound", []))
        a.auth = dict(ADAPTER_AUTH, **d.get("auth", {}))
        a.target_auth = {tuple(k): dict(v) for k, v in d.get("target_auth", [])}
        a.send = {(s[0], s[1]): s[2] for s in d.get("send", [])}
        a.static = {(s[0], s[1], s[2]): s[3] for s in d.get("static", [])}
        for s in d.get("discovered", []):
            a.discovered[(s[0], s[1], s[2])] = (s[3], s[4])
            if s[5]:
                a.discovered_own[(s[0], s[1], s[2])] = s[5]
        storage.adapters[a.device] = a
