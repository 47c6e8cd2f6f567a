"""deBridge DLN orders: completed orders into Solana are inflows priced by their stablecoin leg,
orders out of Solana are outflows (negative USD), others are skipped; the bridge connector reads
Wormholescan and deBridge together, each transfer once, and goes on when one source fails."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.bridge.connector import BridgeConnector
from memesnipe.connectors.bridge.debridge import parse_orders
from memesnipe.connectors.bridge.parse import parse_operations
from memesnipe.connectors.errors import ParseError, TemporaryError
from memesnipe.connectors.http import RetryPolicy
from memesnipe.settings import load_settings
from tests.connectors.bridge.test_wormholescan import BONK, capture, inflow

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "bridge"


def orders() -> dict:
    return json.loads((FIX / "debridge_filtered_orders.json").read_text())


def test_inflow_and_outflow_of_a_solana_mint_with_the_stablecoin_leg_as_usd() -> None:
    inflow_ev, outflow_ev = parse_orders(orders())
    assert (inflow_ev.mint, inflow_ev.bridge, inflow_ev.source_chain) == (BONK, "debridge", "polygon")
    assert inflow_ev.amount_usd == pytest.approx(0.668969)  # 668969 USDC base units, 6 decimals
    assert inflow_ev.ts == datetime.fromtimestamp(1791193262, UTC)
    assert inflow_ev.tx_id.startswith("0x6b3a4c1f")
    assert (outflow_ev.mint, outflow_ev.source_chain) == (BONK, "solana")
    assert outflow_ev.amount_usd == pytest.approx(-20.25)  # leaves Solana: negative


def test_an_order_without_a_stablecoin_leg_is_unpriced_and_a_created_one_is_skipped() -> None:
    p = orders()
    p["orders"][0]["giveOfferWithMetadata"]["metadata"]["symbol"] = "WETH"
    p["orders"][0]["giveOfferWithMetadata"]["symbol"] = "WETH"
    evs = parse_orders(p)
    assert evs[0].amount_usd == 0.0
    assert all(e.tx_id != "0x99aa" for e in evs)  # state Created: not delivered yet


def test_a_hex_solana_address_is_converted_and_garbage_raises() -> None:
    from solders.pubkey import Pubkey

    p = orders()
    p["orders"][0]["takeOfferWithMetadata"]["tokenAddress"]["stringValue"] = (
        "0x" + bytes(Pubkey.from_string(BONK)).hex()
    )
    assert parse_orders(p)[0].mint == BONK
    garbage = orders()
    garbage["orders"][0]["takeOfferWithMetadata"]["tokenAddress"]["stringValue"] = "0xnot-an-address"
    with pytest.raises(
        ParseError,
        match=r"^debridge: order 0x000e2bf0\w+: tokenAddress '0xnot-an-address' is not a Solana address$",
    ):
        parse_orders(garbage)
    bad = orders()
    bad["orders"][0]["giveOfferWithMetadata"]["finalAmount"]["stringValue"] = "many"
    with pytest.raises(ParseError, match="amount"):
        parse_orders(bad)
    with pytest.raises(ParseError, match="orders"):
        parse_orders({"orders": "none"})


async def test_the_connector_reads_both_sources_once_each_and_survives_one_failing() -> None:
    wormhole_body = inflow(usd="150000")
    requests: list[httpx.Request] = []
    state = {"wormhole_down": False}

    def handler(req: httpx.Request) -> httpx.Response:
        requests.append(req)
        if req.url.host == "api.wormholescan.io":
            return httpx.Response(503) if state["wormhole_down"] else httpx.Response(200, json=wormhole_body)
        body = json.loads(req.content)
        if body.get("takeChainIds") == [7565164]:
            return httpx.Response(200, json=orders())
        return httpx.Response(200, json={"orders": [copy.deepcopy(orders()["orders"][1])], "totalCount": 1})

    settings = load_settings(connectors={"mints": BONK, "timeout_s": 1.0})
    conn = BridgeConnector(settings, transport=httpx.MockTransport(handler))
    conn.wormhole.http.retry = RetryPolicy(attempts=1)
    first = [e for i in await conn.fetch() for e in conn.parse(i)]
    assert sorted((e.bridge, round(e.amount_usd, 2)) for e in first) == [
        ("debridge", -20.25),
        ("debridge", 0.67),
        ("wormhole", 150000.0),
    ]
    dln = [r for r in requests if r.url.host == "stats-api.dln.trade"]
    assert {r.url.path for r in dln} == {"/api/Orders/filteredList"} and {r.method for r in dln} == {"POST"}
    assert json.loads(dln[0].content)["orderStates"] == ["Fulfilled", "SentUnlock", "ClaimedUnlock"]
    state["wormhole_down"] = True
    again = [e for i in await conn.fetch() for e in conn.parse(i)]
    assert again == []  # deBridge answered; nothing new, nothing twice
    await conn.aclose()


async def test_every_source_failing_fails_the_cycle_and_an_unknown_source_stops_start_up() -> None:
    conn = BridgeConnector(
        load_settings(connectors={"bridge_sources": "wormhole"}),
        transport=httpx.MockTransport(lambda r: httpx.Response(503)),
    )
    conn.wormhole.http.retry = RetryPolicy(attempts=1)
    with pytest.raises(TemporaryError):
        await conn.fetch()
    await conn.aclose()
    with pytest.raises(SystemExit, match="BRIDGE_SOURCES"):
        BridgeConnector(load_settings(connectors={"bridge_sources": "wormhole,layerzero"}))


def test_wormhole_outflow_of_a_solana_token_is_negative() -> None:
    p = inflow(usd="999")
    sp = p["operations"][0]["content"]["standarizedProperties"]
    sp.update(fromChain=1, toChain=2)
    [ev] = parse_operations(p)
    assert ev.amount_usd == pytest.approx(-999.0) and ev.source_chain == "solana"
    assert capture()  # the real capture still parses to nothing (see test_wormholescan)
