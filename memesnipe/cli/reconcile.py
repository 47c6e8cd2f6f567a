"""``memesnipe reconcile``: the books (positions topic) against the wallet on chain, on a schedule
and after every fill; each reading goes to the ``reconciliations`` topic, a mismatch that holds
over two readings is logged as an error and counted (memesnipe_reconcile_mismatches) and adopted
into the books (adoption fills, reconciler/service.py). Beside it, the perp read-back
(reconciler/perp.py): our Drift account against the books' shorts, funding booked as funding
records, each reading on ``perp_reconciliations``.
``--once`` reads the positions topic to its end, reconciles once, prints it and exits 1 on a
mismatch (no waiting for a second reading)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from memesnipe.settings import Settings, get_settings


async def _once(settings: Settings, wallet: str) -> int:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
    from memesnipe.reconciler.service import Reconciler

    rpc = SolanaRpcClient(settings.execution.rpc_url)
    rec = Reconciler(
        settings, rpc, wallet, tolerance=settings.execution.reconcile_tolerance, confirmations=1, adopt=False
    )  # one look: reports, never adopts on a single reading
    topic = settings.kafka.topic_prefix + "positions"
    consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka.bootstrap_servers, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        if tps:
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            ends = await consumer.end_offsets(tps)
            while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
                for records in (await consumer.getmany(timeout_ms=500)).values():
                    for r in records:
                        rec.apply(r.value)
        out = await rec.reconcile("once")
    finally:
        await consumer.stop()
        await rpc.aclose()
    for h in out.holdings:
        flag = "" if h.books == h.chain else "   <-- MISMATCH"
        print(f"{h.mint}  books {h.books:>20}  chain {h.chain:>20}{flag}")
    print(f"SOL {out.sol_lamports} lamports; mismatches: {len(out.mismatches)}")
    return 1 if out.mismatches else 0


async def _serve(settings: Settings, wallet: str) -> int:
    from memesnipe import metrics
    from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
    from memesnipe.reconciler.service import Reconciler

    metrics.serve(settings.metrics_port, settings.metrics_host)  # memesnipe_reconcile_* for the alert

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    rpc = SolanaRpcClient(settings.execution.rpc_url)
    e = settings.execution
    rec = Reconciler(
        settings, rpc, wallet, interval_s=e.reconcile_interval_s, tolerance=e.reconcile_tolerance
    )
    from memesnipe.connectors.drift import DriftPerpBuilder
    from memesnipe.connectors.drift.venue import DriftVenue
    from memesnipe.reconciler.perp import PerpReconciler

    venue = DriftVenue(rpc, DriftPerpBuilder(settings.drift.env, settings.drift.sub_account_id))
    perp = PerpReconciler(venue, wallet, interval_s=max(e.reconcile_interval_s, 60.0))
    try:
        await asyncio.gather(rec.run(stop), perp.run(settings, stop))
    finally:
        await rpc.aclose()
    return 0


def _run(args: argparse.Namespace) -> int:
    from memesnipe.agents.routing import signer_pubkey

    settings = get_settings()
    wallet = args.wallet or signer_pubkey(settings)
    if not wallet:
        print("memesnipe reconcile: wallet unknown: --wallet, MEMESNIPE_SIGNER__WALLET_PUBKEY or a signer")
        return 2
    return asyncio.run(_once(settings, wallet) if args.once else _serve(settings, wallet))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("reconcile", help="the books against the wallet on chain", description=__doc__)
    p.add_argument("--wallet", default="", help="public key (default: the signer's)")
    p.add_argument("--once", action="store_true", help="one reading, printed; exit 1 on a mismatch")
    p.set_defaults(func=_run)
