"""RugCheck HTTP client (I/O only) over the shared HTTP seam. The read endpoints answer without a
key; a key (``X-API-KEY``) buys plan rate limits."""

from __future__ import annotations

from typing import Any

import httpx

from memesnipe.connectors.http import HttpClient
from memesnipe.connectors.rugcheck.parse import PROVIDER


class RugCheckClient:
    def __init__(
        self,
        base_url: str = "https://api.rugcheck.xyz",
        *,
        api_key: str = "",
        timeout_s: float = 10.0,
        rate_per_s: float = 1.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"X-API-KEY": api_key} if api_key else {}
        self.http = HttpClient(
            PROVIDER,
            base_url,
            headers=headers,
            timeout_s=timeout_s,
            rate_per_s=rate_per_s,
            transport=transport,
        )

    async def report_summary(self, mint: str) -> Any:
        """``GET /v1/tokens/{mint}/report/summary`` -> ``dto.TokenCheckSummary`` (raw JSON)."""
        return await self.http.get(f"/v1/tokens/{mint}/report/summary")

    async def report(self, mint: str) -> Any:
        """``GET /v1/tokens/{mint}/report`` -> ``rugcheck_api.TokenCheck`` (raw JSON): the full
        report, read for its LP ``lockers`` and their unlock dates (the summary has none)."""
        return await self.http.get(f"/v1/tokens/{mint}/report")

    async def aclose(self) -> None:
        await self.http.aclose()
