"""``memesnipe connect dexscreener``: poll the watched mints' pairs, 30 per request."""

from __future__ import annotations

import httpx

from memesnipe.connectors.dexscreener.client import MAX_ADDRESSES, DexScreenerClient
from memesnipe.connectors.dexscreener.parse import parse_pairs
from memesnipe.connectors.runner import Connector, Fetched, batched, now_utc
from memesnipe.connectors.watchlist import mint_watch
from memesnipe.settings import Settings
from memesnipe.streams.market import MarketEvent


class DexScreenerConnector(Connector):
    name = "dexscreener"
    topic = "price"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        self.watch = mint_watch(settings, self.name)
        self.mints = list(self.watch.static)
        self.interval_s = cfg.dexscreener_interval_s
        self.client = DexScreenerClient(
            cfg.dexscreener_base_url, timeout_s=cfg.timeout_s, transport=transport
        )

    async def fetch(self) -> list[Fetched]:
        self.mints = await self.watch.current()  # the watchlist's new mints, no restart
        out = []
        for batch in batched(self.mints, MAX_ADDRESSES):
            payload = await self.client.token_pairs(batch)
            out.append(
                Fetched(
                    payload, now_utc(), key=batch[0] if len(batch) == 1 else None, context={"mints": batch}
                )
            )
        return out

    def parse(self, item: Fetched) -> list[MarketEvent]:
        return list(parse_pairs(item.payload, item.fetched_at, set(item.context["mints"])))

    async def aclose(self) -> None:
        await self.watch.aclose()
        await self.client.aclose()
