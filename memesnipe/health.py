"""Liveness and readiness for a process: ``/healthz`` (the event loop answers) and ``/readyz``
(every named check passes; 503 with the failing checks' reasons otherwise).

A process builds one :class:`Readiness`, adds its checks (pure functions returning
``(ok, why)``) and mounts the handlers on its aiohttp app (:func:`add_routes`) or runs the small
status server of :func:`start_status_server` (``/metrics`` beside them). The answers are served
by the process's own event loop, so a blocked loop fails the liveness probe too.
``memesnipe_ready{process}`` mirrors the readiness for Prometheus.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from memesnipe import metrics

__all__ = ["Check", "Readiness", "add_routes", "start_status_server"]

log = logging.getLogger(__name__)

Check = Callable[[], tuple[bool, str]]
"""A readiness check: ``(True, "")`` or ``(False, "what is missing")``; it must not block."""


class Readiness:
    """Named checks; ready when all pass. A check that raises counts as failing."""

    def __init__(self, process: str) -> None:
        self.process = process
        self._checks: dict[str, Check] = {}
        metrics.READY.labels(process=process).set_function(lambda: 1.0 if self.status()[0] else 0.0)

    def add(self, name: str, check: Check) -> Readiness:
        self._checks[name] = check
        return self

    def status(self) -> tuple[bool, dict[str, str]]:
        """(ready, {check name: "ok" or the reason it fails})."""
        out: dict[str, str] = {}
        ready = bool(self._checks)
        for name, check in self._checks.items():
            try:
                ok, why = check()
            except Exception as exc:
                ok, why = False, f"{type(exc).__name__}: {exc}"
            out[name] = "ok" if ok else (why or "failing")
            ready = ready and ok
        return ready, out


async def healthz(_request: web.Request) -> web.Response:
    return web.Response(text="ok\n")


def readyz_handler(readiness: Readiness) -> Callable[[web.Request], object]:
    async def readyz(_request: web.Request) -> web.Response:
        ok, checks = readiness.status()
        return web.json_response(
            {"ready": ok, "process": readiness.process, "checks": checks}, status=200 if ok else 503
        )

    return readyz


async def _metrics(_request: web.Request) -> web.Response:
    resp = web.Response(body=generate_latest())
    resp.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return resp


def add_routes(app: web.Application, readiness: Readiness) -> None:
    """``GET /healthz`` and ``GET /readyz`` on an aiohttp app."""
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz_handler(readiness))  # type: ignore[arg-type]


async def start_status_server(host: str, port: int, readiness: Readiness) -> web.AppRunner | None:
    """``/metrics``, ``/healthz`` and ``/readyz`` on ``host:port`` (port 0: off). A taken port is
    logged, not fatal (a second process on the same host needs its own MEMESNIPE_METRICS_PORT)."""
    if not port:
        return None
    app = web.Application()
    app.router.add_get("/metrics", _metrics)
    add_routes(app, readiness)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        log.warning(
            "metrics/health: cannot listen on %s:%d (%s); set MEMESNIPE_METRICS_PORT per process",
            host,
            port,
            exc,
        )
        return None
    log.info("metrics: http://%s:%d/metrics (/healthz, /readyz)", host, port)
    return runner
