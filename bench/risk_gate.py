"""Throughput of the risk gate's per-signal path, as the agent runs it per batch: decode the
signal bytes (msgspec), load the mint's state once per batch, decide (sizing + every rule
against the exposure book), encode the order or rejection, and encode the state once per
batch. Kafka I/O is not included (see the pipeline benchmarks for that).

    python bench/risk_gate.py [--signals 200000] [--mints 500] [--positions 200] [--repeat 5]

The book holds ``--positions`` open positions across strategies (global limits are evaluated
against it); signals are spread over ``--mints`` mints in batches of ``kafka.batch_size``.
Each run uses fresh state; the median of ``--repeat`` runs is quoted, in signals per
CPU-second (``time.process_time``). The last line is ``risk_gate_signals_per_s: N``.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from memesnipe.core.exposure import ExposureBook
from memesnipe.core.gate import MintRiskState, RiskGate, apply_depth, apply_onchain
from memesnipe.core.risk import RiskLimits
from memesnipe.settings import RiskSettings
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.trading import OrderRejection, Side, Signal
from memesnipe.tables.risk import decode_state, encode_state
from tests.agents import riskmsgs as m


def run(n: int, mints: int, positions: int, batch: int) -> tuple[float, int, Counter[str]]:
    r = RiskSettings(
        max_open_positions=10**6,
        max_orders_per_min=10**9,
        max_strategy_lamports=10**15,
        max_token_lamports=10**15,
    )
    gate = RiskGate(RiskLimits.from_settings(r), seen_max=r.seen_signals_per_mint)
    clock = [0.0]  # orders never fill here: a fake clock (1 s per signal) lets them expire
    book = ExposureBook(pending_ttl_s=r.pending_ttl_s, clock=lambda: clock[0])
    for i in range(positions):
        book.apply_position(m.position(f"P{i}", 1000 + i, instance=f"inst-{i % 10}", cost=10_000_000, t=0))
    table: dict[str, bytes] = {}
    for i in range(mints):
        st = MintRiskState()
        apply_onchain(st, m.safe(f"M{i}"))
        apply_depth(st, m.depth(f"M{i}", 10_000_000))
        table[f"M{i}"] = encode_state(st)
    raw = [
        encode(
            m.signal(
                f"s{k}", f"M{k % mints}", instance=f"inst-{k % 10}", strength=0.5, t=k * 0.002, side=Side.BUY
            )
        )
        for k in range(n)
    ]
    orders = 0
    rules: Counter[str] = Counter()
    t0 = time.process_time()
    for b in range(0, n, batch):
        states: dict[str, MintRiskState] = {}
        for data in raw[b : b + batch]:
            clock[0] += 1.0
            sig = decode(data, Signal)
            st = states.get(sig.mint)
            if st is None:
                st = states[sig.mint] = decode_state(table.get(sig.mint))
            out = gate.on_signal(st, sig, book, None, {})
            if out is not None:
                encode(out)
                if isinstance(out, OrderRejection):
                    rules[out.rule] += 1
                else:
                    orders += 1
        for mint, st in states.items():
            table[mint] = encode_state(st)
    return n / (time.process_time() - t0), orders, rules


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--signals", type=int, default=200_000)
    p.add_argument("--mints", type=int, default=500)
    p.add_argument("--positions", type=int, default=200)
    p.add_argument("--batch", type=int, default=500)
    p.add_argument("--repeat", type=int, default=5)
    a = p.parse_args()
    print("reproduce: python", " ".join(sys.argv))
    rates = []
    for i in range(a.repeat):
        rate, orders, rules = run(a.signals, a.mints, a.positions, a.batch)
        rates.append(rate)
        print(f"run {i + 1}: {rate:,.0f} signals/CPU-s ({orders} orders, rejections {dict(rules)})")
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"median {statistics.median(rates):,.0f} signals/CPU-s over {a.repeat} runs; "
        f"min {min(rates):,.0f}, max {max(rates):,.0f}"
    )
    print(f"peak RSS: {rss_mb:.0f} MB")
    print(f"risk_gate_signals_per_s: {statistics.median(rates):.0f}")


if __name__ == "__main__":
    main()
