"""Where the time of a no-op ``host_fabric`` rerun goes: the playbook's timeline and one module run's phases.

Starts the simulator on the lab inventory (64 hosts, two 32-host clusters) with ``--latency-ms`` per call
(default 20), converges the reference fabric with one ``host_fabric`` task per cluster, as ``make bench``
does, then:

1. reruns the playbook (a no-op) ``--repeat`` times with a wrapper as the module interpreter, and prints
   when each module process ran: what is left is ansible-playbook's own time (start-up, reading the
   playbook, building the module's payload, handling each result). A wrapper is not ansible-playbook's own
   Python, so the modules run as module processes here (as with ansible-core before 2.19), not inside
   ansible-playbook as ``make bench`` runs them; ``--in-process`` reruns it that way too, for the total;
2. keeps the first task's AnsiballZ payload and runs it ``--repeat`` times in this process, as the payload
   runs it (the collection imported from the payload's zip), timing its phases: imports, connection,
   the shape read, the hosts' read, the bound sets (``QueryBoundVnics``), planning and validation, the
   result. The phases are read off the collection's own functions (wrapped, not changed).

``--collections DIR``: the collection to measure (a directory holding ``ansible_collections/``; default the
one ``make venv`` links), e.g. an export of another commit to compare.

Usage: .venv/bin/python benchmarks/noop_phases.py [--latency-ms 20] [--repeat 3] [--in-process] [--collections DIR]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import datetime
import glob
import importlib
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_converge as bench  # noqa: E402

MU = "ansible_collections.vmkfabric.vsphere.plugins.module_utils."
WRAPPER = """#!/bin/sh
start=$(date +%%s.%%N)
"%s" "$@"
rc=$?
echo "$start $(date +%%s.%%N)" >> "%s"
exit $rc
"""


COLLECTIONS = [bench.OURS]


def playbook_env(sim: Any, lab: bench.Lab, **extra: str) -> dict[str, str]:
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS[0], PYTHONPATH=COLLECTIONS[0], ANSIBLE_NOCOLOR="1", VMWARE_HOST="127.0.0.1",
                VMWARE_PORT=str(sim.port), VMWARE_USER=lab.credentials["username"], VMWARE_PASSWORD=lab.credentials["password"],
                SSL_CERT_FILE=sim.ca_file, PATH=bench.BIN + os.pathsep + os.environ.get("PATH", ""), **extra)


def rerun(sim: Any, lab: bench.Lab, play: str, *extra: str) -> tuple[float, float, dict[str, Any]]:
    """One no-op rerun of ``play``: (start time, wall time, simulator stats); fails unless it ran and wrote nothing."""
    sim.reset_stats()
    start = time.time()
    proc = subprocess.run([os.path.join(bench.BIN, "ansible-playbook"), "-i", bench.LOCALHOST, play, *extra],
                          env=playbook_env(sim, lab), capture_output=True, text=True, timeout=600, check=False)
    wall = time.time() - start
    stats = sim.stats()
    assert proc.returncode == 0 and stats["writes"] == 0, proc.stdout[-2000:]
    return start, wall, stats


def timeline(sim: Any, lab: bench.Lab, play: str, workdir: str) -> dict[str, float]:
    """One no-op rerun: its wall time and the start and end of each module process (seconds from the start)."""
    log = os.path.join(workdir, "modules.log")
    wrapper = os.path.join(workdir, "python.sh")
    with open(wrapper, "w", encoding="utf-8") as fh:
        fh.write(WRAPPER % (sys.executable, log))
    os.chmod(wrapper, 0o755)
    if os.path.exists(log):
        os.remove(log)
    start, wall, stats = rerun(sim, lab, play, "-e", "ansible_python_interpreter=" + wrapper)
    with open(log, encoding="utf-8") as fh:
        spans = [tuple(float(x) - start for x in line.split()) for line in fh if line.strip()]
    out = {"wall": wall, "calls": stats["total"]}
    for i, (a, b) in enumerate(spans, 1):
        out["module %d" % i] = b - a
    out["ansible-playbook (the rest)"] = wall - sum(b - a for a, b in spans)
    return out


def in_process(sim: Any, lab: bench.Lab, play: str) -> dict[str, float]:
    """One no-op rerun as ``make bench`` runs it (the modules inside ansible-playbook): its wall time."""
    return {"wall, modules inside ansible-playbook": rerun(sim, lab, play)[1]}


def payload(sim: Any, lab: bench.Lab, play: str, workdir: str) -> str:
    """The AnsiballZ payload of the first task of a no-op rerun (ANSIBLE_KEEP_REMOTE_FILES)."""
    keep = os.path.join(workdir, "keep")
    os.makedirs(keep, exist_ok=True)
    subprocess.run([os.path.join(bench.BIN, "ansible-playbook"), "-i", bench.LOCALHOST, play,
                    "-e", "ansible_python_interpreter=" + os.path.join(workdir, "python.sh")],  # a module process
                   env=playbook_env(sim, lab, ANSIBLE_KEEP_REMOTE_FILES="1", ANSIBLE_REMOTE_TMP=keep),
                   capture_output=True, text=True, timeout=600, check=True)
    return sorted(glob.glob(os.path.join(keep, "*", "AnsiballZ_host_fabric.py")))[0]


def phases(path: str, sim: Any, lab: bench.Lab) -> dict[str, float]:
    """Run the payload in a fresh interpreter (this script with --phases) and return its phase times."""
    env = playbook_env(sim, lab)
    env.pop("PYTHONPATH", None)  # the payload brings the collection, as it does under ansible-playbook
    proc = subprocess.run([sys.executable, os.path.abspath(__file__), "--phases", path], env=env,
                          capture_output=True, text=True, timeout=300, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_phases(path: str) -> None:
    """(In the child) import and run the payload's module as the AnsiballZ wrapper does, timing the phases."""
    start = time.perf_counter()
    with open(path, encoding="utf-8") as fh:
        src = fh.read()
    args: dict[str, Any] = {}
    exec(src[src.rindex("_ansiballz_main("):], {"_ansiballz_main": lambda **kw: args.update(kw), "datetime": datetime})  # noqa: S102
    zpath = os.path.join(tempfile.mkdtemp(), "payload.zip")
    with open(zpath, "wb") as fh:
        fh.write(base64.b64decode(args["zip_data"]))
    sys.path.insert(0, zpath)
    spent: dict[str, float] = {}
    mark = [time.perf_counter()]

    def lap(label: str) -> None:
        now = time.perf_counter()
        spent[label] = spent.get(label, 0.0) + now - mark[0]
        mark[0] = now

    from ansible.module_utils import basic  # pylint: disable=import-outside-toplevel
    from ansible.module_utils._internal._ansiballz import _loader  # pylint: disable=import-outside-toplevel
    lap("import ansible-core module_utils")
    importlib.import_module(MU + "_module")
    importlib.import_module(args["module_fqn"])
    lap("import the collection (pyVmomi, compiled from the zip)")
    reader = importlib.import_module(MU + "_reader")

    def timed(owner: Any, name: str, before: str, after: str) -> None:
        fn: Callable[..., Any] = getattr(owner, name)

        def wrapper(*a: Any, **k: Any) -> Any:
            lap(before)
            try:
                return fn(*a, **k)
            finally:
                lap(after)
        setattr(owner, name, wrapper)
    timed(reader, "retrieve", "arguments, connection (RetrieveServiceContent, Login)", "reads (RetrievePropertiesEx: shape, hosts)")
    timed(reader, "each", "conversion, planning, validation, Logout", "bound sets (QueryBoundVnics, parallel_hosts at a time)")
    timed(basic.AnsibleModule, "exit_json", "conversion, planning, validation, Logout", "result (exit_json)")
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        _loader.run_module(json_params=args["params"].encode(), profile=args["profile"], module_fqn=args["module_fqn"],
                           modlib_path=zpath, extensions=args["extensions"])
    lap("result (exit_json)")
    assert json.loads(out.getvalue())["changed"] is False
    spent["total"] = time.perf_counter() - start
    print(json.dumps(spent))


