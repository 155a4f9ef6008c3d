# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one wrapper every module uses: merged argspec, the pipeline, the return contract, one exit.

Private to this collection. Imports no pyVmomi itself (``_client``/``_reader``/``_apply`` do).

Pipeline: connect (one login) -> read (one PropertyCollector round trip for every selected
host) -> normalise the module arguments per host (``_params``) -> plan per host (``_planner``)
-> validate ALL hosts together (``_validator``; any error refuses the run before any write,
in check mode too) -> re-read the hosts about to be written and refuse if they changed (rule
SF-10; skipped in check mode and when nothing is to be written) -> apply (skipped in check
mode) -> result.

Return contract: ``changed``, ``plan`` (actions of every host),
``findings``, ``before`` / ``after`` (host -> canonical document; ``after`` is the planner's
prediction, with the device names the host really gave new vmks after a real run) and, with
``--diff``, ``diff`` (one before/after pair per changed host). A refused run fails with
``msg`` (the first error in one line, then the IDs of the other refusing rules),
``refused`` (error findings), ``findings`` and ``changed: false``.
"""

from __future__ import annotations

import dataclasses
import gc
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._client import (
    CONNECTION_ARGSPEC,
    HAS_PYVMOMI,
    Session,
    session,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._document import host_to_doc
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import (
    ArgumentError,
    FabricError,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._fabric import check_config, host_fabric_desired
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._iscsi_params import chap_secrets
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._model import (
    FAILURE_DETECTION,
    POLICIES,
    Action,
    Desired,
    Finding,
    Host,
    Vmk,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._parallel import DEFAULT_WORKERS
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._planner import Plan, plan_host
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._progress import Progress
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._reader import Observation, Selection, read, reread
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._retry import RetryPolicy, call_with_retry
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._validator import (
    FLAG_RULES,
    Case,
    check_escalation,
    escalate,
    one_line,
    recheck,
    recheck_touches_iscsi,
    refusals,
    render,
    validate,
    warning_lines,
)

SELECTION_ARGSPEC: dict[str, dict[str, Any]] = {
    "esxi_hostname": {"type": "str"},
    "cluster": {"type": "str", "aliases": ["cluster_name"]},
    "parallel_hosts": {"type": "int", "default": DEFAULT_WORKERS},
}
"""Host selection; documented by the ``scope`` doc fragment."""

TEAMING_ARGSPEC: dict[str, dict[str, Any]] = {
    "active": {"type": "list", "elements": "str"},
    "standby": {"type": "list", "elements": "str"},
    "unused": {"type": "list", "elements": "str"},
    "policy": {"type": "str", "choices": list(POLICIES)},
    "failback": {"type": "bool"},
    "notify_switches": {"type": "bool"},
    "failure_detection": {"type": "str", "choices": list(FAILURE_DETECTION)},
}
"""The ``teaming`` suboptions shared by vswitch and vmknic (vmknic adds ``inherit``)."""

FLAG_ARGSPEC: dict[str, dict[str, Any]] = {name: {"type": "bool", "default": False} for name in FLAG_RULES}
"""Opt-in safety flags a module may take; documented by the ``plan`` doc fragment."""

PLAN_ARGSPEC: dict[str, dict[str, Any]] = {
    "warnings_as_errors": {"type": "list", "elements": "str", "default": []},
}
"""Options of every mutating module; documented by the ``plan`` doc fragment."""

READ_RETRY = RetryPolicy(attempts=3, base_delay=0.5, max_delay=4.0, timeout=30.0)

DesiredFn = Callable[[Mapping[str, Any], tuple[str, ...], bool], dict[str, Desired]]
ObservedFn = Callable[[Mapping[str, Any], Mapping[str, Host], bool], dict[str, Desired]]


class _Refused(FabricError):
    """The validator found errors: nothing was written."""


class FabricModule(AnsibleModule):
    """AnsibleModule whose argument errors always name the option: for a string given where an
    option with suboptions wants a dict (``ip: 10.10.60.11``), ansible-core reports its no_log
    scan's bare "dictionary requested" first; the error naming the option is among the others."""

    def fail_json(self, msg: str, **kwargs: Any) -> None:
        errors = getattr(getattr(self, "validation_result", None), "errors", None) or ()
        named = [e.msg for e in errors if str(e.msg).startswith("argument '")]
        if named and msg == getattr(errors, "msg", None) and not msg.startswith("argument '"):
            msg = named[0]
        super().fail_json(msg=msg, **kwargs)


