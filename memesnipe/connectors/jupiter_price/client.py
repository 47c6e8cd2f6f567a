"""Jupiter Price API v3 client (I/O only): ``GET /price/v3?ids=a,b`` with the ``x-api-key`` header."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from memesnipe.connectors.http import HttpClient

MAX_IDS = 50  # documented limit per request


class JupiterPriceClient:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http = HttpClient(
            "jupiter_price",
            base_url,
            headers={"x-api-key": api_key},
            timeout_s=timeout_s,
            rate_per_s=1.0,
            burst=2,
            transport=transport,
        )

    async def prices(self, mints: Sequence[str]) -> Any:
        if not 0 < len(mints) <= MAX_IDS:
            raise ValueError(f"1..{MAX_IDS} ids per request, got {len(mints)}")
        return await self.http.get("/price/v3", params={"ids": ",".join(mints)})

    async def aclose(self) -> None:
        await self.http.aclose()
