"""Signer throughput and latency, in-process, on one core.

Each request goes through everything the signer does for it: JSON decode and validation,
HMAC verification, duplicate lookup, kill switch, strict transaction parse (base64, bincode,
canonical re-encode, sanitize), the instruction policy, spend and caps, the ed25519 signature
over our slot, the result encoding and the journal booking. Latency is per request
(``SigningService.handle``); throughput also pays the journal write + fsync once per batch,
as the worker does before publishing. Kafka is not in the timed path.

With ``--mix effects`` (the default) the requests are live-shaped, every effect check on: a
third Jupiter buys (SOL wrap + route_v2 + unwrap), a third Jupiter sells (route_v2), a third
Drift shorts (driftpy's place_perp_order), each decoded and judged against its declared intent
by a LIVE signer. ``--mix paper`` sends the router's paper transactions (CU limit + CU price +
Jito tip + memo, v0). Each request has its own order id and is HMAC'd like the router does. The
RPC simulation cross-check is not in this path (it is a network round trip per request; its
cost is measured by bench/signer_simulation.py).

    python bench/signer.py [--requests 20000] [--batch 256] [--repeat 5] [--cpu 0] [--mix effects]
    python bench/signer.py --kafka 127.0.0.1:9092 [--requests 10000]   # the worker, end to end
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from solders.keypair import Keypair

from memesnipe.settings import SIGNER_PROGRAM_ALLOWLIST, SIGNER_TIP_ACCOUNTS
from memesnipe.signer.journal import Journal
from memesnipe.signer.keystore import SealedKey
from memesnipe.signer.policy import PolicyConfig
from memesnipe.signer.signing import SigningService
from memesnipe.streams.execution import ExecutionStatus
from tests.signer.helpers import SECRET, paper_ixs, request, unsigned_tx, wire


def build(n: int, key: SealedKey, mix: str = "effects") -> list[bytes]:
    me = key.pubkey
    if mix == "paper":
        return [
            wire(request(unsigned_tx(me, paper_ixs(me, memo=f"order-{i}".encode())), spend=20_000))
            for i in range(n)
        ]
    from tests.signer.routes import BUY_IN, BY_NAME, buy_request, close_wsol, route_ix, sell_request, wrap_ixs
    from tests.signer.test_hostile_effects import perp_ix, perp_request

    v2 = BY_NAME["route_v2"]
    buy = [*wrap_ixs(me, BUY_IN), route_ix(v2, me, buy=True), close_wsol(me)]
    sell = [route_ix(v2, me, buy=False), close_wsol(me)]
    short = perp_ix(me, short=True)
    out = []
    for i in range(n):
        oid = f"order-{i}"
        kind = i % 3
        if kind == 0:
            out.append(wire(buy_request(me, buy, order_id=oid)))
        elif kind == 1:
            out.append(wire(sell_request(me, sell, order_id=oid)))
        else:
            out.append(wire(perp_request(me, short, order_id=oid)))
    return out


def run_once(
    reqs: list[bytes], key: SealedKey, batch: int, workdir: Path, paper: bool = True
) -> tuple[float, float, list[int], list[int]]:
    cfg = PolicyConfig.build(
        key.pubkey,
        tip_accounts=SIGNER_TIP_ACCOUNTS.split(","),
        programs=SIGNER_PROGRAM_ALLOWLIST.split(","),
        per_tx_cap_lamports=10**9,
        daily_cap_lamports=10**15,
        tip_daily_cap_lamports=10**15,  # every request is checked; no daily cap trips in the bench
        priority_fee_daily_cap_lamports=10**15,
        exit_fee_daily_cap_lamports=10**15,
    )
    path = workdir / f"journal-{time.monotonic_ns()}.jsonl"
    journal = Journal(path)
    svc = SigningService(key, cfg, SECRET, journal, paper=paper, max_age_s=600)  # every check on
    lat: list[int] = []
    cpu: list[int] = []
    clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns
    t0, c0 = time.perf_counter(), time.process_time()
    for start in range(0, len(reqs), batch):
        for raw in reqs[start : start + batch]:
            a, b = clock(), cpu_clock()
            out = svc.handle(raw)
            lat.append(clock() - a)
            cpu.append(cpu_clock() - b)
            if out.status is not ExecutionStatus.SIGNED:
                raise SystemExit(f"bench request refused: {out.reason}")
        journal.flush()
    elapsed, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    journal.close()
    path.unlink()
    return elapsed, cpu_s, lat, cpu


async def kafka_once(reqs: list[bytes], key: SealedKey, batch: int, bootstrap: str) -> float:
    """The whole worker through the real broker: a backlog of requests is drained (fetch,
    decide, journal fsync, publish with acks=all, commit); returns the seconds from the first
    batch to the last commit (the consumer group's formation is not counted)."""
    import asyncio
    import uuid

    from aiokafka import AIOKafkaProducer

    from memesnipe.settings import load_settings
    from memesnipe.signer.worker import SignerWorker, build_service

    tag = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        settings = load_settings(
            data_dir=Path(tmp),
            hmac_secret=SECRET,
            kafka={
                "broker": f"kafka://{bootstrap}",
                "topic_prefix": f"bench{tag}.",
                "app_id": f"bench-{tag}",
            },
            signer={"batch_size": batch},
        )
        journal = Journal(Path(tmp) / "journal.jsonl")
        svc = build_service(settings, key, journal)
        worker = SignerWorker(settings, svc)
        await worker.ensure_topics()
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks="all")
        await producer.start()
        for raw in reqs:
            await producer.send(worker.topics.requests, value=raw, key=b"mint")
        await producer.flush()
        await producer.stop()
        await worker.start()
        stop = asyncio.Event()

        async def until_done() -> None:
            while svc.stats.signed < len(reqs):
                await asyncio.sleep(0.002)
            stop.set()

        watcher = asyncio.create_task(until_done())
        await worker.run(stop)
        # From the first fetched batch (after the consumer group has formed) to the last commit.
        assert worker.first_batch_at is not None
        elapsed = time.perf_counter() - worker.first_batch_at
        await watcher
        await worker.stop()
        journal.close()
    return elapsed


