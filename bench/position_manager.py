"""Position manager batch throughput, in-process, on one core (CPU time, not wall time).

Everything the agent does per batch except Kafka I/O: decode each raw event (msgspec JSON),
look up and decode the mint's book (msgpack), skip applied offsets, mark every open position,
update stops and exits, build and encode the position updates and exit signals, encode each
changed book once. Workload: ``--mints`` tokens, each with ``--positions`` open strategy
positions (one entry fill each), then ``--ticks`` price ticks per mint, interleaved across
mints, in batches of ``--batch`` (the agent's ``take_events`` size).

    python bench/position_manager.py [--mints 200] [--positions 3] [--ticks 500] [--batch 500]
                                     [--repeat 3] [--idle 0]
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memesnipe.agents.channels import names
from memesnipe.agents.position_manager import PositionProcessor, book_policy, default_rules
from memesnipe.settings import ExitSettings
from memesnipe.streams.codec import encode
from memesnipe.streams.market import PriceEvent
from memesnipe.streams.trading import Fill, Intent, Side

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Msg:
    topic: str
    partition: int
    offset: int
    key: bytes


@dataclass
class Ev:
    message: Msg
    value: bytes


def build(mints: int, positions: int, ticks: int, idle: int = 0) -> tuple[list[Ev], list[Ev]]:
    rnd = random.Random(7)
    fills, prices = [], []
    offs = {"fills": 0, "price": 0}

    def ev(short: str, mint: str, value: bytes) -> Ev:
        offs[short] += 1
        return Ev(Msg(names(short), 0, offs[short], mint.encode()), value)

    for m in range(mints):
        mint = f"BenchMint{m:06d}pump"
        for i in range(positions):
            f = Fill(
                fill_id=f"{m}-{i}",
                order_id=f"{m}-{i}",
                instance_id=f"inst-{i}",
                family="momentum_5m",
                mint=mint,
                ts=T0,
                side=Side.BUY,
                intent=Intent.ENTRY,
                qty_tokens=10**12,
                notional_lamports=10**9,
                price_sol=0.001,
                swap_fee_lamports=2_500_000,
            )
            fills.append(ev("fills", mint, encode(f)))
    px = [0.001] * mints
    for t in range(1, ticks + 1):
        for m in range(mints):
            px[m] *= 1 + rnd.gauss(0.0005, 0.004)  # a drifting random walk: stops trail and some fire
            p = PriceEvent(
                mint=f"BenchMint{m:06d}pump",
                ts=T0 + timedelta(seconds=t),
                price_sol=px[m],
                price_usd=px[m] * 150,
                decimals=6,
            )
            prices.append(ev("price", p.mint, encode(p)))
        for m in range(idle):  # tokens no strategy holds: most of a real feed
            p = PriceEvent(
                mint=f"IdleMint{m:06d}pump", ts=T0 + timedelta(seconds=t), price_sol=0.001, decimals=6
            )
            prices.append(ev("price", p.mint, encode(p)))
    return fills, prices


def run_once(fills: list[Ev], prices: list[Ev], batch: int) -> tuple[float, int, int]:
    store: dict[bytes, bytes] = {}
    s = ExitSettings(max_hold_s=0)
    rules = default_rules(s)
    proc = PositionProcessor(store.get, lambda _i: rules, book_policy(s))
    sends = exits = 0
    for i in range(0, len(fills), batch):
        res = proc.process(fills[i : i + batch])
        store.update({k: v for k, (_e, v) in res.changes.items()})
    t0 = time.process_time()  # CPU time: the machine is shared, wall time would measure the others
    for i in range(0, len(prices), batch):
        res = proc.process(prices[i : i + batch])
        store.update({k: v for k, (_e, v) in res.changes.items()})
        sends += len(res.sends)
        exits += res.exits
    return time.process_time() - t0, sends, exits


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mints", type=int, default=200)
    ap.add_argument("--positions", type=int, default=3)
    ap.add_argument("--ticks", type=int, default=500)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--idle", type=int, default=0, help="extra mints with price ticks but no positions")
    a = ap.parse_args()
    fills, prices = build(a.mints, a.positions, a.ticks, a.idle)
    rates = []
    for _ in range(a.repeat):
        secs, sends, exits = run_once(fills, prices, a.batch)
        rates.append(len(prices) / secs)
        print(
            f"{len(prices)} price events, {a.mints * a.positions} positions: {secs:.3f} CPU s, "
            f"{sends} messages out ({exits} exits)"
        )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"reproduce: python bench/position_manager.py --mints {a.mints} --positions {a.positions} "
        f"--ticks {a.ticks} --batch {a.batch} --repeat {a.repeat} --idle {a.idle}"
    )
    print(f"peak RSS: {rss_mb:.0f} MB; per-event: {1e6 / statistics.median(rates):.1f} us")
    print(f"position_manager_price_events_per_s: {statistics.median(rates):.0f}")


if __name__ == "__main__":
    main()
