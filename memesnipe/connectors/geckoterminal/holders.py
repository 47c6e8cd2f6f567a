"""``memesnipe connect holders``: each watched mint's holder count from GeckoTerminal's token
info, as an on-chain HOLDERS fact timed by GeckoTerminal's ``holders.last_updated``.

airdrop_rotation compares holder growth with airdrop recipients; without a live holder count
it could only trade the simulator. The count is published once per update time (a re-poll of
an unchanged count is not news); the top-10 share is not published here (it counts pools and
curves as holders, which the safety connector excludes).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from pydantic import AwareDatetime

from memesnipe.connectors.geckoterminal.client import GeckoTerminalClient
from memesnipe.connectors.geckoterminal.schemas import _Raw
from memesnipe.connectors.runner import Connector, Fetched, now_utc, validate
from memesnipe.connectors.watchlist import mint_watch
from memesnipe.settings import Settings
from memesnipe.streams.market import MarketEvent, OnChainEvent, OnChainKind

PROVIDER = "geckoterminal"


class Holders(_Raw):
    count: int | None = None
    last_updated: AwareDatetime | None = None


class TokenAttributes(_Raw):
    address: str
    holders: Holders | None = None


class Token(_Raw):
    id: str
    attributes: TokenAttributes


class TokenInfoResponse(_Raw):
    data: Token


def parse_holders(raw: Any, fetched_at: datetime) -> OnChainEvent | None:
    """None when GeckoTerminal has no holder count for the token."""
    info = validate(TokenInfoResponse, raw, PROVIDER).data.attributes
    if info.holders is None or info.holders.count is None or info.holders.count <= 0:
        return None
    return OnChainEvent(
        mint=info.address,
        ts=info.holders.last_updated or fetched_at,
        source=f"{PROVIDER}:holders",
        kind=OnChainKind.HOLDERS,
        holders=info.holders.count,
    )


class HoldersConnector(Connector):
    name = "holders"
    topic = "onchain"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        self.watch = mint_watch(settings, self.name)
        self.mints = list(self.watch.static)
        self.interval_s = 300.0  # GeckoTerminal refreshes holder counts far less often than prices
        self.last: dict[str, datetime] = {}
        self.client = GeckoTerminalClient(
            cfg.geckoterminal_base_url,
            timeout_s=cfg.timeout_s,
            rate_per_s=1.0 / cfg.geckoterminal_interval_s,
            transport=transport,
        )

    async def fetch(self) -> list[Fetched]:
        self.mints = await self.watch.current()
        return [Fetched(await self.client.token_info(m), now_utc(), key=m) for m in self.mints]

    def parse(self, item: Fetched) -> list[MarketEvent]:
        ev = parse_holders(item.payload, item.fetched_at)
        if ev is None or (ev.mint in self.last and ev.ts <= self.last[ev.mint]):
            return []
        self.last[ev.mint] = ev.ts
        return [ev]

    async def aclose(self) -> None:
        await self.watch.aclose()
        await self.client.aclose()
