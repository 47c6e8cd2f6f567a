"""``memesnipe connect jupiter_price``: poll USD prices of the watched mints (and SOL)."""

from __future__ import annotations

import httpx

from memesnipe.connectors.jupiter_price.client import MAX_IDS, JupiterPriceClient
from memesnipe.connectors.jupiter_price.parse import parse_prices
from memesnipe.connectors.runner import Connector, Fetched, batched, now_utc, require_key
from memesnipe.connectors.watchlist import mint_watch
from memesnipe.settings import Settings
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import MarketEvent


class JupiterPriceConnector(Connector):
    name = "jupiter_price"
    topic = "price"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        key = require_key(settings.jupiter.api_key, "MEMESNIPE_JUPITER__API_KEY", self.name)
        self.watch = mint_watch(settings, self.name)
        self.mints = list(self.watch.static)
        self.interval_s = cfg.jupiter_price_interval_s
        self.client = JupiterPriceClient(
            settings.jupiter.base_url, key, timeout_s=cfg.timeout_s, transport=transport
        )

    async def fetch(self) -> list[Fetched]:
        self.mints = await self.watch.current()  # the watchlist's new mints, no restart
        out = []
        for batch in batched(self.mints, MAX_IDS - 1):
            ids = batch if SOL_MINT in batch else [*batch, SOL_MINT]
            out.append(Fetched(await self.client.prices(ids), now_utc(), context={"mints": batch}))
        return out

    def parse(self, item: Fetched) -> list[MarketEvent]:
        return list(parse_prices(item.payload, item.fetched_at, set(item.context["mints"])))

    async def aclose(self) -> None:
        await self.watch.aclose()
        await self.client.aclose()
