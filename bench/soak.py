"""Soak and flood: a real ``memesnipe worker`` (every agent) fed simulated market events at a steady
rate for ``--minutes``, its RSS sampled every ``--sample-s`` seconds.

On fresh topics (default strategies, global limits non-binding, the real signer running), as
bench/pipeline.py sets them up: events from ``MarketSimulator`` are published, keyed by mint, at
``--rate`` events/s (all market topics together) in ``--chunk-s`` slices, while the worker's RSS
(psutil, else ``/proc/<pid>/status`` VmRSS) is sampled. After the last event the bench keeps
sampling until the worker committed everything (or ``--drain-timeout``), so the peak includes any
backlog the worker worked off. ``--churn-s S`` starts a fresh set of ``--mints`` mints every S
seconds (a new simulator seed), so per-key state meets new keys as in a live market.

Figures: RSS at start / end / peak (MiB), the least-squares slope of RSS over the second half of the
publishing phase (MiB per hour: a flat worker is ~0), events sent per second, lag at the end.

Run (needs the local Kafka: ``deploy/kafka-local.sh start``):

    python bench/soak.py --minutes 60 --rate 200            # last line: rss_slope_mb_per_h: X
    python bench/soak.py --minutes 5 --rate 200 --flood-x 10  # last line: flood_peak_rss_mb: X
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.pipeline import Progress, peak_rss_mib, publish, start_workers
from memesnipe.connectors.simulator import MarketSimulator
from memesnipe.streams.market import MarketEvent
from tests.integration.pipeline import NON_BINDING_GLOBAL_LIMITS, START, prepare
from tests.support.kafka import Process, delete_topics, new_isolated_env

try:
    import psutil
except ImportError:  # pragma: no cover - psutil is in the dev venv
    psutil = None


def rss_mib(pid: int) -> float:
    """Current resident set size of a process, MiB."""
    if psutil is not None:
        return psutil.Process(pid).memory_info().rss / 2**20
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def slope_per_h(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) points, in MiB per hour (0 for fewer than 2 points)."""
    n = len(points)
    if n < 2:
        return 0.0
    mt = sum(t for t, _ in points) / n
    mr = sum(r for _, r in points) / n
    var = sum((t - mt) ** 2 for t, _ in points)
    if var == 0:
        return 0.0
    return sum((t - mt) * (r - mr) for t, r in points) / var * 3600


def stream(seed: int, mints: int, per_sim: int | None) -> Iterator[MarketEvent]:
    """Endless simulated events; with ``per_sim``, a fresh simulator (new mints) every that many."""
    k = 0
    while True:
        sim = MarketSimulator(seed + k, mints, START, tick_s=15.0, pump_prob=0.02, rug_prob=0.006)
        for i, ev in enumerate(sim.events()):
            if per_sim is not None and i >= per_sim:
                break
            yield ev
        k += 1


