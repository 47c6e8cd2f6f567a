"""DexScreener HTTP client (I/O only). Public API, no key; 300 requests/min on pair endpoints."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from memesnipe.connectors.http import HttpClient

MAX_ADDRESSES = 30  # per request, documented limit


class DexScreenerClient:
    def __init__(
        self, base_url: str, *, timeout_s: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.http = HttpClient(
            "dexscreener", base_url, timeout_s=timeout_s, rate_per_s=5.0, burst=5, transport=transport
        )

    async def token_pairs(self, mints: Sequence[str]) -> Any:
        """``GET /latest/dex/tokens/{a,b,...}``: every pair whose base or quote is one of them."""
        if not 0 < len(mints) <= MAX_ADDRESSES:
            raise ValueError(f"1..{MAX_ADDRESSES} addresses per request, got {len(mints)}")
        return await self.http.get(f"/latest/dex/tokens/{','.join(mints)}")

    async def latest_token_profiles(self) -> Any:
        """``GET /token-profiles/latest/v1``: the newest token profiles (60 requests/min)."""
        return await self.http.get("/token-profiles/latest/v1")

    async def latest_token_boosts(self) -> Any:
        """``GET /token-boosts/latest/v1``: the newest boosted tokens (60 requests/min)."""
        return await self.http.get("/token-boosts/latest/v1")

    async def aclose(self) -> None:
        await self.http.aclose()
