"""Analytics readiness: the sink must be consuming and ClickHouse must answer."""

from __future__ import annotations

import asyncio
from typing import Any

from memesnipe.sinks.client import Store
from memesnipe.sinks.health import AnalyticsHealth


class FakeSink:
    def __init__(self) -> None:
        self.last_poll: float | None = None
        self.assigned: set[Any] = set()

    def assignment(self) -> set[Any]:
        return self.assigned


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class DownStore:
    """ClickHouse gone: every command raises as clickhouse-connect does."""

    def command(self, sql: str, parameters: Any = None) -> Any:
        raise ConnectionError("connection refused")


async def test_sink_is_ready_only_while_running_assigned_and_fetching(store: Store) -> None:
    sink, clock = FakeSink(), Clock()
    h = AnalyticsHealth(sink, store, clock=clock, stall_s=30)
    assert h.sink_consuming() == (False, "sink not started")
    never = asyncio.get_running_loop().create_future()
    h.sink_task = asyncio.ensure_future(never)
    assert h.sink_consuming()[0] is False and "no partitions" in h.sink_consuming()[1]
    sink.assigned = {("t.fills", 0)}
    assert h.sink_consuming() == (False, "no fetch yet")
    sink.last_poll = clock.now
    assert h.sink_consuming() == (True, "")
    clock.now += 31
    ok, why = h.sink_consuming()
    assert not ok and "no fetch for 31s" in why
    h.sink_task.cancel()
    await asyncio.sleep(0)
    assert h.sink_consuming() == (False, "sink stopped")


async def test_clickhouse_check_follows_the_probe_against_a_real_chdb(store: Store) -> None:
    clock = Clock()
    h = AnalyticsHealth(FakeSink(), store, clock=clock, probe_s=5, timeout_s=5)
    assert h.clickhouse_reachable() == (False, "ClickHouse: not probed yet")
    assert await h.probe_once() is True
    assert h.clickhouse_reachable() == (True, "")
    clock.now += h.stale_s + 1  # no successful probe for a while: not ready any more
    assert h.clickhouse_reachable()[0] is False


async def test_an_unreachable_clickhouse_makes_analytics_not_ready() -> None:
    h = AnalyticsHealth(FakeSink(), DownStore(), clock=Clock())  # type: ignore[arg-type]
    assert await h.probe_once() is False
    ok, why = h.clickhouse_reachable()
    assert not ok and "ConnectionError: connection refused" in why
    ready, checks = h.readiness.status()
    assert not ready and set(checks) == {"sink_consuming", "clickhouse_reachable"}
