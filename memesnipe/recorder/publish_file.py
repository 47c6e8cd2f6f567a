"""``memesnipe publish-file``: put a recording back on the market topics.

Rows are de-duplicated on (kafka_topic, partition, offset) (the recorder is at-least-once),
then each original partition's rows are kept in offset order and the partitions are merged by
event time. That preserves every mint's original order exactly (a mint lives on one
partition) and yields event-time order across mints. Pacing follows event time: ``speed=1``
is the original pace, ``speed=10`` ten times faster, ``speed=0`` as fast as possible.
Keys and values are re-sent byte for byte to the topics of the current prefix.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import pyarrow.dataset as ds

from memesnipe.streams.topics import MARKET_TOPICS

COLUMNS = ["type", "event_ts", "key", "value", "kafka_topic", "partition", "offset"]


class Row(NamedTuple):
    """One recorded message (a NamedTuple: a day of rows is built fast and compactly)."""

    event_ts: datetime
    type: str
    key: bytes | None
    value: bytes
    kafka_topic: str
    partition: int
    offset: int


@dataclass
class PublishStats:
    published: int = 0
    duplicates: int = 0
    wall_s: float = 0.0
    span_s: float = 0.0


def _day_groups(path: Path) -> list[list[str]]:
    """The recording's files grouped by their ``date=`` partition, oldest day first."""
    if path.is_file():
        return [[str(path)]]
    groups: dict[str, list[str]] = {}
    for f in sorted(path.rglob("*.parquet")):
        if f.name.startswith((".", "_")):
            continue
        day = next((part[5:] for part in f.parts if part.startswith("date=")), "")
        groups.setdefault(day, []).append(str(f))
    return [groups[d] for d in sorted(groups)]


def _load_files(
    files: list[str],
    base: Path,
    types: Sequence[str] | None,
    start: datetime | None,
    end: datetime | None,
) -> tuple[list[Row], int]:
    kwargs: dict[str, Any] = {"partition_base_dir": str(base)} if base.is_dir() else {}
    dataset = ds.dataset(files, format="parquet", partitioning="hive", **kwargs)
    filt = None
    if types is not None and "type" in dataset.schema.names:
        filt = ds.field("type").isin(list(types))
    if start is not None:
        f = ds.field("event_ts") >= start
        filt = f if filt is None else filt & f
    if end is not None:
        f = ds.field("event_ts") < end
        filt = f if filt is None else filt & f
    cols = [c for c in COLUMNS if c in dataset.schema.names]
    table = dataset.to_table(columns=cols, filter=filt)
    data = table.to_pydict()
    if "type" not in data:  # a single file read outside its partition directory
        data["type"] = [_short(t) for t in data["kafka_topic"]]
    streams: dict[tuple[str, int], dict[int, Row]] = {}
    dups = 0
    cols_in_order = (
        data[c] for c in ("event_ts", "type", "key", "value", "kafka_topic", "partition", "offset")
    )
    for row in map(Row._make, zip(*cols_in_order, strict=True)):
        per = streams.setdefault((row.kafka_topic, row.partition), {})
        if row.offset in per:
            dups += 1
            continue
        per[row.offset] = row
    ordered = [[s[o] for o in sorted(s)] for _, s in sorted(streams.items())]
    return list(heapq.merge(*ordered, key=lambda r: r.event_ts)), dups


def iter_days(
    path: Path,
    *,
    types: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Iterator[tuple[list[Row], int]]:
    """One UTC day of the recording at a time (rows in replay order, duplicates dropped), so a
    long recording is replayed in bounded memory."""
    for files in _day_groups(Path(path)):
        rows, dups = _load_files(files, Path(path), types, start, end)
        if rows or dups:
            yield rows, dups


def load(
    path: Path,
    *,
    types: Sequence[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> tuple[list[Row], int]:
    """The whole recording (a directory or one file) in replay order, and the duplicates dropped."""
    rows: list[Row] = []
    dups = 0
    for day_rows, day_dups in iter_days(path, types=types, start=start, end=end):
        rows.extend(day_rows)
        dups += day_dups
    return rows, dups


def _short(kafka_topic: str) -> str:
    for t in sorted(MARKET_TOPICS, key=len, reverse=True):
        if kafka_topic.endswith("." + t) or kafka_topic == t:
            return t
    raise ValueError(f"{kafka_topic!r} is not a market topic")


def schedule(rows: Iterable[Row], speed: float) -> Iterator[tuple[float, Row]]:
    """(seconds after start the row is due, row); all zero when ``speed`` is 0 (max speed)."""
    t0: datetime | None = None
    for r in rows:
        if t0 is None:
            t0 = r.event_ts
        due = max(0.0, (r.event_ts - t0).total_seconds() / speed) if speed > 0 else 0.0
        yield due, r


async def publish_rows(rows: Iterable[Row], publisher: Any, *, speed: float = 1.0) -> PublishStats:
    """Send rows at their event-time pace (``publisher`` is a connectors.publisher.Publisher)."""
    stats = PublishStats()
    start = time.monotonic()
    first: datetime | None = None
    last: datetime | None = None
    for due, r in schedule(rows, speed):
        delay = due - (time.monotonic() - start)
        if delay > 0.001:
            await asyncio.sleep(delay)
        await publisher.publish(r.type, r.key, r.value)
        stats.published += 1
        first = first or r.event_ts
        last = r.event_ts
    await publisher.flush()
    stats.wall_s = time.monotonic() - start
    if first is not None and last is not None:
        stats.span_s = (last - first).total_seconds()
    return stats
