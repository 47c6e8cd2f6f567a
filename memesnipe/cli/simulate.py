"""``memesnipe simulate``: publish simulated market events of all seven types."""

from __future__ import annotations

import argparse
import asyncio
import logging

from memesnipe.settings import get_settings


def _record(args: argparse.Namespace) -> int:
    from itertools import islice

    from memesnipe.backtest.recording import write_recording
    from memesnipe.connectors.simulator.runner import simulator_from_settings

    settings = get_settings()
    if args.count is None:
        raise SystemExit("memesnipe: simulate --record needs --count")
    events = islice(simulator_from_settings(settings).events(), args.count)
    n = write_recording(
        events, args.record, prefix=settings.kafka.topic_prefix, partitions=settings.kafka.partitions
    )
    print(f"simulator: recorded {n} events to {args.record}")
    return 0


def _run(args: argparse.Namespace) -> int:
    from memesnipe.connectors.simulator.runner import run_simulator

    if args.record:
        return _record(args)

    logging.basicConfig(
        level=get_settings().log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    settings = get_settings()
    from memesnipe import metrics

    metrics.serve(settings.metrics_port, settings.metrics_host)
    sent = asyncio.run(run_simulator(settings, count=args.count, rate_per_s=args.rate, fast=args.fast))
    print(f"simulator: sent {sent} events")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("simulate", help="publish simulated market events (deterministic under a seed)")
    p.add_argument("--count", type=int, default=None, help="stop after N events (default: run forever)")
    p.add_argument("--rate", type=float, default=None, help="events per second (default: setting)")
    p.add_argument("--fast", action="store_true", help="as fast as possible, ignoring the rate")
    p.add_argument("--record", default=None, help="write a recording (Parquet) to this directory instead")
    p.set_defaults(func=_run)
