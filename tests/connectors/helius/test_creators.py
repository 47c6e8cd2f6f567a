"""A creator's sale carries what the creator still holds: creators configured or learnt from a
polled creation; the balance read after the sale (getTokenAccountsByOwner, mint filter), so
dev_wallet_drain no longer counts a sale of tokens bought unseen as all the creator has.
Payloads: tests/fixtures/helius/SOURCE.md (the real pump.fun swap, the CREATE and SELL derived
from it) and the Solana RPC docs' getTokenAccountsByOwner response (tests/fixtures/solana_rpc)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import msgspec

from memesnipe.connectors.helius.connector import HeliusConnector
from memesnipe.settings import load_settings
from memesnipe.streams.market import OnChainKind, TradeDirection
from tests.connectors.helius.test_helius import BUYER, TOKEN, holdings, sell_of_the_real_swap, swap
from tests.core.strategies.scenario import run

PUMP = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"


def creation() -> list[dict]:
    """The real swap as the creation it could be: type CREATE, the buyer as creator (values ours)."""
    txs = swap()
    txs[0] |= {"type": "CREATE", "signature": "4create"}
    return txs


def sale() -> list[dict]:
    txs = sell_of_the_real_swap()
    txs[0] |= {"signature": "5sale", "slot": txs[0]["slot"] + 10, "timestamp": txs[0]["timestamp"] + 60}
    return txs


def connector(pages: list[Any], rpc: Any, asked: list[list[Any]], **cfg: str) -> HeliusConnector:
    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.path.startswith("/v0/"):
            return httpx.Response(200, json=pages.pop(0))
        body = json.loads(req.content)
        asked.append([body["method"], *body["params"][:2]])
        return httpx.Response(200, json=rpc)

    settings = load_settings(connectors={"helius_api_key": "hk", "helius_addresses": PUMP, **cfg})
    return HeliusConnector(settings, transport=httpx.MockTransport(handler))


async def cycles(conn: HeliusConnector, n: int) -> list[list[Any]]:
    out = [[e for i in await conn.fetch() for e in conn.parse(i)] for _ in range(n)]
    await conn.aclose()
    return out


async def test_a_creator_learnt_from_its_creation_sells_and_the_sale_carries_what_it_still_holds() -> None:
    asked: list[list[Any]] = []
    conn = connector([creation(), sale()], holdings(BUYER, TOKEN), asked)
    created, sold = await cycles(conn, 2)
    [new_mint] = created
    [swap_ev] = sold
    assert new_mint.kind is OnChainKind.NEW_MINT and new_mint.wallet == BUYER
    assert asked == [["getTokenAccountsByOwner", BUYER, {"mint": TOKEN}]]  # once, for the sale only
    assert swap_ev.direction is TradeDirection.SELL and swap_ev.wallet_balance_tokens == 420_000_000.0

    # the strategy: 71 M sold of 491 M held is no drain; the tracked balance (what it was seen to
    # receive, all sold) would have made it 100%
    assert run("dev_wallet_drain", [new_mint, swap_ev], min_sold_sol=1.0) == []
    blind = [new_mint, msgspec.structs.replace(swap_ev, wallet_balance_tokens=None)]
    [sig] = run("dev_wallet_drain", blind, min_sold_sol=1.0)
    assert "sold 100%" in sig.reason


async def test_sales_by_wallets_not_known_as_creators_ask_nothing() -> None:
    asked: list[list[Any]] = []
    [[ev]] = await cycles(connector([sale()], holdings(BUYER, TOKEN), asked), 1)
    assert asked == [] and ev.wallet_balance_tokens is None


async def test_a_configured_creators_dev_sell_carries_the_balance_and_a_failed_read_leaves_it_unknown() -> (
    None
):
    asked: list[list[Any]] = []
    ok = connector([sale()], holdings(BUYER, TOKEN), asked, creator_wallets=f"{TOKEN}={BUYER}")
    [evs] = await cycles(ok, 1)
    assert {e.kind: e.wallet_balance_tokens for e in evs} == {
        OnChainKind.DEV_SELL: 420_000_000.0,
        OnChainKind.SWAP: 420_000_000.0,
    }
    err = {"jsonrpc": "2.0", "error": {"code": -32602, "message": "Invalid param"}, "id": 1}
    failing = connector([sale()], err, [], creator_wallets=f"{TOKEN}={BUYER}")
    [evs] = await cycles(failing, 1)
    assert {e.kind for e in evs} == {OnChainKind.DEV_SELL, OnChainKind.SWAP}
    assert all(e.wallet_balance_tokens is None for e in evs)


async def test_a_newly_watched_mints_first_transaction_names_the_creator_of_its_later_sales() -> None:
    """Admitted long after its creation: the mint's oldest transaction (sort-order=asc, limit 1)
    is read for its creator only; the sale in its newest page then carries the balance."""
    asked: list[list[Any]] = []
    pages: list[Any] = []

    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.params.get("sort-order") == "asc":
            pages.append(("first", req.url.path))
            return httpx.Response(200, json=creation())
        if req.url.path.startswith("/v0/"):
            pages.append(("page", req.url.path))
            return httpx.Response(200, json=sale() if TOKEN in req.url.path else [])
        body = json.loads(req.content)
        asked.append([body["method"], *body["params"][:2]])
        return httpx.Response(200, json=holdings(BUYER, TOKEN))

    settings = load_settings(connectors={"helius_api_key": "hk", "helius_addresses": PUMP, "mints": TOKEN})
    conn = HeliusConnector(settings, transport=httpx.MockTransport(handler))
    [evs, _] = await cycles(conn, 2)
    mint_path = f"/v0/addresses/{TOKEN}/transactions"
    assert [p for p in pages if p[0] == "first"] == [("first", mint_path)]  # once, not every cycle
    assert [e.kind for e in evs] == [OnChainKind.SWAP]  # the old creation is not published
    assert evs[0].wallet_balance_tokens == 420_000_000.0 and asked[0][1:] == [BUYER, {"mint": TOKEN}]
