"""The worker's status endpoints: Prometheus ``/metrics`` (ours and Faust's own sensor),
``/healthz`` and ``/readyz``, on ``MEMESNIPE_METRICS_PORT`` (9464), and ``/healthz`` + ``/readyz``
on Faust's web port too (``MEMESNIPE_WEB_PORT``, unless ``--without-web``).

Ready means this worker can process its share: the group assigned it stream partitions, Faust's
table recovery completed (state restored from the changelogs, streams resumed) and no rebalance
is in progress. A worker beyond the partition count (nothing assigned) is alive but not ready.
The worker's consumer lag (log end minus fetch position over its stream partitions) is
``memesnipe_consumer_lag_messages{stage="worker"}``.
"""

from __future__ import annotations

import logging
from typing import Any

from memesnipe import health, metrics
from memesnipe.app import app, settings

log = logging.getLogger(__name__)

readiness = health.Readiness("worker")
metrics.DRAWDOWN_LIMIT.set(settings.risk.max_drawdown)  # alert rules compare the drawdown with it


def _stream_partitions(faust_app: Any) -> list[Any]:
    changelogs = faust_app.tables.changelog_topics
    return [tp for tp in faust_app.consumer.assignment() if tp.topic not in changelogs]


def check_assigned(faust_app: Any = app) -> tuple[bool, str]:
    if not faust_app.started:
        return False, "worker not started"
    if not _stream_partitions(faust_app):
        return False, "no stream partitions assigned (group not joined, or more workers than partitions)"
    return True, ""


def check_recovered(faust_app: Any = app) -> tuple[bool, str]:
    recovery = faust_app.tables.recovery
    if faust_app.in_recovery or not recovery.completed.is_set():
        return False, "table recovery in progress (restoring state from the changelogs)"
    return True, ""


def check_not_rebalancing(faust_app: Any = app) -> tuple[bool, str]:
    if faust_app.rebalancing:
        return False, "rebalancing"
    return True, ""


readiness.add("partitions_assigned", check_assigned)
readiness.add("recovery_done", check_recovered)
readiness.add("not_rebalancing", check_not_rebalancing)


async def consumer_lag(faust_app: Any = app) -> int:
    """Messages between the fetch position and the log end, over this worker's stream partitions."""
    lag = 0
    consumer = faust_app.consumer
    for tp in _stream_partitions(faust_app):
        high = consumer.highwater(tp)
        pos = await consumer.position(tp)
        if high is not None and pos is not None:
            lag += max(0, high - pos)
    return lag


@app.task
async def serve_metrics() -> None:
    await health.start_status_server(settings.metrics_host, settings.metrics_port, readiness)


@app.timer(5.0)
async def update_lag() -> None:
    if app.rebalancing or not app.started:
        return
    try:
        metrics.CONSUMER_LAG.labels(stage="worker").set(await consumer_lag())
    except Exception as exc:  # a rebalance between the assignment and the position: next time
        log.debug("worker lag not measured: %s", exc)


@app.page("/healthz")
async def faust_healthz(web: Any, request: Any) -> Any:
    return web.text("ok\n")


@app.page("/readyz")
async def faust_readyz(web: Any, request: Any) -> Any:
    ok, checks = readiness.status()
    return web.json({"ready": ok, "process": "worker", "checks": checks}, status=200 if ok else 503)
