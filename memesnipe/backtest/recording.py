"""Read a recording (the recorder's Parquet layout) as market events, and write one from the
simulator, so a backtest and ``publish-file`` replay the very same bytes."""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

from memesnipe.recorder.publish_file import iter_days
from memesnipe.recorder.writer import ParquetWriter
from memesnipe.streams.codec import DecodeError, decode_market, encode
from memesnipe.streams.market import MarketEvent


class RecordingStats:
    def __init__(self) -> None:
        self.rows = 0
        self.undecodable = 0
        self.duplicates = 0


def read_events(
    path: Path, *, start: datetime | None = None, end: datetime | None = None, stats: RecordingStats | None = None
) -> Iterator[MarketEvent]:
    """Events of a recording in replay order (per-partition order, merged by event time), one
    UTC day in memory at a time; undecodable rows are counted and skipped."""
    stats = stats if stats is not None else RecordingStats()
    for rows, dups in iter_days(Path(path), start=start, end=end):
        stats.duplicates += dups
        for row in rows:
            stats.rows += 1
            try:
                yield decode_market(row.value)
            except DecodeError:
                stats.undecodable += 1


def write_recording(events: Iterable[MarketEvent], root: Path, *, prefix: str = "memesnipe.",
                    partitions: int = 4) -> int:
    """Write events as a recording (as if recorded from topics with ``partitions`` partitions,
    keyed by mint); returns the number written."""
    writer = ParquetWriter(Path(root), flush_rows=200_000, flush_s=3600.0)
    offsets: dict[tuple[str, int], int] = {}
    n = 0
    for ev in events:
        tag = str(ev.__struct_config__.tag)
        topic = prefix + tag
        key = ev.mint.encode()
        part = zlib.crc32(key) % partitions
        off = offsets.get((topic, part), 0)
        offsets[(topic, part)] = off + 1
        writer.add(tag, {
            "event_ts": ev.ts, "mint": ev.mint, "key": key, "value": encode(ev), "kafka_topic": topic,
            "partition": part, "offset": off, "kafka_ts": None, "valid": True,
        })
        n += 1
        if writer.pending >= 200_000:
            writer.flush()
    writer.flush()
    return n
