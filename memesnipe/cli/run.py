"""``memesnipe run``: the whole pipeline locally in paper mode.

Starts (when needed) the local Kafka, creates the topics, publishes the default strategy
specs, then runs the Faust worker, the isolated signer, the analytics process (ClickHouse
sink + cockpit) and the market simulator as child processes, and prints where to look.
``--live-data`` replaces the simulator with the live connectors (cli.run_live).
Ctrl-C (or ``--duration``) stops them all.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from memesnipe.settings import Mode, Settings, get_settings

REPO = Path(__file__).resolve().parents[2]


def _broker_reachable(settings: Settings) -> bool:
    first = settings.kafka.bootstrap_servers.split(",")[0]
    host, port = first.rsplit(":", 1)
    with socket.socket() as s:
        s.settimeout(1.0)
        return s.connect_ex((host, int(port))) == 0


def _ensure_kafka(settings: Settings) -> None:
    if _broker_reachable(settings):
        return
    script = REPO / "deploy" / "kafka-local.sh"
    if not script.exists():
        raise SystemExit(
            f"memesnipe: Kafka at {settings.kafka.broker} is not reachable (MEMESNIPE_KAFKA__BROKER)"
        )
    print("run: starting local Kafka (deploy/kafka-local.sh start)")
    subprocess.run([str(script), "start"], check=True)


def _has_module(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class Children:
    """Child processes with their logs; stopped together, in reverse order.

    Each child runs in its own session (a Ctrl-C reaches only this process, which then stops
    them in order), so this process must also stop them when it is terminated: SIGTERM (a
    supervisor, ``docker stop``, ``kill``) is turned into the same KeyboardInterrupt, or the
    worker and signer would keep running, and trading, without it."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.procs: list[tuple[str, subprocess.Popen[bytes]]] = []
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        log = (self.log_dir / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env or dict(os.environ),
            start_new_session=True,
        )
        self.procs.append((name, proc))
        print(f"run: started {name:<10} pid {proc.pid:<7} log {self.log_dir / (name + '.log')}")

    def dead(self) -> list[str]:
        return [n for n, p in self.procs if p.poll() is not None]

    def stop(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut this short
        for _name, p in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for _name, p in reversed(self.procs):
            try:
                p.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def _publish_defaults(settings: Settings) -> None:
    try:
        from memesnipe.cli.strategies import publish_default_specs  # type: ignore[attr-defined]
    except ImportError:
        from memesnipe.agents.strategy_registry_defaults import publish_default_specs  # type: ignore

    # Right after topic creation the consumer's first metadata can name no leader yet; aiokafka
    # retries and succeeds but logs each retry at ERROR, which reads like a failure here.
    fetcher = logging.getLogger("aiokafka.consumer.fetcher")
    level = fetcher.level
    fetcher.setLevel(logging.CRITICAL)
    try:
        specs = publish_default_specs(settings.kafka.bootstrap_servers, settings)
    finally:
        fetcher.setLevel(level)
    print(f"run: published {len(specs)} default strategy specs")


def run(args: argparse.Namespace) -> int:
    settings = get_settings()
    if settings.mode is not Mode.PAPER and not args.allow_live:
        raise SystemExit("memesnipe run is the paper pipeline; MEMESNIPE_MODE=live needs --allow-live")
    _ensure_kafka(settings)
    from memesnipe.cli.topics import create_topics

    created = asyncio.run(create_topics(settings))
    print(f"run: topics ready ({len(created)} created) with prefix {settings.kafka.topic_prefix!r}")
    _publish_defaults(settings)

    log_dir = settings.data_dir.resolve() / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    kids = Children(log_dir)
    if args.live_data:
        from memesnipe.cli.run_live import paper_pricing

        extra, line = paper_pricing(settings, os.environ)
        os.environ.update(extra)  # the worker's router reads it
        print(line)
    try:
        kids.start("worker", ["memesnipe", "worker", "-l", "info"])
        if _has_module("memesnipe.signer.__main__"):
            kids.start("signer", ["memesnipe.signer"])
        kids.start("analytics", ["memesnipe", "analytics"])
        if args.live_data:
            from memesnipe.cli.run_live import start_live_data

            start_live_data(kids, settings)
        else:
            sim = ["memesnipe", "simulate"] + (["--rate", str(args.rate)] if args.rate else [])
            kids.start("simulator", sim)
        port = getattr(getattr(settings, "analytics", None), "port", None) or 8787
        feed = "LIVE market data (discovery's watchlist)" if args.live_data else "simulated market data"
        print(
            f"\nMemeSnipe is running in PAPER mode on {feed}.\n"
            f"  cockpit:  http://127.0.0.1:{port}/\n"
            f"  report:   memesnipe report          (trades and PnL per strategy)\n"
            f"  metrics:  http://127.0.0.1:{settings.metrics_port}/metrics (worker)\n"
            f"  signer:   http://127.0.0.1:{settings.signer.metrics_port}/metrics (/healthz, /readyz)\n"
            f"  logs:     {log_dir}\n"
            f"  data:     {settings.data_dir.resolve()}\n"
            "Ctrl-C stops everything.\n",
            flush=True,
        )
        deadline = time.monotonic() + args.duration if args.duration else None
        while deadline is None or time.monotonic() < deadline:
            dead = kids.dead()
            if dead:
                print(f"run: {', '.join(dead)} exited; see its log in {log_dir}", file=sys.stderr)
                return 1
            time.sleep(1.0)
    except KeyboardInterrupt:
        print("\nrun: stopping")
    finally:
        kids.stop()
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("run", help="run the whole pipeline locally in paper mode")
    p.add_argument("--duration", type=float, default=None, help="stop after N seconds")
    p.add_argument("--rate", type=float, default=None, help="simulator events per second")
    p.add_argument(
        "--live-data",
        action="store_true",
        help="feed the pipeline from the live connectors whose keys are set (and the keyless ones), "
        "following discovery's watchlist, instead of the simulator",
    )
    p.add_argument("--allow-live", action="store_true", help=argparse.SUPPRESS)
    p.set_defaults(func=run)
