"""Depth from Jupiter quotes: USD sizes -> lamports via Pyth, impact per level, no-route sizes
left out, wrong quotes refused, missing key named."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.depth.connector import DepthConnector
from memesnipe.connectors.depth.parse import depth_event, lamports_for_usd
from memesnipe.connectors.errors import MissingApiKeyError, ParseError
from memesnipe.connectors.jupiter.parse import Quote
from memesnipe.settings import load_settings
from memesnipe.streams.base import SOL_MINT

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "depth"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
FEED = "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43"  # the Hermes doc example's feed
ORACLE = 29206.79499999
T0 = datetime(2026, 4, 4, tzinfo=UTC)


def quote_body(in_amount: int, impact: str) -> dict:
    q = json.loads((FIX / "quote_v1.json").read_text())
    q["inAmount"] = str(in_amount)
    q["priceImpactPct"] = impact
    return q


def test_lamports_for_a_usd_size() -> None:
    assert lamports_for_usd(150.0, 150.0) == 1_000_000_000
    with pytest.raises(ValueError):
        lamports_for_usd(100.0, 0.0)


async def test_levels_from_quotes_sized_by_the_oracle_and_no_route_left_out() -> None:
    seen: list[httpx.Request] = []
    impacts = {100.0: "0.0012", 500.0: "0.0061", 1000.0: "0.013"}

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        if req.url.path == "/v2/updates/price/latest":
            return httpx.Response(200, json=json.loads((FIX / "hermes_latest.json").read_text()))
        assert req.url.path == "/swap/v1/quote" and req.headers["x-api-key"] == "jk"
        amount = int(req.url.params["amount"])
        size = float(round(amount / 1e9 * ORACLE))
        if size > 2000:
            return httpx.Response(
                400, json={"error": "Could not find any route", "errorCode": "COULD_NOT_FIND_ANY_ROUTE"}
            )
        return httpx.Response(200, json=quote_body(amount, impacts[size]))

    settings = load_settings(
        connectors={
            "mints": USDC,
            "jupiter_api_key": "jk",
            "pyth_sol_feed_id": FEED,
            "depth_sizes_usd": "500,100,1000,5000",
        }
    )
    conn = DepthConnector(settings, transport=httpx.MockTransport(handler))
    conn.jupiter.http.bucket.rate = 1000.0  # test speed; the real limit is the plan's
    [item] = await conn.fetch()
    [ev] = conn.parse(item)
    await conn.aclose()
    quotes = [r for r in seen if r.url.path == "/swap/v1/quote"]
    assert [int(r.url.params["amount"]) for r in quotes] == [
        round(s / ORACLE * 1e9) for s in (100, 500, 1000, 5000)
    ]
    assert all(r.url.params["inputMint"] == SOL_MINT and r.url.params["outputMint"] == USDC for r in quotes)
    assert [(lv.size_usd, lv.impact_bps) for lv in ev.levels] == [
        (100.0, pytest.approx(12.0)),
        (500.0, pytest.approx(61.0)),
        (1000.0, pytest.approx(130.0)),
    ]
    assert ev.mint == USDC and ev.source == "depth:jupiter"


def _quote(**kw) -> Quote:
    base = dict(
        input_mint=SOL_MINT,
        output_mint=USDC,
        in_amount=10,
        out_amount=5,
        min_out_amount=4,
        slippage_bps=50,
        price_impact_bps=3.0,
        fee_lamports=0,
    )
    return Quote(**(base | kw))


def test_a_quote_for_another_pair_or_zero_out_is_refused() -> None:
    with pytest.raises(ParseError, match="expected SOL->"):
        depth_event(USDC, [(100.0, _quote(output_mint=SOL_MINT))], T0)
    with pytest.raises(ParseError, match="returns nothing"):
        depth_event(USDC, [(100.0, _quote(out_amount=0))], T0)


def test_missing_jupiter_key_names_the_setting() -> None:
    with pytest.raises(MissingApiKeyError, match="MEMESNIPE_JUPITER__API_KEY"):
        DepthConnector(load_settings(connectors={"mints": USDC}))
