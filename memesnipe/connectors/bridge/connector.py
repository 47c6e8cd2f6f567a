"""``memesnipe connect bridge``: bridge flows of Solana tokens from two sources, each transfer once.

Wormholescan (Wormhole's token bridge: Solana tokens, foreign ones as their wrapped mints) and
deBridge's DLN (cross-chain swaps into or out of any Solana mint) are polled each cycle, newest
first; the ids
already published are remembered (bounded memory). One source failing does not stop the other
(it is counted and logged; the cycle fails only when every source did).

Which mints: with MEMESNIPE_CONNECTORS__MINTS unset, every transfer (the sources are global feeds,
and bridge_inflow's baseline is hours of a token's flow, so flows from before discovery admits a
token must not be dropped). With MINTS set, only those mints' transfers, plus, with
MEMESNIPE_CONNECTORS__FOLLOW_WATCHLIST, the watchlist's ACTIVE mints, picked up each cycle without
a restart and dropped on eviction.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable

import httpx

from memesnipe import metrics
from memesnipe.connectors.bridge.client import DlnStatsClient, WormholescanClient
from memesnipe.connectors.bridge.debridge import SOLANA as DLN_SOLANA
from memesnipe.connectors.bridge.debridge import parse_orders
from memesnipe.connectors.bridge.parse import parse_operations
from memesnipe.connectors.errors import ProviderError
from memesnipe.connectors.runner import Connector, Fetched, csv_list, now_utc
from memesnipe.connectors.watchlist import MintWatch, WatchlistFollower
from memesnipe.settings import Settings
from memesnipe.streams.market import BridgeEvent, MarketEvent

log = logging.getLogger(__name__)
SEEN_MAX = 50_000
SOURCES = ("wormhole", "debridge")
PARSERS: dict[str, Callable[[object], list[BridgeEvent]]] = {
    "wormhole": parse_operations,
    "debridge": parse_orders,
}


class BridgeConnector(Connector):
    name = "bridge"
    topic = "bridge"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        static = csv_list(cfg.mints)
        follower = WatchlistFollower(settings) if static and cfg.follow_watchlist else None
        self.watch = MintWatch(static, follower) if static else None
        self.watched: set[str] | None = set(static) or None
        self.interval_s = cfg.bridge_interval_s
        self.sources = csv_list(cfg.bridge_sources)
        unknown = set(self.sources) - set(SOURCES)
        if unknown or not self.sources:
            raise SystemExit(
                f"memesnipe: MEMESNIPE_CONNECTORS__BRIDGE_SOURCES: unknown {sorted(unknown)}; "
                f"choose from {', '.join(SOURCES)}"
            )
        self.wormhole = WormholescanClient(cfg.bridge_base_url, timeout_s=cfg.timeout_s, transport=transport)
        self.debridge = DlnStatsClient(cfg.debridge_base_url, timeout_s=cfg.timeout_s, transport=transport)
        self.seen: OrderedDict[str, None] = OrderedDict()

    async def _fetch_source(self, source: str) -> list[Fetched]:
        if source == "wormhole":
            return [Fetched(await self.wormhole.operations(), now_utc(), context={"source": source})]
        inflows = await self.debridge.orders(take_chain=DLN_SOLANA)
        outflows = await self.debridge.orders(give_chain=DLN_SOLANA)
        return [Fetched(p, now_utc(), context={"source": source}) for p in (inflows, outflows)]

    async def fetch(self) -> list[Fetched]:
        if self.watch is not None:
            self.watched = set(await self.watch.current())  # the watchlist's changes, no restart
        out: list[Fetched] = []
        failed: list[ProviderError] = []
        for source in self.sources:
            try:
                out += await self._fetch_source(source)
            except ProviderError as exc:
                metrics.CONNECTOR_ERRORS.labels(f"bridge:{source}", "fetch").inc()
                log.warning("bridge: %s failed after retries: %s", source, exc)
                failed.append(exc)
        if failed and len(failed) == len(self.sources):
            raise failed[0]
        return out

    def parse(self, item: Fetched) -> list[MarketEvent]:
        out: list[MarketEvent] = []
        for ev in PARSERS[item.context["source"]](item.payload):
            key = f"{ev.bridge}:{ev.tx_id}"
            if key in self.seen or (self.watched is not None and ev.mint not in self.watched):
                continue
            self.seen[key] = None
            if len(self.seen) > SEEN_MAX:
                self.seen.popitem(last=False)
            out.append(ev)
        return out

    async def aclose(self) -> None:
        if self.watch is not None:
            await self.watch.aclose()
        await self.wormhole.aclose()
        await self.debridge.aclose()
