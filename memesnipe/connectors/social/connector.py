"""``memesnipe connect social``: minute mention counts per watched mint from the X API.

Each cycle asks, per mint, for the complete minutes since the last one published (at most the
last ``LOOKBACK`` on start), ending 30 s before now as the API requires; each minute is
published once. The mints are the configured ones plus, with
MEMESNIPE_CONNECTORS__FOLLOW_WATCHLIST, the watchlist's ACTIVE ones, picked up each cycle without a
restart (an evicted mint is no longer asked for; re-admitted, it resumes after its last published
minute, at most ``LOOKBACK`` back).

The search query per mint comes from MEMESNIPE_CONNECTORS__SOCIAL_QUERIES (``mint=query;...``,
e.g. ``"$WIF OR dogwifhat"``); any other mint, a discovered one included, is searched by its
address. A watchlist entry carries no symbol, and a cashtag would not be precise anyway: many
memecoins share one ($PEPE), while Posts that shill a token paste its contract address.

X's limits (docs.x.com, "Building a query" and "Rate limits"): a query is at most 512 characters
(4,096 on Enterprise; an address is 32-44); each followed mint costs one request per cycle (more
with pages), and requests are spaced by the client's bucket (one per 3 s, the app-only limit of
recent counts; recent search allows 450 per 15 min on Pro, 60 on Basic), so N followed mints
make a cycle last at least 3N s. A slow cycle loses no minute (each mint asks from its last
published one) but publishes later. Recent search also counts every Post read against the plan's
monthly cap, which bounds how many mints ``search`` mode can follow.

MEMESNIPE_CONNECTORS__SOCIAL_MODE picks the endpoint: ``counts`` (Post counts, no authors, so
social_buzz cannot fire; no Post cap used) or, the default,
``search`` (the Posts themselves with ``expansions=author_id``, following ``next_token`` up to
``social_max_pages`` pages: mentions and unique authors per minute).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx

from memesnipe.connectors.runner import Connector, Fetched, now_utc, pairs, require_key
from memesnipe.connectors.social.client import GRANULARITY_S, XCountsClient
from memesnipe.connectors.social.parse import parse_counts, parse_search
from memesnipe.connectors.watchlist import mint_watch
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
        try:
            self.custom_queries = pairs(cfg.social_queries, sep=";")
        except ValueError as exc:
            raise SystemExit(f"memesnipe: MEMESNIPE_CONNECTORS__SOCIAL_QUERIES: {exc}") from None
        self.watch = mint_watch(settings, self.name)
        self.mints = list(self.watch.static)
        self.interval_s = cfg.social_interval_s
        self.mode = cfg.social_mode
        self.max_pages = cfg.social_max_pages
        self.client = XCountsClient(cfg.x_base_url, token, timeout_s=cfg.timeout_s, transport=transport)
        self.last_end: dict[str, datetime] = {}

    def query(self, mint: str) -> str:
        """The configured query of ``mint``, else its address (what a discovered mint gets)."""
        return self.custom_queries.get(mint, mint)

    def _follow(self, mints: list[str], end: datetime) -> dict[str, datetime]:
        """Each mint's window start. A mint followed since the last cycle goes on from its last
        published minute; one new to this cycle (started, admitted, re-admitted) from that minute
        but at most ``LOOKBACK`` back. The last minutes of mints no longer followed are kept for
        ``LOOKBACK`` only: later a re-admission starts at the cap anyway (bounded memory)."""
        followed = set(self.mints)
        floor = end - LOOKBACK
        for gone in [m for m, t in self.last_end.items() if m not in mints and t < floor]:
            del self.last_end[gone]
        self.mints = mints
        return {
            m: self.last_end[m]
            if m in followed and m in self.last_end
            else max(self.last_end.get(m, floor), floor)
            for m in mints
        }

    async def fetch(self) -> list[Fetched]:
        now = now_utc()
        end = _floor_minute(now - API_LAG)
        out = []
        starts = self._follow(await self.watch.current(), end)  # the watchlist's changes, no restart
        for mint, start in starts.items():
            if start >= end:
                continue
            if self.mode == "search":
                out.append(Fetched(await self._search(mint, start, end), now, key=mint))
                continue
            raw = await self.client.recent_counts(self.query(mint), start, end, self.granularity)
            out.append(Fetched(raw, now, key=mint))
        return out

    async def _search(self, mint: str, start: datetime, end: datetime) -> dict[str, object]:
        pages: list[object] = []
        token: str | None = None
        for _ in range(self.max_pages):
            page = await self.client.recent_search(self.query(mint), start, end, next_token=token)
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
        await self.watch.aclose()
        await self.client.aclose()
