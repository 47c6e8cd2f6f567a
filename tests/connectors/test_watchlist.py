"""The connectors that took a static mint list (social, bridge) follow the watchlist topic: on the
real broker, an entry admitted while the connector runs is polled without a restart, an evicted
one is dropped, and a re-admitted one resumes without publishing a minute twice. The watchlist
records are written as discovery writes them (its own tests show a recorded stream becoming
them); only the X and Wormholescan APIs are mocked."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from memesnipe.connectors.bridge.connector import BridgeConnector
from memesnipe.connectors.publisher import Publisher
from memesnipe.connectors.runner import run_connector
from memesnipe.connectors.social.connector import LOOKBACK, XMentionsConnector
from memesnipe.settings import load_settings
from memesnipe.streams.codec import decode
from memesnipe.streams.market import SocialEvent
from memesnipe.streams.watchlist import DiscoveryOrigin, WatchlistEntry, WatchStatus
from tests.connectors.bridge.test_wormholescan import BONK, inflow
from tests.support.kafka import consume, create_topics

A = "DGxVcSTq8ECJsmiQfp1knvd6enuG9nJKdDihzSaFpump"  # the recorded pump.fun creation's mint
B = "Gu2bpydt5bHVHtko5vvsWH5KQUT3Wxvt6hzYvKdND6ur"  # the recorded PumpSwap migration's mint


def entry(mint: str, status: WatchStatus) -> WatchlistEntry:
    now = datetime.now(UTC)
    reason = "idle" if status is WatchStatus.EVICTED else ""
    return WatchlistEntry(
        mint=mint, ts=now, status=status, reason=reason, origins=[DiscoveryOrigin.PUMP_CREATE], first_seen=now
    )


async def until(cond: Callable[[], bool], what: str, tries: int = 600) -> None:
    for _ in range(tries):
        if cond():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never happened: {what}")


def minute_counts(req: httpx.Request) -> httpx.Response:
    """Recent counts in the documented SearchCount shape (``start``, ``end``, ``tweet_count`` and
    ``meta.total_tweet_count``, as tests/fixtures/social/counts_day_xdevelopers.json), minute
    buckets over the asked window, two Posts each (values ours)."""
    start = datetime.fromisoformat(req.url.params["start_time"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(req.url.params["end_time"].replace("Z", "+00:00"))
    data, t = [], start
    while t < end:
        data.append({"start": t.isoformat(), "end": (t + timedelta(minutes=1)).isoformat(), "tweet_count": 2})
        t += timedelta(minutes=1)
    return httpx.Response(200, json={"data": data, "meta": {"total_tweet_count": 2 * len(data)}})


@pytest.mark.integration
async def test_social_follows_admissions_and_evictions_without_a_restart(isolated_env: Any) -> None:
    env = isolated_env
    await create_topics(env, ["watchlist", "social", "deadletter"])
    base = env.settings()
    settings = base.model_copy(
        update={
            "connectors": base.connectors.model_copy(
                update={
                    "mints": "",
                    "follow_watchlist": True,
                    "x_bearer_token": "tok",
                    "social_mode": "counts",
                    "social_interval_s": 0.2,
                }
            )
        }
    )
    asked: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        asked.append(req.url.params["query"])
        return minute_counts(req)

    conn = XMentionsConnector(settings, transport=httpx.MockTransport(handler))
    stop = asyncio.Event()
    async with Publisher(settings) as sink, Publisher(settings) as discovery:

        async def write(*entries: WatchlistEntry) -> None:
            for e in entries:
                await discovery.publish("watchlist", e.mint, e)
            await discovery.flush()

        poller = asyncio.create_task(run_connector(conn, sink, stop=stop))
        try:
            await asyncio.sleep(0.6)
            early = (list(conn.mints), list(asked), poller.done())
            await write(entry(A, WatchStatus.ACTIVE))
            await until(lambda: A in asked, "A admitted and asked for")
            await write(entry(A, WatchStatus.EVICTED), entry(B, WatchStatus.ACTIVE))
            await until(lambda: conn.mints == [B], "A evicted, B admitted")
            evicted_at = len(asked)
            await until(lambda: B in asked, "B asked for")
            await write(entry(A, WatchStatus.ACTIVE))
            await until(lambda: conn.mints == [A, B], "A re-admitted")
            readmitted_at = len(asked)
        finally:
            stop.set()
            stats = await poller
    assert early == ([], [], False)  # running, watching nothing, before any entry existed
    assert A not in asked[evicted_at:readmitted_at]  # not asked while evicted
    assert asked[0] == A  # a discovered mint is searched by its address (no configured query)
    assert stats.dead_letters == 0

    records = await consume(env.bootstrap, env.topic("social"), min_count=30)
    events = [decode(r.value, SocialEvent) for r in records]
    per_mint = {m: [e.ts for e in events if e.mint == m] for m in (A, B)}
    assert all(len(ts) >= LOOKBACK // timedelta(minutes=1) for ts in per_mint.values())
    assert all(len(ts) == len(set(ts)) for ts in per_mint.values())  # re-admission repeats no minute
    assert all(e.mentions == 2 and r.key.decode() == e.mint for r, e in zip(records, events, strict=True))


async def test_a_mint_new_to_the_cycle_starts_at_most_the_look_back_ago_and_stale_windows_are_forgotten() -> (
    None
):
    conn = XMentionsConnector(load_settings(connectors={"mints": A, "x_bearer_token": "tok"}))
    await conn.aclose()
    end = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
    assert conn._follow([A], end) == {A: end - LOOKBACK}  # first cycle: the look-back
    conn.last_end[A] = end
    later = end + 2 * LOOKBACK
    assert conn._follow([A], later) == {A: end}  # followed throughout: a slow cycle loses no minute
    conn._follow([B], later)  # A evicted: its window is older than the look-back, forgotten
    assert A not in conn.last_end
    conn.last_end[B] = later
    assert conn._follow([A], later + timedelta(minutes=2))[A] == later + timedelta(minutes=2) - LOOKBACK
    assert conn._follow([A, B], later + timedelta(minutes=3))[B] == later  # back within the look-back


@pytest.mark.integration
async def test_bridge_with_a_static_list_widens_to_admitted_mints_and_narrows_on_eviction(
    isolated_env: Any,
) -> None:
    env = isolated_env
    await create_topics(env, ["watchlist"])
    base = env.settings()
    settings = base.model_copy(
        update={
            "connectors": base.connectors.model_copy(
                update={"mints": BONK, "follow_watchlist": True, "bridge_sources": "wormhole"}
            )
        }
    )
    calls = 0

    def handler(req: httpx.Request) -> httpx.Response:
        """Each page: the BONK inflow and a new inflow of A (a fresh transaction each time)."""
        nonlocal calls
        calls += 1
        body = inflow()
        other = copy.deepcopy(inflow(A))["operations"][0]
        other["sourceChain"]["transaction"]["txHash"] = f"0xA{calls}"
        body["operations"].append(other)
        return httpx.Response(200, json=body)

    conn = BridgeConnector(settings, transport=httpx.MockTransport(handler))
    published: list[list[str]] = []

    async def cycle() -> list[str]:
        mints = [e.mint for item in await conn.fetch() for e in conn.parse(item)]
        published.append(mints)
        return mints

    try:
        first = await cycle()
        async with Publisher(settings) as discovery:
            await discovery.publish("watchlist", A, entry(A, WatchStatus.ACTIVE))
            await discovery.flush()
            for _ in range(100):
                if A in await cycle():
                    break
            admitted = list(published[-1])
            await discovery.publish("watchlist", A, entry(A, WatchStatus.EVICTED))
            await discovery.flush()
            for _ in range(100):
                await cycle()
                if conn.watched == {BONK}:
                    break
            after = await cycle()
    finally:
        await conn.aclose()
    assert first == [BONK]
    assert admitted == [A]  # BONK's inflow was published once already; A's new one now
    assert after == []  # a new inflow of A, evicted, is not published
