"""``memesnipe connect volume``: the watched mints' price, 5-minute volume and trades, merged
from DexScreener and GeckoTerminal (both keyless) into one event per mint and cycle.

momentum_5m and korean_time_burst compare a 5-minute volume with its own baseline; one source
missing a mint's busiest pool (or down for a cycle) would read as a volume collapse. Here each
cycle asks both; a source that fails is counted and the other's numbers are published alone
(the event's ``source`` says which answered); the cycle fails only when both did.

DexScreener takes 30 mints a request (300/min); GeckoTerminal one mint a request at 30/min, so
each cycle asks it for the next few mints in turn (what its rate allows in one interval) and a
mint's last GeckoTerminal answer is merged until it is ``geckoterminal_max_age_s`` old.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx

from memesnipe import metrics
from memesnipe.connectors.dexscreener.client import MAX_ADDRESSES, DexScreenerClient
from memesnipe.connectors.dexscreener.parse import parse_pairs
from memesnipe.connectors.errors import ParseError, ProviderError
from memesnipe.connectors.geckoterminal.client import GeckoTerminalClient
from memesnipe.connectors.geckoterminal.parse import parse_token_pools
from memesnipe.connectors.runner import Connector, Fetched, batched, now_utc
from memesnipe.connectors.volume.merge import merge
from memesnipe.connectors.watchlist import mint_watch
from memesnipe.settings import Settings
from memesnipe.streams.market import MarketEvent, PriceEvent

log = logging.getLogger(__name__)


class VolumeConnector(Connector):
    name = "volume"
    topic = "price"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        self.watch = mint_watch(settings, self.name)
        self.mints = list(self.watch.static)
        self.interval_s = cfg.dexscreener_interval_s
        self.gecko_per_cycle = max(1, int(self.interval_s / cfg.geckoterminal_interval_s))
        self.gecko_max_age = timedelta(seconds=cfg.geckoterminal_max_age_s)
        self.gecko_next = 0
        self.gecko_last: dict[str, PriceEvent] = {}
        self.dex = DexScreenerClient(cfg.dexscreener_base_url, timeout_s=cfg.timeout_s, transport=transport)
        self.gecko = GeckoTerminalClient(
            cfg.geckoterminal_base_url, timeout_s=cfg.timeout_s, transport=transport
        )

    async def _dexscreener(self) -> list[tuple[str, object, list[str]]]:
        return [("dexscreener", await self.dex.token_pairs(b), b) for b in batched(self.mints, MAX_ADDRESSES)]

    async def _geckoterminal(self) -> list[tuple[str, object, list[str]]]:
        """The next mints in turn, as many as GeckoTerminal's rate allows per cycle."""
        if not self.mints:
            return []
        n = min(self.gecko_per_cycle, len(self.mints))
        start = self.gecko_next % len(self.mints)
        turn = [self.mints[(start + i) % len(self.mints)] for i in range(n)]
        self.gecko_next = start + n
        return [("geckoterminal", await self.gecko.token_pools(m), [m]) for m in turn]

    async def fetch(self) -> list[Fetched]:
        """One Fetched per cycle holding every answer, so the merge sees all sources at once."""
        self.mints = await self.watch.current()
        answers: list[tuple[str, object, list[str]]] = []
        failed: list[ProviderError] = []
        for source, call in (("dexscreener", self._dexscreener), ("geckoterminal", self._geckoterminal)):
            try:
                answers += await call()
            except ProviderError as exc:
                metrics.CONNECTOR_ERRORS.labels(f"volume:{source}", "fetch").inc()
                log.warning("volume: %s failed after retries: %s", source, exc)
                failed.append(exc)
        if len(failed) == 2 and self.mints:
            raise failed[0]
        return [Fetched(answers, now_utc(), context={"mints": list(self.mints)})] if answers else []

    def parse(self, item: Fetched) -> list[MarketEvent]:
        """Merge what parsed; a source's unreadable answer raises (dead letter) only when no
        source gave anything usable, else it is counted and skipped."""
        events: list[PriceEvent] = []
        errors: list[ParseError] = []
        for source, payload, mints in item.payload:
            try:
                if source == "dexscreener":
                    events += parse_pairs(payload, item.fetched_at, set(mints))
                elif (ev := parse_token_pools(payload, mints[0], item.fetched_at)) is not None:
                    self.gecko_last[ev.mint] = ev
            except ParseError as exc:
                metrics.CONNECTOR_ERRORS.labels(f"volume:{source}", "parse").inc()
                log.warning("volume: unusable %s payload: %s", source, exc)
                errors.append(exc)
        watched = set(item.context["mints"])
        fresh = [
            e
            for e in self.gecko_last.values()
            if e.mint in watched and item.fetched_at - e.ts <= self.gecko_max_age
        ]
        if errors and not events and not fresh:
            raise errors[0]
        return list(merge([*events, *fresh]))

    async def aclose(self) -> None:
        await self.watch.aclose()
        await self.dex.aclose()
        await self.gecko.aclose()
