"""Birdeye multi_price: documented example, price time, SOL-relative price, failures, headers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.birdeye.connector import BirdeyePriceConnector
from memesnipe.connectors.birdeye.parse import parse_multi_price
from memesnipe.connectors.errors import MissingApiKeyError, ParseError
from memesnipe.settings import load_settings
from memesnipe.streams.base import SOL_MINT

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "birdeye"
MSOL = "mSoLzYCxHdYgdzU16g5QSh3i5K3z3KZK7ytfqcJm7So"


def payload() -> dict:
    return json.loads((FIX / "multi_price.json").read_text())


def test_prices_timed_by_update_time_with_sol_relative_price() -> None:
    evs = {e.mint: e for e in parse_multi_price(payload())}
    msol = evs[MSOL]
    assert msol.price_usd == pytest.approx(26.419009478261618)
    assert msol.price_sol == pytest.approx(26.419009478261618 / 23.40138801321701)
    assert msol.ts == datetime.fromtimestamp(1692181652, UTC) and msol.source == "birdeye"
    assert [e.mint for e in parse_multi_price(payload(), {MSOL})] == [MSOL]


def test_unpriced_address_is_skipped() -> None:
    p = payload()
    p["data"]["unknownMint111"] = None
    assert {e.mint for e in parse_multi_price(p)} == {SOL_MINT, MSOL}


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda p: p.update(success=False, message="Unauthorized", data=None), "Unauthorized"),
        (lambda p: p["data"][MSOL].pop("updateUnixTime"), "updateUnixTime"),
        (lambda p: p["data"][MSOL].update(value=-1), "non-positive"),
    ],
)
def test_failures_and_malformed_entries_raise(mutate, needle) -> None:
    p = payload()
    mutate(p)
    with pytest.raises(ParseError, match=needle):
        parse_multi_price(p)


async def test_connector_sends_documented_headers_and_asks_for_sol() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json=payload())

    conn = BirdeyePriceConnector(
        load_settings(connectors={"mints": MSOL, "birdeye_api_key": "bk"}),
        transport=httpx.MockTransport(handler),
    )
    [item] = await conn.fetch()
    evs = conn.parse(item)
    await conn.aclose()
    r = seen[0]
    assert r.url.path == "/defi/multi_price" and r.url.params["list_address"] == f"{MSOL},{SOL_MINT}"
    assert r.headers["x-api-key"] == "bk" and r.headers["x-chain"] == "solana"
    assert [e.mint for e in evs] == [MSOL]


def test_missing_key_names_the_setting() -> None:
    with pytest.raises(MissingApiKeyError, match="MEMESNIPE_CONNECTORS__BIRDEYE_API_KEY"):
        BirdeyePriceConnector(load_settings(connectors={"mints": MSOL}))


async def test_connector_publishes_a_price_once_per_update_time() -> None:
    conn = BirdeyePriceConnector(
        load_settings(connectors={"mints": MSOL, "birdeye_api_key": "bk"}),
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=payload())),
    )
    first = [e for i in await conn.fetch() for e in conn.parse(i)]
    again = [e for i in await conn.fetch() for e in conn.parse(i)]
    await conn.aclose()
    assert [e.mint for e in first] == [MSOL] and again == []
