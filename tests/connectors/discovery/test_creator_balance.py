"""A pump.fun creation's NEW_MINT carries what its creator holds (getTokenAccountsByOwner with the
mint filter), so dev_wallet_drain weighs a later sale against real holdings instead of counting
it as all the creator had. Payloads: the recorded create_v2 event (tests/fixtures/pump_fun) and
the Solana RPC docs' jsonParsed getTokenAccountsByOwner response (tests/fixtures/solana_rpc), its
owner and mint set to this creation's (values ours, shape the docs')."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from typing import Any

import httpx
import msgspec

from memesnipe.connectors.discovery.service import DiscoveryConnector
from memesnipe.connectors.solana_ws.client import LogsItem, Subscription
from memesnipe.settings import load_settings
from memesnipe.streams.market import OnChainKind, TradeDirection
from tests.connectors.solana_ws.conftest import fixture, pump_events, pump_logs
from tests.core.strategies.scenario import run


def creation() -> LogsItem:
    ev = pump_events()["create_v2"]
    sub = Subscription.logs("6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P")
    return LogsItem(sub, ev["signature"], 1, None, pump_logs("CreateV2", ev["data"]), "ws")


def holdings(owner: str, mint: str) -> dict[str, Any]:
    doc = copy.deepcopy(fixture("solana_rpc/getTokenAccountsByOwner_jsonParsed.json"))
    info = doc["result"]["value"][0]["account"]["data"]["parsed"]["info"]
    info["owner"], info["mint"] = owner, mint  # 420 000 000 tokens (6 decimals), as the docs' example
    return doc


def connector(answer: Any, asked: list[list[Any]]) -> DiscoveryConnector:
    def handler(req: httpx.Request) -> httpx.Response:
        body = json.loads(req.content)
        assert body["method"] == "getTokenAccountsByOwner"
        asked.append(body["params"])
        return httpx.Response(200, json=answer(*body["params"][:2]) if callable(answer) else answer)

    settings = load_settings(discovery={"dexscreener": False})
    return DiscoveryConnector(settings, rpc_transport=httpx.MockTransport(handler))


async def test_the_creators_holding_right_after_the_creation_rides_on_the_new_mint() -> None:
    asked: list[list[Any]] = []
    d = connector(lambda owner, flt: holdings(owner, flt["mint"]), asked)
    (bare,) = d.on_logs(creation())
    ev = await d.creator_balance(bare)
    await d.aclose()
    assert bare.kind is OnChainKind.NEW_MINT and bare.wallet_balance_tokens is None
    assert asked[0][:2] == [bare.wallet, {"mint": bare.mint}] and asked[0][2]["encoding"] == "jsonParsed"
    assert ev.wallet_balance_tokens == 420_000_000.0


async def test_an_rpc_error_leaves_the_balance_unknown_and_other_events_ask_nothing() -> None:
    asked: list[list[Any]] = []
    err = {"jsonrpc": "2.0", "error": {"code": -32602, "message": "Invalid param"}, "id": 1}
    d = connector(err, asked)
    (bare,) = d.on_logs(creation())
    ev = await d.creator_balance(bare)
    pool = msgspec.structs.replace(bare, kind=OnChainKind.NEW_POOL)
    assert await d.creator_balance(pool) is pool
    await d.aclose()
    assert ev.wallet_balance_tokens is None and len(asked) == 1


async def test_dev_wallet_drain_weighs_a_creator_sale_against_what_it_holds() -> None:
    """5% of the holding sold is no drain; before, with no balance, it counted as everything."""
    d = connector(lambda owner, flt: holdings(owner, flt["mint"]), [])
    (bare,) = d.on_logs(creation())
    known = await d.creator_balance(bare)
    await d.aclose()

    def sale(mint_ev: Any) -> list[Any]:
        sell = msgspec.structs.replace(
            mint_ev,
            kind=OnChainKind.SWAP,
            ts=mint_ev.ts + timedelta(seconds=30),
            direction=TradeDirection.SELL,
            amount_tokens=21_000_000.0,
            amount_usd=5_000.0,
            wallet_balance_tokens=None,
            signature="5sale",
        )
        return [mint_ev, sell]

    assert run("dev_wallet_drain", sale(known)) == []
    [sig] = run("dev_wallet_drain", sale(bare))  # the old behaviour: the sale is all it holds
    assert "sold 100%" in sig.reason