def fabric_module(argument_spec: Mapping[str, Any], flags: Sequence[str] = (),
                  one_of: Sequence[tuple[str, ...]] = (), plan: bool = True) -> AnsibleModule:
    """AnsibleModule with connection + selection + the module's options + the named flags;
    ``one_of``: further groups of options of which exactly one must be given; ``plan``: the
    module plans and writes (the ``plan`` options; False for the info module)."""
    spec: dict[str, Any] = dict(CONNECTION_ARGSPEC)
    spec.update(SELECTION_ARGSPEC)
    spec.update(PLAN_ARGSPEC if plan else {})
    spec.update(argument_spec)
    spec.update({name: dict(FLAG_ARGSPEC[name]) for name in flags})
    groups = [("esxi_hostname", "cluster")] + [tuple(g) for g in one_of]
    module = FabricModule(
        argument_spec=spec,
        mutually_exclusive=groups,
        required_one_of=groups,
        supports_check_mode=True,
    )
    module.no_log_values.update(chap_secrets(module.params))  # CHAP secrets nested in a document: masked too
    return module


def selection_of(params: Mapping[str, Any]) -> Selection:
    return Selection(esxi_hostname=params.get("esxi_hostname"), cluster=params.get("cluster"))


def run_converge(module: AnsibleModule, desired_fn: DesiredFn) -> None:
    """Entry point of every mutating module. Never returns (exit_json / fail_json)."""
    _run(module, lambda: converge(module, desired_fn))


def run_fabric(module: AnsibleModule) -> None:
    """Entry point of ``host_fabric``: the resource states over the one pipeline."""
    _run(module, lambda: fabric(module))


def fabric(module: AnsibleModule) -> dict[str, Any]:
    state = module.params["state"]
    check_config(state, module.params.get("config"))  # before the login: an empty config never connects
    if state == "gathered":
        return gather(module)
    result = converge(module, None, observed_fn=host_fabric_desired, dry_run=state == "rendered")
    result["hosts"] = _per_host(result)
    if state == "rendered":
        result["rendered"] = {h: [a for a in result["plan"] if a["host"] == h] for h in result["before"]}
        result["changed"] = False
    return result


