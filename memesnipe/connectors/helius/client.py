"""Helius Enhanced Transactions API client (I/O only); the key travels as ``api-key`` query param."""

from __future__ import annotations

from typing import Any

import httpx

from memesnipe.connectors.http import HttpClient

PAGE = 100  # most transactions one address page returns


class HeliusClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.api_key = api_key
        self.http = HttpClient(
            "helius", base_url, timeout_s=timeout_s, rate_per_s=5.0, burst=5, transport=transport
        )

    async def address_transactions(
        self, address: str, *, until: str | None = None, limit: int = PAGE, oldest_first: bool = False
    ) -> Any:
        """Newest first; ``until`` stops at (excludes) a signature already seen. ``oldest_first``:
        ``sort-order=asc``, from the address's first transaction (a mint's: its creation)."""
        params: dict[str, Any] = {"api-key": self.api_key, "limit": limit}
        if until:
            params["until"] = until
        if oldest_first:
            params["sort-order"] = "asc"
        return await self.http.get(f"/v0/addresses/{address}/transactions", params=params)

    async def parse_transactions(self, signatures: list[str]) -> Any:
        """``POST /v0/transactions``: enhanced form of up to 100 signatures."""
        return await self.http.post(
            "/v0/transactions", params={"api-key": self.api_key}, json={"transactions": signatures}
        )

    async def aclose(self) -> None:
        await self.http.aclose()
