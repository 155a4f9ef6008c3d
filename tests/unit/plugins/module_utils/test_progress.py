# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""_progress: a failure after the first write reports changed and the steps per host exactly."""

from __future__ import annotations

from ansible_collections.vmkfabric.vsphere.plugins.module_utils._errors import (
    ApplyError,
    ArgumentError,
    TransientError,
)
from ansible_collections.vmkfabric.vsphere.plugins.module_utils._progress import Progress

H1, H2, H3 = "esx01.lab.local", "esx02.lab.local", "esx03.lab.local"
STEPS = ["UpdateNetworkConfig", "SelectVnicForNicType(vmotion, vmk1)", "BindVnic(vmhba64, vmk2)"]


def progress() -> Progress:
    return Progress(planned={H1: list(STEPS), H2: list(STEPS), H3: list(STEPS)})


def test_an_error_before_any_write_attempt_passes_through_unchanged():
    err = ArgumentError("uplinks", "bad")
    assert progress().failure(err) is err


def test_a_host_fault_names_done_failed_and_not_done_per_host():
    p = progress()
    p.attempted = True
    p.of(H1).extend(STEPS)
    p.of(H2).append("UpdateNetworkConfig")
    err = p.failure(ApplyError("esx02.lab.local: SelectVnicForNicType failed: (InvalidArgument)", host=H2,
                               call="SelectVnicForNicType"))
    assert isinstance(err, ApplyError) and err.details["changed"] is True
    steps = err.details["steps"]
    assert steps[H1] == {"done": STEPS, "not_done": []}
    assert steps[H2] == {"done": ["UpdateNetworkConfig"], "failed": STEPS[1], "outcome": "failed", "not_done": STEPS[2:]}
    assert steps[H3] == {"done": [], "not_done": STEPS}
    assert err.message.endswith("(already changed in this run: esx01.lab.local)")


def test_a_dropped_connection_is_changed_even_on_the_first_write_and_the_outcome_is_unknown():
    p = progress()
    p.attempted = True
    err = p.failure(TransientError("esx01.lab.local: UpdateNetworkConfig: connection dropped (reset)", host=H1,
                                   call="UpdateNetworkConfig"))
    assert err.details["changed"] is True  # the write may have reached the host
    assert err.details["steps"][H1] == {"done": [], "failed": "UpdateNetworkConfig", "outcome": "unknown",
                                        "not_done": STEPS[1:]}
    assert "whether UpdateNetworkConfig reached esx01.lab.local is unknown" in err.message


def test_a_host_fault_on_the_first_write_is_not_changed():
    p = progress()
    p.attempted = True
    err = p.failure(ApplyError("esx01.lab.local: UpdateNetworkConfig failed: (AlreadyExists)", host=H1,
                               call="UpdateNetworkConfig"))
    assert err.details["changed"] is False  # ESXi applies UpdateNetworkConfig all or nothing
    assert "already changed" not in err.message


def test_a_partly_written_host_is_named_with_what_was_done():
    p = progress()
    p.attempted = True
    p.of(H1).append("UpdateNetworkConfig")
    err = p.failure(ApplyError("vCenter: read-back failed", host="vCenter"))
    assert "already changed in this run: esx01.lab.local (done: UpdateNetworkConfig)" in err.message
    assert all("failed" not in s for s in err.details["steps"].values())


def test_hosts_that_failed_at_the_same_time_are_all_reported():
    p = progress()
    p.attempted = True
    p.of(H1).append("UpdateNetworkConfig")
    p.record(H2, ApplyError("esx02.lab.local: UpdateNetworkConfig failed: busy (ResourceInUse)", host=H2))
    p.record(H3, TransientError("esx03.lab.local: UpdateNetworkConfig: connection dropped", host=H3,
                                call="UpdateNetworkConfig"))
    err = p.failure(ApplyError("esx02.lab.local: UpdateNetworkConfig failed: busy (ResourceInUse)", host=H2))
    assert "also failed at the same time: esx03.lab.local (esx03.lab.local: UpdateNetworkConfig: connection dropped)" \
        in err.message
    assert "already changed in this run: esx01.lab.local (done: UpdateNetworkConfig)" in err.message
    steps = err.details["steps"]
    assert steps[H2]["outcome"] == "failed" and steps[H3]["outcome"] == "unknown"  # the drop may have reached it
    assert steps[H1] == {"done": ["UpdateNetworkConfig"], "not_done": STEPS[1:]}  # stopped, not failed
    assert err.details["changed"] is True


def test_the_steps_list_of_a_host_carries_the_stop_signal():
    p = progress()
    steps = p.of(H1)
    assert not steps.stopped()
    p.stop.set()
    assert steps.stopped() and p.of(H2).stopped()
