"""``memesnipe notify``: fills and kill-switch changes (from Kafka) and Alertmanager alerts
(``POST /alertmanager``) to Telegram and/or a generic JSON webhook.

One HTTP port, ``MEMESNIPE_METRICS_PORT`` (9464): ``/metrics``, ``/healthz``, ``/readyz`` (its
consumer group assigned it partitions and it polls) and ``POST /alertmanager`` (Alertmanager's
``webhook_config`` body; bearer ``MEMESNIPE_NOTIFY__RECEIVER_TOKEN``, or localhost only when
unset). ``memesnipe notify --test "text"`` sends one message to every configured channel.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hmac
import logging
import signal
import time
from typing import Any

import httpx
from aiohttp import web

from memesnipe import health, logs
from memesnipe.notify.consumer import NotifyConsumer
from memesnipe.notify.messages import Notification, from_alertmanager
from memesnipe.notify.sent import SentLog
from memesnipe.notify.service import Channel, Notifier, TelegramChannel, WebhookChannel
from memesnipe.notify.telegram import TelegramClient
from memesnipe.notify.webhook import WebhookClient
from memesnipe.settings import Settings, get_settings

log = logging.getLogger("memesnipe.notify")

NOTIFIER = web.AppKey("memesnipe_notifier", Notifier)
_LOCAL = {"127.0.0.1", "::1"}


def build_notifier(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> Notifier:
    cfg = settings.notify
    channels: list[Channel] = []
    if cfg.telegram_bot_token and cfg.telegram_chat_id:
        tg = TelegramClient(
            cfg.telegram_bot_token,
            cfg.telegram_chat_id,
            base_url=cfg.telegram_base_url,
            timeout_s=cfg.timeout_s,
            rate_per_s=cfg.telegram_rate_per_s,
            transport=transport,
        )
        channels.append(TelegramChannel(tg))
    if cfg.webhook_url:
        headers = {"Authorization": f"Bearer {cfg.webhook_token}"} if cfg.webhook_token else None
        hook = WebhookClient(cfg.webhook_url, headers=headers, timeout_s=cfg.timeout_s, transport=transport)
        channels.append(WebhookChannel(hook))
    state = cfg.state_path or settings.data_dir / "notifier" / "sent.txt"
    return Notifier(channels, SentLog(state))


def _authorized(request: web.Request, token: str) -> bool:
    if not token:
        return request.remote in _LOCAL
    given = request.headers.get("Authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def receiver(settings: Settings) -> Any:
    async def alertmanager(request: web.Request) -> web.Response:
        if not _authorized(request, settings.notify.receiver_token):
            raise web.HTTPUnauthorized(text="bearer token required (MEMESNIPE_NOTIFY__RECEIVER_TOKEN)")
        try:
            notes = from_alertmanager(await request.json())
        except ValueError as exc:
            raise web.HTTPBadRequest(text=str(exc)) from None
        notifier = request.app[NOTIFIER]
        outcomes = [await notifier.notify(n) for n in notes]
        return web.json_response({"alerts": len(notes), "outcomes": outcomes})

    return alertmanager


def build_web_app(notifier: Notifier, readiness: health.Readiness, settings: Settings) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[NOTIFIER] = notifier
    app.router.add_get("/metrics", health._metrics)
    health.add_routes(app, readiness)
    app.router.add_post("/alertmanager", receiver(settings))
    return app


def consuming(
    consumer: NotifyConsumer, task: asyncio.Task[Any] | None, stall_s: float = 30.0
) -> tuple[bool, str]:
    if task is None or task.done():
        return False, "consumer not running"
    if not consumer.assignment():
        return False, "no partitions assigned yet"
    if consumer.last_poll is None or time.monotonic() - consumer.last_poll > stall_s:
        return False, "not polling"
    return True, ""


async def serve(
    settings: Settings,
    *,
    stop: asyncio.Event | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    notifier = build_notifier(settings, transport)
    consumer = NotifyConsumer(settings, notifier)
    tasks: dict[str, asyncio.Task[Any]] = {}
    readiness = health.Readiness("notifier").add("consuming", lambda: consuming(consumer, tasks.get("run")))
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    runner = web.AppRunner(build_web_app(notifier, readiness, settings), access_log=None)
    await runner.setup()
    try:
        if settings.metrics_port:
            await web.TCPSite(runner, settings.metrics_host, settings.metrics_port).start()
        await consumer.start()
        log.info(
            "notifier: %s; group %s; http://%s:%s/alertmanager",
            ", ".join(c.name for c in notifier.channels) or "no channel",
            consumer.group_id,
            settings.metrics_host,
            settings.metrics_port,
        )
        tasks["run"] = asyncio.create_task(consumer.run(), name="notifier")
        stop_task = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait({tasks["run"], stop_task}, return_when=asyncio.FIRST_COMPLETED)
        stop_task.cancel()
        if tasks["run"] in done:
            tasks["run"].result()
    finally:
        consumer.request_stop()
        if "run" in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(tasks["run"], 10)
        await consumer.stop()
        await runner.cleanup()
        await notifier.aclose()


async def send_test(settings: Settings, text: str) -> dict[str, str]:
    notifier = build_notifier(settings)
    try:
        n = Notification(f"test:{time.time_ns()}", "test", "MemeSnipe test notification", text)
        return await notifier.notify(n)
    finally:
        await notifier.aclose()


def notify(args: argparse.Namespace) -> int:
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format)
    if not settings.notify.enabled:
        raise SystemExit(
            "memesnipe notify: no channel configured: set MEMESNIPE_NOTIFY__TELEGRAM_BOT_TOKEN and "
            "MEMESNIPE_NOTIFY__TELEGRAM_CHAT_ID, and/or MEMESNIPE_NOTIFY__WEBHOOK_URL"
        )
    if args.test is not None:
        outcomes = asyncio.run(send_test(settings, args.test))
        print(outcomes)
        return 0 if all(v == "sent" for v in outcomes.values()) else 1
    asyncio.run(serve(settings))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("notify", help="fills, kill switch and alerts to Telegram / a webhook")
    p.add_argument("--test", metavar="TEXT", default=None, help="send one test message and exit")
    p.set_defaults(func=notify)
