"""Volume and trades from two price sources merged per mint: the larger 5-minute volume and
trade count (two lower bounds of the same swaps), the price of the source that sees the most
liquidity, every answering source named; one source down publishes the other's alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import msgspec
import pytest

from memesnipe.connectors.errors import TemporaryError
from memesnipe.connectors.http import RetryPolicy
from memesnipe.connectors.volume.connector import VolumeConnector
from memesnipe.connectors.volume.merge import merge
from memesnipe.settings import load_settings
from memesnipe.streams.market import PriceEvent

FIX = Path(__file__).resolve().parents[2] / "fixtures"
POPDOG = "EATGZHJViJsk7nEKkrdJicwNbfpkJfAtmrEmrjXR8NBj"
T = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


def dexscreener() -> dict:
    return json.loads((FIX / "dexscreener" / "pairs_popdog.json").read_text())


def gecko_for_popdog() -> dict:
    """The real GeckoTerminal HACHI pool, its base token set to PopDog (ours), so both sources
    report one mint."""
    p = json.loads((FIX / "geckoterminal" / "token_pools.json").read_text())
    p["data"] = p["data"][:1]
    p["data"][0]["relationships"]["base_token"]["data"]["id"] = f"solana_{POPDOG}"
    return p


def test_merge_keeps_the_larger_volume_and_trades_and_the_deeper_sources_price() -> None:
    a = PriceEvent(mint="M", ts=T, source="dexscreener:raydium", price_usd=1.0, price_sol=0.01,
                   volume_usd_5m=900.0, trades_5m=40, liquidity_usd=50_000.0)  # fmt: skip
    b = PriceEvent(mint="M", ts=T + timedelta(seconds=1), source="geckoterminal:meteora", price_usd=1.02,
                   volume_usd_5m=1_200.0, trades_5m=35, liquidity_usd=80_000.0)  # fmt: skip
    [m] = merge([a, b])
    assert (m.price_usd, m.volume_usd_5m, m.trades_5m, m.liquidity_usd) == (1.02, 1_200.0, 40, 80_000.0)
    assert m.price_sol == 0.01  # the deeper source had none: the other's
    assert m.source == "volume:geckoterminal:meteora+dexscreener:raydium"
    assert m.ts == T + timedelta(seconds=1)


async def test_the_real_payloads_of_both_sources_merge_into_one_event_per_mint() -> None:
    state = {"gecko_down": False}

    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.host == "api.dexscreener.com":
            return httpx.Response(200, json=dexscreener())
        return httpx.Response(503) if state["gecko_down"] else httpx.Response(200, json=gecko_for_popdog())

    conn = VolumeConnector(
        load_settings(connectors={"mints": POPDOG}), transport=httpx.MockTransport(handler)
    )
    conn.gecko.http.retry = RetryPolicy(attempts=1)
    [ev] = [e for i in await conn.fetch() for e in conn.parse(i)]
    assert isinstance(ev, PriceEvent) and ev.mint == POPDOG
    assert ev.source == "volume:geckoterminal:meteora+dexscreener:raydium"
    assert ev.volume_usd_5m == pytest.approx(3596.4480742334)  # GeckoTerminal saw more than 410.77
    assert ev.trades_5m == 122  # DexScreener: 2 trades in 5 min
    assert ev.liquidity_usd == pytest.approx(217073.6843)
    state["gecko_down"] = True  # and its last answer older than geckoterminal_max_age_s (180 s):
    last = conn.gecko_last[POPDOG]
    conn.gecko_last[POPDOG] = msgspec.structs.replace(last, ts=last.ts - timedelta(seconds=181))
    [alone] = [e for i in await conn.fetch() for e in conn.parse(i)]
    assert alone.source == "volume:dexscreener:raydium"
    assert (alone.volume_usd_5m, alone.trades_5m) == (pytest.approx(410.77), 2)
    await conn.aclose()


async def test_both_sources_down_fail_the_cycle() -> None:
    conn = VolumeConnector(
        load_settings(connectors={"mints": POPDOG}),
        transport=httpx.MockTransport(lambda r: httpx.Response(503)),
    )
    conn.gecko.http.retry = conn.dex.http.retry = RetryPolicy(attempts=1)
    with pytest.raises(TemporaryError):
        await conn.fetch()
    await conn.aclose()


async def test_geckoterminal_is_asked_for_mints_in_turn_and_its_last_answer_is_merged_meanwhile() -> None:
    other = "2zcGjrs2eTw3rqpND9jaaXGcW45mTvbFLVWZSKu7Mz8K"  # base of the capture's orca pair
    asked: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.host == "api.dexscreener.com":
            return httpx.Response(200, json=dexscreener())
        asked.append(req.url.path.split("/")[-2])
        return httpx.Response(200, json=gecko_for_popdog())

    settings = load_settings(
        connectors={
            "mints": f"{POPDOG},{other}",
            "dexscreener_interval_s": 10.0,
            "geckoterminal_interval_s": 10.0,
        }
    )
    conn = VolumeConnector(settings, transport=httpx.MockTransport(handler))
    conn.gecko.http.bucket.rate = 1e6  # the test does not wait for the real rate
    first = [e for i in await conn.fetch() for e in conn.parse(i)]
    second = [e for i in await conn.fetch() for e in conn.parse(i)]
    await conn.aclose()
    assert asked == [POPDOG, other]  # one mint per 10 s cycle at one request per 10 s
    assert {e.mint: e.volume_usd_5m for e in first} == {POPDOG: pytest.approx(3596.4480742334), other: 0.0}
    # second cycle asked about the other mint; PopDog's GeckoTerminal answer is still merged
    assert {e.mint: e.source for e in second}[POPDOG] == "volume:geckoterminal:meteora+dexscreener:raydium"
