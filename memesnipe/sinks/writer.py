"""Batched, retried inserts into ClickHouse, off the event loop.

Rows accumulate per table; a flush happens when ``batch_rows`` rows wait or the oldest has
waited ``flush_interval_s``. A flush runs the synchronous insert in one worker thread and
retries transient failures with capped exponential backoff until it succeeds, so a row is
never dropped; a retried insert that had in fact landed only produces duplicates, which the
ReplacingMergeTree tables collapse. Rows the client cannot encode (a value out of range for
its column) are isolated by bisection and handed to ``on_bad_rows`` with the reason, so one
bad row neither blocks the sink forever nor takes good rows with it.

One flush runs at a time while new rows keep arriving; ``add`` callers apply backpressure
through :meth:`BatchWriter.wait_room` once ``max_pending_rows`` are waiting.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from clickhouse_connect.driver.exceptions import DataError

from memesnipe import metrics
from memesnipe.sinks.client import Store
from memesnipe.sinks.rows import TABLES, Row

log = logging.getLogger(__name__)

BadRows = Callable[[str, Sequence[Row], str], Awaitable[None]]
Flushed = Callable[[Any, int], Awaitable[None]]
Snapshot = Callable[[], Any]

_DATA_ERRORS = (DataError, OverflowError, TypeError, ValueError, struct.error, UnicodeError)
"""Errors that retrying cannot fix: the rows themselves do not fit their columns."""


class BatchWriter:
    """Buffers rows per table and inserts them in batches from a worker thread."""

    def __init__(
        self,
        store: Store,
        *,
        batch_rows: int,
        flush_interval_s: float,
        max_pending_rows: int | None = None,
        retry_initial_s: float = 0.2,
        retry_max_s: float = 10.0,
        on_bad_rows: BadRows | None = None,
        on_flushed: Flushed | None = None,
    ) -> None:
        self.store = store
        self.batch_rows = batch_rows
        self.flush_interval_s = flush_interval_s
        # While one flush runs, the next batch keeps growing (up to this bound): under load the
        # inserts get larger and cheaper per row instead of falling behind.
        self.max_pending_rows = max_pending_rows or max(10 * batch_rows, 50_000)
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.on_bad_rows = on_bad_rows
        self.on_flushed = on_flushed
        self._buffer: dict[str, list[Row]] = {}
        self._pending = 0
        self._oldest: float | None = None  # monotonic time the oldest buffered row arrived
        self._inflight: asyncio.Task[None] | None = None
        self._inflight_oldest: float | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ch-insert")
        self.rows_inserted = 0
        self.retries = 0

    # ---- buffering -------------------------------------------------------------------------

    def add(self, table: str, row: Row) -> None:
        if self._oldest is None:
            self._oldest = time.monotonic()
        self._buffer.setdefault(table, []).append(row)
        self._pending += 1

    @property
    def pending_rows(self) -> int:
        """Rows buffered, not yet handed to a flush."""
        return self._pending

    def lag_seconds(self) -> float:
        """Age of the oldest row not yet inserted (buffered or in the running flush)."""
        starts = [t for t in (self._oldest, self._inflight_oldest) if t is not None]
        return time.monotonic() - min(starts) if starts else 0.0

    def due(self) -> bool:
        if self._pending >= self.batch_rows:
            return True
        return self._oldest is not None and time.monotonic() - self._oldest >= self.flush_interval_s

    @property
    def flushing(self) -> bool:
        return self._inflight is not None and not self._inflight.done()

    # ---- flushing --------------------------------------------------------------------------

    async def maybe_flush(self, snapshot: Snapshot | None = None) -> None:
        """Start a flush of everything buffered when due and none is running.

        ``snapshot()`` is called as the flush starts (e.g. to copy the consumed offsets); its
        result is given to ``on_flushed`` once the rows buffered up to then are inserted.
        """
        if self.due() and not self.flushing:
            await self._reap()
            self._start(snapshot() if snapshot else None)
        metrics.SINK_LAG.set(self.lag_seconds())

    async def wait_room(self) -> None:
        """Backpressure: wait for the running flush while too many rows are buffered."""
        while self._pending >= self.max_pending_rows and self.flushing:
            assert self._inflight is not None
            await asyncio.shield(self._inflight)

    async def flush(self, snapshot: Snapshot | None = None) -> None:
        """Insert everything buffered now and wait until it (and any running flush) is done."""
        await self._reap(wait=True)
        checkpoint = snapshot() if snapshot else None
        if self._pending:
            self._start(checkpoint)
        elif checkpoint is not None and self.on_flushed is not None:
            await self.on_flushed(checkpoint, 0)
        await self._reap(wait=True)
        metrics.SINK_LAG.set(self.lag_seconds())

    async def close(self) -> None:
        await self.flush()
        self._executor.shutdown(wait=True)

    def _start(self, checkpoint: Any) -> None:
        batch, self._buffer = self._buffer, {}
        self._pending = 0
        self._inflight_oldest, self._oldest = self._oldest, None
        self._inflight = asyncio.create_task(self._flush_batch(batch, checkpoint), name="clickhouse-flush")

    async def _reap(self, wait: bool = False) -> None:
        task = self._inflight
        if task is None or (not wait and not task.done()):
            return
        try:
            await task
        finally:
            self._inflight = None
            self._inflight_oldest = None

    async def _flush_batch(self, batch: dict[str, list[Row]], checkpoint: Any) -> None:
        n = 0
        for table, rows in batch.items():
            n += await self._insert_table(table, rows)
        self._inflight_oldest = None
        if self.on_flushed is not None:
            await self.on_flushed(checkpoint, n)

    async def _insert_table(self, table: str, rows: list[Row]) -> int:
        """Insert with retries; bisect rows that cannot be encoded. Returns rows inserted."""
        columns = TABLES[table].columns
        delay = self.retry_initial_s
        loop = asyncio.get_running_loop()
        while True:
            t0 = time.perf_counter()
            try:
                await loop.run_in_executor(self._executor, self.store.insert, table, columns, rows)
            except _DATA_ERRORS as exc:
                return await self._bisect(table, rows, exc)
            except Exception as exc:
                self.retries += 1
                metrics.SINK_RETRIES.labels(table=table).inc()
                log.warning(
                    "insert of %d rows into %s failed (%s); retrying in %.1fs", len(rows), table, exc, delay
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.retry_max_s)
                continue
            metrics.SINK_INSERT_SECONDS.observe(time.perf_counter() - t0)
            metrics.SINK_ROWS.labels(table=table).inc(len(rows))
            self.rows_inserted += len(rows)
            return len(rows)

    async def _bisect(self, table: str, rows: list[Row], exc: BaseException) -> int:
        if len(rows) == 1:
            reason = f"{table}: row does not fit its columns: {type(exc).__name__}: {exc}"
            log.error("%s; handing it to the dead letters", reason)
            if self.on_bad_rows is not None:
                await self.on_bad_rows(table, rows, reason)
            return 0
        mid = len(rows) // 2
        return await self._insert_table(table, rows[:mid]) + await self._insert_table(table, rows[mid:])
