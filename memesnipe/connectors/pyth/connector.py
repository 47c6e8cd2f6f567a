"""``memesnipe connect pyth``: SOL/USD from Hermes onto the sol_price topic (key = SOL mint)."""

from __future__ import annotations

from datetime import datetime

import httpx

from memesnipe.connectors.pyth.client import HermesClient
from memesnipe.connectors.pyth.parse import parse_sol_price
from memesnipe.connectors.runner import Connector, Fetched, now_utc
from memesnipe.settings import Settings
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import MarketEvent


class PythSolPriceConnector(Connector):
    name = "pyth"
    topic = "sol_price"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        self.feed_id = cfg.pyth_sol_feed_id
        self.interval_s = cfg.pyth_interval_s
        self.last_ts: datetime | None = None
        self.client = HermesClient(
            cfg.pyth_base_url, api_key=cfg.pyth_api_key, timeout_s=cfg.timeout_s, transport=transport
        )

    async def fetch(self) -> list[Fetched]:
        return [Fetched(await self.client.latest([self.feed_id]), now_utc(), key=SOL_MINT)]

    def parse(self, item: Fetched) -> list[MarketEvent]:
        """An update is published once: polling faster than the feed publishes re-reads the same
        ``publish_time``, which is not a new observation."""
        events = [
            e
            for e in parse_sol_price(item.payload, self.feed_id)
            if self.last_ts is None or e.ts > self.last_ts
        ]
        if events:
            self.last_ts = events[-1].ts
        return list(events)

    async def aclose(self) -> None:
        await self.client.aclose()
