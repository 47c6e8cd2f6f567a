"""Pyth Hermes: price x 10^expo, confidence, publish time as event time; malformed payloads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.pyth.client import HermesClient
from memesnipe.connectors.pyth.parse import parse_sol_price
from memesnipe.streams.base import SOL_MINT

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "pyth"
FEED = "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43"


def payload() -> dict:
    return json.loads((FIX / "latest_price_updates.json").read_text())


def test_price_is_scaled_by_expo_and_timed_by_publish_time() -> None:
    [ev] = parse_sol_price(payload(), "0x" + FEED.upper())  # 0x prefix and case do not matter
    assert ev.mint == SOL_MINT and ev.source == "pyth"
    assert ev.price_usd == pytest.approx(29206.79499999)
    assert ev.conf_usd == pytest.approx(5.09500001)
    assert ev.ts == datetime.fromtimestamp(1717632000, UTC)


def test_missing_feed_is_a_parse_error_naming_it() -> None:
    with pytest.raises(ParseError, match="ef0d8b6f"):
        parse_sol_price(payload(), "ef0d8b6fda2ceba41da15d4095d1da392a0d2f8ed0c6c7bc0f4cfac8c280b56d")


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda p: p["parsed"][0]["price"].update(price="abc"), "price"),
        (lambda p: p["parsed"][0]["price"].pop("expo"), "expo"),
        (lambda p: p["parsed"][0]["price"].update(price="-5"), "unusable price"),
    ],
)
def test_malformed_updates_raise(mutate, needle) -> None:
    p = payload()
    mutate(p)
    with pytest.raises(ParseError, match=needle):
        parse_sol_price(p, FEED)


async def test_client_uses_repeated_ids_param_and_asks_for_parsed() -> None:
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json=payload())

    c = HermesClient("https://hermes.pyth.network", api_key="tok", transport=httpx.MockTransport(handler))
    await c.latest([FEED])
    await c.aclose()
    q = seen[0].url.params
    assert seen[0].url.path == "/v2/updates/price/latest"
    assert q.get_list("ids[]") == [FEED] and q["parsed"] == "true"
    assert seen[0].headers["authorization"] == "Bearer tok"


async def test_connector_publishes_each_update_once() -> None:
    import copy

    from memesnipe.connectors.pyth.connector import PythSolPriceConnector
    from memesnipe.settings import load_settings

    later = copy.deepcopy(payload())
    later["parsed"][0]["price"]["publish_time"] = 1717632001
    bodies = [payload(), payload(), later]
    conn = PythSolPriceConnector(
        load_settings(connectors={"pyth_sol_feed_id": FEED}),
        transport=httpx.MockTransport(lambda r: httpx.Response(200, json=bodies.pop(0))),
    )
    got = [[e.ts.timestamp() for e in conn.parse(i)] for _ in range(3) for i in await conn.fetch()]
    await conn.aclose()
    assert got == [[1717632000.0], [], [1717632001.0]]
