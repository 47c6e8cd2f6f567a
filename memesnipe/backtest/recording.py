"""Read a recording (the recorder's Parquet layout) as market events, and write one from the
simulator, so a backtest and ``publish-file`` replay the very same bytes.

The read path is columnar: per UTC day, pyarrow reads the files' ``event_ts``, ``kafka_topic``,
``partition``, ``offset`` and ``value`` columns; numpy drops duplicate (topic, partition, offset)
rows and orders the rest exactly as ``publish_file.iter_days`` does (each partition in offset
order, partitions merged by event time, ties to the lower (topic, partition)); only then are the
values decoded, by one msgspec decoder. No per-row Python object exists before the event itself.
"""

from __future__ import annotations

import gc
import heapq
import itertools
import os
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import cast

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from memesnipe.recorder.publish_file import _day_groups
from memesnipe.recorder.writer import ParquetWriter
from memesnipe.streams.codec import encode
from memesnipe.streams.market import AnyMarketEvent, MarketEvent

_COLUMNS = ["event_ts", "kafka_topic", "partition", "offset", "value"]
_decoder = msgspec.json.Decoder(AnyMarketEvent)
_NL = ord("\n")


class RecordingStats:
    def __init__(self) -> None:
        self.rows = 0
        self.undecodable = 0
        self.duplicates = 0


DECODE_BATCH = 1 << 16
"""Events decoded at a time: bounds the live decoded events (memory, and what each full GC
collection has to traverse) while one call still amortizes its setup."""


def read_events(
    path: Path,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    stats: RecordingStats | None = None,
) -> Iterator[MarketEvent]:
    """Events of a recording in replay order (per-partition order, merged by event time), one
    UTC day of raw values in memory at a time; undecodable rows are counted and skipped.

    Lazy like ``read_batches``; the batches are chained in C (no generator frame per event)."""
    return itertools.chain.from_iterable(read_batches(path, start=start, end=end, stats=stats))


def read_batches(
    path: Path,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    stats: RecordingStats | None = None,
    batch: int = DECODE_BATCH,
) -> Iterator[list[MarketEvent]]:
    """The decoded events in replay order, ``batch`` at a time (a batch never spans two UTC
    days: each ``date=`` partition is read, de-duplicated and ordered on its own)."""
    stats = stats if stats is not None else RecordingStats()
    lo = None if start is None else _micros(start)
    hi = None if end is None else _micros(end)
    for files in _day_groups(Path(path)):
        values, dups = day_values(files, lo, hi)
        stats.duplicates += dups
        stats.rows += len(values)
        for i in range(0, len(values), batch):
            events, bad = decode_values(values.slice(i, batch))
            stats.undecodable += bad
            yield events


def day_values(files: list[str], lo: int | None = None, hi: int | None = None) -> tuple[pa.Array, int]:
    """The raw values (a ``large_binary`` array) of one day's files in replay order, and how many
    duplicate rows were dropped; ``lo``/``hi`` bound event time in epoch microseconds
    (``lo <= ts < hi``), applied before de-duplication as ``publish_file`` does."""
    threads = _cpus() > 1  # on one CPU, pyarrow's thread pool only adds switching
    read = (pq.read_table(f, columns=_COLUMNS, use_threads=threads) for f in files)
    tables = [t for t in read if t.num_rows]
    if not tables:
        return pa.array([], pa.large_binary()), 0
    table = pa.concat_tables(tables) if len(tables) > 1 else tables[0]
    ts = table.column("event_ts").cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).to_numpy()
    keep = None
    if lo is not None:
        keep = ts >= lo
    if hi is not None:
        keep = ts < hi if keep is None else keep & (ts < hi)
    rows = np.arange(len(ts)) if keep is None else np.flatnonzero(keep)
    if not len(rows):
        return pa.array([], pa.large_binary()), 0
    ts = ts[rows]
    # stream = rank of (kafka_topic, partition) in sorted order, as publish_file sorts its streams
    topics = table.column("kafka_topic").combine_chunks().dictionary_encode()
    names = topics.dictionary.to_pylist()
    rank = np.empty(len(names), dtype=np.int64)
    rank[sorted(range(len(names)), key=names.__getitem__)] = np.arange(len(names))
    topic = rank[topics.indices.to_numpy(zero_copy_only=False)[rows]]
    part = table.column("partition").to_numpy().astype(np.int64)[rows]
    offset = table.column("offset").to_numpy().astype(np.int64)[rows]
    part_rank = np.unique(part, return_inverse=True)[1].reshape(-1)  # partitions in sorted order
    stream = topic * (int(part_rank.max()) + 1) + part_rank
    # each stream in offset order; the sort is stable, so of duplicates the first in file order stays
    by_off = np.lexsort((offset, stream))
    s_sorted, o_sorted = stream[by_off], offset[by_off]
    dup = np.zeros(len(by_off), dtype=bool)
    dup[1:] = (s_sorted[1:] == s_sorted[:-1]) & (o_sorted[1:] == o_sorted[:-1])
    dups = int(dup.sum())
    if dups:
        by_off, s_sorted = by_off[~dup], s_sorted[~dup]
    t_sorted = ts[by_off]
    if not np.any((s_sorted[1:] == s_sorted[:-1]) & (t_sorted[1:] < t_sorted[:-1])):
        # every stream's event times are non-decreasing: heapq.merge by time (ties to the lower
        # stream) is then exactly a sort on (time, stream), each stream kept in offset order
        order = by_off[np.lexsort((np.arange(len(by_off)), s_sorted, t_sorted))]
    else:
        order = _merge(by_off, s_sorted, t_sorted)
    values = table.column("value").cast(pa.large_binary()).combine_chunks()
    return values.take(pa.array(rows[order])), dups


