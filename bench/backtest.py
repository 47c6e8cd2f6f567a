"""Throughput of the in-process backtester: all ten default strategies over a simulated
recording of at least 1,000,000 events, on one core.

    python bench/backtest.py [--count 1000000] [--mints 12] [--seed 7] [--repeat 3] [--cpu N]

The recording is the market simulator's (all seven event types; seed, mint count and start
fixed, so it is the same bytes every time), written once with ``write_recording`` and reused
from ``--cache`` (keyed by seed, mints and count). The process is pinned to one CPU, then each
figure is measured ``--repeat`` times (a fresh backtester each run) and the median quoted:

  (b) end to end     ``Backtester(default_specs(), settings).run(read_events(recording))``,
                     as ``memesnipe backtest`` runs it: Parquet read, ordering, de-duplication,
                     decode and the run, streaming (nothing else held in memory);
  (read)             ``read_events`` alone (what (b) adds to the run);
  (a) backtester     the same run over events decoded up front: the engine proper
                     (strategies, risk gate, paper fills, position books, exits, allocator,
                     kill switch). The 1,000,000 decoded events the harness holds would be
                     traversed by every full GC collection the run triggers, which a streaming
                     run never pays; so after loading them the harness moves them (and the
                     imported modules) out of the collector's sight with ``gc.freeze()``. The
                     run's own objects are collected as usual. ``(a) unfrozen`` is the same run
                     without the freeze, printed for comparison;
  (c) strategies     ``InProcessRunner(engine_for(default_specs())).run_events(events)``: the
                     strategy engine alone over the same events (frozen too), for reference.

Events/s are per CPU-second of this process (``time.process_time``; pinned, so all its threads
share one core): on a machine shared with other work, wall time also counts the time the
scheduler gave the core to someone else. Wall-clock rates are printed next to them; the two
agree on an idle machine. Peak RSS is printed after (b) (the streaming path) and at the end
(with every decoded event held). The last line is ``backtest_events_per_s: N``, the median of
(a). ``--chunk`` passes a chunk size to the Backtester (default: its own default).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

START = datetime(2026, 4, 6, tzinfo=UTC)
TICK_S = 5.0
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "memesnipe-bench"


def pin_one_cpu(cpu: int | None) -> int | None:
    """Pin this process (and the threads it starts) to one CPU; returns it."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    chosen = cpu if cpu is not None else allowed[-1]
    os.sched_setaffinity(0, {chosen})
    return chosen


def ensure_recording(cache: Path, seed: int, mints: int, count: int) -> tuple[Path, bool]:
    """The simulated recording for (seed, mints, count), written on first use; (path, reused)."""
    from memesnipe.backtest.recording import write_recording
    from memesnipe.connectors.simulator.model import MarketSimulator

    path = cache / f"sim-seed{seed}-mints{mints}-tick{TICK_S:g}-{START:%Y%m%d}-n{count}"
    if (path / "COMPLETE").exists():
        return path, True
    tmp = cache / f".{path.name}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    sim = MarketSimulator(seed, mints, START, TICK_S)
    n = write_recording(itertools.islice(sim.events(), count), tmp)
    if n != count:
        raise SystemExit(f"simulator gave {n} events, wanted {count}")
    (tmp / "COMPLETE").write_text(f"{n}\n")
    shutil.rmtree(path, ignore_errors=True)
    tmp.rename(path)
    return path, False


def bench_settings(**risk_overrides: object):  # type: ignore[no-untyped-def]
    """Default settings (the environment's MEMESNIPE_* still apply), data dir in a temp dir."""
    from memesnipe.settings import load_settings

    os.environ.setdefault("MEMESNIPE_DATA_DIR", str(Path(tempfile.gettempdir()) / "memesnipe-bench-data"))
    s = load_settings()
    if risk_overrides:
        s = s.model_copy(update={"risk": s.risk.model_copy(update=risk_overrides)})
    return s


