"""The on-disk layout of a recording: Hive-style partitions ``type=<topic>/date=<YYYY-MM-DD>``
(UTC date of the event time), zstd-compressed Parquet files written once and never appended.

Each row keeps the message exactly as it was on the wire (``value`` bytes, ``key``) plus where
it came from (topic, partition, offset, broker timestamp) and its own event time, so a
recording can be replayed byte-for-byte and de-duplicated on (kafka_topic, partition, offset).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pyarrow as pa

SCHEMA = pa.schema(
    [
        pa.field("event_ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("mint", pa.string()),
        pa.field("key", pa.binary()),
        pa.field("value", pa.binary(), nullable=False),
        pa.field("kafka_topic", pa.string(), nullable=False),
        pa.field("partition", pa.int32(), nullable=False),
        pa.field("offset", pa.int64(), nullable=False),
        pa.field("kafka_ts", pa.timestamp("ms", tz="UTC")),
        pa.field("valid", pa.bool_(), nullable=False),
    ]
)
"""Row schema. ``valid`` is false for a message that did not decode as its market event; it is
still recorded (nothing is dropped), timed by its broker timestamp."""

COMPRESSION = "zstd"
COMPRESSION_LEVEL = 3


def partition_dir(root: Path, topic: str, ts: datetime) -> Path:
    return root / f"type={topic}" / f"date={ts.strftime('%Y-%m-%d')}"
