"""Readiness of the analytics process: the sink is consuming and ClickHouse answers.

``sink_consuming``: the sink task runs, the group assigned it partitions and it fetched within
``stall_s``. ``clickhouse_reachable``: the last ``SELECT 1`` (every ``probe_s``, in a thread,
bounded by ``timeout_s``) succeeded within ``stale_s``. Checks only read what the probe and the
sink recorded, so ``/readyz`` never waits on ClickHouse.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

from memesnipe import health
from memesnipe.sinks.client import Store

log = logging.getLogger(__name__)


class SinkLike(Protocol):
    last_poll: float | None

    def assignment(self) -> set[Any]: ...


class AnalyticsHealth:
    """The two readiness checks and the ClickHouse probe that feeds one of them."""

    def __init__(
        self,
        sink: SinkLike,
        store: Store,
        *,
        probe_s: float = 5.0,
        timeout_s: float = 5.0,
        stall_s: float = 30.0,
        clock: Any = time.monotonic,
    ) -> None:
        self.sink, self.store = sink, store
        self.probe_s, self.timeout_s = probe_s, timeout_s
        self.stall_s = stall_s
        self.stale_s = 3 * probe_s + timeout_s
        self.clock = clock
        self.sink_task: asyncio.Task[Any] | None = None
        self.ch_ok_at: float | None = None
        self.ch_error = "not probed yet"
        self.readiness = health.Readiness("analytics")
        self.readiness.add("sink_consuming", self.sink_consuming)
        self.readiness.add("clickhouse_reachable", self.clickhouse_reachable)

    def sink_consuming(self) -> tuple[bool, str]:
        if self.sink_task is None:
            return False, "sink not started"
        if self.sink_task.done():
            return False, "sink stopped"
        if not self.sink.assignment():
            return False, "no partitions assigned to the sink's group member yet"
        last = self.sink.last_poll
        if last is None:
            return False, "no fetch yet"
        if self.clock() - last > self.stall_s:
            return False, f"no fetch for {self.clock() - last:.0f}s (stalled on ClickHouse or Kafka)"
        return True, ""

    def clickhouse_reachable(self) -> tuple[bool, str]:
        if self.ch_ok_at is None or self.clock() - self.ch_ok_at > self.stale_s:
            return False, f"ClickHouse: {self.ch_error}"
        return True, ""

    async def probe_once(self) -> bool:
        try:
            await asyncio.wait_for(asyncio.to_thread(self.store.command, "SELECT 1"), self.timeout_s)
        except TimeoutError:
            self.ch_error = f"SELECT 1 took over {self.timeout_s:.0f}s"
        except Exception as exc:
            self.ch_error = f"{type(exc).__name__}: {exc}"[:300]
        else:
            self.ch_ok_at = self.clock()
            return True
        log.warning("analytics not ready: %s", self.ch_error)
        return False

    async def probe_forever(self) -> None:
        while True:
            await self.probe_once()
            await asyncio.sleep(self.probe_s)
