"""``memesnipe connect pyth``: SOL/USD from Hermes onto the sol_price topic (key = SOL mint)."""

from __future__ import annotations

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
        self.client = HermesClient(
            cfg.pyth_base_url, api_key=cfg.pyth_api_key, timeout_s=cfg.timeout_s, transport=transport
        )

    async def fetch(self) -> list[Fetched]:
        return [Fetched(await self.client.latest([self.feed_id]), now_utc(), key=SOL_MINT)]

    def parse(self, item: Fetched) -> list[MarketEvent]:
        return list(parse_sol_price(item.payload, self.feed_id))

    async def aclose(self) -> None:
        await self.client.aclose()