async def soak(args: argparse.Namespace, base: Path) -> dict[str, object]:
    env = new_isolated_env(args.bootstrap, base, partitions=args.partitions)
    env.extra.update(NON_BINDING_GLOBAL_LIMITS)
    env.extra.update(dict(kv.split("=", 1) for kv in args.set))
    rate = args.rate * args.flood_x
    per_sim = round(rate * args.churn_s) if args.churn_s > 0 else None
    src = stream(args.seed, args.mints, per_sim)
    await prepare(env)
    signer = Process(["memesnipe.signer"], env.env, env.data_dir / "signer.log")
    procs: list[Process] = []
    samples: list[tuple[float, float]] = []
    try:
        signer.wait_for("signer ready", timeout_s=90)
        procs = start_workers(env, 1, args.log_level, None)
        pid = procs[0].proc.pid
        prog = Progress(env, [pid])
        await prog.start()
        t0 = time.monotonic()
        stop = asyncio.Event()

        async def sampler() -> None:
            while not stop.is_set():
                samples.append((time.monotonic() - t0, rss_mib(pid)))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), args.sample_s)

        task = asyncio.create_task(sampler())
        try:
            sent = 0
            duration = args.minutes * 60
            per_chunk = max(1, round(rate * args.chunk_s))
            while time.monotonic() - t0 < duration:
                left = duration - (time.monotonic() - t0)
                chunk = [next(src) for _ in range(min(per_chunk, max(1, round(rate * left))))]
                await publish(env, chunk, rate)
                sent += len(chunk)
            t_pub = time.monotonic() - t0
            at_end = await prog.sample()
            final = (await prog.until(sent, args.drain_timeout, every_s=1.0))[-1]
            t_drained = time.monotonic() - t0
        finally:
            stop.set()
            await task
            await prog.stop()
        samples.append((time.monotonic() - t0, rss_mib(pid)))
        half = [p for p in samples if t_pub / 2 <= p[0] <= t_pub]
        return {
            "sent": sent,
            "sent_per_s": sent / t_pub,
            "lag_at_end": sent - at_end.committed,
            "unprocessed": sent - final.committed,
            "drain_s": t_drained - t_pub,
            "samples": samples,
            "slope": slope_per_h(half),
            "half_n": len(half),
            "peak": max(max(r for _, r in samples), peak_rss_mib(pid)),
            "buffer_full": procs[0].output().count("producer buffer full"),
        }
    finally:
        for p in procs:
            p.stop()
        signer.stop()
        if not args.keep:
            await delete_topics(env)
            shutil.rmtree(env.data_dir, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--minutes", type=float, default=60.0, help="publishing time")
    ap.add_argument("--rate", type=float, default=200.0, help="steady rate, market events/s")
    ap.add_argument("--flood-x", type=float, default=1.0, help="multiply the rate (a flood: 10)")
    ap.add_argument("--sample-s", type=float, default=5.0, help="RSS sampling period")
    ap.add_argument("--chunk-s", type=float, default=30.0, help="events published per producer session")
    ap.add_argument("--churn-s", type=float, default=0.0, help="new set of mints every S seconds (0: off)")
    ap.add_argument("--drain-timeout", type=float, default=600.0, help="max wait for the worker to catch up")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--mints", type=int, default=24)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--bootstrap", default=os.environ.get("MEMESNIPE_TEST_KAFKA", "127.0.0.1:9092"))
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--keep", action="store_true", help="keep topics and data dir")
    ap.add_argument(
        "--set", action="append", default=[], metavar="MEMESNIPE_X=V", help="worker setting (repeatable)"
    )
    args = ap.parse_args()
    print(
        f"reproduce: python bench/soak.py --minutes {args.minutes:g} --rate {args.rate:g} "
        f"--flood-x {args.flood_x:g} --sample-s {args.sample_s:g} --churn-s {args.churn_s:g} "
        f"--partitions {args.partitions} --mints {args.mints} --seed {args.seed}"
        + "".join(f" --set {kv}" for kv in args.set)
    )
    base = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    try:
        r = asyncio.run(soak(args, base))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    samples: list[tuple[float, float]] = r["samples"]  # type: ignore[assignment]
    print(
        f"sent {r['sent']:,} market events at {r['sent_per_s']:,.0f}/s "
        f"(target {args.rate * args.flood_x:g}/s); lag at end {r['lag_at_end']}, "
        f"caught up {r['drain_s']:.1f}s later, unprocessed {r['unprocessed']}; "
        f"'producer buffer full' x{r['buffer_full']}"
    )
    print(
        f"worker RSS: start {samples[0][1]:.0f} MiB, end {samples[-1][1]:.0f} MiB, "
        f"peak {r['peak']:.0f} MiB ({len(samples)} samples every {args.sample_s:g}s)"
    )
    print(f"rss slope (second half, {r['half_n']} samples): {r['slope']:+.1f} MiB/h")
    if args.flood_x != 1.0:
        print(f"flood_peak_rss_mb: {r['peak']:.1f}")
    else:
        print(f"rss_slope_mb_per_h: {r['slope']:.1f}")


if __name__ == "__main__":
    main()
