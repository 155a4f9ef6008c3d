"""HTTPS front end: SOAP on /sdk, the versions document, and the /_sim control endpoints."""

from __future__ import annotations

import http.cookies
import json
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pyVmomi import VmomiSupport, vmodl

from . import soap
from .state import CallContext, ControlError, DropConnection, Simulator

VERSION = "8.0.3.0"
VERSIONS_XML = ('<?xml version="1.0" encoding="UTF-8" ?>\n<namespaces version="1.0">\n <namespace>\n  <name>urn:vim25</name>\n'
                '  <version>%s</version>\n  <priorVersions>\n   <version>8.0.2.0</version>\n   <version>8.0.1.0</version>\n'
                '   <version>8.0.0.0</version>\n   <version>7.0.3.0</version>\n  </priorVersions>\n </namespace>\n</namespaces>\n' % VERSION)
COOKIE = "vmware_soap_session"


def negotiated_version(soap_action: str | None) -> Any:
    """The pyVmomi version named by SOAPAction ("urn:vim25/8.0.3.0"), newest if absent."""
    key = (soap_action or "").strip('"')
    key = key[4:] if key.startswith("urn:") else key
    return VmomiSupport.versionMap.get(key) or VmomiSupport.versionMap["vim25/" + VERSION]


class Handler(BaseHTTPRequestHandler):
    server: SimServer
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and the
    # client's delayed ACK add ~40 ms to every SOAP call.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  # pylint: disable=redefined-builtin
        return None

    def _send(self, status: int, body: bytes, ctype: str, cookie: str | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if cookie:
            self.send_header("Set-Cookie", '%s="%s"; Path=/; HttpOnly; Secure;' % (COOKIE, cookie))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: Any) -> None:
        self._send(status, json.dumps(data, sort_keys=True).encode("utf-8"), "application/json")

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        sim = self.server.sim
        if self.path.startswith("/sdk/vimServiceVersions.xml"):
            self._send(200, VERSIONS_XML.encode("utf-8"), "text/xml")
        elif self.path == "/_sim/stats":
            self._json(200, sim.stats())
        else:
            self._json(404, {"error": "no such path %s" % self.path})

    def do_DELETE(self) -> None:  # noqa: N802
        if self.path == "/_sim/faults":
            self.server.sim.disarm()
            self._json(200, {"faults": 0})
        else:
            self._json(404, {"error": "no such path %s" % self.path})

    def do_POST(self) -> None:  # noqa: N802
        body = self._body()
        if self.path == "/sdk":
            self._soap(body)
        elif self.path == "/_sim/stats/reset":
            self.server.sim.reset_stats()
            self._json(200, {"reset": True})
        elif self.path == "/_sim/faults":
            self._control_faults(body)
        else:
            self._json(404, {"error": "no such path %s" % self.path})

    def _control_faults(self, body: bytes) -> None:
        try:
            spec = json.loads(body.decode("utf-8") or "null")
        except (ValueError, UnicodeDecodeError) as err:
            self._json(400, {"error": "body is not JSON: %s" % err})
            return
        specs = spec if isinstance(spec, list) else [spec]
        try:
            for item in specs:
                if not isinstance(item, dict):
                    raise ControlError("each fault spec must be a JSON object")
                self.server.sim.arm(item)
        except ControlError as err:
            self._json(400, {"error": str(err)})
            return
        self._json(200, {"armed": len(specs)})

    def _session(self) -> str | None:
        raw = self.headers.get("Cookie")
        if not raw:
            return None
        jar = http.cookies.SimpleCookie()
        try:
            jar.load(raw)
        except http.cookies.CookieError:
            return None
        return jar[COOKIE].value if COOKIE in jar else None

    def _soap(self, body: bytes) -> None:
        sim = self.server.sim
        version = negotiated_version(self.headers.get("SOAPAction"))
        ctx = CallContext(sim, self._session(), version)
        info: Any = soap.FETCH
        try:
            try:
                info, this, params = soap.parse_request(body, version)
            except LookupError as err:
                raise vmodl.fault.MethodNotFound(method=str(err), msg="Method %s not found" % err) from None
            except soap.SoapRequestError as err:
                raise vmodl.fault.InvalidRequest(msg=str(err)) from None
            result = sim.dispatch(ctx, info, this, params)
            payload = soap.serialize_response(info, result, version, sim.current_memo())
            self._send(200, payload, "text/xml; charset=utf-8", ctx.new_cookie)
        except DropConnection:
            self.close_connection = True
            self.connection.close()
        except vmodl.MethodFault as fault:
            self._send(500, soap.serialize_fault(fault, version), "text/xml; charset=utf-8")
        except Exception as err:  # a simulator bug: answer like hostd does for internal errors, and say so
            print("vsphere_sim internal error in %s: %r" % (info.wsdl_name, err), file=sys.stderr)
            self._send(500, soap.serialize_fault(vmodl.fault.SystemError(reason=repr(err), msg="internal simulator error"), version),
                       "text/xml; charset=utf-8")


class SimServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, sim: Simulator, port: int, cert: str, key: str) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.sim = sim
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.socket = context.wrap_socket(self.socket, server_side=True)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def watch_idle(server: SimServer, idle_timeout: int) -> threading.Thread:
    """Shut the server down after ``idle_timeout`` seconds without a request."""
    def run() -> None:
        while True:
            time.sleep(min(1.0, idle_timeout))
            if time.monotonic() - server.sim.last_request > idle_timeout:
                try:
                    print("idle for %d s: exiting" % idle_timeout, flush=True)
                except OSError:  # a detached simulator (launcher start) has no stdout any more
                    pass
                server.shutdown()
                return
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def serve(sim: Simulator, port: int, cert: str, key: str, ca: str, idle_timeout: int = 0) -> tuple[SimServer, threading.Thread]:
    server = SimServer(sim, port, cert, key)
    print("listening on https://127.0.0.1:%d/sdk" % server.port, flush=True)
    print("ca certificate: %s" % ca, flush=True)
    if idle_timeout:
        watch_idle(server, idle_timeout)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server, thread
