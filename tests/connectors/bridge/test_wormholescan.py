"""Wormholescan bridge inflows: a real non-transfer operation yields nothing; the same real
operation with its documented transfer fields filled becomes a Solana inflow (a foreign token as
its wrapped mint); bad input raises."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from solders.pubkey import Pubkey

from memesnipe.connectors.bridge.connector import BridgeConnector
from memesnipe.connectors.bridge.parse import parse_operations, solana_mint, wrapped_mint
from memesnipe.connectors.errors import ParseError
from memesnipe.settings import load_settings

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "bridge"
BONK = "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263"


def capture() -> dict:
    return json.loads((FIX / "operations_capture.json").read_text())


def inflow(token_address: str = BONK, usd: str = "15234.5") -> dict:
    """The real operation with its documented transfer fields filled (values are ours)."""
    p = capture()
    op = p["operations"][0]
    op["content"]["standarizedProperties"].update(
        fromChain=2,
        toChain=1,
        tokenChain=1,
        tokenAddress=token_address,
        amount="150000000000",
        toAddress="7NoE35m1pPZEusgY9p2SERnZqH6eaK1eoswmn5dfzDiW",
    )
    op["targetChain"] = {
        "chainId": 1,
        "timestamp": "2026-10-05T09:41:02Z",
        "status": "completed",
        "transaction": {"txHash": "5solanaRedeemTx"},
    }
    op["data"] = {"symbol": "Bonk", "tokenAmount": "1500", "usdAmount": usd}
    return p


def test_the_real_non_transfer_operation_is_not_an_inflow() -> None:
    assert parse_operations(capture()) == []


def test_a_solana_token_bridged_home_is_an_inflow_at_arrival_time() -> None:
    [ev] = parse_operations(inflow())
    assert ev.mint == BONK and ev.bridge == "wormhole" and ev.source_chain == "ethereum"
    assert ev.amount_usd == pytest.approx(15234.5)
    assert ev.ts == datetime(2026, 10, 5, 9, 41, 2, tzinfo=UTC)
    assert ev.tx_id == "0x4cafd2890b0ee9574f811ea28d5b187fda8294b9d71f05e723a0f6ef466f95c4"


def test_hex_token_address_is_converted_to_the_base58_mint() -> None:
    hex_addr = bytes(Pubkey.from_string(BONK)).hex()
    assert solana_mint(hex_addr) == BONK
    assert parse_operations(inflow(hex_addr))[0].mint == BONK


def test_a_foreign_token_arrives_as_its_wrapped_mint_and_another_destination_is_skipped() -> None:
    p = inflow("0xC02aaA39b223FE8D0A0e5C4F27eAD9083C756Cc2")  # WETH on Ethereum (ours)
    p["operations"][0]["content"]["standarizedProperties"]["tokenChain"] = 2
    [ev] = parse_operations(p)
    assert ev.mint == "7vfCXTUXx5WJV5JADk17DUJ4ksgau7utNKj4b963voxs"  # Portal's wrapped ETH mint
    assert wrapped_mint(2, "0xa0b86991c6218b36c1d19d4a2e9eb0ce3606eb48") == (
        "A9mUU4qviSctJVPJdBJWkb28deg915LYJKrzQ19ji3FM"  # Portal's USDC (from Ethereum)
    )
    assert wrapped_mint(2, "not-hex") is None
    p["operations"][0]["content"]["standarizedProperties"]["tokenAddress"] = "not-hex"
    assert parse_operations(p) == []  # an address it cannot place is skipped, not the page
    p = inflow()
    p["operations"][0]["content"]["standarizedProperties"]["toChain"] = 30
    assert parse_operations(p) == []


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (inflow(token_address="0xnot-an-address"), "not a Solana address"),
        (inflow(usd="lots"), "usdAmount"),
        ({"operations": "none"}, "operations"),
    ],
)
def test_malformed_operations_raise(body, needle) -> None:
    with pytest.raises(ParseError, match=needle):
        parse_operations(body)


async def test_each_operation_is_published_once_and_only_for_watched_mints() -> None:
    other = copy.deepcopy(inflow("So11111111111111111111111111111111111111112"))
    other["operations"][0]["sourceChain"]["transaction"]["txHash"] = "0xother"
    body = inflow()
    body["operations"] += other["operations"]
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json=body)

    conn = BridgeConnector(
        load_settings(connectors={"mints": BONK, "bridge_sources": "wormhole"}),
        transport=httpx.MockTransport(handler),
    )
    first = [e for i in await conn.fetch() for e in conn.parse(i)]
    again = [e for i in await conn.fetch() for e in conn.parse(i)]
    await conn.aclose()
    assert [e.mint for e in first] == [BONK] and again == []
    assert seen[0].url.path == "/api/v1/operations" and seen[0].url.params["sortOrder"] == "DESC"
