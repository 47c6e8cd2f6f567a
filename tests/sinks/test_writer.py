"""The batch writer: batches by rows and time, retries without loss, isolates bad rows."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC
from typing import Any

from memesnipe.sinks.client import Store
from memesnipe.sinks.rows import RowMapper, Source
from memesnipe.sinks.writer import BatchWriter
from memesnipe.streams import Side, encode
from tests.sinks.factories import fill


def fill_rows(n: int, start: int = 0, run_id: str = "test") -> list[tuple[str, Any]]:
    m = RowMapper(run_id)
    out = []
    for i in range(start, start + n):
        mapped = m.map("fills", encode(fill(i, Side.BUY, minutes=i)), Source("t.fills", 0, i, None, 0))
        assert mapped is not None
        out.append(mapped)
    return out


def count(store: Store, final: bool = True) -> int:
    sql = "SELECT count() AS n FROM memesnipe.fills" + (" FINAL" if final else "")
    return int(store.rows(sql)[0]["n"])


class FlakyStore:
    """The real store, whose first ``failures`` inserts raise a transient error."""

    def __init__(self, store: Store, failures: int) -> None:
        self.store = store
        self.failures = failures
        self.calls = 0

    def insert(self, table: str, columns: Any, rows: Any) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ConnectionError("ClickHouse went away")
        self.store.insert(table, columns, rows)


async def test_a_flush_starts_when_batch_rows_are_waiting(store: Store) -> None:
    flushed: list[tuple[Any, int]] = []

    async def on_flushed(cp: Any, n: int) -> None:
        flushed.append((cp, n))

    w = BatchWriter(store, batch_rows=10, flush_interval_s=3600, on_flushed=on_flushed)
    for t, r in fill_rows(9):
        w.add(t, r)
    await w.maybe_flush(lambda: "cp-9")
    assert not w.flushing and w.pending_rows == 9
    w.add(*fill_rows(1, start=9)[0])
    await w.maybe_flush(lambda: "cp-10")
    await w.flush()
    assert flushed[0] == ("cp-10", 10)
    assert count(store) == 10


async def test_a_flush_starts_when_the_oldest_row_is_flush_interval_old(store: Store) -> None:
    w = BatchWriter(store, batch_rows=10_000, flush_interval_s=0.05)
    w.add(*fill_rows(1)[0])
    await w.maybe_flush()
    assert w.pending_rows == 1
    await asyncio.sleep(0.06)
    assert w.lag_seconds() >= 0.05
    await w.maybe_flush()
    assert w.pending_rows == 0
    await w.flush()
    assert count(store) == 1
    assert w.lag_seconds() == 0.0


async def test_failed_inserts_are_retried_until_they_succeed_without_loss(store: Store) -> None:
    flaky = FlakyStore(store, failures=3)
    done: list[int] = []

    async def on_flushed(_cp: Any, n: int) -> None:
        done.append(n)

    w = BatchWriter(
        flaky,
        batch_rows=100,
        flush_interval_s=3600,
        retry_initial_s=0.01,  # type: ignore[arg-type]
        on_flushed=on_flushed,
    )
    for t, r in fill_rows(50):
        w.add(t, r)
    await w.flush(lambda: "cp")
    assert flaky.calls == 4 and w.retries == 3
    assert done == [50]
    assert count(store) == 50


async def test_on_flushed_runs_only_after_the_insert_landed(store: Store) -> None:
    seen: list[int] = []

    async def on_flushed(_cp: Any, _n: int) -> None:
        seen.append(count(store))

    w = BatchWriter(
        FlakyStore(store, 2),
        batch_rows=5,
        flush_interval_s=3600,  # type: ignore[arg-type]
        retry_initial_s=0.01,
        on_flushed=on_flushed,
    )
    for t, r in fill_rows(5):
        w.add(t, r)
    await w.flush(lambda: "cp")
    assert seen == [5]


async def test_a_replayed_batch_does_not_change_the_deduplicated_count(store: Store) -> None:
    w = BatchWriter(store, batch_rows=1000, flush_interval_s=3600)
    for _ in range(2):
        for t, r in fill_rows(30):
            w.add(t, r)
        await w.flush()
    assert count(store) == 30
    assert count(store, final=False) in (30, 60)  # physically 60 until a merge; never counted


async def test_a_row_that_does_not_fit_its_column_is_isolated_and_the_rest_inserted(store: Store) -> None:
    rows = fill_rows(20)
    table, bad = rows[13]
    qty = list(bad)
    qty[9] = 2**70  # qty_tokens is Int64
    rows[13] = (table, tuple(qty))
    bad_seen: list[tuple[str, Any, str]] = []

    async def on_bad_rows(t: str, rs: Any, reason: str) -> None:
        bad_seen.append((t, list(rs), reason))

    w = BatchWriter(store, batch_rows=1000, flush_interval_s=3600, on_bad_rows=on_bad_rows)
    for t, r in rows:
        w.add(t, r)
    await w.flush()
    assert count(store) == 19
    assert len(bad_seen) == 1 and bad_seen[0][1][0][1] == "fill-13"
    assert "does not fit" in bad_seen[0][2]


async def test_backpressure_waits_for_the_running_flush(store: Store) -> None:
    release = threading.Event()

    class SlowStore:
        def insert(self, table: str, columns: Any, rows: Any) -> None:
            release.wait(10)
            store.insert(table, columns, rows)

    w = BatchWriter(SlowStore(), batch_rows=10, flush_interval_s=3600, max_pending_rows=10)  # type: ignore[arg-type]
    for t, r in fill_rows(10):
        w.add(t, r)
    await w.maybe_flush()
    assert w.flushing
    for t, r in fill_rows(10, start=10):
        w.add(t, r)
    waiter = asyncio.create_task(w.wait_room())
    await asyncio.sleep(0.2)
    assert not waiter.done()  # 10 rows wait while the first batch is stuck: the caller is held
    release.set()
    await asyncio.wait_for(waiter, 10)
    await w.flush()
    assert count(store) == 20


async def test_event_time_round_trips_to_the_microsecond(store: Store) -> None:
    f = fill(1, Side.BUY)
    f2 = fill(2, Side.BUY, minutes=0.000_123)  # 7.38 ms later
    w = BatchWriter(store, batch_rows=10, flush_interval_s=3600)
    m = RowMapper("test")
    for i, x in enumerate((f, f2)):
        w.add(*m.map("fills", encode(x), Source("t.fills", 0, i, None, 0)))  # type: ignore[misc]
    await w.flush()
    got = store.rows("SELECT fill_id, ts FROM memesnipe.fills ORDER BY fill_id")
    assert [(r["fill_id"], r["ts"].replace(tzinfo=UTC)) for r in got] == [("fill-1", f.ts), ("fill-2", f2.ts)]
