"""Recorder throughput on the real broker: produce N market events to a fresh topic prefix,
record them to Parquet, publish them back to another fresh prefix at max speed.

    python -m memesnipe.recorder.bench --events 100000 [--bootstrap 127.0.0.1:9092]

Prints the reproduce command, rates, file size, peak RSS and, last, ``recorder_rows_per_s: N``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from memesnipe.connectors.publisher import Publisher
from memesnipe.recorder.publish_file import load, publish_rows
from memesnipe.recorder.record import record
from memesnipe.settings import load_settings
from memesnipe.streams.codec import encode
from memesnipe.streams.market import PriceEvent


async def _topics(bootstrap: str, name: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=partitions, replication_factor=1)])
    finally:
        await admin.close()


async def main(n: int, bootstrap: str) -> None:
    tag = uuid.uuid4().hex[:8]
    src, dst = f"bench{tag}.", f"bench{tag}b."
    await _topics(bootstrap, src + "price", 4)
    await _topics(bootstrap, dst + "price", 4)
    mints = [f"Bench{i:03d}" + "1" * 36 for i in range(200)]
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    prod = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=20, max_batch_size=512 * 1024)
    await prod.start()
    for i in range(n):
        m = mints[i % len(mints)]
        ev = PriceEvent(
            mint=m,
            ts=t0 + timedelta(milliseconds=10 * i),
            source="bench",
            price_usd=1e-3 + i * 1e-9,
            volume_usd_5m=1234.5,
            liquidity_usd=98765.4,
        )
        await prod.send(src + "price", encode(ev), key=m.encode())
    await prod.flush()
    await prod.stop()

    def cfg(prefix: str):  # type: ignore[no-untyped-def]
        return load_settings(
            kafka={"broker": f"kafka://{bootstrap}", "topic_prefix": prefix, "app_id": f"bench{tag}"},
            connectors={"record_flush_rows": 50_000},
        )

    with tempfile.TemporaryDirectory() as d:
        out = Path(d)
        t = time.perf_counter()
        stats = await record(cfg(src), out, topics=["price"], until_rows=n)
        rec_s = time.perf_counter() - t
        size = sum(p.stat().st_size for p in out.rglob("*.parquet"))
        t = time.perf_counter()
        rows, _ = load(out)
        load_s = time.perf_counter() - t
        async with Publisher(cfg(dst)) as pub:
            ps = await publish_rows(rows, pub, speed=0)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"reproduce: {sys.executable} -m memesnipe.recorder.bench --events {n} --bootstrap {bootstrap}")
    print(
        f"recorded {stats.rows} rows into {stats.files} files in {rec_s:.2f}s "
        f"({stats.rows / rec_s:,.0f} rows/s)"
    )
    print(f"parquet zstd size {size / 1e6:.2f} MB ({size / max(stats.rows, 1):.1f} bytes/event)")
    print(
        f"load+order {len(rows)} rows in {load_s:.2f}s; "
        f"publish-file max speed {ps.published} in {ps.wall_s:.2f}s "
        f"({ps.published / ps.wall_s:,.0f} rows/s)"
    )
    print(f"peak RSS {rss_mb:.0f} MB (pid {os.getpid()})")
    print(f"recorder_rows_per_s: {stats.rows / rec_s:.0f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--bootstrap", default="127.0.0.1:9092")
    a = ap.parse_args()
    asyncio.run(main(a.events, a.bootstrap))
