"""``memesnipe run --live-data``: the paper pipeline fed by the live connectors instead of the
simulator. Prints which connectors start and which are skipped (with the setting each one
misses), which programs discovery subscribes to and how to add the others, then runs them all in
one child process, ``memesnipe connect --live-data``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping
from typing import Protocol

from memesnipe.settings import Settings


class Starter(Protocol):
    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None: ...


def connector_plan(settings: Settings) -> tuple[list[str], list[str]]:
    """(started, skipped lines) for the live-data sources under these settings; nothing runs."""
    from memesnipe.connectors.launcher import following_the_watchlist, live_data_sources, plan

    p = plan(following_the_watchlist(settings), live_data_sources())
    try:
        return list(p.started), [f"{name}: {why}" for name, why in p.skipped.items()]
    finally:
        asyncio.run(p.aclose())


PAPER_QUOTES_ENV = "MEMESNIPE_JUPITER__PAPER_QUOTES"


def paper_pricing(settings: Settings, environ: Mapping[str, str]) -> tuple[dict[str, str], str]:
    """(pipeline environment to add, the line to print): paper on live data fills each order at a
    live Jupiter quote taken when the order would be sent (a fill at the signal's own price
    overstates live PnL), whenever a Jupiter key is set and the user did not say otherwise;
    without a key, the depth model, and the plan says so."""
    if PAPER_QUOTES_ENV in environ or settings.jupiter.paper_quotes:
        how = "live Jupiter quotes" if settings.jupiter.paper_quotes else "the depth model"
        return {}, f"run: paper fills priced from {how} ({PAPER_QUOTES_ENV} as set)"
    if settings.jupiter.api_key:
        return {
            PAPER_QUOTES_ENV: "true"
        }, "run: paper fills priced from live Jupiter quotes when each order is sent"
    return (
        {},
        "run: paper fills from the depth model: no Jupiter key (MEMESNIPE_JUPITER__API_KEY) for live quotes",
    )


def start_live_data(kids: Starter, settings: Settings) -> list[str]:
    """Print the plan and start the connectors child; returns the sources it starts."""
    from memesnipe.connectors.launcher import NOT_IN_LIVE_DATA, discovery_programs

    started, skipped = connector_plan(settings)
    print(f"run: live connectors starting: {', '.join(started) or 'none'}")
    if "discovery" in started:
        for line in discovery_programs(settings):
            print(f"run: {line}")
    for line in skipped:
        print(f"run: skipped {line}")
    for name, why in NOT_IN_LIVE_DATA.items():
        print(f"run: not started {name}: {why}")
    if not started:
        raise SystemExit("memesnipe run --live-data: no live connector can start (see the lines above)")
    env = dict(os.environ)
    env["MEMESNIPE_CONNECTORS__FOLLOW_WATCHLIST"] = "true"
    # one /metrics port per process on this host: the worker has metrics_port, the signer its own
    env["MEMESNIPE_METRICS_PORT"] = str(settings.metrics_port + 2) if settings.metrics_port else "0"
    kids.start("connectors", ["memesnipe", "connect", "--live-data"], env=env)
    return started
