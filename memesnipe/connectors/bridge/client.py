"""Wormholescan client (I/O only); public API, rate limited per IP."""

from __future__ import annotations

from typing import Any

import httpx

from memesnipe.connectors.http import HttpClient


class WormholescanClient:
    def __init__(
        self, base_url: str, *, timeout_s: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.http = HttpClient(
            "wormholescan", base_url, timeout_s=timeout_s, rate_per_s=1.0, burst=2, transport=transport
        )

    async def operations(self, *, page_size: int = 50, page: int = 0) -> Any:
        """Newest operations first."""
        params = {"page": page, "pageSize": page_size, "sortOrder": "DESC"}
        return await self.http.get("/api/v1/operations", params=params)

    async def aclose(self) -> None:
        await self.http.aclose()


class DlnStatsClient:
    """deBridge's DLN stats API (I/O only): public, no key; the documented list endpoint is a POST."""

    def __init__(
        self, base_url: str, *, timeout_s: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.http = HttpClient(
            "debridge", base_url, timeout_s=timeout_s, rate_per_s=1.0, burst=2, transport=transport
        )

    async def orders(
        self, *, give_chain: str | None = None, take_chain: str | None = None, take: int = 100
    ) -> Any:
        """Newest completed orders first (block timestamp desc), filtered by source or destination chain."""
        body: dict[str, Any] = {
            "skip": 0,
            "take": take,
            "orderStates": ["Fulfilled", "SentUnlock", "ClaimedUnlock"],
        }
        if give_chain:
            body["giveChainIds"] = [int(give_chain)]
        if take_chain:
            body["takeChainIds"] = [int(take_chain)]
        return await self.http.post("/api/Orders/filteredList", json=body)

    async def aclose(self) -> None:
        await self.http.aclose()
