"""Start and stop a simulator subprocess (tests, the demo, molecule, benchmarks).

    with SimProcess("tests/simulator/inventories/demo.yml") as sim:
        sim.port, sim.url, sim.ca_file, sim.stats(), sim.reset_stats(), sim.arm_fault({...})

Shell use: ``python -m vsphere_sim.launcher start --inventory F --pidfile P --infofile I`` writes
JSON {"port", "ca_file", "pid"}; ``... stop --pidfile P`` stops it.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from typing import Any

SIM_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SimProcess:
    def __init__(self, inventory: str, state: str | None = None, latency_ms: int = 0, idle_timeout: int = 600,
                 python: str = sys.executable, detach: bool = False, max_wait: int | None = None) -> None:
        self.inventory, self.state, self.latency_ms, self.max_wait = inventory, state, latency_ms, max_wait
        self.idle_timeout, self.python, self.detach = idle_timeout, python, detach
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.ca_file = ""

    @property
    def url(self) -> str:
        return "https://127.0.0.1:%d/sdk" % self.port

    def command(self) -> list[str]:
        cmd = [self.python, "-m", "vsphere_sim", "--inventory", self.inventory, "--port", "0", "--idle-timeout", str(self.idle_timeout)]
        if self.state:
            cmd += ["--state", self.state]
        if self.latency_ms:
            cmd += ["--latency-ms", str(self.latency_ms)]
        if self.max_wait is not None:
            cmd += ["--max-wait", str(self.max_wait)]
        return cmd

    def start(self) -> SimProcess:
        env = dict(os.environ, PYTHONPATH=SIM_ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(self.command(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                                     start_new_session=self.detach)
        deadline = time.monotonic() + 30
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                err = self.proc.stderr.read() if self.proc.stderr else ""
                raise RuntimeError("simulator exited before listening: %s" % err.strip())
            if line.startswith("listening on "):
                self.port = int(line.rsplit(":", 1)[1].split("/")[0])
            elif line.startswith("ca certificate: "):
                self.ca_file = line.split(": ", 1)[1].strip()
                return self
        self.stop()
        raise RuntimeError("simulator did not start within 30 s")

    def _control(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        ctx = ssl.create_default_context(cafile=self.ca_file)
        data = json.dumps(body).encode("utf-8") if body is not None else None
        req = urllib.request.Request("https://127.0.0.1:%d%s" % (self.port, path), data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, context=ctx, timeout=30) as resp:
            return json.loads(resp.read().decode("utf-8"))

    def stats(self) -> dict[str, Any]:
        return self._control("GET", "/_sim/stats")

    def reset_stats(self) -> None:
        self._control("POST", "/_sim/stats/reset", {})

    def arm_fault(self, spec: Any) -> dict[str, Any]:
        return self._control("POST", "/_sim/faults", spec)

    def disarm_faults(self) -> None:
        self._control("DELETE", "/_sim/faults")

    def cpu_seconds(self) -> float:
        """The CPU time (user + system, all threads) the simulator process has used so far (Linux /proc)."""
        assert self.proc is not None
        with open("/proc/%d/stat" % self.proc.pid, encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        for stream in (self.proc.stdout, self.proc.stderr) if self.proc else ():
            if stream:
                stream.close()

    def __enter__(self) -> SimProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vsphere_sim.launcher")
    sub = parser.add_subparsers(dest="cmd", required=True)
    start = sub.add_parser("start")
    start.add_argument("--inventory", required=True)
    start.add_argument("--pidfile", required=True)
    start.add_argument("--infofile", required=True)
    start.add_argument("--state")
    start.add_argument("--idle-timeout", type=int, default=1800)
    stop = sub.add_parser("stop")
    stop.add_argument("--pidfile", required=True)
    args = parser.parse_args(argv)
    if args.cmd == "start":
        sim = SimProcess(args.inventory, state=args.state, idle_timeout=args.idle_timeout, detach=True).start()
        assert sim.proc is not None
        for stream in (sim.proc.stdout, sim.proc.stderr):
            if stream:
                stream.close()
        with open(args.pidfile, "w", encoding="utf-8") as fh:
            fh.write(str(sim.proc.pid))
        with open(args.infofile, "w", encoding="utf-8") as fh:
            json.dump({"port": sim.port, "ca_file": sim.ca_file, "pid": sim.proc.pid}, fh)
        return 0
    with open(args.pidfile, encoding="utf-8") as fh:
        pid = int(fh.read().strip())
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    os.remove(args.pidfile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
