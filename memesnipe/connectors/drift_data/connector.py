"""``memesnipe connect drift``: funding of the configured perp markets, each record once.

The endpoint returns 30 days of history on every call; the connector publishes only records
newer than the last one it published per market (on start: the newest one), so the topic
carries each settlement once, at its own on-chain time.
"""

from __future__ import annotations

from datetime import datetime

import httpx

from memesnipe.connectors.drift_data.client import DriftDataClient
from memesnipe.connectors.drift_data.parse import parse_funding
from memesnipe.connectors.runner import Connector, Fetched, now_utc, pairs
from memesnipe.settings import Settings
from memesnipe.streams.market import MarketEvent


class DriftFundingConnector(Connector):
    name = "drift"
    topic = "funding"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        try:
            self.markets = pairs(cfg.drift_markets)
        except ValueError as exc:
            raise SystemExit(f"memesnipe: MEMESNIPE_CONNECTORS__DRIFT_MARKETS: {exc}") from None
        if not self.markets:
            raise SystemExit("memesnipe: drift needs markets: set MEMESNIPE_CONNECTORS__DRIFT_MARKETS")
        self.interval_s = cfg.drift_interval_s
        self.client = DriftDataClient(cfg.drift_base_url, timeout_s=cfg.timeout_s, transport=transport)
        self.last_ts: dict[str, datetime] = {}

    async def fetch(self) -> list[Fetched]:
        return [
            Fetched(await self.client.funding_rates(sym), now_utc(), key=mint, context={"symbol": sym})
            for sym, mint in self.markets.items()
        ]

    def parse(self, item: Fetched) -> list[MarketEvent]:
        sym = item.context["symbol"]
        events = parse_funding(item.payload, sym, self.markets[sym])
        if not events:
            return []
        last = self.last_ts.get(sym)
        fresh = events[-1:] if last is None else [e for e in events if e.ts > last]
        if fresh:
            self.last_ts[sym] = fresh[-1].ts
        return list(fresh)

    async def aclose(self) -> None:
        await self.client.aclose()
