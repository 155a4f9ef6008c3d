"""CLI: python -m vsphere_sim --inventory FILE --port PORT [--latency-ms N] [--state FILE] [--cert-dir DIR] [--idle-timeout S]
[--max-wait S]."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading

from . import certs
from .inventory import InventoryError, load
from .server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vsphere_sim", description="vSphere SOAP simulator (HTTPS on 127.0.0.1)")
    parser.add_argument("--inventory", required=True, help="inventory YAML")
    parser.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one")
    parser.add_argument("--latency-ms", type=int, default=0, help="fixed delay added to every SOAP call")
    parser.add_argument("--state", help="persist state to this JSON file (loaded at start when it exists)")
    parser.add_argument("--cert-dir", help="where to write ca.pem/server.pem/server.key (default: a new temp dir)")
    parser.add_argument("--idle-timeout", type=int, default=0, help="exit after this many seconds without requests (0 = never)")
    parser.add_argument("--max-wait", type=int, default=300,
                        help="the longest a WaitForUpdates(Ex) call blocks without a change (the server's idle limit)")
    args = parser.parse_args(argv)
    try:
        sim = load(args.inventory, args.state, args.latency_ms)
        sim.max_wait = max(0, args.max_wait)
        if args.state and os.path.exists(args.state):
            sim.load(args.state)
    except InventoryError as err:
        print("vsphere_sim: %s" % err, file=sys.stderr)
        return 2
    ca, cert, key = certs.generate(args.cert_dir or tempfile.mkdtemp(prefix="vsphere_sim-"))
    server, thread = serve(sim, args.port, cert, key, os.path.abspath(ca), args.idle_timeout)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_a: stop.set())
    while not stop.is_set() and thread.is_alive():
        stop.wait(0.5)
    server.shutdown()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
