"""Birdeye public API client (I/O only): ``X-API-KEY`` and ``x-chain: solana`` headers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from memesnipe.connectors.http import HttpClient

MAX_ADDRESSES = 100


class BirdeyeClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"X-API-KEY": api_key, "x-chain": "solana", "accept": "application/json"}
        self.http = HttpClient(
            "birdeye",
            base_url,
            headers=headers,
            timeout_s=timeout_s,
            rate_per_s=1.0,
            burst=1,
            transport=transport,
        )

    async def multi_price(self, mints: Sequence[str]) -> Any:
        if not 0 < len(mints) <= MAX_ADDRESSES:
            raise ValueError(f"1..{MAX_ADDRESSES} addresses per request, got {len(mints)}")
        params = {"list_address": ",".join(mints), "include_liquidity": "true"}
        return await self.http.get("/defi/multi_price", params=params)

    async def aclose(self) -> None:
        await self.http.aclose()
