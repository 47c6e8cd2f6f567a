"""Hermes REST client (I/O only). The public instance allows 30 requests per 10 s per IP and
answers 429 for the following 60 s when exceeded; paid providers take a bearer key."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from memesnipe.connectors.http import HttpClient, RetryPolicy


class HermesClient:
    def __init__(
        self,
        base_url: str,
        *,
        api_key: str = "",
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = HttpClient(
            "pyth",
            base_url,
            headers=headers,
            timeout_s=timeout_s,
            rate_per_s=2.5,
            burst=3,
            retry=RetryPolicy(max_delay_s=60.0),
            transport=transport,
        )

    async def latest(self, feed_ids: Sequence[str]) -> Any:
        params = [("ids[]", f) for f in feed_ids] + [("parsed", "true"), ("encoding", "hex")]
        return await self.http.get("/v2/updates/price/latest", params=params)

    async def aclose(self) -> None:
        await self.http.aclose()
