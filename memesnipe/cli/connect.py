"""``memesnipe connect <source>...``: run live market-data connectors until interrupted.

Several sources run in one process (one producer, one /metrics port); ``--live-data`` names
the set ``memesnipe run --live-data`` uses; ``--if-configured`` skips a source whose key or
settings are missing (naming what it misses) instead of refusing to start.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from typing import TYPE_CHECKING

from memesnipe.connectors.registry import SOURCES

if TYPE_CHECKING:
    from memesnipe.connectors.runner import RunStats
    from memesnipe.settings import Settings

log = logging.getLogger("memesnipe.connect")


async def _run(settings: Settings, sources: list[str], cycles: int | None, if_configured: bool) -> int:
    from memesnipe.connectors.launcher import plan, run_all
    from memesnipe.connectors.publisher import Publisher
    from memesnipe.connectors.runner import run_connector

    p = plan(settings, sources, if_configured=if_configured)  # fails fast on a missing key, before Kafka
    for line in p.describe():
        print(f"connect: {line}", flush=True)
    if not p.started:
        return 0 if if_configured else 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Publisher(settings) as pub:
        if cycles is not None:  # a bounded run of the polled sources (tests, smoke checks)
            for name, c in p.started.items():
                _log_stats(name, await run_connector(c, pub, stop=stop, max_cycles=cycles))
            return 0
        for name, c in p.started.items():
            log.info("connector %s started (every %.1fs)", name, c.interval_s)
        results = await run_all(p, pub, stop)
    for name, stats in results.items():
        if stats is not None:
            _log_stats(name, stats)
    return 0


def _log_stats(name: str, stats: RunStats) -> None:
    log.info(
        "connector %s stopped: %d cycles, %d events, %d dead letters, %d failed fetches",
        name,
        stats.cycles,
        stats.events,
        stats.dead_letters,
        stats.fetch_errors,
    )


def _main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from memesnipe import metrics
    from memesnipe.connectors.launcher import following_the_watchlist, live_data_sources
    from memesnipe.settings import get_settings

    unknown = [s for s in args.source if s not in SOURCES]
    if unknown:
        raise SystemExit(f"memesnipe: unknown source {unknown[0]!r}; known: {', '.join(sorted(SOURCES))}")
    sources = list(dict.fromkeys([*(live_data_sources() if args.live_data else []), *args.source]))
    if not sources:
        raise SystemExit("memesnipe connect: name a source (or --live-data)")
    settings = get_settings()
    if args.live_data:
        settings = following_the_watchlist(settings)
    metrics.serve(settings.metrics_port, settings.metrics_host)
    return asyncio.run(_run(settings, sources, args.cycles, args.if_configured or args.live_data))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("connect", help="run live market-data connectors (publish keyed by mint)")
    p.add_argument(
        "source", nargs="*", metavar="SOURCE", help=f"which providers to poll: {', '.join(sorted(SOURCES))}"
    )
    p.add_argument("--live-data", action="store_true", help="every source paper trading on live data uses")
    p.add_argument(
        "--if-configured",
        action="store_true",
        help="skip a source whose API key or settings are missing (printed) instead of failing",
    )
    p.add_argument("--cycles", type=int, default=None, help="stop after N polls (default: run until stopped)")
    p.set_defaults(func=_main)
