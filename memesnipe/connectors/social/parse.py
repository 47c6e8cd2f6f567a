"""X Post counts -> SocialEvent per complete time bucket.

``mentions`` = the bucket's ``tweet_count``, ``window_s`` = bucket length, event time = bucket
end. The counts API has no author information, so ``unique_authors`` is always 0 (= unknown);
a strategy that needs authors must not read 0 as "nobody". Getting authors would need the
recent *search* endpoint (Posts with ``author_id``), which costs one read per Post; not done here.
A bucket shorter than the requested granularity (the API clips the first one to start_time) is
skipped, so every event covers a full window.
"""

from __future__ import annotations

from typing import Any

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.runner import validate
from memesnipe.connectors.social.schemas import CountsResponse
from memesnipe.streams.market import SocialEvent

PROVIDER = "x_counts"


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
