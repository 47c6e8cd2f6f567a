"""Jupiter Price API v3: parser on the documented example, malformed payloads, client, key check."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.errors import MissingApiKeyError, ParseError
from memesnipe.connectors.jupiter_price.client import JupiterPriceClient
from memesnipe.connectors.jupiter_price.connector import JupiterPriceConnector
from memesnipe.connectors.jupiter_price.parse import parse_prices
from memesnipe.settings import load_settings
from memesnipe.streams.base import SOL_MINT

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "jupiter_price"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
T0 = datetime(2026, 1, 2, tzinfo=UTC)


def payload() -> dict:
    return json.loads((FIX / "price_v3.json").read_text())


def test_price_liquidity_decimals_and_sol_price_from_the_same_snapshot() -> None:
    evs = {e.mint: e for e in parse_prices(payload(), T0)}
    usdc = evs[USDC]
    assert usdc.price_usd == pytest.approx(0.9999)
    assert usdc.price_sol == pytest.approx(0.9999 / 147.48)
    assert usdc.liquidity_usd == pytest.approx(522175174.66)
    assert usdc.decimals == 6 and usdc.ts == T0 and usdc.source == "jupiter_price"
    assert evs[SOL_MINT].price_sol == pytest.approx(1.0) and evs[SOL_MINT].decimals == 9


def test_only_watched_mints_are_emitted() -> None:
    assert [e.mint for e in parse_prices(payload(), T0, watched={USDC})] == [USDC]


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda p: p[USDC].pop("usdPrice"), "usdPrice"),
        (lambda p: p[USDC].update(decimals="six"), "decimals"),
        (lambda p: p[USDC].update(usdPrice=0), "non-positive"),
    ],
)
def test_malformed_entries_raise_parse_errors(mutate, needle) -> None:
    p = payload()
    mutate(p)
    with pytest.raises(ParseError, match=needle):
        parse_prices(p, T0)


def test_a_list_instead_of_the_map_is_refused() -> None:
    with pytest.raises(ParseError):
        parse_prices([payload()], T0)


async def test_client_sends_key_header_and_comma_separated_ids() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json=payload())

    client = JupiterPriceClient("https://api.jup.ag", "k-123", transport=httpx.MockTransport(handler))
    await client.prices([USDC, SOL_MINT])
    await client.aclose()
    assert seen[0].url.path == "/price/v3"
    assert seen[0].url.params["ids"] == f"{USDC},{SOL_MINT}"
    assert seen[0].headers["x-api-key"] == "k-123"


def test_missing_api_key_stops_with_the_setting_name() -> None:
    settings = load_settings(connectors={"mints": USDC, "jupiter_api_key": ""})
    with pytest.raises(MissingApiKeyError, match="MEMESNIPE_JUPITER__API_KEY"):
        JupiterPriceConnector(settings)


def test_no_watched_mints_stops_with_the_setting_name() -> None:
    settings = load_settings(connectors={"mints": "", "jupiter_api_key": "k"})
    with pytest.raises(SystemExit, match="MEMESNIPE_CONNECTORS__MINTS"):
        JupiterPriceConnector(settings)


async def test_connector_always_asks_for_sol_so_price_sol_is_known() -> None:
    seen: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req.url.params["ids"])
        return httpx.Response(200, json=payload())

    settings = load_settings(connectors={"mints": USDC, "jupiter_api_key": "k"})
    conn = JupiterPriceConnector(settings, transport=httpx.MockTransport(handler))
    items = await conn.fetch()
    evs = conn.parse(items[0])
    await conn.aclose()
    assert seen == [f"{USDC},{SOL_MINT}"]
    assert [e.mint for e in evs] == [USDC] and evs[0].price_sol > 0
