"""Benchmark the ClickHouse sink: rows per second from Kafka into chDB, and its p99 lag at a
given event rate. Uses the real broker (unique topics) and a fresh chDB directory.

    python bench/sink.py [--rows 100000] [--repeats 3] [--rate 2000] [--seconds 10]

Phase 1 (throughput): ``--rows`` trading messages (signals, orders, order updates, fills,
positions: one row each) are produced first; a fresh sink group then consumes them and the
time until the last row is inserted gives rows/s (median of ``--repeats`` runs, each its own
group and run id). Phase 2 (lag): messages are produced at ``--rate`` per second for
``--seconds`` while the sink runs; lag = insert time - Kafka timestamp per message.
The last line is ``sink_rows_per_s: N`` (the phase-1 median).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from memesnipe.settings import load_settings
from memesnipe.sinks.client import Store
from memesnipe.sinks.consumer import AnalyticsSink
from memesnipe.streams import (
    Fill,
    Intent,
    Order,
    OrderState,
    OrderUpdate,
    PositionStatus,
    PositionUpdate,
    Side,
    Signal,
    Venue,
    encode,
)
from memesnipe.streams.topics import ALL_TOPICS

BOOTSTRAP = os.environ.get("MEMESNIPE_TEST_KAFKA", "127.0.0.1:9092")
T0 = datetime(2026, 11, 1, tzinfo=UTC)
TOPICS = ("signals", "orders", "order_updates", "fills", "positions")


def message(i: int) -> tuple[str, bytes, bytes]:
    """A realistic trading message, one per topic in turn (each becomes one row)."""
    kind = TOPICS[i % len(TOPICS)]
    mint = f"Mint{i % 500:04d}".ljust(44, "x")
    ts = T0 + timedelta(milliseconds=i)
    sid = f"sig-{i:012d}"
    if kind == "signals":
        msg = Signal(
            signal_id=sid,
            instance_id=f"momentum-{i % 8}",
            family="momentum_5m",
            mint=mint,
            ts=ts,
            side=Side.BUY,
            intent=Intent.ENTRY,
            strength=0.7,
            reason="breakout over 5m high",
            price_usd=0.0123,
            price_sol=0.000082,
            meta={"z": 2.1},
        )
    elif kind == "orders":
        msg = Order(
            order_id=f"ord-{i:028d}",
            signal_id=sid,
            instance_id=f"momentum-{i % 8}",
            family="momentum_5m",
            mint=mint,
            ts=ts,
            side=Side.BUY,
            intent=Intent.ENTRY,
            venue=Venue.JUPITER,
            amount_in=500_000_000,
            price_sol=0.000082,
        )
    elif kind == "order_updates":
        msg = OrderUpdate(order_id=f"ord-{i:028d}", state=OrderState.LANDED, ts=ts, signature="5" * 88)
    elif kind == "fills":
        msg = Fill(
            fill_id=f"ord-{i:028d}",
            order_id=f"ord-{i:028d}",
            instance_id=f"momentum-{i % 8}",
            family="momentum_5m",
            mint=mint,
            ts=ts,
            side=Side.BUY,
            intent=Intent.ENTRY,
            qty_tokens=6_097_560_975,
            notional_lamports=500_000_000,
            price_sol=0.000082,
            swap_fee_lamports=1_250_000,
            priority_fee_lamports=10_000,
            jito_tip_lamports=1_000,
        )
    else:
        msg = PositionUpdate(
            instance_id=f"momentum-{i % 8}",
            mint=mint,
            ts=ts,
            status=PositionStatus.OPEN,
            side=Side.BUY,
            qty_tokens=6_097_560_975,
            entry_price_sol=0.000082,
            mark_price_sol=0.000085,
            cost_lamports=500_000_000,
            realized_pnl_lamports=0,
            unrealized_pnl_lamports=18_000_000,
        )
    return kind, mint.encode(), encode(msg)


async def create_topics(prefix: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(prefix + t, partitions, 1) for t in ALL_TOPICS])
    finally:
        await admin.close()


async def delete_topics(prefix: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=BOOTSTRAP)
    await admin.start()
    try:
        await admin.delete_topics([prefix + t for t in ALL_TOPICS])
    except Exception as exc:  # cleanup only
        print(f"(could not delete bench topics: {exc})", file=sys.stderr)
    finally:
        await admin.close()


async def produce(prefix: str, start: int, n: int, rate: float | None = None) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=BOOTSTRAP, linger_ms=5, max_batch_size=512 * 1024, acks=1)
    await producer.start()
    try:
        t0 = time.monotonic()
        futs = []
        for i in range(start, start + n):
            kind, key, value = message(i)
            futs.append(await producer.send(prefix + kind, value, key=key))
            if rate and i % 50 == 0:
                ahead = (i - start) / rate - (time.monotonic() - t0)
                if ahead > 0:
                    await asyncio.sleep(ahead)
            if len(futs) >= 5000:
                await asyncio.gather(*futs)
                futs.clear()
        await asyncio.gather(*futs)
    finally:
        await producer.stop()


def settings_for(prefix: str, data_dir: Path, run_id: str, batch_rows: int, interval: float):  # type: ignore[no-untyped-def]
    return load_settings(
        kafka={
            "broker": f"kafka://{BOOTSTRAP}",
            "topic_prefix": prefix,
            "app_id": f"bench-{uuid.uuid4().hex[:8]}",
        },
        clickhouse={"run_id": run_id, "batch_rows": batch_rows, "flush_interval_s": interval},
        data_dir=data_dir,
    )


async def drain(sink: AnalyticsSink, expect_rows: int, timeout_s: float) -> tuple[float, float]:
    """Run the sink until ``expect_rows`` rows are inserted; return the seconds from its first
    message (after the consumer group join, a one-off start-up cost) to its last insert."""
    await sink.start()
    task = asyncio.create_task(sink.run())
    try:
        deadline = time.monotonic() + timeout_s
        while sink.stats.messages == 0:
            if task.done():
                task.result()
            if time.monotonic() > deadline:
                raise TimeoutError("no message consumed")
            await asyncio.sleep(0.002)
        t0, cpu0 = time.perf_counter(), time.process_time()
        while sink.stats.rows_inserted < expect_rows:
            if task.done():
                task.result()
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {sink.stats.rows_inserted}/{expect_rows} rows in {timeout_s}s")
            await asyncio.sleep(0.01)
        return time.perf_counter() - t0, time.process_time() - cpu0
    finally:
        sink.request_stop()
        await asyncio.wait_for(task, 60)
        await sink.stop()


async def main(args: argparse.Namespace) -> float:
    prefix = f"bench{uuid.uuid4().hex[:8]}."
    data = Path(tempfile.mkdtemp(prefix="memesnipe-bench-sink-"))
    await create_topics(prefix, args.partitions)
    try:
        t = time.perf_counter()
        await produce(prefix, 0, args.rows)
        print(f"produced {args.rows} messages in {time.perf_counter() - t:.1f}s")
        store = Store.open(f"chdb://{data / 'ch'}", "memesnipe")
        try:
            rates: list[float] = []
            cpu_rates: list[float] = []
            for r in range(args.repeats):
                s = settings_for(prefix, data, f"bench-{r}", args.batch_rows, 1.0)
                sink = AnalyticsSink(s, store)
                secs, cpu = await drain(sink, args.rows, timeout_s=600)
                rates.append(args.rows / secs)
                cpu_rates.append(args.rows / cpu)
                print(
                    f"  run {r + 1}: {args.rows} rows in {secs:.2f}s = {args.rows / secs:,.0f} rows/s "
                    f"({cpu:.2f} CPU-s in this process = {args.rows / cpu:,.0f} rows per CPU-second)"
                )
            n = store.rows("SELECT count() AS n FROM memesnipe.fills FINAL WHERE run_id = 'bench-0'")[0]["n"]
            assert n == args.rows // len(TOPICS), f"fills rows {n} != {args.rows // len(TOPICS)}"

            # Phase 2: lag at a steady event rate, with the configured flush interval.
            s = settings_for(prefix, data, "bench-lag", args.batch_rows, args.flush_interval)
            lag_sink = AnalyticsSink(s, store, record_delays=True)
            await lag_sink.start()
            task = asyncio.create_task(lag_sink.run())
            await asyncio.sleep(0.5)
            # skip what phase 1 left in the topics: measure only the new, paced messages
            lag_sink.stats.delays_s.clear()
            while lag_sink.stats.rows_inserted < args.rows:
                await asyncio.sleep(0.05)
            lag_sink.stats.delays_s.clear()
            n_live = int(args.rate * args.seconds)
            await produce(prefix, args.rows, n_live, rate=args.rate)
            while lag_sink.stats.rows_inserted < args.rows + n_live:
                await asyncio.sleep(0.05)
            lag_sink.request_stop()
            await asyncio.wait_for(task, 60)
            await lag_sink.stop()
            delays = sorted(lag_sink.stats.delays_s)
            p50 = statistics.median(delays)
            p99 = delays[int(0.99 * (len(delays) - 1))]
            print(
                f"lag at {args.rate:.0f} events/s for {args.seconds}s "
                f"(flush interval {args.flush_interval}s, "
                f"{len(delays)} messages): p50 {p50:.3f}s  p99 {p99:.3f}s  max {delays[-1]:.3f}s"
            )
        finally:
            store.close()
    finally:
        await delete_topics(prefix)
        shutil.rmtree(data, ignore_errors=True)
    print(
        f"median: {statistics.median(rates):,.0f} rows/s wall, "
        f"{statistics.median(cpu_rates):,.0f} rows/CPU-s "
        f"(load average now {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: wall figures drop when shared)"
    )
    return statistics.median(rates)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--rate", type=float, default=2000.0, help="events/s for the lag phase")
    p.add_argument("--seconds", type=float, default=10.0, help="length of the lag phase")
    p.add_argument("--batch-rows", type=int, default=5000)
    p.add_argument("--flush-interval", type=float, default=1.0)
    p.add_argument("--partitions", type=int, default=4)
    a = p.parse_args()
    print("reproduce: python bench/sink.py " + " ".join(sys.argv[1:]))
    median = asyncio.run(main(a))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {rss_mb:.0f} MB")
    print(f"sink_rows_per_s: {median:.0f}")
