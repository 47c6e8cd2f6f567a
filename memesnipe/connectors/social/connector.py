"""``memesnipe connect social``: minute mention counts per watched mint from the X API.

Each cycle asks, per mint, for the complete minutes since the last one published (at most the
last ``LOOKBACK`` on start), ending 30 s before now as the API requires; each minute is
published once. The search query per mint comes from MEMESNIPE_CONNECTORS__SOCIAL_QUERIES
(``mint=query;...``, e.g. ``"$WIF OR dogwifhat"``); a mint without one is searched by its address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from memesnipe.connectors.runner import Connector, Fetched, now_utc, pairs, require_key, watched_mints
from memesnipe.connectors.social.client import GRANULARITY_S, XCountsClient
from memesnipe.connectors.social.parse import parse_counts
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
            raw = await self.client.recent_counts(self.queries[mint], start, end, self.granularity)
            out.append(Fetched(raw, now, key=mint))
        return out

    def parse(self, item: Fetched) -> list[MarketEvent]:
        assert item.key is not None
        events = parse_counts(item.payload, item.key, GRANULARITY_S[self.granularity])
        last = self.last_end.get(item.key)
        fresh = [e for e in events if last is None or e.ts > last]
        if fresh:
            self.last_end[item.key] = fresh[-1].ts
        return list(fresh)

    async def aclose(self) -> None:
        await self.client.aclose()
