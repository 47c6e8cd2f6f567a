"""``memesnipe analytics``: the ClickHouse sink plus its HTTP API, the cockpit and /metrics.

One process, because embedded chDB allows one process per directory: the sink writes and the
API reads through the same client. Routes (JSON, money in lamports, times ISO-8601 UTC):
``/api/report`` (everything ``memesnipe report`` prints), ``/api/performance``, ``/api/health``,
``/api/runs``, ``/api/costs``, ``/api/positions``, ``/api/allocations``, ``/api/killswitch``,
``/api/fills``, ``/api/signals``; each takes ``?run_id=`` (default: the configured run).
``/metrics`` is this process's Prometheus endpoint; ``/healthz`` (alive) and ``/readyz`` (the
sink is consuming and ClickHouse answers: ``memesnipe.sinks.health``) are its probes. The cockpit
(``memesnipe.web.cockpit``) is mounted at ``/`` when installed.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from typing import Any

import msgspec
from aiohttp import web
from aiokafka.errors import KafkaConnectionError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from memesnipe import health, logs, metrics
from memesnipe.settings import Settings, get_settings
from memesnipe.sinks.client import Store, StoreError
from memesnipe.sinks.consumer import AnalyticsSink
from memesnipe.sinks.health import AnalyticsHealth
from memesnipe.sinks.queries import Queries

log = logging.getLogger("memesnipe.analytics")

_json = msgspec.json.Encoder()
QUERIES = web.AppKey("memesnipe_queries", Queries)


def _respond(data: Any) -> web.Response:
    return web.Response(body=_json.encode(data), content_type="application/json")


def _route(read: Callable[[Queries, str], Any]) -> Callable[[web.Request], Any]:
    async def handler(request: web.Request) -> web.Response:
        q = request.app[QUERIES]
        run = request.query.get("run_id") or q.run_id
        try:
            data = await asyncio.to_thread(read, q, run)
        except Exception as exc:
            log.exception("query failed: %s", request.path)
            return web.json_response({"error": f"{type(exc).__name__}: {exc}"[:500]}, status=500)
        return _respond(data)

    return handler


async def _metrics(_request: web.Request) -> web.Response:
    resp = web.Response(body=generate_latest())
    resp.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return resp


def build_web_app(
    queries: Queries,
    settings: Settings,
    *,
    cockpit: bool = True,
    readiness: health.Readiness | None = None,
) -> web.Application:
    """The analytics HTTP app: JSON API, /metrics, /healthz + /readyz, and the cockpit when available."""
    app = web.Application()
    app[QUERIES] = queries
    r = app.router
    r.add_get("/api/report", _route(lambda q, run: q.report(run)))
    r.add_get("/api/performance", _route(lambda q, run: q.performance(run)))
    r.add_get("/api/health", _route(lambda q, run: q.health(run)))
    r.add_get("/api/runs", _route(lambda q, run: q.runs()))
    r.add_get("/api/costs", _route(lambda q, run: q.daily_costs(run_id=run)))
    r.add_get("/api/positions", _route(lambda q, run: q.open_positions(run)))
    r.add_get("/api/allocations", _route(lambda q, run: q.allocations(run)))
    r.add_get("/api/killswitch", _route(lambda q, run: q.killswitch(run)))
    r.add_get("/api/fills", _route(lambda q, run: q.recent_fills(run, limit=500)))
    r.add_get(
        "/api/signals",
        _route(
            lambda q, run: {
                "signals": q.signals(run),
                "rejections": q.rejections(run),
                "order_states": q.order_states(run),
            }
        ),
    )
    r.add_get("/metrics", _metrics)
    if readiness is not None:
        health.add_routes(app, readiness)
    if cockpit:
        _mount_cockpit(app, queries, settings)
    return app


def _mount_cockpit(app: web.Application, queries: Queries, settings: Settings) -> None:
    from memesnipe.web.cockpit import setup_routes

    setup_routes(app, queries, None, settings=settings)


def update_gauges(queries: Queries) -> None:
    """Per-strategy gross/net PnL and costs, from the query layer, as Prometheus gauges."""
    for st in queries.performance()["strategies"]:
        name = st["instance_id"]
        metrics.STRATEGY_PNL.labels(strategy=name, basis="gross").set(st["gross_pnl_lamports"])
        metrics.STRATEGY_PNL.labels(strategy=name, basis="net").set(st["net_pnl_lamports"])
        metrics.STRATEGY_COSTS.labels(strategy=name).set(st["costs_lamports"])


async def publish_gauges(queries: Queries, every_s: float = 10.0) -> None:
    while True:
        try:
            await asyncio.to_thread(update_gauges, queries)
        except Exception:
            log.exception("could not refresh the PnL gauges")
        await asyncio.sleep(every_s)


async def serve(settings: Settings, *, cockpit: bool = True, stop: asyncio.Event | None = None) -> None:
    """Run the sink and the HTTP server until ``stop`` is set (or SIGINT/SIGTERM)."""
    store = await asyncio.to_thread(Store.open, settings.clickhouse_dsn, settings.clickhouse.database)
    sink = AnalyticsSink(settings, store)

    def live_stats() -> dict[str, Any]:
        s = sink.stats
        return {
            "running": True,
            "messages": s.messages,
            "rows_inserted": s.rows_inserted,
            "dead_lettered": s.dead_lettered,
            "lag_messages": s.lag_messages,
            "lag_s": round(sink.writer.lag_seconds(), 3),
            "pending_rows": sink.writer.pending_rows,
            "retries": sink.writer.retries,
        }

    queries = Queries(
        store, settings.clickhouse.run_id, settings.risk.capital_lamports, live_stats=live_stats
    )
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await sink.start()  # applies migrations before anything reads
    except BaseException:
        await sink.stop()
        await asyncio.to_thread(store.close)
        raise
    probes = AnalyticsHealth(sink, store)
    runner = web.AppRunner(build_web_app(queries, settings, cockpit=cockpit, readiness=probes.readiness))
    await runner.setup()
    site = web.TCPSite(runner, settings.analytics.host, settings.analytics.port)
    await site.start()
    log.info(
        "analytics: sink group %s; API http://%s:%s/api/report",
        sink.group_id,
        settings.analytics.host,
        settings.analytics.port,
    )
    run_task = asyncio.create_task(sink.run(), name="clickhouse-sink")
    probes.sink_task = run_task
    probe_task = asyncio.create_task(probes.probe_forever(), name="clickhouse-probe")
    gauges_task = asyncio.create_task(publish_gauges(queries), name="pnl-gauges")
    stop_task = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait({run_task, stop_task}, return_when=asyncio.FIRST_COMPLETED)
        if run_task in done:
            run_task.result()  # the sink died: raise its error
    finally:
        sink.request_stop()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(run_task, 30)
        stop_task.cancel()
        gauges_task.cancel()
        probe_task.cancel()
        await sink.stop()
        await runner.cleanup()
        await asyncio.to_thread(store.close)


def analytics(args: argparse.Namespace) -> int:
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format)
    if args.port:
        settings = settings.model_copy(
            update={"analytics": settings.analytics.model_copy(update={"port": args.port})}
        )
    try:
        asyncio.run(serve(settings, cockpit=not args.no_cockpit))
    except StoreError as exc:
        raise SystemExit(f"memesnipe analytics: {exc}") from None
    except KafkaConnectionError as exc:
        raise SystemExit(
            "memesnipe analytics: cannot reach Kafka at "
            f"MEMESNIPE_KAFKA__BROKER={settings.kafka.broker} ({exc})"
        ) from None
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("analytics", help="ClickHouse sink + JSON API + cockpit + /metrics (one process)")
    p.add_argument("--port", type=int, default=None, help="HTTP port (default MEMESNIPE_ANALYTICS__PORT)")
    p.add_argument("--no-cockpit", action="store_true", help="serve the JSON API only")
    p.set_defaults(func=analytics)
