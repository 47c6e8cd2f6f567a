"""A stand-in HTTP server on 127.0.0.1 (stdlib, one thread per request) with the HTTP faults of
its node: a request answered 429, or answered only after ``Faults.hang_s`` (it was processed;
the reply comes too late for the client)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from memesnipe.rehearse.node import LocalNode

Reply = tuple[int, Any]
Handler = Callable[[str, str, dict[str, str], bytes], Reply]


class StandIn:
    """Serves ``handle(method, path, query, body) -> (status, JSON value)`` on a free port."""

    name = "stand-in"
    rate_limited_body: Any = {"error": "Too many requests"}

    def __init__(self, node: LocalNode, *, port: int = 0, faults: bool = True) -> None:
        self.node = node
        self.faults = faults
        self.requests: list[tuple[str, str]] = []  # (path, method or "")
        stand_in = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                status, value = stand_in.serve(method, parts.path, query, body)
                data = json.dumps(value).encode()
                try:
                    self.send_response(status)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout fault)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), _Handler)
        self.httpd.daemon_threads = True
        self._thread = threading.Thread(target=self.httpd.serve_forever, name=self.name, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def serve(self, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        if self.faults and self.node.roll("http_429"):
            return 429, self.rate_limited_body
        hang = self.faults and self.node.roll("timeout")
        try:
            reply = self.handle(method, path, query, body)
        except Exception as exc:  # a stand-in bug must be visible, not a hung client
            reply = 500, {"error": f"{type(exc).__name__}: {exc}"}
        if hang:
            time.sleep(self.node.faults.hang_s)
        return reply

    def handle(self, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        raise NotImplementedError


def rpc_error(req_id: Any, code: int, message: str, data: Any = None) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        err["data"] = data
    return {"jsonrpc": "2.0", "error": err, "id": req_id}


def rpc_result(req_id: Any, result: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "result": result, "id": req_id}