class Timing:
    """CPU and wall seconds of repeated runs of one figure."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cpu: list[float] = []
        self.wall: list[float] = []

    def measure(self, fn: Callable[[], object]) -> object:
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        c1, w1 = time.process_time(), time.perf_counter()
        self.cpu.append(c1 - c0)
        self.wall.append(w1 - w0)
        return out

    def rate(self, n: int) -> float:
        return n / statistics.median(self.cpu)

    def line(self, n: int) -> str:
        cpu = [n / c for c in self.cpu]
        wall = [n / w for w in self.wall]
        return (
            f"{self.name:<18} median {self.rate(n):>9,.0f} events/s per CPU-s "
            f"(runs {', '.join(f'{r:,.0f}' for r in cpu)}) | "
            f"wall median {n / statistics.median(self.wall):,.0f}/s "
            f"(runs {', '.join(f'{r:,.0f}' for r in wall)})"
        )


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--count", type=int, default=1_000_000, help="events in the recording")
    ap.add_argument("--mints", type=int, default=12)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: the last allowed)")
    ap.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="where recordings are kept")
    ap.add_argument("--chunk", type=int, default=0, help="Backtester chunk size (default: its own)")
    args = ap.parse_args()

    from memesnipe.backtest import Backtester
    from memesnipe.backtest.recording import RecordingStats, read_events
    from memesnipe.core.strategies import engine_for
    from memesnipe.core.strategies.defaults import default_specs
    from memesnipe.core.strategies.engine import InProcessRunner

    cpu_arg = f" --cpu {args.cpu}" if args.cpu is not None else ""
    cpu_arg += f" --chunk {args.chunk}" if args.chunk else ""
    print(
        f"reproduce: python bench/backtest.py --count {args.count} --mints {args.mints} --seed {args.seed} "
        f"--repeat {args.repeat}{cpu_arg}"
    )
    t0 = time.perf_counter()
    rec, reused = ensure_recording(args.cache, args.seed, args.mints, args.count)
    files = list(rec.rglob("*.parquet"))
    size = sum(f.stat().st_size for f in files)
    print(
        f"recording: {rec} ({'reused' if reused else f'written in {time.perf_counter() - t0:.0f} s'}; "
        f"{len(files)} Parquet files, {size / 2**20:.0f} MiB)"
    )
    cpu = pin_one_cpu(args.cpu)
    print(f"pinned to CPU {cpu}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")

    settings = bench_settings()
    specs = default_specs()
    kw = {"chunk": args.chunk} if args.chunk else {}
    print(f"strategies ({len(specs)}): {', '.join(sp.instance_id for sp in specs)}")

    def run_bt(events: object) -> tuple[int, ...]:
        res = Backtester(specs, settings, **kw).run(events)  # type: ignore[arg-type]
        return (res.events, len(res.signals), len(res.orders), len(res.rejections), len(res.fills))

    outcomes: set[tuple[int, ...]] = set()
    names = ("(b) end to end", "(read) load+decode", "(a) unfrozen", "(a) backtester", "(c) strategies")
    b, r, a0, a, c = (Timing(x) for x in names)
    stats = RecordingStats()
    for _ in range(args.repeat):  # phase 1: streaming from the recording, nothing else alive
        outcomes.add(b.measure(lambda: run_bt(read_events(rec))))  # type: ignore[arg-type]
        n = r.measure(lambda: sum(1 for _ in read_events(rec, stats=stats)))  # type: ignore[assignment]
    rss_stream = peak_rss_mib()

    events = list(read_events(rec))  # phase 2: the engine proper over events decoded up front
    assert len(events) == n, (len(events), n)
    kinds: dict[str, int] = {}
    for ev in events:
        tag = str(ev.__struct_config__.tag)
        kinds[tag] = kinds.get(tag, 0) + 1
    span_h = (events[-1].ts - events[0].ts).total_seconds() / 3600
    print(
        f"events: {n:,} ({', '.join(f'{k} {v:,}' for k, v in sorted(kinds.items()))}); "
        f"simulated span {span_h:.1f} h; {stats.duplicates // args.repeat} duplicates, "
        f"{stats.undecodable // args.repeat} undecodable"
    )
    for _ in range(args.repeat):
        outcomes.add(a0.measure(lambda: run_bt(events)))  # type: ignore[arg-type]
    gc.collect()
    gc.freeze()
    signals_c: set[int] = set()
    for _ in range(args.repeat):
        outcomes.add(a.measure(lambda: run_bt(events)))  # type: ignore[arg-type]
        signals_c.add(len(c.measure(lambda: InProcessRunner(engine_for(specs)).run_events(events))))  # type: ignore[arg-type]
    gc.unfreeze()
    if len(outcomes) != 1 or len(signals_c) != 1:
        raise SystemExit(f"runs disagree: {outcomes} {signals_c}")
    ev_n, sig_n, ord_n, rej_n, fill_n = outcomes.pop()
    assert ev_n == n
    print(
        f"every run: {sig_n:,} signals, {ord_n:,} orders, {rej_n:,} rejections, {fill_n:,} fills; "
        f"strategy engine alone: {signals_c.pop():,} signals"
    )
    for t in (b, r, a0, a, c):
        print(t.line(n))
    print(
        f"(a) is {a.rate(n) / c.rate(n):.2f}x the strategy engine alone's rate and "
        f"{a.rate(n) / a0.rate(n):.2f}x (a) unfrozen; (b) is {b.rate(n) / a.rate(n):.2f}x (a)"
    )
    print(
        f"peak RSS: {rss_stream:.0f} MiB streaming (b); "
        f"{peak_rss_mib():.0f} MiB with all {n:,} events decoded"
    )
    print(f"backtest_events_per_s: {a.rate(n):.0f}")


if __name__ == "__main__":
    main()