def _per_host(result: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """host -> {changed, plan, findings}: the result sliced per host."""
    return {h: {"changed": any(a["host"] == h for a in result["plan"]),
                "plan": [a for a in result["plan"] if a["host"] == h],
                "findings": [f for f in result["findings"] if f["host"] == h]} for h in result["before"]}


def run_gather(module: AnsibleModule) -> None:
    """Entry point of the info module: ``gathered`` = host -> canonical document."""
    _run(module, lambda: gather(module))


def _run(module: AnsibleModule, work: Callable[[], dict[str, Any]]) -> None:
    """The single exit point: every FabricError (and anything unexpected) becomes one message."""
    with _collector_paused():
        _run_work(module, work)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the run, restored after it (for callers in the same process).
    The read of 32 hosts makes ~10^5 pyVmomi objects that live until the run ends; every collection walked
    them all again and freed nothing (~0.2 s of a 32-host no-op run). The run's garbage is freed by reference
    counting as before; what a cycle holds waits for the next collection after the run."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _run_work(module: AnsibleModule, work: Callable[[], dict[str, Any]]) -> None:
    if not HAS_PYVMOMI:
        module.fail_json(msg=missing_required_lib("pyVmomi"))
    if module.params.get("validate_certs") is False:
        module.warn("validate_certs is false: the TLS certificate of %s is not verified, so the password is sent "
                    "to whoever answers; set ca_path to the CA bundle that signed it instead"
                    % module.params.get("hostname"))
    try:
        _check_parallel(module.params)
        result = work()
    except _Refused as refused:
        module.fail_json(msg=refused.message, changed=False, **refused.details)
    except FabricError as err:
        extra = {"steps": err.details["steps"]} if "steps" in err.details else {}
        module.fail_json(msg=err.message, changed=bool(err.details.get("changed")), error=_public(err.details), **extra)
    except Exception as err:  # a bug: one clean failure, the traceback kept for the report (shown with -vvv)
        module.fail_json(msg="Unexpected error (%s): %s" % (type(err).__name__, err), changed=False,
                         exception=traceback.format_exc())
    module.exit_json(**result)


MAX_PARALLEL_HOSTS = 32


def _check_parallel(params: Mapping[str, Any]) -> None:
    """``parallel_hosts`` in 1..32, checked before the login."""
    value = params.get("parallel_hosts")
    if value is not None and not 1 <= value <= MAX_PARALLEL_HOSTS:
        raise ArgumentError("parallel_hosts", "must be between 1 and %d, got %d" % (MAX_PARALLEL_HOSTS, value))


def _public(details: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in details.items() if isinstance(v, (str, int, bool)) and k != "changed"}


# ---------------------------------------------------------------------------------------
# The pipeline
# ---------------------------------------------------------------------------------------


def gather(module: AnsibleModule) -> dict[str, Any]:
    with session(module.params) as s:
        obs = _read(s, selection_of(module.params))
    return {"changed": False, "gathered": {h: host_to_doc(obs.hosts[h]) for h in obs.hosts}}


def converge(module: AnsibleModule, desired_fn: DesiredFn | None, observed_fn: ObservedFn | None = None,
             dry_run: bool = False) -> dict[str, Any]:
    """The pipeline. ``observed_fn`` (instead of ``desired_fn``) also gets the observed hosts
    (host_fabric's states need them); ``dry_run`` plans and validates but never writes, like
    check mode (host_fabric ``rendered``)."""
    params = module.params
    selection = selection_of(params)
    strict = check_escalation(params.get("warnings_as_errors"))  # before the login: a bad rule ID never connects
    with session(params) as s:
        obs = _read(s, selection)
        names = tuple(obs.hosts)
        fn = _desired_fn(desired_fn, observed_fn, obs)
        desired = _normalise(fn, params, names, selection.cluster_mode)
        plans = {h: plan_host(obs.hosts[h], desired[h]) for h in names}
        cases = [Case(obs.hosts[h], desired[h], plans[h]) for h in names]
        findings = escalate(validate(cases), strict)
        _refuse_or_warn(module, findings)
        if module.check_mode or dry_run:
            return result_of(module, obs, plans, findings, {}, predicted=True)
        if not any(p.changed for p in plans.values()):
            return result_of(module, obs, plans, findings, {})  # nothing to write: what apply_all would return
        _check_unchanged(s, obs, {h: cases[i] for i, h in enumerate(names)}, plans)
        # imported on the write path only: a run that writes nothing does not load the applier (~45 ms per task)
        from ansible_collections.vmkfabric.vsphere.plugins.module_utils._apply._run import (  # pylint: disable=import-outside-toplevel
            apply_all,
            read_back,
            rekey_dv,
        )
        progress = Progress()
        try:
            devices, adapters, keys = apply_all(plans, obs, s, progress)
            plans = {h: dataclasses.replace(p, after=rekey_dv(p.after, keys)) for h, p in plans.items()}
            plans = read_back(s, plans, obs, adapters)
        except FabricError as err:
            failure = progress.failure(err)
            if failure is err:
                raise
            raise failure from err
    return result_of(module, obs, plans, findings, devices)


def _desired_fn(desired_fn: DesiredFn | None, observed_fn: ObservedFn | None, obs: Observation) -> DesiredFn:
    """The arguments -> Desired function of this run: ``observed_fn`` also gets the observed hosts."""
    if observed_fn is not None:
        return lambda p, _n, c: observed_fn(p, obs.hosts, c)
    if desired_fn is None:
        raise TypeError("converge needs desired_fn or observed_fn")
    return desired_fn


def _check_unchanged(s: Session, obs: Observation, cases: Mapping[str, Case], plans: Mapping[str, Plan]) -> None:
    """Rule SF-10: just before the first write, read the hosts about to be written again (one
    RetrievePropertiesEx, plus QueryBoundVnics where the plan touches iSCSI) and refuse if
    anything the plan depends on changed. A run that writes nothing pays nothing."""
    written = {h: recheck_touches_iscsi(c) for h, c in cases.items() if plans[h].changed}
    if not written:
        return
    stale = recheck(list(cases.values()), call_with_retry(lambda: reread(s, obs, written), READ_RETRY))
    if stale:
        raise _Refused("%s %s" % (render(stale).splitlines()[0], one_line(stale[0].as_dict())),
                       refused=[f.as_dict() for f in stale], findings=[f.as_dict() for f in stale])


def _read(s: Session, selection: Selection) -> Observation:
    return call_with_retry(lambda: read(s, selection), READ_RETRY)


def _normalise(desired_fn: DesiredFn, params: Mapping[str, Any], names: tuple[str, ...],
               cluster_mode: bool) -> dict[str, Desired]:
    """Module arguments -> one Desired per host; an argument error always names the host(s)."""
    try:
        return desired_fn(params, names, cluster_mode)
    except ArgumentError as err:
        if err.host:
            raise
        raise ArgumentError(err.field, err.message.partition(": ")[2], ", ".join(names)) from err


def _refuse_or_warn(module: AnsibleModule, findings: list[Finding]) -> None:
    errors = refusals(findings)
    if errors:
        headline = render(findings).splitlines()[0]
        others = [r for r in dict.fromkeys(f.rule for f in errors) if r != errors[0].rule]
        also = "; also refused by %s" % ", ".join(others) if others else ""  # every rule ID is in the one line
        raise _Refused("%s %s%s" % (headline, one_line(errors[0].as_dict()), also),
                       refused=[f.as_dict() for f in errors], findings=[f.as_dict() for f in findings])
    for line in warning_lines([f.as_dict() for f in findings]):
        module.warn(line)


# ---------------------------------------------------------------------------------------
# Result
# ---------------------------------------------------------------------------------------


def rename_vmks(host: Host, devices: Mapping[str, str]) -> Host:
    """``host`` with planned vmk names replaced by the names the host gave them."""
    if all(k == v for k, v in devices.items()):
        return host
    vmks: dict[str, Vmk] = {}
    for name, vmk in host.vmks.items():
        real = devices.get(name, name)
        vmks[real] = dataclasses.replace(vmk, device=real)
    return dataclasses.replace(host, vmks=vmks)


def rename_action(action: Action, devices: Mapping[str, str]) -> Action:
    device, sep, rest = action.name.partition(":")
    if device not in devices or devices[device] == device:
        return action
    return dataclasses.replace(action, name=devices[device] + sep + rest)


def result_of(module: AnsibleModule, obs: Observation, plans: Mapping[str, Plan], findings: list[Finding],
              devices: Mapping[str, Mapping[str, str]], predicted: bool = False) -> dict[str, Any]:
    before = {h: host_to_doc(obs.hosts[h]) for h in plans}
    after = {h: host_to_doc(rename_vmks(p.after, devices.get(h, {}))) for h, p in plans.items()}
    actions = [rename_action(a, devices.get(h, {})).as_dict() for h, p in plans.items() for a in p.actions]
    result: dict[str, Any] = {
        "changed": any(p.changed for p in plans.values()),
        "plan": actions,
        "findings": [f.as_dict() for f in findings],
        "before": before,
        "after": after,
    }
    if module._diff:
        result["diff"] = [
            {"before": before[h], "after": after[h], "before_header": "%s (before)" % h,
             "after_header": "%s (after%s)" % (h, ", predicted" if predicted else "")}
            for h, p in plans.items() if p.changed
        ]
    return result
