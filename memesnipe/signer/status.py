"""The signer's own HTTP status endpoint: ``/metrics`` (Prometheus), ``/healthz``, ``/readyz``.

A tiny asyncio server on the signer's event loop, stdlib only (no web framework in the process
that holds the key). It only answers GET/HEAD for three fixed paths, reads at most a few KB of
request head with a timeout, and never touches the key or the journal's contents.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

log = logging.getLogger("memesnipe.signer")

MAX_HEAD_BYTES = 8192
READ_TIMEOUT_S = 5.0

_REASONS = {200: "OK", 404: "Not Found", 405: "Method Not Allowed", 400: "Bad Request", 503: "Unavailable"}


class StatusServer:
    """Serves ``render_metrics()`` at /metrics; /readyz is 200 only while ``ready()`` says so."""

    def __init__(
        self,
        host: str,
        port: int,
        render_metrics: Callable[[], bytes],
        ready: Callable[[], tuple[bool, str]],
        content_type: str,
    ) -> None:
        self.host, self.port = host, port
        self._render = render_metrics
        self._ready = ready
        self._content_type = content_type
        self._server: asyncio.Server | None = None

    async def start(self) -> bool:
        """Listen; a port that cannot be bound is logged, not fatal (signing goes on)."""
        try:
            self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=MAX_HEAD_BYTES)
        except OSError as exc:
            log.warning(
                "signer metrics: cannot listen; set MEMESNIPE_SIGNER__METRICS_PORT",
                extra={"host": self.host, "port": self.port, "error": str(exc)},
            )
            return False
        self.port = self._server.sockets[0].getsockname()[1]
        log.info("signer metrics", extra={"url": f"http://{self.host}:{self.port}/metrics"})
        return True

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    def respond(self, method: str, path: str) -> tuple[int, str, bytes]:
        """Status, content type and body for one request (pure: the tests call it directly too)."""
        if method not in ("GET", "HEAD"):
            return 405, "text/plain", b"GET only\n"
        path = path.split("?", 1)[0]
        if path == "/metrics":
            return 200, self._content_type, self._render()
        if path == "/healthz":
            return 200, "text/plain", b"ok\n"
        if path == "/readyz":
            ok, why = self._ready()
            if ok:
                return 200, "text/plain", b"ready\n"
            return 503, "text/plain", f"not ready: {why}\n".encode()
        return 404, "text/plain", b"not found\n"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            method, (status, ctype, body) = await asyncio.wait_for(
                self._read_and_answer(reader), READ_TIMEOUT_S
            )
            head = (
                f"HTTP/1.1 {status} {_REASONS.get(status, '')}\r\n"
                f"Content-Type: {ctype}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode("latin-1") + (b"" if method == "HEAD" else body))
            await asyncio.wait_for(writer.drain(), READ_TIMEOUT_S)
        except Exception:  # a slow, broken or hostile client: drop it, never disturb signing
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _read_and_answer(self, reader: asyncio.StreamReader) -> tuple[str, tuple[int, str, bytes]]:
        line = await reader.readline()
        for _ in range(100):  # the headers: read and ignore (bounded by the stream limit)
            h = await reader.readline()
            if h in (b"\r\n", b"\n", b""):
                break
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            return "", (400, "text/plain", b"bad request\n")
        return parts[0], self.respond(parts[0], parts[1])
