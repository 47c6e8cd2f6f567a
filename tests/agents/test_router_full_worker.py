"""The execution agents inside the full worker (every agent module of the app) with the real
signer: orders become fills, so routing and fills coexist with the other stages' agents."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from memesnipe.streams.codec import decode, encode
from memesnipe.streams.trading import Fill, Intent, Order, Side, Venue
from tests.support.kafka import Process, consume, create_topics, produce

pytestmark = pytest.mark.integration


async def test_full_worker_turns_orders_into_fills(isolated_env, worker):
    env = isolated_env
    await create_topics(env)
    signer = Process(["memesnipe.signer"], env.env, env.data_dir / "signer.log")
    try:
        signer.wait_for("signer ready", timeout_s=60)
        worker("full")
        ts = datetime(2026, 1, 1, tzinfo=UTC)
        orders = [
            Order(
                order_id=hashlib.sha256(f"full|{i}".encode()).hexdigest()[:32],
                signal_id=f"s{i}",
                instance_id="inst-full",
                family="momentum",
                mint=f"FullMint{i % 3}",
                ts=ts,
                side=Side.BUY,
                intent=Intent.ENTRY,
                venue=Venue.JUPITER,
                amount_in=20_000_000,
                price_sol=0.0002,
                price_usd=0.03,
            )
            for i in range(6)
        ]
        await produce(env.bootstrap, env.topic("orders"), [(o.mint.encode(), encode(o)) for o in orders])
        fills = [
            decode(r.value, Fill)
            for r in await consume(
                env.bootstrap, env.topic("fills"), min_count=len(orders), timeout_s=120, idle_s=2
            )
        ]
    finally:
        signer.stop()
    assert sorted(f.fill_id for f in fills) == sorted(o.order_id for o in orders)
    assert all(f.paper and f.qty_tokens > 0 for f in fills)
