"""The real pipeline on the local Kafka: market events -> ``memesnipe worker`` (every agent) ->
signals -> orders -> exec_requests -> the real signer -> exec_results, for one and for two workers.

For each worker count, on fresh topics (default strategies, global limits non-binding):

1. **Drain**: ``--events`` simulated market events are published before the workers start; the
   workers (started together) consume them. Throughput is the slope of the consumer group's
   committed market-topic offsets (an offset is committed only once *every* agent reading the
   topic acknowledged it) between 10 % and 90 % of the backlog, and the workers' CPU time over
   the same span (``/proc``): events per wall second, per worker, and per worker CPU-second
   (the figure to compare on a shared machine).
2. **Rates**: the same workers, then events published at each of ``--rates`` (events/s, all
   market topics together) for ``--seconds`` each. Latency from a market event's record (its
   Kafka timestamp, set when the publisher sent it) to the signal, the order it caused, and the
   signed request (the signer's ``exec_results`` record for that order), each by record
   timestamps: p50 / p99 per rate, plus whether the workers kept up (lag at the end of the step).

Run (needs the local Kafka: ``deploy/kafka-local.sh start``):

    python bench/pipeline.py --events 50000 --rates 250,500,1000,2000 --seconds 20 --workers 1,2

Prints the reproduce command, figures per worker count, the workers' peak RSS, and as its last
line ``pipeline_market_events_per_s_per_worker: N`` (one worker's drain rate). ``--set
MEMESNIPE_X=V`` changes a worker setting (A/B of one choice), ``--profile DIR`` samples each worker
with py-spy, ``--cprofile DIR`` runs it under cProfile; ``--bootstrap`` points at a private broker
(``KAFKA_PORT=19392 KAFKA_STATE_DIR=/tmp/k deploy/kafka-local.sh start``) on a shared machine.

Where a worker's CPU goes (cProfile and py-spy, 20,000-event drain, main thread): Faust's
per-event stream machinery (``Stream._c_aiter``, take buffer, ack: every market message is an
event in ~3.2 streams), its sensor (~7 %), the consumer thread (~12-24 %), producer sends and
socket writes (~8-14 %: ~0.9 changelog records per market event at the batch sizes reached),
state decode/encode per batch; the strategies themselves ~3 %. Choices, measured:

- per-stage batch wait: ``kafka.latency_within_s`` (10 ms) on the latency path, ``batch_within_s``
  (200 ms) for the market-data trackers and ledger. Each latency-path stage waited up to 200 ms
  before; now up to 10 ms. A larger ``batch_size`` (5,000) did not lower the drain's CPU per event
  (447/431 us at 500 vs 549 us at 5,000, one run each, same load): batches under a backlog stay
  small (~26 events per strategy-runner batch), bounded by Faust's lock-step delivery, not by size.
- Faust's Prometheus sensor with label children cached (``memesnipe.sensor``): 35 -> 21 us of
  sensor CPU per market message (3 streams, 1 table write, 1 send; in-process, ratio 1.65).
- router marks kept decoded between batches (``tables.cache.DecodedCache``): saves one decode of
  the mint's mark per tracker batch (23 us for a full history; encode 27 us remains).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from memesnipe.connectors.simulator import MarketSimulator
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.execution import ExecutionResult, ExecutionStatus
from memesnipe.streams.market import MarketEvent
from memesnipe.streams.topics import MARKET_TOPICS
from memesnipe.streams.trading import Order, OrderRejection, Signal
from tests.integration.pipeline import NON_BINDING_GLOBAL_LIMITS, START, prepare
from tests.support.kafka import (
    IsolatedEnv,
    Process,
    consume,
    delete_topics,
    free_port,
    new_isolated_env,
)

TICKS = os.sysconf("SC_CLK_TCK")


def events(n: int, seed: int, mints: int) -> list[MarketEvent]:
    """A busy simulated market (frequent pumps and rugs), as the integration tests use."""
    sim = MarketSimulator(seed, mints, START, tick_s=15.0, pump_prob=0.02, rug_prob=0.006)
    return list(islice(sim.events(), n))


def cpu_s(pid: int) -> float:
    """User + system CPU seconds of a process so far."""
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


@dataclass
class Sample:
    t: float
    committed: int
    cpu: float


@dataclass
class RunResult:
    workers: int
    drain_rate: float = 0.0
    drain_cpu_per_event_us: float = 0.0
    steps: list[dict[str, Any]] = field(default_factory=list)
    peak_rss: list[float] = field(default_factory=list)
    buffer_full: int = 0


class Progress:
    """The consumer group's committed offsets on the market topics, and the workers' CPU."""

    def __init__(self, env: IsolatedEnv, pids: list[int]) -> None:
        self.env = env
        self.pids = pids
        self.market = {env.topic(t) for t in MARKET_TOPICS}
        self.admin = AIOKafkaAdminClient(bootstrap_servers=env.bootstrap)

    async def start(self) -> None:
        await self.admin.start()

    async def stop(self) -> None:
        await self.admin.close()

    async def sample(self) -> Sample:
        offsets = await self.admin.list_consumer_group_offsets(self.env.app_id)
        done = sum(max(0, om.offset) for tp, om in offsets.items() if tp.topic in self.market)
        return Sample(time.monotonic(), done, sum(cpu_s(p) for p in self.pids))

    async def until(self, total: int, timeout_s: float, every_s: float = 0.25) -> list[Sample]:
        out = [await self.sample()]
        deadline = time.monotonic() + timeout_s
        while out[-1].committed < total and time.monotonic() < deadline:
            await asyncio.sleep(every_s)
            out.append(await self.sample())
        return out


def span(samples: list[Sample], total: int, lo: float = 0.1, hi: float = 0.9) -> tuple[float, float]:
    """(events/s, CPU-s per event) between the samples where lo and hi of ``total`` was committed."""
    a = next((s for s in samples if s.committed >= lo * total), samples[0])
    b = next((s for s in samples if s.committed >= hi * total), samples[-1])
    if b is a:  # a tiny drain, done between two samples
        a, b = samples[0], samples[-1]
    n = b.committed - a.committed
    if n <= 0 or b.t <= a.t:
        return 0.0, float("nan")
    return n / (b.t - a.t), (b.cpu - a.cpu) / n


async def publish(env: IsolatedEnv, evs: list[MarketEvent], rate: float | None) -> None:
    """Publish events onto their topics, keyed by mint: as fast as possible, or paced at ``rate``."""
    producer = AIOKafkaProducer(
        bootstrap_servers=env.bootstrap,
        linger_ms=20 if rate is None else 1,
        acks="all",
        enable_idempotence=True,
        max_batch_size=256 * 1024,
    )
    await producer.start()
    try:
        futs = []
        tick = 0.01
        per_tick = 1 if rate is None else max(1, round(rate * tick))
        t0 = time.monotonic()
        for i, ev in enumerate(evs):
            if rate is not None and i % per_tick == 0:
                due = t0 + (i / rate)
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            tag = str(type(ev).__struct_config__.tag)
            futs.append(await producer.send(env.topic(tag), value=encode(ev), key=ev.mint.encode()))
            if len(futs) >= 5000:
                await asyncio.gather(*futs)
                futs = []
        await asyncio.gather(*futs)
    finally:
        await producer.stop()


async def latencies(env: IsolatedEnv, windows: list[tuple[float, float]]) -> list[dict[str, list[float]]]:
    """Per window (of market record timestamps, ms): ms from market record to signal, decision
    (order or rejection), order, signed request (record timestamps)."""
    market_ts: dict[str, int] = {}
    for t in MARKET_TOPICS:
        name = env.topic(t)
        for r in await consume(env.bootstrap, name, idle_s=1.0):
            market_ts[f"{name}/{r.partition}/{r.offset}"] = r.timestamp
    signals: dict[str, int] = {}
    for r in await consume(env.bootstrap, env.topic("signals"), idle_s=1.0):
        s = decode(r.value, Signal)
        signals[s.signal_id] = r.timestamp
    orders: dict[str, tuple[str, int]] = {}
    for r in await consume(env.bootstrap, env.topic("orders"), idle_s=1.0):
        o = decode(r.value, Order)
        orders[o.order_id] = (o.signal_id, r.timestamp)
    rejected: dict[str, int] = {}
    for r in await consume(env.bootstrap, env.topic("rejections"), idle_s=1.0):
        rejected[decode(r.value, OrderRejection).signal_id] = r.timestamp
    signed: dict[str, int] = {}
    for r in await consume(env.bootstrap, env.topic("exec_results"), idle_s=1.0):
        res = decode(r.value, ExecutionResult)
        if res.status is ExecutionStatus.SIGNED:
            signed.setdefault(res.request_id, r.timestamp)
    out: list[dict[str, list[float]]] = [
        {"signal": [], "decision": [], "order": [], "signed": []} for _ in windows
    ]

    def window(src_ts: int) -> dict[str, list[float]] | None:
        for (lo, hi), d in zip(windows, out, strict=True):
            if lo <= src_ts < hi:
                return d
        return None

    for sid, ts in signals.items():
        src = market_ts.get(sid.split("|", 1)[0])
        d = window(src) if src is not None else None
        if d is not None and src is not None:
            d["signal"].append(ts - src)
    for oid, (sid, ts) in orders.items():
        src = market_ts.get(sid.split("|", 1)[0])
        d = window(src) if src is not None else None
        if d is None or src is None:
            continue  # an exit of the position manager (its id names no market record) or the drain
        d["order"].append(ts - src)
        d["decision"].append(ts - src)
        if oid in signed:
            d["signed"].append(signed[oid] - src)
    for sid, ts in rejected.items():
        src = market_ts.get(sid.split("|", 1)[0])
        d = window(src) if src is not None else None
        if d is not None and src is not None:
            d["decision"].append(ts - src)
    return out


def profile(pid: int, out: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling the worker (collapsed stacks, idle excluded) until SIGINT."""
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    cmd = [spy, "record", "-p", str(pid), "-o", str(out), "--format", "raw", "--rate", "250", "--nonblocking"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_workers(env: IsolatedEnv, n: int, log_level: str, cprofile: Path | None) -> list[Process]:
    procs = []
    for i in range(n):
        e = env.env
        e["MEMESNIPE_WEB_PORT"] = str(free_port())
        log = env.data_dir / f"worker{i}.log"
        cmd = ["memesnipe", "worker", "-l", log_level, "--without-web"]
        if cprofile is not None:  # the whole run, main thread (written at a clean stop)
            cprofile.mkdir(parents=True, exist_ok=True)
            cmd = ["cProfile", "-o", str(cprofile / f"w{n}-{i}.prof"), "-m", *cmd]
        procs.append(Process(cmd, e, log))
    for p in procs:
        p.wait_for("Ready", timeout_s=240)
    return procs


async def run(n_workers: int, args: argparse.Namespace, base: Path) -> RunResult:
    env = new_isolated_env(args.bootstrap, base, partitions=args.partitions)
    env.extra.update(NON_BINDING_GLOBAL_LIMITS)
    env.extra.update(dict(kv.split("=", 1) for kv in args.set))
    res = RunResult(n_workers)
    total_steps = sum(int(r * args.seconds) for r in args.rates)
    evs = events(args.events + total_steps, args.seed, args.mints)
    await prepare(env)
    signer = Process(["memesnipe.signer"], env.env, env.data_dir / "signer.log")
    procs: list[Process] = []
    try:
        signer.wait_for("signer ready", timeout_s=90)
        await publish(env, evs[: args.events], None)
        procs = start_workers(env, n_workers, args.log_level, args.cprofile)
        prog = Progress(env, [p.proc.pid for p in procs])
        spies = (
            [profile(p.proc.pid, args.profile / f"w{n_workers}-{i}.txt") for i, p in enumerate(procs)]
            if args.profile
            else []
        )
        await prog.start()
        try:
            samples = await prog.until(args.events, args.timeout)
            if samples[-1].committed < args.events:
                raise SystemExit(
                    f"{n_workers} worker(s): {samples[-1].committed}/{args.events} in {args.timeout}s"
                )
            rate, cpu = span(samples, args.events)
            res.drain_rate, res.drain_cpu_per_event_us = rate, cpu * 1e6
            done = args.events
            windows: list[tuple[float, float]] = []
            for r in args.rates:
                chunk = evs[done : done + int(r * args.seconds)]
                before = await prog.sample()
                w0 = time.time() * 1000
                await publish(env, chunk, r)
                w1 = time.time() * 1000
                at_end = await prog.sample()
                done += len(chunk)
                after = (await prog.until(done, args.timeout))[-1]
                windows.append((w0, w1))
                res.steps.append(
                    {
                        "rate": r,
                        "sent_per_s": len(chunk) / ((w1 - w0) / 1000),
                        "lag_at_end": done - at_end.committed,
                        "cpu_per_event_us": (after.cpu - before.cpu) / max(1, len(chunk)) * 1e6,
                        "caught_up_s": after.t - at_end.t,
                    }
                )
        finally:
            await prog.stop()
            for spy in spies:
                spy.send_signal(signal.SIGINT)
                spy.wait(60)
        lats = await latencies(env, windows)
        for step, lat in zip(res.steps, lats, strict=True):
            step.update(lat)
        res.peak_rss = [peak_rss_mib(p.proc.pid) for p in procs]
        for p in procs:
            res.buffer_full += p.output().count("producer buffer full")
    finally:
        for p in procs:
            p.stop()
        signer.stop()
        if not args.keep:
            await delete_topics(env)
            shutil.rmtree(env.data_dir, ignore_errors=True)
    return res


def report(res: RunResult) -> None:
    w = res.workers
    print(
        f"[{w} worker{'s' if w > 1 else ''}] drain: {res.drain_rate:,.0f} market events/s "
        f"({res.drain_rate / w:,.0f} per worker), {res.drain_cpu_per_event_us:.0f} us worker CPU per event "
        f"({1e6 / res.drain_cpu_per_event_us:,.0f} events per worker CPU-s); "
        f"'producer buffer full' x{res.buffer_full}; "
        f"peak RSS {', '.join(f'{r:.0f}' for r in res.peak_rss)} MiB"
    )
    for s in res.steps:
        parts = [
            f"  rate {s['rate']:>6,.0f}/s (sent {s['sent_per_s']:,.0f}/s): lag at end {s['lag_at_end']}, "
            f"caught up {s['caught_up_s']:.1f}s later, {s['cpu_per_event_us']:.0f} us CPU/event"
        ]
        for hop in ("signal", "decision", "order", "signed"):
            v = s[hop]
            parts.append(f"{hop} p50 {pct(v, 0.5):.0f} p99 {pct(v, 0.99):.0f} ms (n={len(v)})")
        print("; ".join(parts))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=50_000, help="backlog drained at full speed")
    ap.add_argument(
        "--rates", type=lambda s: [float(x) for x in s.split(",") if x], default=[250, 500, 1000, 2000]
    )
    ap.add_argument("--seconds", type=float, default=20.0, help="per rate")
    ap.add_argument("--workers", type=lambda s: [int(x) for x in s.split(",") if x], default=[1, 2])
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--mints", type=int, default=24)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--bootstrap", default=os.environ.get("MEMESNIPE_TEST_KAFKA", "127.0.0.1:9092"))
    ap.add_argument("--timeout", type=float, default=600.0, help="max seconds to wait for a drain")
    ap.add_argument("--log-level", default="info")
    ap.add_argument("--keep", action="store_true", help="keep topics and data dir")
    ap.add_argument(
        "--set", action="append", default=[], metavar="MEMESNIPE_X=V", help="worker setting (repeatable)"
    )
    ap.add_argument("--profile", type=Path, help="py-spy each worker (drain and rates) into this folder")
    ap.add_argument("--cprofile", type=Path, help="run each worker under cProfile, stats into this folder")
    args = ap.parse_args()
    print(
        "reproduce: python bench/pipeline.py "
        f"--events {args.events} --rates {','.join(f'{r:g}' for r in args.rates)} --seconds {args.seconds:g} "
        f"--workers {','.join(map(str, args.workers))} --partitions {args.partitions} --mints {args.mints} "
        f"--seed {args.seed}" + "".join(f" --set {kv}" for kv in args.set)
    )
    base = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    results = []
    try:
        for n in args.workers:
            res = asyncio.run(run(n, args, base))
            report(res)
            results.append(res)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    print(f"peak RSS (bench process): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    print(f"peak RSS (workers): {max(r for res in results for r in res.peak_rss):.0f} MiB")
    one = next((r for r in results if r.workers == 1), results[0])
    print(f"pipeline_market_events_per_s_per_worker: {one.drain_rate / one.workers:.0f}")


if __name__ == "__main__":
    main()
