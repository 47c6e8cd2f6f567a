"""``memesnipe connect birdeye``: USD prices (and liquidity) of the watched mints, SOL included."""

from __future__ import annotations

from datetime import datetime

import httpx

from memesnipe.connectors.birdeye.client import MAX_ADDRESSES, BirdeyeClient
from memesnipe.connectors.birdeye.parse import parse_multi_price
from memesnipe.connectors.runner import Connector, Fetched, batched, now_utc, require_key
from memesnipe.connectors.watchlist import mint_watch
from memesnipe.settings import Settings
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import MarketEvent


class BirdeyePriceConnector(Connector):
    name = "birdeye"
    topic = "price"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        key = require_key(cfg.birdeye_api_key, "MEMESNIPE_CONNECTORS__BIRDEYE_API_KEY", self.name)
        self.watch = mint_watch(settings, self.name)
        self.mints = list(self.watch.static)
        self.interval_s = cfg.birdeye_interval_s
        self.last_ts: dict[str, datetime] = {}
        self.client = BirdeyeClient(cfg.birdeye_base_url, key, timeout_s=cfg.timeout_s, transport=transport)

    async def fetch(self) -> list[Fetched]:
        self.mints = await self.watch.current()  # the watchlist's new mints, no restart
        out = []
        for batch in batched(self.mints, MAX_ADDRESSES - 1):
            ids = batch if SOL_MINT in batch else [*batch, SOL_MINT]
            out.append(Fetched(await self.client.multi_price(ids), now_utc(), context={"mints": batch}))
        return out

    def parse(self, item: Fetched) -> list[MarketEvent]:
        """A mint's price is published once per Birdeye update time (re-polls are not news)."""
        out: list[MarketEvent] = []
        for e in parse_multi_price(item.payload, set(item.context["mints"])):
            last = self.last_ts.get(e.mint)
            if last is None or e.ts > last:
                self.last_ts[e.mint] = e.ts
                out.append(e)
        return out

    async def aclose(self) -> None:
        await self.watch.aclose()
        await self.client.aclose()
