"""``memesnipe connect depth``: per watched mint, Jupiter quotes for SOL -> token buys of
MEMESNIPE_CONNECTORS__DEPTH_SIZES_USD, sized in lamports with this cycle's Pyth SOL/USD.

Uses the router's Jupiter client (same API key as the price connector). Quotes cost one request
each: sizes x mints per cycle must fit the Jupiter plan's rate limit (the client enforces it).
"""

from __future__ import annotations

import httpx

from memesnipe.connectors.depth.parse import depth_event, lamports_for_usd
from memesnipe.connectors.errors import ParseError, RejectedError
from memesnipe.connectors.jupiter.client import JupiterClient
from memesnipe.connectors.jupiter.parse import Quote
from memesnipe.connectors.pyth.client import HermesClient
from memesnipe.connectors.pyth.parse import parse_sol_price
from memesnipe.connectors.runner import Connector, Fetched, csv_list, now_utc, require_key
from memesnipe.connectors.watchlist import mint_watch
from memesnipe.settings import Settings
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import MarketEvent

QUOTE_SLIPPAGE_BPS = 100  # only the route's impact is used; slippage does not change it


class DepthConnector(Connector):
    name = "depth"
    topic = "depth"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        key = require_key(settings.jupiter.api_key, "MEMESNIPE_JUPITER__API_KEY", self.name)
        self.watch = mint_watch(settings, self.name)
        self.mints = [m for m in self.watch.static if m != SOL_MINT]
        try:
            self.sizes = sorted(float(s) for s in csv_list(cfg.depth_sizes_usd))
        except ValueError:
            raise SystemExit("memesnipe: MEMESNIPE_CONNECTORS__DEPTH_SIZES_USD must be numbers") from None
        if not self.sizes or min(self.sizes) <= 0:
            raise SystemExit("memesnipe: MEMESNIPE_CONNECTORS__DEPTH_SIZES_USD needs positive sizes")
        self.interval_s = cfg.depth_interval_s
        self.feed_id = cfg.pyth_sol_feed_id
        self.jupiter = JupiterClient(
            settings.jupiter.base_url, api_key=key, timeout_s=cfg.timeout_s, transport=transport
        )
        self.hermes = HermesClient(
            cfg.pyth_base_url, api_key=cfg.pyth_api_key, timeout_s=cfg.timeout_s, transport=transport
        )

    async def _quote(self, mint: str, lamports: int) -> Quote | None:
        try:
            return await self.jupiter.quote(SOL_MINT, mint, lamports, QUOTE_SLIPPAGE_BPS)
        except RejectedError as exc:  # e.g. no route at this size: no depth there
            if exc.status in (401, 403):
                raise
            return None

    async def fetch(self) -> list[Fetched]:
        self.mints = [m for m in await self.watch.current() if m != SOL_MINT]
        [sol] = parse_sol_price(await self.hermes.latest([self.feed_id]), self.feed_id)
        out = []
        for mint in self.mints:
            quotes = [(s, await self._quote(mint, lamports_for_usd(s, sol.price_usd))) for s in self.sizes]
            out.append(Fetched({"sol_usd": sol.price_usd, "quotes": quotes}, now_utc(), key=mint))
        return out

    def parse(self, item: Fetched) -> list[MarketEvent]:
        assert item.key is not None
        try:
            return [depth_event(item.key, item.payload["quotes"], item.fetched_at)]
        except ParseError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise ParseError("depth", f"{item.key}: unusable quotes: {exc!r}") from None

    async def aclose(self) -> None:
        await self.watch.aclose()
        await self.jupiter.aclose()
        await self.hermes.aclose()