def main() -> int:
    if sys.argv[1:2] == ["--phases"]:
        run_phases(sys.argv[2])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--in-process", action="store_true", help="also time each rerun as make bench runs it")
    parser.add_argument("--collections", default=bench.OURS)
    options = parser.parse_args()
    COLLECTIONS[0] = os.path.abspath(options.collections)
    lab = bench.load_lab(64)
    run = bench.Run("fabric", "fabric", "vmkfabric.vsphere", "one task per cluster", bench.ours_fabric(lab), lab.fabric, options.latency_ms)
    with tempfile.TemporaryDirectory(prefix="noop-") as tmp, bench.SimProcess(lab.inventory, latency_ms=options.latency_ms) as sim:
        converge = bench.run_playbook(sim, run, lab, COLLECTIONS[0], tmp)
        assert converge["ok"], converge["tail"]
        play = os.path.join(tmp, "play.yml")
        runs = [dict(timeline(sim, lab, play, tmp), **(in_process(sim, lab, play) if options.in_process else {}))
                for _attempt in range(options.repeat)]
        print("no-op rerun, 64 hosts, %d ms per call, %d runs (median, min - max):" % (options.latency_ms, len(runs)))
        for key in runs[0]:
            values = [r[key] for r in runs]
            print("  %-40s %6.2f  (%.2f - %.2f)" % (key, statistics.median(values), min(values), max(values)))
        path = payload(sim, lab, play, tmp)
        found = [phases(path, sim, lab) for _attempt in range(options.repeat)]
        print("one module run (32 hosts), in-process from its payload (median, min - max):")
        for key in found[0]:
            values = [f[key] for f in found]
            print("  %-80s %6.3f  (%.3f - %.3f)" % (key, statistics.median(values), min(values), max(values)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