def _merge(by_off: np.ndarray, s_sorted: np.ndarray, t_sorted: np.ndarray) -> np.ndarray:
    """heapq.merge of the streams (each in offset order) by event time, as publish_file does
    when some partition's event times go backwards."""
    cuts = np.flatnonzero(s_sorted[1:] != s_sorted[:-1]) + 1
    bounds = [0, *cuts.tolist(), len(s_sorted)]
    runs = [
        list(zip(t_sorted[a:b].tolist(), by_off[a:b].tolist(), strict=True))
        for a, b in itertools.pairwise(bounds)
    ]
    return np.fromiter((i for _, i in heapq.merge(*runs, key=_first)), dtype=np.int64, count=len(by_off))


def _first(pair: tuple[int, int]) -> int:
    return pair[0]


def decode_values(values: pa.Array) -> tuple[list[MarketEvent], int]:
    """Decode every value of a binary array in order; one that does not decode is skipped and
    counted.

    The values are joined by newlines in C (``binary_join``) and decoded by one
    ``decode_lines`` call, with the cyclic GC paused (the events hold no cycles; a collection
    every 700 new tracked objects would rescan them all). When a value contains a newline, is
    empty or does not decode, the day falls back to decoding value by value.
    """
    n = len(values)
    if not n:
        return [], 0
    values = values.cast(pa.large_binary())
    lists = pa.LargeListArray.from_arrays(pa.array([0, n], pa.int64()), values)
    joined = pc.binary_join(lists, pa.scalar(b"\n", pa.large_binary()))
    lo, hi = np.frombuffer(joined.buffers()[1], dtype=np.int64)[joined.offset : joined.offset + 2]
    data = memoryview(joined.buffers()[2])[lo:hi]
    enabled = gc.isenabled()
    gc.disable()
    try:
        if np.count_nonzero(np.frombuffer(data, dtype=np.uint8) == _NL) == n - 1:
            try:
                events = _decoder.decode_lines(data)
            except (msgspec.DecodeError, RecursionError):  # one hostile value: value by value
                pass
            else:
                if len(events) == n:
                    return cast("list[MarketEvent]", events), 0  # the union is MarketEvent
        out: list[MarketEvent] = []
        bad = 0
        for v in values.to_pylist():
            try:
                out.append(_decoder.decode(v))
            except (msgspec.DecodeError, RecursionError):  # nested too deeply (issue #13)
                bad += 1
        return out, bad
    finally:
        if enabled:
            gc.enable()


def _cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _micros(ts: datetime) -> int:
    """Epoch microseconds of an aware datetime (naive means UTC, as pyarrow compares it)."""
    return int(pa.scalar(ts, type=pa.timestamp("us", tz="UTC")).cast(pa.int64()).as_py())


def write_recording(
    events: Iterable[MarketEvent], root: Path, *, prefix: str = "memesnipe.", partitions: int = 4
) -> int:
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
        writer.add(
            tag,
            {
                "event_ts": ev.ts,
                "mint": ev.mint,
                "key": key,
                "value": encode(ev),
                "kafka_topic": topic,
                "partition": part,
                "offset": off,
                "kafka_ts": None,
                "valid": True,
            },
        )
        n += 1
        if writer.pending >= 200_000:
            writer.flush()
    writer.flush()
    return n
