"""X Posts -> SocialEvent per complete time bucket, from either endpoint.

Recent search (``parse_search``): the Posts of a window with their ``author_id`` and
``created_at``; per bucket ``mentions`` = Posts created in it, ``unique_authors`` = distinct
``author_id`` among them (a bucket with no Post is a known zero). Only complete windows count: when
the pages stopped before the start of the window (a page cap), buckets older than the oldest Post
read are skipped rather than under-counted.

Recent counts (``parse_counts``):

``mentions`` = the bucket's ``tweet_count``, ``window_s`` = bucket length, event time = bucket
end. The counts API has no author information, so ``unique_authors`` is always 0 (= unknown);
a strategy that needs authors must not read 0 as "nobody" (use the search mode, which costs one
read per Post, for authors). A bucket shorter than the requested granularity (the API clips the
first one to start_time) is skipped, so every event covers a full window.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.runner import validate
from memesnipe.connectors.social.schemas import CountsResponse, Post, SearchResponse
from memesnipe.streams.market import SocialEvent

PROVIDER = "x_counts"
SEARCH_PROVIDER = "x_search"


def _errors(errors: list[dict[str, Any]] | None) -> str:
    return "; ".join(str(e.get("detail") or e.get("message") or e) for e in (errors or [])[:3])


def search_posts(pages: Sequence[Any], mint: str) -> list[Post]:
    """The Posts of recent-search pages, once each; a page of errors only raises."""
    seen: dict[str, Post] = {}
    for raw in pages:
        resp = validate(SearchResponse, raw, SEARCH_PROVIDER)
        if resp.data is None and resp.errors:
            raise ParseError(SEARCH_PROVIDER, f"search for {mint} returned errors: {_errors(resp.errors)}")
        for post in resp.data or []:
            if post.created_at is None:
                raise ParseError(
                    SEARCH_PROVIDER, f"Post {post.id} has no created_at: request tweet.fields=created_at"
                )
            seen.setdefault(post.id, post)
    return list(seen.values())


def parse_search(
    pages: Sequence[Any],
    mint: str,
    start: datetime,
    end: datetime,
    granularity_s: int,
    *,
    complete: bool = True,
) -> list[SocialEvent]:
    """Recent-search pages covering [start, end) -> one event per bucket of ``granularity_s``."""
    posts = search_posts(pages, mint)
    step = timedelta(seconds=granularity_s)
    first = start
    if not complete:
        if not posts:
            return []
        oldest = min(p.created_at for p in posts if p.created_at is not None)
        # the bucket holding the oldest Post read may hold older, unread ones: start after it
        first = start + (int((oldest - start) / step) + 1) * step
    n = int((end - first) / step)
    mentions = [0] * max(n, 0)
    authors: list[set[str]] = [set() for _ in range(max(n, 0))]
    for p in posts:
        assert p.created_at is not None
        k = int((p.created_at - first) / step)
        if 0 <= k < n and p.created_at >= first:  # int() truncates toward 0: keep k = 0 honest
            mentions[k] += 1
            if p.author_id:
                authors[k].add(p.author_id)
    return [
        SocialEvent(
            mint=mint,
            ts=first + (k + 1) * step,
            source=SEARCH_PROVIDER,
            mentions=mentions[k],
            unique_authors=len(authors[k]),
            window_s=granularity_s,
        )
        for k in range(n)
    ]


def parse_counts(raw: Any, mint: str, granularity_s: int) -> list[SocialEvent]:
    resp = validate(CountsResponse, raw, PROVIDER)
    if resp.data is None:
        if resp.errors:
            detail = "; ".join(str(e.get("detail") or e.get("message") or e) for e in resp.errors[:3])
            raise ParseError(PROVIDER, f"counts for {mint} returned errors: {detail}")
        return []
    out = []
    for b in sorted(resp.data, key=lambda b: b.end):
        width = (b.end - b.start).total_seconds()
        if b.tweet_count < 0 or width <= 0:
            raise ParseError(PROVIDER, f"impossible bucket {b.start}..{b.end} count {b.tweet_count}")
        if abs(width - granularity_s) > 1:
            continue
        out.append(
            SocialEvent(
                mint=mint,
                ts=b.end,
                source=PROVIDER,
                mentions=b.tweet_count,
                unique_authors=0,
                window_s=granularity_s,
            )
        )
    return out
