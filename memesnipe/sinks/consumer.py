"""The sink process: every topic -> ClickHouse rows, offsets committed only after insert.

An aiokafka consumer in group ``<app_id>-analytics`` subscribes (by pattern, so topics created
later are picked up) to every MemeSnipe topic. Each message becomes a row (``rows.RowMapper``);
one that does not decode goes to the dead-letter topic with the reason, and is committed only
after that send is acknowledged. Offsets are committed after the insert holding their rows
succeeded, so a crash re-reads (and re-inserts) at most the rows after the last commit: the
tables' stable ids collapse them, so nothing is lost and nothing is counted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError
from prometheus_client import Histogram

from memesnipe import metrics
from memesnipe.settings import Settings
from memesnipe.sinks.client import Store
from memesnipe.sinks.migrate import migrate
from memesnipe.sinks.rows import SINK_TOPICS, Row, RowMapper, Source
from memesnipe.sinks.writer import BatchWriter
from memesnipe.streams.codec import DecodeError, encode
from memesnipe.streams.deadletter import dead_letter_for

log = logging.getLogger(__name__)

CONSUMER_NAME = "analytics"


def topic_pattern(prefix: str) -> str:
    return "^" + re.escape(prefix) + "(" + "|".join(re.escape(t) for t in SINK_TOPICS) + ")$"


def observe_many(hist: Histogram, values: np.ndarray) -> None:
    """Observe many values at once (one bucket increment per bucket, not per value).

    Uses the histogram's bucket counters directly (prometheus_client keeps them as
    ``_upper_bounds`` / ``_buckets`` / ``_sum``); falls back to one observe per value.
    """
    try:
        bounds, buckets, total = hist._upper_bounds, hist._buckets, hist._sum
    except AttributeError:
        for v in values.tolist():
            hist.observe(v)
        return
    idx = np.searchsorted(np.asarray(bounds), values, side="left")
    counts = np.bincount(idx, minlength=len(bounds))
    for i, n in enumerate(counts.tolist()):
        if n:
            buckets[i].inc(n)
    total.inc(float(values.sum()))


@dataclass
class _Checkpoint:
    offsets: dict[TopicPartition, int]
    timestamps_ms: list[int]


@dataclass
class SinkStats:
    """What the sink has done, for the health endpoint and the benchmark."""

    messages: int = 0
    rows_inserted: int = 0
    sampled_out: int = 0
    dead_lettered: int = 0
    commits: int = 0
    lag_messages: int = 0
    delays_s: list[float] = field(default_factory=list)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, sink: AnalyticsSink) -> None:
        self.sink = sink

    async def on_partitions_revoked(self, revoked: Sequence[TopicPartition]) -> None:
        # Insert and commit what we hold before another member takes these partitions.
        if revoked:
            await self.sink.writer.flush(self.sink._snapshot)

    async def on_partitions_assigned(self, assigned: Sequence[TopicPartition]) -> None:
        return None


class AnalyticsSink:
    """Consumes every topic into ClickHouse. ``start`` / ``run`` / ``stop``."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        *,
        group_id: str | None = None,
        record_delays: bool = False,
    ) -> None:
        self.settings = settings
        self.store = store
        self.prefix = settings.kafka.topic_prefix
        self.group_id = group_id or f"{settings.kafka.app_id}-analytics"
        self.mapper = RowMapper(settings.clickhouse.run_id)
        self.record_delays = record_delays
        self.stats = SinkStats()
        ch = settings.clickhouse
        self.writer = BatchWriter(
            store,
            batch_rows=ch.batch_rows,
            flush_interval_s=ch.flush_interval_s,
            on_bad_rows=self._bad_rows,
            on_flushed=self._flushed,
        )
        self._offsets: dict[TopicPartition, int] = {}
        self._timestamps: list[int] = []
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._stopping = asyncio.Event()
        self.last_poll: float | None = None  # time.monotonic() of the last fetch (readiness)

    # ---- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        applied = await asyncio.to_thread(migrate, self.store)
        if applied:
            log.info("ClickHouse migrations applied: %s", applied)
        servers = self.settings.kafka.bootstrap_servers
        self._producer = AIOKafkaProducer(bootstrap_servers=servers, acks="all", enable_idempotence=True)
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=servers,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_partition_fetch_bytes=4 * 1024 * 1024,
            fetch_max_bytes=32 * 1024 * 1024,
            metadata_max_age_ms=5_000,  # pick up newly created topics quickly
            isolation_level="read_committed",
        )
        self._consumer.subscribe(pattern=topic_pattern(self.prefix), listener=_Rebalance(self))
        await self._consumer.start()

    async def run(self) -> None:
        """Consume until :meth:`request_stop`; then flush and commit."""
        assert self._consumer is not None, "start() first"
        consumer = self._consumer
        max_records = max(self.settings.clickhouse.batch_rows, 500)
        poll_ms = int(min(self.settings.clickhouse.flush_interval_s, 0.2) * 1000)
        next_lag = 0.0
        while not self._stopping.is_set():
            t0 = time.perf_counter()
            batch = await consumer.getmany(timeout_ms=poll_ms, max_records=max_records)
            self.last_poll = time.monotonic()
            if batch:
                await self._ingest(batch)
                metrics.BATCH_SECONDS.labels(stage=CONSUMER_NAME).observe(time.perf_counter() - t0)
            await self.writer.maybe_flush(self._snapshot)
            await self.writer.wait_room()
            if time.monotonic() >= next_lag:
                self._update_lag()
                next_lag = time.monotonic() + 1.0
        await self.writer.flush(self._snapshot)

    def request_stop(self) -> None:
        self._stopping.set()

    def assignment(self) -> set[TopicPartition]:
        """The partitions this sink consumes now (empty before the group assigned any)."""
        return set(self._consumer.assignment()) if self._consumer is not None else set()

    async def stop(self) -> None:
        self.request_stop()
        with contextlib.suppress(Exception):
            await self.writer.close()
        for client in (self._consumer, self._producer):
            if client is not None:
                try:
                    await client.stop()
                except Exception:  # stopping half-started clients must not hide the first error
                    log.exception("error while stopping a Kafka client")

    # ---- per batch ---------------------------------------------------------------------------

    async def _ingest(self, batch: dict[TopicPartition, list[Any]]) -> None:
        per_topic: Counter[str] = Counter()
        mapper, writer, plen = self.mapper, self.writer, len(self.prefix)
        for tp, records in batch.items():
            short = tp.topic[plen:]
            for r in records:
                src = Source(tp.topic, tp.partition, r.offset, r.key, r.timestamp)
                try:
                    out = mapper.map(short, r.value, src)
                except DecodeError as exc:
                    await self._dead_letter(src, r.value, f"{short}: {exc}")
                    continue
                except Exception as exc:  # decoded, but not storable: never stop the sink for it
                    why = f"{short}: cannot store: {type(exc).__name__}: {exc}"
                    await self._dead_letter(src, r.value, why)
                    continue
                if out is None:
                    self.stats.sampled_out += 1
                else:
                    writer.add(out[0], out[1])
            self._timestamps.extend(r.timestamp for r in records)
            self._offsets[tp] = records[-1].offset + 1
            per_topic[short] += len(records)
        for short, n in per_topic.items():
            metrics.EVENTS_IN.labels(topic=short).inc(n)
            self.stats.messages += n

    def _snapshot(self) -> _Checkpoint:
        cp = _Checkpoint(dict(self._offsets), self._timestamps)
        self._timestamps = []
        return cp

    async def _flushed(self, cp: _Checkpoint | None, rows: int) -> None:
        self.stats.rows_inserted += rows
        if cp is None:
            return
        if cp.timestamps_ms:
            delays = (time.time() * 1000 - np.asarray(cp.timestamps_ms, dtype=np.float64)) / 1000
            observe_many(metrics.SINK_DELAY, delays)
            if self.record_delays:
                self.stats.delays_s.extend(delays.tolist())
        if not cp.offsets or self._consumer is None:
            return
        assigned = self._consumer.assignment()
        offsets = {tp: off for tp, off in cp.offsets.items() if tp in assigned}
        if not offsets:
            return
        try:
            await self._consumer.commit(offsets)
            self.stats.commits += 1
        except (CommitFailedError, KafkaError) as exc:
            # The rows are in ClickHouse; whoever re-reads them re-inserts duplicates that collapse.
            log.warning("offset commit failed after insert (%s); rows will be re-read and deduplicated", exc)

    def _update_lag(self) -> None:
        if self._consumer is None:
            return
        lag = 0
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            if high is not None:
                lag += max(0, high - self._offsets.get(tp, high))
        self.stats.lag_messages = lag
        metrics.CONSUMER_LAG.labels(stage=CONSUMER_NAME).set(lag)

    # ---- bad input ---------------------------------------------------------------------------

    async def _dead_letter(self, src: Source, value: bytes | None, reason: str) -> None:
        letter = dead_letter_for(
            topic=src.topic,
            partition=src.partition,
            offset=src.offset,
            key=src.key,
            value=value,
            reason=reason,
            consumer=CONSUMER_NAME,
        )
        log.warning("dead-letter from %s[%s]@%s: %s", src.topic, src.partition, src.offset, reason)
        assert self._producer is not None
        key = letter.key.encode() if letter.key is not None else None
        await self._producer.send_and_wait(self.prefix + "deadletter", encode(letter), key=key)
        metrics.DEAD_LETTERS.labels(topic=src.topic[len(self.prefix) :]).inc()
        self.stats.dead_lettered += 1

    async def _bad_rows(self, table: str, rows: Sequence[Row], reason: str) -> None:
        for row in rows:
            src = Source(self.prefix + "deadletter", -1, -1, None, int(time.time() * 1000))
            await self._dead_letter(src, repr(row).encode(), reason)
