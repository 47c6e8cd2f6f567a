"""Drift Data API client (I/O only); public, rate limited (429 with backoff), cached server-side."""

from __future__ import annotations

from typing import Any

import httpx

from memesnipe.connectors.http import HttpClient


class DriftDataClient:
    def __init__(
        self, base_url: str, *, timeout_s: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.http = HttpClient(
            "drift_data", base_url, timeout_s=timeout_s, rate_per_s=2.0, burst=2, transport=transport
        )

    async def funding_rates(self, market_name: str) -> Any:
        """The last 30 days of funding records of one perp market."""
        return await self.http.get("/fundingRates", params={"marketName": market_name})

    async def aclose(self) -> None:
        await self.http.aclose()
