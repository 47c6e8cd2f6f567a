"""``memesnipe replay --from T [--to T]``: run strategy, risk and paper execution again over a
time range of the market topics, isolated from the live pipeline.

The range (found by timestamp, per partition) is copied into topics under the replay's own
prefix; a worker, a signer and the analytics process then run with their own app id /
consumer groups, their own data directory and the replay's ClickHouse run id. With embedded
chDB the replay writes its own database under ``<data_dir>/replays/<run_id>`` (chDB allows one
process per directory); with a ClickHouse server it writes the same database under its run id.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import UTC, datetime

from memesnipe.settings import Mode, get_settings


def _parse_ts(text: str) -> datetime:
    ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


REPLAY_REORDER_WINDOW_S = 1800.0
"""The reorder window of a replay whose settings have none (docs/EVENT_TIME.md): a replay reads
the whole range at once, so topics run far apart unless the runner and gate put them back in
event-time order."""
REPLAY_MARK_HISTORY = 4_000
REPLAY_MARK_HISTORY_S = 86_400.0
"""The position manager's mark and depth history in a replay (unless set): its fills arrive
hours of event time after the marks that follow them, and a late fill re-applies only the marks
its history still holds. Each book then carries up to this many marks and snapshots in every
write, which is the price of exact exits in a replay."""


def replay_env(run_id: str) -> dict[str, str]:
    """Environment for the replay's processes: own prefix, app id, data dir and run id; the
    reorder window and exit history a max-speed replay needs, unless set explicitly."""
    s = get_settings()
    data_dir = (s.data_dir / "replays" / run_id).resolve()
    env = dict(os.environ)
    if s.kafka.reorder_window_s <= 0:
        env["MEMESNIPE_KAFKA__REORDER_WINDOW_S"] = str(REPLAY_REORDER_WINDOW_S)
    env.setdefault("MEMESNIPE_EXITS__MARK_HISTORY", str(REPLAY_MARK_HISTORY))
    env.setdefault("MEMESNIPE_EXITS__MARK_HISTORY_S", str(REPLAY_MARK_HISTORY_S))
    env.update(
        {
            "MEMESNIPE_KAFKA__TOPIC_PREFIX": f"{s.kafka.topic_prefix}replay-{run_id}.",
            "MEMESNIPE_KAFKA__APP_ID": f"{s.kafka.app_id}-replay-{run_id}",
            "MEMESNIPE_CLICKHOUSE__RUN_ID": run_id,
            "MEMESNIPE_DATA_DIR": str(data_dir),
            "MEMESNIPE_MODE": Mode.PAPER.value,
            "MEMESNIPE_METRICS_PORT": "0",
        }
    )
    return env


async def prepare(run_id: str, start: datetime, end: datetime | None) -> dict[str, int]:
    """Create the replay's topics, copy the range in, and copy the strategy specs."""
    from memesnipe.cli.topics import create_topics
    from memesnipe.replay.copy import copy_range
    from memesnipe.settings import load_settings
    from memesnipe.streams.topics import MARKET_TOPICS, topic_names

    live = get_settings()
    saved = dict(os.environ)
    os.environ.update(replay_env(run_id))
    try:
        replay = load_settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    await create_topics(replay)
    src, dst = topic_names(live), topic_names(replay)
    pairs = {src(t): dst(t) for t in MARKET_TOPICS}
    counts = await copy_range(live.kafka.bootstrap_servers, pairs, start, end)
    # the strategy set as it is now (all of the compacted registry, whatever its time)
    await copy_range(
        live.kafka.bootstrap_servers, {src("specs"): dst("specs")}, datetime(1970, 1, 1, tzinfo=UTC), None
    )
    return counts


def _run(args: argparse.Namespace) -> int:
    from memesnipe.cli.run import Children

    start = _parse_ts(args.start)
    end = _parse_ts(args.end) if args.end else None
    run_id = args.run_id or "r" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    counts = asyncio.run(prepare(run_id, start, end))
    total = sum(counts.values())
    print(
        f"replay {run_id}: copied {total} market events " + ", ".join(f"{k}={v}" for k, v in counts.items())
    )
    env = replay_env(run_id)
    log_dir = __import__("pathlib").Path(env["MEMESNIPE_DATA_DIR"]) / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    kids = Children(log_dir)
    try:
        kids.start("worker", ["memesnipe", "worker", "-l", "info"], env)
        kids.start("signer", ["memesnipe.signer"], env)
        kids.start("analytics", ["memesnipe", "analytics"], env)
        deadline = time.monotonic() + args.max_seconds
        while time.monotonic() < deadline:
            if kids.dead():
                print(f"replay: {kids.dead()} exited; logs in {log_dir}", file=sys.stderr)
                return 1
            time.sleep(1.0)
    except KeyboardInterrupt:
        pass
    finally:
        kids.stop()
    print(f"replay {run_id}: done; results under run id {run_id!r} ({env['MEMESNIPE_DATA_DIR']})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("replay", help="re-run strategies/risk/paper execution over a time range")
    p.add_argument("--from", dest="start", required=True, help="ISO-8601 start (UTC if no zone)")
    p.add_argument("--to", dest="end", default=None, help="ISO-8601 end (default: now)")
    p.add_argument("--run-id", default=None, help="ClickHouse run id (default: r<timestamp>)")
    p.add_argument("--max-seconds", type=float, default=120.0, help="how long to let the replay run")
    p.set_defaults(func=_run)
