"""GeckoTerminal top pools of a mint: price from its deepest pool, 5-minute volume and trades
summed over the pools where it is the base token; one request per mint with the pinned API
version; a payload of another shape raises. Token info: the holder count as a HOLDERS fact."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.geckoterminal.connector import GeckoTerminalConnector
from memesnipe.connectors.geckoterminal.holders import HoldersConnector, parse_holders
from memesnipe.connectors.geckoterminal.parse import parse_token_pools
from memesnipe.settings import load_settings
from memesnipe.streams.market import OnChainKind

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "geckoterminal"
HACHI = "x95HN3DWvbfCBtTjGm587z8suK3ec6cwQwgZNLbWKyp"
BLACKBULL = "2oCxjpWWEmCuNaXiBSVahUKP1xRMRAiBfCg98YyHpump"
T = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


def pools() -> dict:
    return json.loads((FIX / "token_pools.json").read_text())


def test_the_real_pools_give_the_mints_price_volume_trades_and_liquidity() -> None:
    ev = parse_token_pools(pools(), HACHI, T)
    assert ev is not None
    assert ev.source == "geckoterminal:meteora" and ev.ts == T
    assert ev.price_usd == pytest.approx(1.54252311458763e-08)
    assert ev.price_sol == pytest.approx(1.15464974376156e-10)
    assert ev.volume_usd_5m == pytest.approx(3596.4480742334)
    assert ev.trades_5m == 31 + 91
    assert ev.liquidity_usd == pytest.approx(217073.6843)
    other = parse_token_pools(pools(), BLACKBULL, T)
    assert other is not None and other.trades_5m == 28 and other.source == "geckoterminal:pumpswap"


def test_two_pools_of_one_mint_sum_volume_and_trades_and_the_deeper_one_prices() -> None:
    p = pools()
    p["data"][1]["relationships"]["base_token"]["data"]["id"] = f"solana_{HACHI}"  # ours: both pools HACHI's
    ev = parse_token_pools(p, HACHI, T)
    assert ev is not None
    assert ev.volume_usd_5m == pytest.approx(3596.4480742334 + 1688.1697924704)
    assert ev.trades_5m == 122 + 28
    assert ev.source == "geckoterminal:meteora"  # $217k reserve beats $84k


def test_a_mint_without_a_pool_is_nothing_and_a_wrong_shape_raises() -> None:
    assert parse_token_pools(pools(), "So11111111111111111111111111111111111111112", T) is None
    with pytest.raises(ParseError, match="data"):
        parse_token_pools({"pools": []}, HACHI, T)


async def test_the_connector_asks_one_mint_per_request_with_the_pinned_version() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json=pools())

    conn = GeckoTerminalConnector(
        load_settings(connectors={"mints": f"{HACHI},{BLACKBULL}"}), transport=httpx.MockTransport(handler)
    )
    events = [e for i in await conn.fetch() for e in conn.parse(i)]
    await conn.aclose()
    assert [e.mint for e in events] == [HACHI, BLACKBULL]
    assert [r.url.path for r in seen] == [
        f"/api/v2/networks/solana/tokens/{HACHI}/pools",
        f"/api/v2/networks/solana/tokens/{BLACKBULL}/pools",
    ]
    assert seen[0].headers["accept"] == "application/json;version=20230302"


def info() -> dict:
    return json.loads((FIX / "token_info.json").read_text())


PUMPKIN = "HGafL7qFRtS6zYyUMn1jJc3z67itxZYd55D94mfupump"


def test_the_real_token_info_gives_a_holders_fact_timed_by_its_update() -> None:
    ev = parse_holders(info(), T)
    assert ev is not None
    assert (ev.mint, ev.kind, ev.holders, ev.source) == (
        PUMPKIN,
        OnChainKind.HOLDERS,
        730,
        "geckoterminal:holders",
    )
    assert ev.ts == datetime(2025, 10, 23, 22, 47, 59, tzinfo=UTC)
    p = info()
    del p["data"]["attributes"]["holders"]
    assert parse_holders(p, T) is None
    with pytest.raises(ParseError, match="data"):
        parse_holders({"data": []}, T)


async def test_the_holders_connector_publishes_a_count_once_per_update() -> None:
    body = info()
    seen: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req.url.path)
        return httpx.Response(200, json=body)

    conn = HoldersConnector(
        load_settings(connectors={"mints": PUMPKIN}), transport=httpx.MockTransport(handler)
    )
    conn.client.http.bucket.rate = 1e6
    first = [e for i in await conn.fetch() for e in conn.parse(i)]
    again = [e for i in await conn.fetch() for e in conn.parse(i)]
    body["data"]["attributes"]["holders"].update(count=812, last_updated="2025-10-23T23:47:59Z")  # ours
    later = [e for i in await conn.fetch() for e in conn.parse(i)]
    await conn.aclose()
    assert [e.holders for e in first] == [730] and again == [] and [e.holders for e in later] == [812]
    assert seen[0] == f"/api/v2/networks/solana/tokens/{PUMPKIN}/info"
