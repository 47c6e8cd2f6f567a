"""X recent search (expansions=author_id): mentions and unique authors per minute, pagination,
the page cap, and the documented payloads (tests/fixtures/social/SOURCE.md)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.social.connector import XMentionsConnector
from memesnipe.connectors.social.parse import parse_search
from memesnipe.settings import load_settings

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "social"
MINT = "EKpQGSJtjMFqKZ9KQanSqYXRcF8fBopzLHYxdM65zcjm"
MINUTE = datetime(2021, 3, 19, 19, 59, tzinfo=UTC)


def fixture(name: str) -> dict:
    return json.loads((FIX / name).read_text())


def with_posts(posts: list[tuple[str, str, datetime]], next_token: str | None = None) -> dict:
    """The documented author-expansion response, its one Post repeated with our ids, authors
    and creation times (the fields are the documented ones; the values are ours)."""
    page = fixture("recent_search_author_expansion.json")
    one = page["data"][0]
    page["data"] = [
        dict(copy.deepcopy(one), id=pid, author_id=author, created_at=ts.isoformat().replace("+00:00", "Z"))
        for pid, author, ts in posts
    ]
    page["meta"]["result_count"] = len(posts)
    if next_token:
        page["meta"]["next_token"] = next_token
    return page


def test_the_documented_post_counts_once_with_its_author_in_its_minute() -> None:
    [ev] = parse_search(
        [fixture("recent_search_author_expansion.json")], MINT, MINUTE, MINUTE + timedelta(minutes=1), 60
    )
    assert (ev.mentions, ev.unique_authors, ev.window_s, ev.source) == (1, 1, 60, "x_search")
    assert ev.ts == MINUTE + timedelta(minutes=1) and ev.mint == MINT


def test_unique_authors_per_minute_count_each_author_once_and_empty_minutes_are_zero() -> None:
    t = MINUTE
    page = with_posts(
        [
            ("1", "a", t + timedelta(seconds=1)),
            ("2", "a", t + timedelta(seconds=20)),
            ("3", "b", t + timedelta(seconds=59)),
            ("4", "c", t + timedelta(seconds=130)),
        ]
    )
    evs = parse_search([page, page], MINT, t, t + timedelta(minutes=3), 60)  # a page read twice counts once
    assert [(e.mentions, e.unique_authors) for e in evs] == [(3, 2), (0, 0), (1, 1)]


def test_without_created_at_the_posts_cannot_be_bucketed() -> None:
    """The default-fields response (no tweet.fields): the connector always asks for created_at."""
    with pytest.raises(ParseError, match="created_at"):
        parse_search(
            [fixture("recent_search_default_fields.json")], MINT, MINUTE, MINUTE + timedelta(minutes=1), 60
        )


def test_an_error_page_raises_with_the_api_detail() -> None:
    with pytest.raises(ParseError, match="Invalid query"):
        parse_search([{"errors": [{"detail": "Invalid query"}]}], MINT, MINUTE, MINUTE, 60)


def test_a_capped_read_publishes_only_the_minutes_it_covered_completely() -> None:
    t = MINUTE
    page = with_posts(
        [("9", "z", t + timedelta(seconds=200)), ("8", "y", t + timedelta(seconds=150))], "more"
    )
    evs = parse_search([page], MINT, t, t + timedelta(minutes=4), 60, complete=False)
    # the oldest Post read is in minute 2: minutes 0-2 may hold unread Posts, minute 3 is whole
    assert [(e.ts - t, e.mentions) for e in evs] == [(timedelta(minutes=4), 1)]
    assert parse_search([with_posts([])], MINT, t, t + timedelta(minutes=4), 60, complete=False) == []


async def test_search_mode_follows_next_token_with_the_author_expansion_and_publishes_each_minute_once() -> (
    None
):
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        assert req.url.path == "/2/tweets/search/recent"
        start = datetime.fromisoformat(req.url.params["start_time"].replace("Z", "+00:00"))
        if "next_token" not in req.url.params:
            posts = [
                ("2", "alice", start + timedelta(seconds=70)),
                ("1", "bob", start + timedelta(seconds=65)),
            ]
            return httpx.Response(200, json=with_posts(posts, next_token="p2"))
        return httpx.Response(200, json=with_posts([("0", "alice", start + timedelta(seconds=5))]))

    settings = load_settings(
        connectors={"x_bearer_token": "tok", "mints": MINT, "social_mode": "search", "social_max_pages": 3}
    )
    conn = XMentionsConnector(settings, transport=httpx.MockTransport(handler))
    events = [e for item in await conn.fetch() for e in conn.parse(item)]
    again = [e for item in await conn.fetch() for e in conn.parse(item)]
    await conn.aclose()
    first = seen[0].url.params
    assert first["expansions"] == "author_id" and set(first["tweet.fields"].split(",")) >= {
        "author_id",
        "created_at",
    }
    assert first["max_results"] == "100" and seen[0].headers["Authorization"] == "Bearer tok"
    assert seen[1].url.params["next_token"] == "p2"
    assert len(events) == 15  # the 15-minute look-back, minute by minute
    assert [(e.mentions, e.unique_authors) for e in events[:2]] == [(1, 1), (2, 2)]
    assert all((e.mentions, e.unique_authors) == (0, 0) for e in events[2:])
    assert again == [] or again[0].ts > events[-1].ts  # a later cycle never repeats a minute


async def test_by_default_a_bearer_token_searches_posts_so_social_buzz_sees_unique_authors() -> None:
    """The default mode is search: counts carry no authors and social_buzz needs at least one."""
    paths: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        paths.append(req.url.path)
        start = datetime.fromisoformat(req.url.params["start_time"].replace("Z", "+00:00"))
        posts = [("2", "alice", start + timedelta(seconds=5)), ("1", "bob", start + timedelta(seconds=9))]
        return httpx.Response(200, json=with_posts(posts))

    conn = XMentionsConnector(
        load_settings(connectors={"x_bearer_token": "tok", "mints": MINT}),
        transport=httpx.MockTransport(handler),
    )
    events = [e for item in await conn.fetch() for e in conn.parse(item)]
    await conn.aclose()
    assert paths == ["/2/tweets/search/recent"]
    assert (events[0].mentions, events[0].unique_authors) == (2, 2)
