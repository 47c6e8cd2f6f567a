"""Start several live connectors in one process: the ones whose keys and settings are present,
each skipped one named with the reason (the setting it misses).

``memesnipe connect --live-data`` and ``memesnipe run --live-data`` use it: paper trading on
live data should need no hand assembly, and a missing API key should cost that source only.
Each connector runs its own loop (a streaming source its ``serve``); one stopping (a key the
provider refuses) is logged and the others go on.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from memesnipe.connectors.meteora.pools import DAMM_V2_PROGRAM, DLMM_PROGRAM
from memesnipe.connectors.pump_fun.events import PUMP_AMM_PROGRAM, PUMP_PROGRAM
from memesnipe.connectors.raydium.pools import AMM_V4_PROGRAM, CPMM_PROGRAM
from memesnipe.connectors.registry import SOURCES, create
from memesnipe.connectors.runner import Connector, EventSink, RunStats, csv_list, run_connector

log = logging.getLogger(__name__)

LIVE_DATA: tuple[str, ...] = (
    "discovery",
    "volume",
    "pools",
    "holders",
    "pyth",
    "depth",
    "safety",
    "helius",
    "drift",
    "social",
    "bridge",
)
"""What ``--live-data`` starts when it can: discovery (the watchlist every other one follows),
one merged price/volume feed, pool reserves, holder counts, SOL/USD, depth, safety facts, on-chain events,
funding, social and bridge flows. A source not in the registry (not in this build) is left out."""

NOT_IN_LIVE_DATA: dict[str, str] = {
    "jupiter_price": "a second price feed without 5-minute volume would dilute momentum_5m's and "
    "korean_time_burst's volume baselines; `volume` carries price and volume",
    "birdeye": "price without 5-minute volume (as jupiter_price); `volume` carries both",
    "dexscreener": "merged into `volume` (with GeckoTerminal)",
    "geckoterminal": "merged into `volume` (with DexScreener)",
    "helius_webhook": "needs a public HTTPS endpoint for Helius to call; the `helius` poller runs instead",
}
"""Sources ``--live-data`` leaves out on purpose, and why (``memesnipe connect <source>`` runs one)."""


DISCOVERY_PROGRAMS: dict[str, str] = {
    PUMP_PROGRAM: "pump.fun (creations, curve completions, migrations to PumpSwap)",
    AMM_V4_PROGRAM: "Raydium AMM v4 pools",
    CPMM_PROGRAM: "Raydium CPMM pools",
    DLMM_PROGRAM: "Meteora DLMM pools",
    DAMM_V2_PROGRAM: "Meteora DAMM v2 pools",
    PUMP_AMM_PROGRAM: "PumpSwap pools opened directly",
}
"""Every program discovery reads creations from, by what a subscription to it finds."""


def discovery_programs(settings: Any) -> list[str]:
    """Which discovery programs are subscribed and how to add the others: the default is
    pump.fun alone, because each subscribed program is a websocket stream of every one of its
    transactions (every swap), of which a pool creation is a tiny share."""
    on = csv_list(settings.discovery.programs)
    lines = [f"discovery programs on: {', '.join(DISCOVERY_PROGRAMS.get(p, p) for p in on) or 'none'}"]
    off = [p for p in DISCOVERY_PROGRAMS if p not in on]
    if off:
        lines.append(
            "discovery programs off (each one a websocket stream of all its swaps; to add one, "
            "append its id to MEMESNIPE_DISCOVERY__PROGRAMS, comma-separated):"
        )
        lines += [f"  {DISCOVERY_PROGRAMS[p]}: {p}" for p in off]
    return lines


@dataclass
class Plan:
    started: dict[str, Connector] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)

    def describe(self) -> list[str]:
        lines = [f"started {name}" for name in self.started]
        lines += [f"skipped {name}: {why}" for name, why in self.skipped.items()]
        return lines

    async def aclose(self) -> None:
        for c in self.started.values():
            await c.aclose()


def following_the_watchlist(settings: Any) -> Any:
    """The settings with ``connectors.follow_watchlist`` on: on live data the mints to poll are
    the ones discovery admits (plus any configured ``MINTS``), picked up without a restart."""
    if settings.connectors.follow_watchlist:
        return settings
    return settings.model_copy(
        update={"connectors": settings.connectors.model_copy(update={"follow_watchlist": True})}
    )


def live_data_sources() -> list[str]:
    return [s for s in LIVE_DATA if s in SOURCES]


def plan(settings: Any, sources: list[str], *, if_configured: bool = True, **kwargs: Any) -> Plan:
    """Build each connector; one that refuses to start (a missing key, no mints) is skipped with
    its message when ``if_configured``, else that message stops start-up. ``kwargs`` go to every
    connector (tests pass an HTTP transport)."""
    p = Plan()
    for source in sources:
        try:
            p.started[source] = create(source, settings, **kwargs)
        except SystemExit as exc:
            if not if_configured:
                raise
            p.skipped[source] = str(exc.code).removeprefix("memesnipe: ")
    return p


async def _run_one(name: str, connector: Connector, sink: EventSink, stop: asyncio.Event) -> RunStats | None:
    serve = getattr(connector, "serve", None)
    try:
        if serve is not None:  # a streaming source (discovery): its own loops until stopped
            try:
                await serve(sink, stop)
            finally:
                await connector.aclose()
            return None
        return await run_connector(connector, sink, stop=stop)
    except SystemExit as exc:  # a refused key: this source stops, the others go on
        log.error("connector %s stopped: %s", name, exc.code)
        return None


async def run_all(p: Plan, sink: EventSink, stop: asyncio.Event) -> dict[str, RunStats | None]:
    """Run every started connector until ``stop``; returns each one's stats."""
    names = list(p.started)
    results = await asyncio.gather(*(_run_one(n, p.started[n], sink, stop) for n in names))
    return dict(zip(names, results, strict=True))
