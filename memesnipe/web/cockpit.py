"""The glass cockpit's HTTP surface, mounted on the analytics process's aiohttp app.

``setup_routes(app, queries, control)`` adds, under an optional prefix:

- ``GET /``               the page (static/index.html; cockpit.js and cockpit.css beside it)
- ``GET /api/snapshot``   every panel as JSON (:class:`memesnipe.web.view.Snapshot`)
- ``GET /api/config``     mode and whether controls need a token
- ``GET /events``         server-sent events: ``snapshot`` whenever the figures change, ``ping``
                          as a heartbeat
- ``POST /api/kill``      publish KillSwitch(active=True); bearer token (see :mod:`.auth`)
- ``POST /api/resume``    publish KillSwitch(active=False); same token, and ``confirm: "RESUME"``

The cockpit starts and stops ``control`` with the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec
from aiohttp import web

from memesnipe.core.control import KillStatus
from memesnipe.settings import Mode, Settings, get_settings
from memesnipe.web import view
from memesnipe.web.auth import ControlAuth
from memesnipe.web.control import ControlError, KillSwitchControl
from memesnipe.web.hub import SnapshotHub
from memesnipe.web.source import CockpitQueries, SnapshotReader

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
_FILES = {
    "index.html": "text/html",
    "cockpit.js": "text/javascript",
    "cockpit.css": "text/css",
    "favicon.svg": "image/svg+xml",
}
_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_OPERATOR = re.compile(r"[^A-Za-z0-9_.@-]")
_CLOSE = b""  # offered to subscribers on shutdown: end the stream


def kill_view_state(st: KillStatus) -> view.KillState:
    """The page's kill-switch panel for the fold's answer: ``known`` only once read to its end."""
    if not st.ready:
        return view.KillState(active=True, known=False, reason=st.reason, source="kafka")
    reason = "never paused" if st.source == "never_set" else st.reason
    ts = st.ts.isoformat() if st.source != "never_set" else ""
    return view.KillState(
        active=st.active, by=st.by, reason=reason, ts=ts, flatten=st.flatten, known=True, source="kafka"
    )


class Cockpit:
    """Everything the handlers share: the hub, the control, the auth rule."""

    def __init__(self, queries: CockpitQueries, control: KillSwitchControl, settings: Settings) -> None:
        self.settings = settings
        self.control = control
        self.auth = ControlAuth(settings.web.token, settings.mode)
        self.reader = SnapshotReader(queries, mode=settings.mode.value, trade_rows=settings.web.trade_rows)
        self.hub = SnapshotHub(self.reader, poll_s=settings.web.poll_s, overlay=self._overlay)
        self._connect: asyncio.Task[None] | None = None
        control.on_change(lambda _msg: self.hub.republish())

    def _overlay(self, snap: view.Snapshot) -> view.Snapshot:
        """The kill switch as read back from its Kafka topic with the one fold every stage uses
        (``core.control``); UNKNOWN (treated as ON) until the topic was read to its end."""
        return msgspec.structs.replace(snap, kill=kill_view_state(self.control.status))

    async def start(self, _app: web.Application) -> None:
        await self.hub.start()
        self._connect = asyncio.create_task(self._connect_control(), name="cockpit-control-connect")

    async def _connect_control(self) -> None:
        delay = 1.0
        while True:
            try:
                await self.control.start()
                return
            except Exception as exc:
                log.error(
                    "cockpit: kill switch control cannot reach Kafka (%s); retrying in %.0fs", exc, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, 30.0)

    async def shutdown(self, _app: web.Application) -> None:
        for sub in list(self.hub._subs):
            sub.offer(_CLOSE)

    async def cleanup(self, _app: web.Application) -> None:
        if self._connect is not None:
            self._connect.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._connect
        await self.hub.stop()
        await self.control.stop()

    # --- handlers ---------------------------------------------------------------------------

    async def static(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info.get("name", "index.html")
        if name not in _FILES:
            raise web.HTTPNotFound()
        return web.FileResponse(
            STATIC / name,
            headers={**_SECURITY_HEADERS, "Content-Type": _FILES[name], "Cache-Control": "no-cache"},
        )

    async def config(self, _request: web.Request) -> web.Response:
        return web.json_response(
            {
                "mode": self.settings.mode.value,
                "token_required": self.auth.token_required,
                "controls_enabled": self.auth.enabled,
                "poll_s": self.settings.web.poll_s,
            },
            headers=_SECURITY_HEADERS,
        )

    async def snapshot(self, _request: web.Request) -> web.Response:
        body = await self.hub.snapshot(fresh=self.hub.subscribers == 0)
        return web.Response(
            body=body,
            content_type="application/json",
            headers={**_SECURITY_HEADERS, "Cache-Control": "no-store"},
        )

    async def events(self, request: web.Request) -> web.StreamResponse:
        try:
            sub = self.hub.subscribe()
        except OverflowError as exc:
            raise web.HTTPServiceUnavailable(text=str(exc)) from None
        resp = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache, no-store",
                "X-Accel-Buffering": "no",
            }
        )
        try:
            await resp.prepare(request)
            await resp.write(b"retry: 2000\n\n")
            while True:
                data = await sub.next(self.settings.web.heartbeat_s)
                if data == _CLOSE:
                    break
                if data is None:
                    now = datetime.now(UTC).isoformat()
                    await resp.write(f"event: ping\ndata: {now}\n\n".encode())
                else:
                    await resp.write(b"event: snapshot\ndata: " + data + b"\n\n")
        except (ConnectionResetError, ConnectionError):
            pass  # the browser went away
        finally:
            self.hub.unsubscribe(sub)
        return resp

    async def _body(self, request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        try:
            body = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="body must be JSON") from None
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="body must be a JSON object")
        return body

    def _who(self, request: web.Request, body: dict[str, Any]) -> str:
        operator = _OPERATOR.sub("", str(body.get("operator") or "operator"))[:40] or "operator"
        return f"cockpit:{operator}@{request.remote or '?'}"

    async def _switch(self, request: web.Request, *, active: bool) -> web.Response:
        self.auth.check(request)
        body = await self._body(request)
        if not active and body.get("confirm") != "RESUME":
            raise web.HTTPBadRequest(text='resume needs {"confirm": "RESUME"}')
        default = "manual kill from cockpit" if active else "manual resume from cockpit"
        reason = " ".join(str(body.get("reason") or default).split())[:200]
        try:
            msg = await self.control.publish(
                active=active, by=self._who(request, body), reason=reason, flatten=bool(body.get("flatten"))
            )
        except ControlError as exc:
            log.error("cockpit: %s", exc)
            return web.json_response({"ok": False, "error": str(exc)}, status=503)
        self.hub.notify()
        return web.json_response({"ok": True, "kill": msgspec.to_builtins(msg)}, headers=_SECURITY_HEADERS)

    async def kill(self, request: web.Request) -> web.Response:
        return await self._switch(request, active=True)

    async def resume(self, request: web.Request) -> web.Response:
        return await self._switch(request, active=False)


COCKPIT = web.AppKey("memesnipe_cockpit", Cockpit)


def setup_routes(
    app: web.Application,
    queries: CockpitQueries,
    control: KillSwitchControl | None = None,
    *,
    settings: Settings | None = None,
    prefix: str = "",
) -> Cockpit:
    """Mount the cockpit on ``app`` (before it starts). ``control`` defaults to one from settings."""
    settings = settings or get_settings()
    if settings.mode is Mode.LIVE and not settings.web.token:
        log.warning("cockpit: MEMESNIPE_WEB__TOKEN is not set; kill/resume are refused in live mode")
    cockpit = Cockpit(queries, control or KillSwitchControl.from_settings(settings), settings)
    app[COCKPIT] = cockpit
    p = prefix.rstrip("/")
    r = app.router
    r.add_get(p + "/", cockpit.static)
    r.add_get(p + "/static/{name}", cockpit.static)
    r.add_get(p + "/api/config", cockpit.config)
    r.add_get(p + "/api/snapshot", cockpit.snapshot)
    r.add_get(p + "/events", cockpit.events)
    r.add_post(p + "/api/kill", cockpit.kill)
    r.add_post(p + "/api/resume", cockpit.resume)
    app.on_startup.append(cockpit.start)
    app.on_shutdown.append(cockpit.shutdown)
    app.on_cleanup.append(cockpit.cleanup)
    return cockpit
