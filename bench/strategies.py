"""Throughput of the strategy engine: all ten default strategies over a mixed simulated stream,
in-process, on one core.

The stream is the market simulator's (all seven event types, pumps, dumps, rugs, social bursts,
bridge inflows, dev sells), decoded up front; the timed part is what the runner agent does per
``take_events`` batch after decoding: order the batch by event time, route each event to the
instances subscribed to its type and step their state. A second figure adds the per-batch
serialization of every changed state (what the agent writes to its table).

    python bench/strategies.py [--events 300000] [--mints 24] [--batch 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import msgspec

from memesnipe.connectors.simulator.model import MarketSimulator
from memesnipe.core.strategies import engine_for
from memesnipe.core.strategies.defaults import default_specs
from memesnipe.core.strategies.engine import Item, order_batch


def build_items(n: int, mints: int, seed: int) -> list[Item]:
    sim = MarketSimulator(seed, mints, datetime(2026, 1, 5, tzinfo=UTC), 5.0)
    counters: dict[str, int] = {}
    items: list[Item] = []
    for ev in itertools.islice(sim.events(), n):
        tp = str(type(ev).__struct_config__.tag)
        off = counters.get(tp, 0)
        counters[tp] = off + 1
        items.append((ev.ts.timestamp(), tp, 0, off, ev, None))
    return items


def run_once(items: list[Item], batch: int, serialize: bool) -> tuple[float, float, int]:
    """Returns (wall seconds, CPU seconds of this process, signals)."""
    engine = engine_for(default_specs())
    states: dict[str, dict] = {}
    contexts: dict[str, dict] = {}
    enc = msgspec.json.Encoder()
    signals = 0
    batches = [items[i : i + batch] for i in range(0, len(items), batch)]
    t0, c0 = time.perf_counter(), time.process_time()
    for b in batches:
        res = engine.process(order_batch(list(b)), states.get, contexts.get)
        signals += len(res.signals)
        for k, (_, st) in res.states.items():
            states[k] = st
            if serialize:
                enc.encode(st)
        for k, (_, c) in res.contexts.items():
            contexts[k] = c
            if serialize:
                enc.encode(c)
    return time.perf_counter() - t0, time.process_time() - c0, signals


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=300_000)
    ap.add_argument("--mints", type=int, default=24)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    print(
        f"reproduce: python bench/strategies.py --events {args.events} --mints {args.mints} "
        f"--batch {args.batch} --repeat {args.repeat} --seed {args.seed}"
    )
    items = build_items(args.events, args.mints, args.seed)
    kinds: dict[str, int] = {}
    for it in items:
        kinds[it[1]] = kinds.get(it[1], 0) + 1
    print(
        "stream:",
        ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())),
        f"| simulated span {(items[-1][0] - items[0][0]) / 3600:.1f} h",
    )
    print("strategies:", ", ".join(s.instance_id for s in default_specs()))
    wall, cpu, ser = [], [], []
    for _ in range(args.repeat):
        dt, ct, sig = run_once(items, args.batch, serialize=False)
        wall.append(len(items) / dt)
        cpu.append(len(items) / ct)
        dt2, _, _ = run_once(items, args.batch, serialize=True)
        ser.append(len(items) / dt2)
    print(f"signals per run: {sig}")
    print(
        f"engine, wall clock: median {statistics.median(wall):,.0f} events/s "
        f"(min {min(wall):,.0f}, max {max(wall):,.0f}) over {args.repeat} runs"
    )
    print(
        f"engine, CPU time:   median {statistics.median(cpu):,.0f} events/s "
        "(what one core does when it is not shared)"
    )
    print(f"engine + JSON of changed states per batch, wall: median {statistics.median(ser):,.0f} events/s")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    # the machine this runs on is often shared: CPU time is what one core sustains
    print(f"strategy_events_per_s: {statistics.median(cpu):.0f}")


if __name__ == "__main__":
    main()
