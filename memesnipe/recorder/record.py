"""``memesnipe record``: consume every market topic and write it to Parquet.

One consumer group (``<app_id>-recorder``) reads all market topics; offsets are committed only
after the rows they cover are on disk, so a crash re-records at most the last unflushed window
(duplicates are dropped on replay by topic/partition/offset), and nothing is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer

from memesnipe import metrics
from memesnipe.recorder.writer import ParquetWriter
from memesnipe.settings import Settings
from memesnipe.streams.codec import DecodeError, decode_market
from memesnipe.streams.topics import MARKET_TOPICS, topic_names

log = logging.getLogger(__name__)


@dataclass
class RecordStats:
    rows: int = 0
    invalid: int = 0
    files: int = 0


def recording_dir(settings: Settings) -> Path:
    return (
        Path(settings.connectors.record_dir)
        if settings.connectors.record_dir
        else settings.data_dir / "recordings"
    )


def to_row(record: Any) -> dict[str, Any]:
    """A Kafka record -> a recording row, with the event's own time (broker time if undecodable)."""
    mint: str | None
    try:
        ev = decode_market(record.value)
        ts, mint, valid = ev.ts.astimezone(UTC), ev.mint, True
    except DecodeError:
        ts = datetime.fromtimestamp(record.timestamp / 1000, UTC)
        mint = record.key.decode("utf-8", "replace") if record.key else None
        valid = False
    return {
        "event_ts": ts,
        "mint": mint,
        "key": record.key,
        "value": record.value,
        "kafka_topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "kafka_ts": datetime.fromtimestamp(record.timestamp / 1000, UTC) if record.timestamp >= 0 else None,
        "valid": valid,
    }


async def record(
    settings: Settings,
    root: Path | None = None,
    *,
    topics: Sequence[str] = MARKET_TOPICS,
    group_id: str | None = None,
    from_latest: bool = False,
    stop: asyncio.Event | None = None,
    until_rows: int | None = None,
) -> RecordStats:
    """Record until ``stop`` is set (or ``until_rows`` rows are on disk, for tests and batch jobs)."""
    names = topic_names(settings)
    by_full = {names(t): t for t in topics}
    writer = ParquetWriter(
        root or recording_dir(settings),
        flush_rows=settings.connectors.record_flush_rows,
        flush_s=settings.connectors.record_flush_s,
    )
    consumer = AIOKafkaConsumer(
        *by_full,
        bootstrap_servers=settings.kafka.bootstrap_servers,
        group_id=group_id or f"{settings.kafka.app_id}-recorder",
        enable_auto_commit=False,
        auto_offset_reset="latest" if from_latest else "earliest",
        max_poll_records=5000,
        metadata_max_age_ms=5000,  # pick up market topics created after start-up
    )
    stop = stop or asyncio.Event()
    stats = RecordStats()
    await consumer.start()

    async def flush() -> None:
        if writer.pending:
            files = writer.flush()
            stats.files += len(files)
        await consumer.commit()

    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=500)
            for tp, recs in batch.items():
                short = by_full[tp.topic]
                for r in recs:
                    row = to_row(r)
                    stats.invalid += 0 if row["valid"] else 1
                    writer.add(short, row)
                metrics.RECORDER_ROWS.labels(short).inc(len(recs))
                stats.rows += len(recs)
            if writer.due() or (until_rows is not None and stats.rows >= until_rows):
                await flush()
            if until_rows is not None and stats.rows >= until_rows and not writer.pending:
                break
    finally:
        try:
            await flush()
        finally:
            await consumer.stop()
    log.info("recorded %d rows (%d undecodable) into %d files", stats.rows, stats.invalid, stats.files)
    return stats