def pct(sorted_ns: list[int], q: float) -> float:
    return sorted_ns[min(len(sorted_ns) - 1, int(q * len(sorted_ns)))] / 1000.0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=20_000)
    ap.add_argument("--batch", type=int, default=256, help="requests per journal fsync (worker batch)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--cpu", type=int, default=0, help="pin to this core (-1: do not pin)")
    ap.add_argument("--kafka", default="", help="host:port: measure the worker through this broker instead")
    ap.add_argument(
        "--mix", choices=("effects", "paper"), default="effects", help="live-shaped or paper requests"
    )
    args = ap.parse_args()
    if args.cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {args.cpu})
    print(
        f"reproduce: python bench/signer.py --requests {args.requests} --batch {args.batch} "
        f"--repeat {args.repeat} --cpu {args.cpu} --mix {args.mix}"
        + (f" --kafka {args.kafka}" if args.kafka else "")
    )
    key = SealedKey(Keypair())
    reqs = build(args.requests, key, args.mix)
    if args.kafka:
        import asyncio

        rates = []
        for i in range(args.repeat):
            key = SealedKey(Keypair())  # a fresh wallet (and journal) per run
            reqs = build(args.requests, key)
            rates.append(len(reqs) / asyncio.run(kafka_once(reqs, key, args.batch, args.kafka)))
            print(f"run {i + 1}: {rates[-1]:,.0f} signed/s through Kafka (batch {args.batch})")
        print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (shared machine)")
        print(f"median of {args.repeat}: {statistics.median(rates):,.0f} signed/s through Kafka")
        print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.1f} MB")
        print(f"signed_per_s: {statistics.median(rates):.0f}")
        return
    rates, cpu_rates, p50s, p99s, p999s, cpu_p50s, cpu_p99s = [], [], [], [], [], [], []
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as tmp:
        for i in range(args.repeat):
            elapsed, cpu_s, lat, cpu = run_once(reqs, key, args.batch, Path(tmp), paper=args.mix == "paper")
            lat.sort()
            cpu.sort()
            rates.append(len(reqs) / elapsed)
            cpu_rates.append(len(reqs) / cpu_s)
            p50s.append(pct(lat, 0.50))
            p99s.append(pct(lat, 0.99))
            p999s.append(pct(lat, 0.999))
            cpu_p50s.append(pct(cpu, 0.50))
            cpu_p99s.append(pct(cpu, 0.99))
            print(
                f"run {i + 1}: {rates[-1]:,.0f} signed/s wall, {cpu_rates[-1]:,.0f} per CPU-second "
                f"(journal fsync every {args.batch}); handle wall p50 {p50s[-1]:.1f} us, "
                f"p99 {p99s[-1]:.1f} us, p99.9 {p999s[-1]:.1f} us; CPU p50 {cpu_p50s[-1]:.1f} us, "
                f"p99 {cpu_p99s[-1]:.1f} us"
            )
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    med = statistics.median
    print(
        f"load average during the runs: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (shared machine)"
    )
    print(
        f"median of {args.repeat}: {med(rates):,.0f} signed/s wall ({max(rates):,.0f} best), "
        f"{med(cpu_rates):,.0f} per CPU-second; wall p50 {med(p50s):.1f} us, p99 {med(p99s):.1f} us, "
        f"p99.9 {med(p999s):.1f} us; CPU p50 {med(cpu_p50s):.1f} us, p99 {med(cpu_p99s):.1f} us"
    )
    print(f"peak RSS: {rss_mb:.1f} MB")
    print(f"sign_p50_us: {med(p50s):.1f}")
    print(f"sign_p99_us: {med(p99s):.1f}")
    print(f"signed_per_s: {med(rates):.0f}")


if __name__ == "__main__":
    main()
