"""X recent Post counts: buckets -> SocialEvent, authors unknown, windows, errors, client, key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.errors import MissingApiKeyError, ParseError
from memesnipe.connectors.social.connector import XMentionsConnector
from memesnipe.connectors.social.parse import parse_counts
from memesnipe.settings import load_settings

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "social"
MINT = "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm"
DAY = 86400


def payload() -> dict:
    return json.loads((FIX / "counts_day_xdevelopers.json").read_text())


def test_one_event_per_full_bucket_timed_at_its_end() -> None:
    evs = parse_counts(payload(), MINT, DAY)
    assert len(evs) == 31
    assert sum(e.mentions for e in evs) == 22 == payload()["meta"]["total_tweet_count"]
    may13 = [e for e in evs if e.ts == datetime(2021, 5, 13, tzinfo=UTC)]
    assert [e.mentions for e in may13] == [6]
    assert all(e.window_s == DAY and e.unique_authors == 0 and e.mint == MINT for e in evs)
    assert evs == sorted(evs, key=lambda e: e.ts)


def test_a_clipped_first_bucket_is_skipped() -> None:
    p = payload()
    p["data"][0]["start"] = "2021-05-01T13:47:08.000Z"
    evs = parse_counts(p, MINT, DAY)
    assert len(evs) == 30 and evs[0].ts == datetime(2021, 5, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        ({"errors": [{"detail": "Invalid query", "title": "Invalid Request"}]}, "Invalid query"),
        ({"data": [{"start": "2021-05-01T00:00:00Z", "end": "2021-05-02T00:00:00Z"}]}, "tweet_count"),
        (
            {"data": [{"start": "2021-05-01T00:00:00", "end": "2021-05-02T00:00:00Z", "tweet_count": 1}]},
            "start",
        ),
        (
            {"data": [{"start": "2021-05-02T00:00:00Z", "end": "2021-05-01T00:00:00Z", "tweet_count": 1}]},
            "impossible",
        ),
    ],
)
def test_malformed_or_error_payloads_raise(body, needle) -> None:
    with pytest.raises(ParseError, match=needle):
        parse_counts(body, MINT, DAY)


def test_missing_bearer_token_names_the_setting() -> None:
    with pytest.raises(MissingApiKeyError, match="MEMESNIPE_CONNECTORS__X_BEARER_TOKEN"):
        XMentionsConnector(load_settings(connectors={"mints": MINT}))


async def test_connector_asks_for_complete_minutes_and_publishes_each_once() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        start = datetime.fromisoformat(req.url.params["start_time"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(req.url.params["end_time"].replace("Z", "+00:00"))
        data, t = [], start
        while t < end:
            data.append(
                {"start": t.isoformat(), "end": (t + timedelta(minutes=1)).isoformat(), "tweet_count": 3}
            )
            t += timedelta(minutes=1)
        return httpx.Response(200, json={"data": data, "meta": {"total_tweet_count": 3 * len(data)}})

    settings = load_settings(
        connectors={
            "mints": MINT,
            "x_bearer_token": "tok",
            "social_mode": "counts",
            "social_queries": f"{MINT}=$WIF OR dogwifhat",
        }
    )
    conn = XMentionsConnector(settings, transport=httpx.MockTransport(handler))
    first = [e for i in await conn.fetch() for e in conn.parse(i)]
    second = [e for i in await conn.fetch() for e in conn.parse(i)]
    await conn.aclose()
    q = seen[0].url.params
    assert seen[0].url.path == "/2/tweets/counts/recent" and q["granularity"] == "minute"
    assert q["query"] == "$WIF OR dogwifhat" and seen[0].headers["authorization"] == "Bearer tok"
    assert len(first) == 15 and all(e.mentions == 3 and e.window_s == 60 for e in first)
    end = datetime.fromisoformat(q["end_time"].replace("Z", "+00:00"))
    assert first[-1].ts == end <= datetime.now(UTC) - timedelta(seconds=30)
    assert all(e.ts > first[-1].ts for e in second)  # nothing published twice
