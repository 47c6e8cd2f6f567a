"""``memesnipe connect pools``: what it makes of a pool reading, and what it refuses (a refused
payload is a ParseError, which the connector loop dead-letters with the reason)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.pools.connector import PoolReservesConnector
from memesnipe.connectors.pump_fun.events import PUMP_AMM_PROGRAM
from memesnipe.connectors.pump_fun.pool import POOL_DISCRIMINATOR
from memesnipe.connectors.raydium.pools import AMM_V4_PROGRAM
from memesnipe.connectors.runner import Fetched
from memesnipe.settings import load_settings
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import OnChainKind, SolPriceEvent
from tests.connectors.pools.layout import idl_fields, offsets, pack
from tests.connectors.pools.rpc_shapes import base64_account, mint_account, multiple, token_account

FIX = Path(__file__).parents[2] / "fixtures"
SRC = json.loads((FIX / "raydium" / "layouts_from_source.json").read_text())
PUMP_AMM = json.loads((FIX / "pump_fun" / "pump_amm_pool_idl.json").read_text())
TOKEN = "B4qKiQd97nBgME2c6GwRwYWRCCuw7WzqmxzCHaQMpump"
POOL = "Hb5nPV8QeyAcom4tMPEZKbpKVEXBQeQgnU7pPQbb1FyG"
VA, VB = "4ECdmvNnYV69mz2znBmzLUGueaKsSbJL3a7svwtiGJbB", "7apsA8t7nqLFJi5uMQtoijt4x1FxY85s4jjyj4zcQwDY"
LP = "HPk8g4SRRdBBFuuNim7yad51z9NMuhhLhJEQUBJwEVT3"
NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)
WHIRLPOOLS = "whirLbMiicVdio4qvUfM5KAg6Ct8VwpYzGff3uctyCc"  # Orca's pool program: a layout we do not read


def amm_info(lp_amount: int) -> bytes:
    lay = offsets(
        SRC["amm_info_fields"], {"Fees": SRC["amm_fees_fields"], "StateData": SRC["amm_state_data_fields"]}
    )
    return pack(
        lay,
        {
            "coin_vault": VA,
            "pc_vault": VB,
            "coin_vault_mint": TOKEN,
            "pc_vault_mint": SOL_MINT,
            "lp_mint": LP,
            "lp_amount": lp_amount,
        },
    )


def pumpswap_pool(lp_supply: int) -> bytes:
    lay = offsets(idl_fields(PUMP_AMM["types"][0]), {}, start=8)
    return pack(
        lay,
        {
            "base_mint": TOKEN,
            "quote_mint": SOL_MINT,
            "lp_mint": LP,
            "pool_base_token_account": VA,
            "pool_quote_token_account": VB,
            "lp_supply": lp_supply,
        },
        prefix=POOL_DISCRIMINATOR,
    )


def connector() -> PoolReservesConnector:
    settings = load_settings(connectors={"follow_watchlist": True})
    conn = PoolReservesConnector(settings, transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    conn.sol.observe(SolPriceEvent(mint=SOL_MINT, ts=NOW, price_usd=100.0))
    return conn


def item(account: Any, vaults: Any, key: str = TOKEN) -> Fetched:
    return Fetched({"pool": POOL, "account": account, "vaults": vaults}, NOW, key=key)


VAULTS = multiple(
    token_account(TOKEN, 10**14, 6), token_account(SOL_MINT, 50 * 10**9, 9), mint_account(10**9, 6)
)


@pytest.mark.parametrize(
    ("owner", "data", "issued"),
    [
        (AMM_V4_PROGRAM, amm_info(4 * 10**9), 4 * 10**9),
        (PUMP_AMM_PROGRAM, pumpswap_pool(2 * 10**9), 2 * 10**9),
    ],
)
def test_a_pool_reading_is_one_safety_fact_with_liquidity_and_lp_burned(
    owner: str, data: bytes, issued: int
) -> None:
    (ev,) = connector().parse(item(base64_account(owner, data), VAULTS))
    assert ev.kind is OnChainKind.SAFETY and ev.mint == TOKEN and ev.ts == NOW
    assert ev.source == ("raydium_amm_v4:pool" if owner == AMM_V4_PROGRAM else "pumpswap:pool")
    assert ev.pool_liquidity_usd == 2 * 50 * 100.0
    assert ev.lp_locked_pct == pytest.approx(100 * (1 - 10**9 / issued))


@pytest.mark.parametrize(
    ("account", "vaults", "key", "reason"),
    [
        (
            base64_account("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA", amm_info(1)),
            VAULTS,
            TOKEN,
            "not a pool program",
        ),
        (base64_account(AMM_V4_PROGRAM, amm_info(1)[:600]), None, TOKEN, "752"),
        ({"context": {"slot": 1}, "value": None}, None, TOKEN, "no account"),
        (
            base64_account(AMM_V4_PROGRAM, amm_info(1)),
            multiple(token_account(SOL_MINT, 1, 9), token_account(SOL_MINT, 1, 9)),
            TOKEN,
            "the pool says",
        ),
        (
            base64_account(AMM_V4_PROGRAM, amm_info(1)),
            VAULTS,
            "OtherMint111111111111111111111111111111111",
            "watchlist says",
        ),
    ],
)
def test_what_is_not_a_readable_pool_is_refused_with_the_reason(
    account: Any, vaults: Any, key: str, reason: str
) -> None:
    with pytest.raises(ParseError, match=reason):
        connector().parse(item(account, vaults, key))


def test_without_a_recent_sol_price_the_lp_fact_still_goes_out() -> None:
    conn = connector()
    conn.sol.price = None
    (ev,) = conn.parse(item(base64_account(AMM_V4_PROGRAM, amm_info(4 * 10**9)), VAULTS))
    assert ev.pool_liquidity_usd is None and ev.lp_locked_pct == 75.0


@pytest.mark.integration
async def test_pools_of_a_program_we_do_not_read_are_skipped_not_dead_lettered(isolated_env: Any) -> None:
    from memesnipe.connectors.publisher import Publisher
    from memesnipe.streams.watchlist import DiscoveryOrigin, WatchlistEntry, WatchStatus
    from tests.support.kafka import create_topics

    await create_topics(isolated_env, ["watchlist", "sol_price"])
    settings = isolated_env.settings()
    other_mint, other_pool = (
        "Othermint111111111111111111111111111111111",
        "LbPair11111111111111111111111111111111111111",
    )
    async with Publisher(settings) as pub:
        for mint, pool in ((TOKEN, POOL), (other_mint, other_pool)):
            entry = WatchlistEntry(
                mint=mint,
                ts=NOW,
                status=WatchStatus.ACTIVE,
                origins=[DiscoveryOrigin.NEW_POOL],
                first_seen=NOW,
                pool=pool,
            )
            await pub.publish("watchlist", mint, entry)
        await pub.flush()
    asked: list[str] = []

    def rpc(req: httpx.Request) -> httpx.Response:
        body = json.loads(req.content)
        asked.append(f"{body['method']}:{body['params'][0]}")
        if body["method"] == "getAccountInfo":
            owner, data = (
                (AMM_V4_PROGRAM, amm_info(4 * 10**9))
                if body["params"][0] == POOL
                else (WHIRLPOOLS, bytes(900))
            )
            result: Any = base64_account(owner, data)
        else:
            result = VAULTS
        return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})

    conn = PoolReservesConnector(settings, transport=httpx.MockTransport(rpc))
    try:
        first = await conn.fetch()
        second = await conn.fetch()
    finally:
        await conn.aclose()
    assert [f.key for f in first] == [TOKEN] and [f.key for f in second] == [TOKEN]
    assert asked.count(f"getAccountInfo:{other_pool}") == 1  # learnt once, then not asked again
    assert conn.unsupported == {other_pool: WHIRLPOOLS}
    (ev,) = conn.parse(first[0])
    assert ev.mint == TOKEN and ev.lp_locked_pct == 75.0
