"""``memesnipe connect social``: minute mention counts per watched mint from the X API.

Each cycle asks, per mint, for the complete minutes since the last one published (at most the
last ``LOOKBACK`` on start), ending 30 s before now as the API requires; each minute is
published once. The search query per mint comes from MEMESNIPE_CONNECTORS__SOCIAL_QUERIES
(``mint=query;...``, e.g. ``"$WIF OR dogwifhat"``); a mint without one is searched by its address.

MEMESNIPE_CONNECTORS__SOCIAL_MODE picks the endpoint: ``counts`` (Post counts, no authors) or
``search`` (the Posts themselves with ``expansions=author_id``, following ``next_token`` up to
``social_max_pages`` pages: mentions and unique authors per minute).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from memesnipe.connectors.runner import Connector, Fetched, now_utc, pairs, require_key, watched_mints
from memesnipe.connectors.social.client import GRANULARITY_S, XCountsClient
from memesnipe.connectors.social.parse import parse_counts, parse_search
from memesnipe.settings import Settings
from memesnipe.streams.market import MarketEvent

LOOKBACK = timedelta(minutes=15)
API_LAG = timedelta(seconds=30)


def _floor_minute(ts: datetime) -> datetime:
    return ts.replace(second=0, microsecond=0)


class XMentionsConnector(Connector):
    name = "social"
    topic = "social"
    granularity = "minute"

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        cfg = settings.connectors
        token = require_key(cfg.x_bearer_token, "MEMESNIPE_CONNECTORS__X_BEARER_TOKEN", self.name)
        self.mints = watched_mints(settings, self.name)
        try:
            custom = pairs(cfg.social_queries, sep=";")
        except ValueError as exc:
            raise SystemExit(f"memesnipe: MEMESNIPE_CONNECTORS__SOCIAL_QUERIES: {exc}") from None
        self.queries = {m: custom.get(m, m) for m in self.mints}
        self.interval_s = cfg.social_interval_s
        self.mode = cfg.social_mode
        self.max_pages = cfg.social_max_pages
        self.client = XCountsClient(cfg.x_base_url, token, timeout_s=cfg.timeout_s, transport=transport)
        self.last_end: dict[str, datetime] = {}

    async def fetch(self) -> list[Fetched]:
        now = now_utc()
        end = _floor_minute(now - API_LAG)
        out = []
        for mint in self.mints:
            start = self.last_end.get(mint, end - LOOKBACK)
            if start >= end:
                continue
            if self.mode == "search":
                out.append(Fetched(await self._search(mint, start, end), now, key=mint))
                continue
            raw = await self.client.recent_counts(self.queries[mint], start, end, self.granularity)
            out.append(Fetched(raw, now, key=mint))
        return out

    async def _search(self, mint: str, start: datetime, end: datetime) -> dict[str, object]:
        pages: list[object] = []
        token: str | None = None
        for _ in range(self.max_pages):
            page = await self.client.recent_search(self.queries[mint], start, end, next_token=token)
            pages.append(page)
            meta = page.get("meta") if isinstance(page, dict) else None
            token = meta.get("next_token") if isinstance(meta, dict) else None
            if not token:
                break
        return {"pages": pages, "start": start, "end": end, "complete": not token}

    def parse(self, item: Fetched) -> list[MarketEvent]:
        assert item.key is not None
        width = GRANULARITY_S[self.granularity]
        if self.mode == "search":
            p = item.payload
            events = parse_search(p["pages"], item.key, p["start"], p["end"], width, complete=p["complete"])
        else:
            events = parse_counts(item.payload, item.key, width)
        last = self.last_end.get(item.key)
        fresh = [e for e in events if last is None or e.ts > last]
        if fresh:
            self.last_end[item.key] = fresh[-1].ts
        return list(fresh)

    async def aclose(self) -> None:
        await self.client.aclose()
