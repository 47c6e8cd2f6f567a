"""GeckoTerminal public API client (I/O only): no key, 30 calls per minute per IP."""

from __future__ import annotations

from typing import Any

import httpx

from memesnipe.connectors.http import HttpClient

ACCEPT = "application/json;version=20230302"
"""The API version header GeckoTerminal's guide asks clients to pin."""


class GeckoTerminalClient:
    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 10.0,
        rate_per_s: float = 0.5,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http = HttpClient(
            "geckoterminal",
            base_url,
            headers={"accept": ACCEPT},
            timeout_s=timeout_s,
            rate_per_s=rate_per_s,
            burst=2,
            transport=transport,
        )

    async def token_pools(self, mint: str, network: str = "solana") -> Any:
        """The token's top pools (up to 20, by liquidity and 24 h volume)."""
        return await self.http.get(f"/api/v2/networks/{network}/tokens/{mint}/pools")

    async def token_info(self, mint: str, network: str = "solana") -> Any:
        """The token's info: holders (count, distribution, last update), authorities, socials."""
        return await self.http.get(f"/api/v2/networks/{network}/tokens/{mint}/info")

    async def aclose(self) -> None:
        await self.http.aclose()
