"""``memesnipe record`` (market topics -> Parquet) and ``memesnipe publish-file`` (Parquet ->
market topics at the original pace, faster, or as fast as possible)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from datetime import UTC, datetime
from pathlib import Path

from memesnipe.streams.topics import MARKET_TOPICS


def _types(text: str | None) -> list[str]:
    if not text:
        return list(MARKET_TOPICS)
    out = [t.strip() for t in text.split(",") if t.strip()]
    bad = sorted(set(out) - set(MARKET_TOPICS))
    if bad:
        raise SystemExit(f"memesnipe: unknown market topic(s) {bad}; known: {', '.join(MARKET_TOPICS)}")
    return out


def _ts(text: str | None) -> datetime | None:
    if not text:
        return None
    ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


async def _record(args: argparse.Namespace) -> int:
    from memesnipe import metrics
    from memesnipe.recorder.record import record, recording_dir
    from memesnipe.settings import get_settings

    settings = get_settings()
    metrics.serve(settings.metrics_port)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    root = Path(args.dir) if args.dir else recording_dir(settings)
    logging.getLogger("memesnipe.record").info("recording %s into %s", ",".join(args.types), root)
    await record(
        settings, root, topics=args.types, group_id=args.group, from_latest=args.from_latest, stop=stop
    )
    return 0


async def _publish(args: argparse.Namespace) -> int:
    from memesnipe.connectors.publisher import Publisher
    from memesnipe.recorder.publish_file import iter_days, publish_rows
    from memesnipe.settings import get_settings

    settings = get_settings()
    log = logging.getLogger("memesnipe.publish-file")
    dups = 0

    def rows():  # type: ignore[no-untyped-def]
        nonlocal dups
        for day_rows, day_dups in iter_days(
            Path(args.path), types=args.types, start=_ts(args.start), end=_ts(args.end)
        ):
            dups += day_dups
            if day_rows:
                log.info("day %s: %d rows", day_rows[0].event_ts.date(), len(day_rows))
            yield from day_rows

    log.info("publishing %s at speed %s", args.path, args.speed or "max")
    async with Publisher(settings) as pub:
        stats = await publish_rows(rows(), pub, speed=args.speed)
    log.info(
        "published %d rows (%d duplicates dropped) spanning %.1fs of event time in %.2fs",
        stats.published,
        dups,
        stats.span_s,
        stats.wall_s,
    )
    return 0


def _run(coro_fn):  # type: ignore[no-untyped-def]
    def main(args: argparse.Namespace) -> int:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
        args.types = _types(args.types)
        return asyncio.run(coro_fn(args))

    return main


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    r = sub.add_parser(
        "record", help="write every market topic to zstd Parquet, partitioned by type and date"
    )
    r.add_argument(
        "--dir", help="output directory (default: MEMESNIPE_CONNECTORS__RECORD_DIR or <data_dir>/recordings)"
    )
    r.add_argument("--types", help="comma-separated market topics (default: all seven)")
    r.add_argument("--group", help="consumer group (default: <app_id>-recorder)")
    r.add_argument(
        "--from-latest", action="store_true", help="a new group starts at the log end, not the start"
    )
    r.set_defaults(func=_run(_record))

    p = sub.add_parser("publish-file", help="publish a Parquet recording back onto the market topics")
    p.add_argument("path", help="a recording directory or one Parquet file")
    p.add_argument(
        "--speed", type=float, default=1.0, help="1 = original pace, 10 = 10x faster, 0 = max speed"
    )
    p.add_argument("--max-speed", dest="speed", action="store_const", const=0.0, help="same as --speed 0")
    p.add_argument("--types", help="comma-separated market topics (default: all)")
    p.add_argument("--from", dest="start", help="first event time to publish (ISO-8601, UTC)")
    p.add_argument("--to", dest="end", help="publish events before this time (ISO-8601, UTC)")
    p.set_defaults(func=_run(_publish))
