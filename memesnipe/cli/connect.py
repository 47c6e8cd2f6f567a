"""``memesnipe connect <source>``: run one live market-data connector until interrupted."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

from memesnipe.connectors.registry import SOURCES


async def _run(source: str, cycles: int | None) -> int:
    from memesnipe import metrics
    from memesnipe.connectors.publisher import Publisher
    from memesnipe.connectors.registry import create
    from memesnipe.connectors.runner import run_connector
    from memesnipe.settings import get_settings

    settings = get_settings()
    connector = create(source, settings)  # fails fast on a missing key, before Kafka
    metrics.serve(settings.metrics_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with Publisher(settings) as pub:
        logging.getLogger("memesnipe.connect").info(
            "connector %s started (every %.1fs)", source, connector.interval_s
        )
        serve = getattr(connector, "serve", None)
        if serve is not None:  # a streaming source (discovery): its own loops until stopped
            try:
                await serve(pub, stop)
            finally:
                await connector.aclose()
            return 0
        stats = await run_connector(connector, pub, stop=stop, max_cycles=cycles)
    logging.getLogger("memesnipe.connect").info(
        "connector %s stopped: %d cycles, %d events, %d dead letters, %d failed fetches",
        source,
        stats.cycles,
        stats.events,
        stats.dead_letters,
        stats.fetch_errors,
    )
    return 0


def _main(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from memesnipe import metrics
    from memesnipe.settings import get_settings

    settings = get_settings()
    metrics.serve(settings.metrics_port, settings.metrics_host)
    return asyncio.run(_run(args.source, args.cycles))


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("connect", help="run a live market-data connector (publishes keyed by mint)")
    p.add_argument("source", choices=sorted(SOURCES), help="which provider to poll")
    p.add_argument("--cycles", type=int, default=None, help="stop after N polls (default: run until stopped)")
    p.set_defaults(func=_main)
