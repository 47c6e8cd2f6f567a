"""``memesnipe connect geckoterminal``: price, 5-minute volume and liquidity of the watched mints."""

from __future__ import annotations

import httpx

from memesnipe.connectors.geckoterminal.client import GeckoTerminalClient
from memesnipe.connectors.geckoterminal.parse import parse_token_pools
from memesnipe.connectors.runner import Connector, Fetched, now_utc
from memesnipe.connectors.watchlist import mint_watch
from memesnipe.settings import Settings
from memesnipe.streams.market import MarketEvent


class GeckoTerminalConnector(Connector):
    name = "geckoterminal"
    topic = "price"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        self.watch = mint_watch(settings, self.name)
        self.mints = list(self.watch.static)
        self.interval_s = max(cfg.geckoterminal_interval_s * 10, 30.0)  # ~10 mints a minute at 2 s each
        self.client = GeckoTerminalClient(
            cfg.geckoterminal_base_url, timeout_s=cfg.timeout_s, transport=transport
        )

    async def fetch(self) -> list[Fetched]:
        self.mints = await self.watch.current()
        return [Fetched(await self.client.token_pools(m), now_utc(), key=m) for m in self.mints]

    def parse(self, item: Fetched) -> list[MarketEvent]:
        assert item.key is not None
        ev = parse_token_pools(item.payload, item.key, item.fetched_at)
        return [ev] if ev else []

    async def aclose(self) -> None:
        await self.watch.aclose()
        await self.client.aclose()
