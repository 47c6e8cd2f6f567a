"""``memesnipe connect safety``: per watched mint, read the mint account, the 20 largest token
accounts and the supply; publish one SAFETY fact per mint per cycle on the onchain topic."""

from __future__ import annotations

import logging

import httpx

from memesnipe.connectors.errors import ProviderError
from memesnipe.connectors.runner import Connector, Fetched, now_utc, validate
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.connectors.solana_rpc.parse import PROVIDER, safety_event
from memesnipe.connectors.solana_rpc.schemas import (
    AccountInfoResult,
    LargestAccountsResult,
    TokenSupplyResult,
)
from memesnipe.connectors.watchlist import mint_watch
from memesnipe.settings import Settings
from memesnipe.streams.market import MarketEvent

log = logging.getLogger(__name__)


class TokenSafetyConnector(Connector):
    name = "safety"
    topic = "onchain"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        self.watch = mint_watch(settings, self.name)
        self.mints = list(self.watch.static)
        self.interval_s = cfg.safety_interval_s
        self.client = SolanaRpcClient(cfg.solana_rpc_url, timeout_s=cfg.timeout_s, transport=transport)

    async def fetch(self) -> list[Fetched]:
        self.mints = await self.watch.current()  # the watchlist's new mints, no restart
        out = []
        for mint in self.mints:
            try:
                payload = {
                    "account": await self.client.call(
                        "getAccountInfo", [mint, {"encoding": "jsonParsed", "commitment": "confirmed"}]
                    ),
                    "largest": await self.client.call("getTokenLargestAccounts", [mint]),
                    "supply": await self.client.call("getTokenSupply", [mint]),
                }
            except ProviderError as exc:  # one bad mint must not starve the others
                if len(self.mints) == 1:
                    raise
                log.warning("safety %s: %s", mint, exc)
                continue
            out.append(Fetched(payload, now_utc(), key=mint))
        return out

    def parse(self, item: Fetched) -> list[MarketEvent]:
        p = item.payload
        assert item.key is not None
        return [
            safety_event(
                item.key,
                validate(AccountInfoResult, p["account"], PROVIDER),
                validate(LargestAccountsResult, p["largest"], PROVIDER),
                validate(TokenSupplyResult, p["supply"], PROVIDER),
                item.fetched_at,
            )
        ]

    async def aclose(self) -> None:
        await self.watch.aclose()
        await self.client.aclose()
