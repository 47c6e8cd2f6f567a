"""Paper routing cost per order: plan (depth model) + v0 transaction (budget, tip, memo) + HMAC +
wire encoding, i.e. the router's per-order CPU work without Kafka.

Run: python bench/router_paper_route.py [n_orders]
"""

from __future__ import annotations

import asyncio
import hashlib
import resource
import sys
import time
from datetime import UTC, datetime

import msgspec
from solders.keypair import Keypair

from memesnipe.agents.routing import Router
from memesnipe.settings import load_settings
from memesnipe.streams.auth import sign_request
from memesnipe.streams.codec import encode
from memesnipe.streams.trading import Intent, Order, Side, Venue
from memesnipe.tables.orders import MarketMark


async def main(n: int) -> float:
    s = load_settings()
    router = Router(settings=s, payer=str(Keypair().pubkey()))
    mark = MarketMark(price_sol=0.0001, price_usd=0.015, decimals=6, levels=[(1000.0, 20.0), (5000.0, 120.0)])
    ts = datetime(2026, 1, 1, tzinfo=UTC)
    orders = [
        Order(
            order_id=hashlib.sha256(str(i).encode()).hexdigest()[:32],
            signal_id=str(i),
            instance_id="i",
            family="f",
            mint=f"Mint{i % 50}",
            ts=ts,
            side=Side.BUY,
            intent=Intent.ENTRY,
            venue=Venue.JUPITER,
            amount_in=50_000_000,
        )
        for i in range(n)
    ]
    t0 = time.perf_counter()
    for o in orders:
        req = await router.route(o, mark)
        encode(msgspec.structs.replace(req, hmac=sign_request(req, s.hmac_secret)))
    return n / (time.perf_counter() - t0)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    rate = asyncio.run(main(n))
    print(f"reproduce: python bench/router_paper_route.py {n}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"router_paper_orders_per_s: {rate:.0f}")
