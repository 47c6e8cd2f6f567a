"""End-to-end paper execution on the real broker: N orders -> router -> signer -> fills agent ->
N fills, with the real signer process. Prints orders/s from the first order produced to the last
fill (by the fills' own timestamps, which are the signer's result times) and the median latency.

Run: python bench/paper_execution_e2e.py [n_orders]   (needs the local Kafka at 127.0.0.1:9092)
"""

from __future__ import annotations

import asyncio
import hashlib
import resource
import statistics
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from memesnipe.streams.codec import decode, encode
from memesnipe.streams.trading import Fill, Intent, Order, Side, Venue
from tests.support.kafka import Process, consume, create_topics, free_port, new_isolated_env, produce


async def main(n: int) -> tuple[float, float]:
    env = new_isolated_env("127.0.0.1:9092", Path(tempfile.mkdtemp(prefix="bench-exec-")))
    await create_topics(env)
    signer = Process(["memesnipe.signer"], env.env, env.data_dir / "signer.log")
    e = env.env
    e["MEMESNIPE_WEB_PORT"] = str(free_port())
    worker = Process(["tests.agents.exec_worker"], e, env.data_dir / "worker.log")
    try:
        signer.wait_for("signer ready", timeout_s=60)
        worker.wait_for("Ready", timeout_s=90)
        now = datetime.now(UTC)
        orders = [
            Order(
                order_id=hashlib.sha256(f"b|{i}".encode()).hexdigest()[:32],
                signal_id=str(i),
                instance_id="b",
                family="f",
                mint=f"BenchMint{i % 40}",
                ts=now,
                side=Side.BUY,
                intent=Intent.ENTRY,
                venue=Venue.JUPITER,
                amount_in=1_000_000,
                price_sol=0.0001,
                price_usd=0.015,
            )
            for i in range(n)
        ]
        sent_at = datetime.now(UTC)
        await produce(env.bootstrap, env.topic("orders"), [(o.mint.encode(), encode(o)) for o in orders])
        recs = await consume(env.bootstrap, env.topic("fills"), min_count=n, timeout_s=300, idle_s=10.0)
        fills = [decode(r.value, Fill) for r in recs]
        if len({f.fill_id for f in fills}) != n:
            from collections import Counter

            from memesnipe.streams.execution import ExecutionResult
            from memesnipe.streams.trading import OrderUpdate

            ups = [
                decode(r.value, OrderUpdate) for r in await consume(env.bootstrap, env.topic("order_updates"))
            ]
            res = [
                decode(r.value, ExecutionResult)
                for r in await consume(env.bootstrap, env.topic("exec_results"))
            ]
            print(
                "updates:", Counter(u.state.value for u in ups), Counter(u.reason for u in ups).most_common(3)
            )
            print(
                "results:",
                Counter(r.status.value for r in res),
                Counter(r.reason for r in res).most_common(3),
            )
            raise SystemExit(f"expected {n} fills, got {len(fills)}")
        lat = statistics.median((f.ts - sent_at).total_seconds() for f in fills)
        span = (max(f.ts for f in fills) - sent_at).total_seconds()  # produce start -> last fill
        return n / span, lat
    finally:
        worker.stop()
        signer.stop()


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    rate, lat = asyncio.run(main(n))
    print(f"reproduce: python bench/paper_execution_e2e.py {n}")
    print(f"peak RSS (bench process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"median order->signed latency: {lat * 1000:.0f} ms")
    print(f"paper_execution_orders_per_s: {rate:.0f}")
