"""X API v2 client (I/O only): app-only bearer auth; recent counts are limited to 300 requests
per 15 minutes for the whole app (recent search to 450), so the bucket is one request per 3 s."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from memesnipe.connectors.http import HttpClient

GRANULARITY_S = {"minute": 60, "hour": 3600, "day": 86400}


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


class XCountsClient:
    def __init__(
        self,
        base_url: str,
        bearer_token: str,
        *,
        timeout_s: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.http = HttpClient(
            "x_api",
            base_url,
            headers={"Authorization": f"Bearer {bearer_token}"},
            timeout_s=timeout_s,
            rate_per_s=1 / 3,
            burst=1,
            transport=transport,
        )

    async def recent_counts(
        self, query: str, start: datetime, end: datetime, granularity: str = "minute"
    ) -> Any:
        if granularity not in GRANULARITY_S:
            raise ValueError(f"granularity must be one of {sorted(GRANULARITY_S)}")
        params = {
            "query": query,
            "start_time": _iso(start),
            "end_time": _iso(end),
            "granularity": granularity,
        }
        return await self.http.get("/2/tweets/counts/recent", params=params)

    async def recent_search(
        self,
        query: str,
        start: datetime,
        end: datetime,
        *,
        next_token: str | None = None,
        max_results: int = 100,
    ) -> Any:
        """Posts matching ``query`` in [start, end), newest first, with their ``author_id`` and
        ``created_at`` (``expansions=author_id`` adds the authors' user objects in ``includes``)."""
        params: dict[str, Any] = {
            "query": query,
            "start_time": _iso(start),
            "end_time": _iso(end),
            "max_results": max_results,
            "expansions": "author_id",
            "tweet.fields": "author_id,created_at",
        }
        if next_token:
            params["next_token"] = next_token
        return await self.http.get("/2/tweets/search/recent", params=params)

    async def aclose(self) -> None:
        await self.http.aclose()
