"""Buffers rows per (event type, UTC date) and writes each buffer as one Parquet file.

Files are written under a temporary name and renamed into place, so a reader (or a crash)
never sees half a file. ``flush`` writes every buffer; the recorder commits Kafka offsets only
after it returns, so everything committed is on disk (at-least-once; replays de-duplicate).
"""

from __future__ import annotations

import itertools
import os
import time
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from memesnipe.recorder.layout import COMPRESSION, COMPRESSION_LEVEL, SCHEMA, partition_dir


@dataclass
class _Buffer:
    first_ts: datetime
    cols: dict[str, list[Any]] = field(default_factory=lambda: {n: [] for n in SCHEMA.names})

    def __len__(self) -> int:
        return len(self.cols["value"])


class ParquetWriter:
    def __init__(self, root: Path, *, flush_rows: int = 20_000, flush_s: float = 10.0) -> None:
        self.root = root
        self.flush_rows = flush_rows
        self.flush_s = flush_s
        self.buffers: dict[tuple[str, date], _Buffer] = {}
        self.rows_written = 0
        self.files_written: list[Path] = []
        self._oldest = 0.0
        self._run = uuid.uuid4().hex[:8]
        self._seq = itertools.count()

    def add(self, topic: str, row: dict[str, Any]) -> None:
        ts: datetime = row["event_ts"]
        key = (topic, ts.date())
        buf = self.buffers.get(key)
        if buf is None:
            if not self.buffers:
                self._oldest = time.monotonic()
            buf = self.buffers[key] = _Buffer(ts)
        for name in SCHEMA.names:
            buf.cols[name].append(row.get(name))

    @property
    def pending(self) -> int:
        return sum(len(b) for b in self.buffers.values())

    def due(self) -> bool:
        """A buffer is full, or the oldest buffered row waited ``flush_s``."""
        if not self.buffers:
            return False
        return (
            any(len(b) >= self.flush_rows for b in self.buffers.values())
            or time.monotonic() - self._oldest >= self.flush_s
        )

    def flush(self) -> list[Path]:
        written = []
        for (topic, _), buf in sorted(self.buffers.items()):
            table = pa.Table.from_pydict(buf.cols, schema=SCHEMA)
            d = partition_dir(self.root, topic, buf.first_ts)
            d.mkdir(parents=True, exist_ok=True)
            name = f"part-{int(time.time() * 1000)}-{self._run}-{next(self._seq):06d}.parquet"
            tmp = d / f".{name}.tmp"
            pq.write_table(table, tmp, compression=COMPRESSION, compression_level=COMPRESSION_LEVEL)
            os.replace(tmp, d / name)
            written.append(d / name)
            self.rows_written += len(buf)
        self.buffers.clear()
        self.files_written.extend(written)
        return written
