"""Cockpit snapshot cost on a realistic history, in embedded chDB.

Seeds ``--fills`` fills (entries and exits over ``--strategies`` x ``--mints``), one position
update per fill plus ``--marks`` mark updates per mint, and allocations, through the sink's row
mapping and batched inserts. Then times, ``--repeat`` times each: the full snapshot read (every
panel: the query layer's performance() ledger replay, trades, positions, costs, health) and the
version check the hub runs on every poll while nothing changed. The hub reads at most every
``max(poll_s, 2 x read time)``, so the full read time bounds the cockpit's CPU share.

    python bench/cockpit.py [--fills 20000] [--strategies 10] [--mints 200] [--marks 50] [--repeat 5]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memesnipe.sinks.client import Store
from memesnipe.sinks.migrate import migrate
from memesnipe.sinks.queries import Queries
from memesnipe.sinks.rows import TABLES, RowMapper, Source
from memesnipe.streams import Fill, Intent, PositionStatus, PositionUpdate, Side, StrategyAllocation
from memesnipe.streams.codec import encode
from memesnipe.web.source import SnapshotReader, data_version

RUN = "bench"
CAPITAL = 100 * 10**9
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def seed(store: Store, a: argparse.Namespace) -> None:
    rng, mapper = random.Random(1), RowMapper(RUN)
    rows: dict[str, list[tuple[object, ...]]] = {}
    offset = 0

    def put(short: str, msg: object) -> None:
        nonlocal offset
        offset += 1
        table, row = mapper.map(short, encode(msg), Source(short, 0, offset, None, 0))  # type: ignore[misc,arg-type]
        rows.setdefault(table, []).append(row)

    held: dict[tuple[str, str], tuple[int, float]] = {}
    for n in range(a.fills):
        inst, mint = f"strat-{rng.randrange(a.strategies)}", f"Mint{rng.randrange(a.mints):040d}"
        ts = T0 + timedelta(seconds=n * 3)
        qty, price = held.get((inst, mint), (0, 0.0))
        opening = qty == 0
        price = rng.uniform(1e-6, 1e-3) if opening else price * rng.uniform(0.7, 1.6)
        q = rng.randint(10**6, 10**10) if opening else qty
        put(
            "fills",
            Fill(
                fill_id=f"f{n}",
                order_id=f"f{n}",
                instance_id=inst,
                family="bench",
                mint=mint,
                ts=ts,
                side=Side.BUY if opening else Side.SELL,
                intent=Intent.ENTRY if opening else Intent.EXIT,
                qty_tokens=q,
                notional_lamports=int(q * price),
                price_sol=price,
                swap_fee_lamports=int(q * price * 0.0025),
                priority_fee_lamports=10_000,
                jito_tip_lamports=1_000,
                reason="paper:quote",
            ),
        )
        held[(inst, mint)] = (q, price) if opening else (0, 0.0)
        put(
            "positions",
            PositionUpdate(
                instance_id=inst,
                mint=mint,
                ts=ts,
                status=PositionStatus.OPEN if opening else PositionStatus.CLOSED,
                side=Side.BUY,
                qty_tokens=q if opening else 0,
                entry_price_sol=price,
                mark_price_sol=price,
                cost_lamports=int(q * price),
                realized_pnl_lamports=0,
                unrealized_pnl_lamports=0,
                stop_price_sol=price * 0.8 if opening else None,
                exit_reason="" if opening else "trailing_stop",
            ),
        )
    end = T0 + timedelta(seconds=a.fills * 3)
    for (inst, mint), (q, price) in held.items():
        for k in range(a.marks if q else 0):
            mark = price * rng.uniform(0.8, 1.3)
            put(
                "positions",
                PositionUpdate(
                    instance_id=inst,
                    mint=mint,
                    ts=end + timedelta(seconds=k + 1),
                    status=PositionStatus.OPEN,
                    side=Side.BUY,
                    qty_tokens=q,
                    entry_price_sol=price,
                    mark_price_sol=mark,
                    cost_lamports=int(q * price),
                    realized_pnl_lamports=0,
                    unrealized_pnl_lamports=int(q * (mark - price)),
                    stop_price_sol=price * 0.8,
                ),
            )
    for s in range(a.strategies):
        put(
            "allocations",
            StrategyAllocation(
                instance_id=f"strat-{s}",
                weight=1 / a.strategies,
                capital_lamports=CAPITAL // a.strategies,
                ts=end,
                reason="bench",
            ),
        )
    for table, batch in rows.items():
        for i in range(0, len(batch), 50_000):
            store.insert(table, TABLES[table].columns, batch[i : i + 50_000])
    print(f"seeded: {', '.join(f'{len(v):,} {k}' for k, v in rows.items())}")


def timed(fn: object, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter() - t0)
    return out


def main(a: argparse.Namespace) -> float:
    data = Path(tempfile.mkdtemp(prefix="cockpit-bench-"))
    store = Store.open(f"chdb://{data / 'clickhouse'}", "memesnipe")
    try:
        migrate(store)
        seed(store, a)
        q = Queries(store, RUN, CAPITAL)
        q.cache_s = 0.0  # measure the reads themselves
        reader = SnapshotReader(q, mode="paper")
        snap = reader.read()
        assert not snap.errors, snap.errors
        print(
            f"snapshot: {snap.totals.trades:,} trades, {len(snap.positions)} open positions, "
            f"{len(snap.equity)} curve points"
        )
        full = timed(reader.read, a.repeat)
        gate = timed(lambda: data_version(q), a.repeat * 4)
        print(
            f"full snapshot read: p50 {statistics.median(full) * 1000:.0f} ms  max {max(full) * 1000:.0f} ms"
        )
        print(f"idle poll (version check): p50 {statistics.median(gate) * 1000:.1f} ms")
        return statistics.median(full) * 1000
    finally:
        store.close()
        shutil.rmtree(data, ignore_errors=True)


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--fills", type=int, default=20_000)
    p.add_argument("--strategies", type=int, default=10)
    p.add_argument("--mints", type=int, default=200)
    p.add_argument("--marks", type=int, default=50, help="mark updates per open position")
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    print("reproduce: python bench/cockpit.py " + " ".join(sys.argv[1:]))
    median_ms = main(args)
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    print(f"cockpit_snapshot_ms: {median_ms:.0f}")
