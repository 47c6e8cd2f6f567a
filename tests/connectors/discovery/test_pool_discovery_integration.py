"""End to end on the real broker: a recorded Raydium AMM v4 pool creation arriving over the
websocket becomes a watchlist entry with its pool (the creating transaction fetched with
getTransaction), and the pools connector, following the watchlist, reads that pool's reserves and
LP into a SAFETY fact (liquidity at the sol_price topic's SOL/USD, LP burned share) on onchain."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from math import isqrt
from pathlib import Path
from typing import Any

import httpx
import pytest

from memesnipe.connectors.discovery.service import DiscoveryConnector
from memesnipe.connectors.pools.connector import PoolReservesConnector
from memesnipe.connectors.publisher import Publisher
from memesnipe.connectors.raydium.pools import AMM_V4_PROGRAM
from memesnipe.connectors.runner import run_connector
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.codec import decode
from memesnipe.streams.market import OnChainEvent, OnChainKind, SolPriceEvent
from memesnipe.streams.watchlist import DiscoveryOrigin, WatchlistEntry, WatchStatus
from tests.connectors.pools.encoding import as_json_encoding
from tests.connectors.pools.layout import offsets, pack
from tests.connectors.pools.rpc_shapes import base64_account, mint_account, multiple, token_account
from tests.connectors.solana_ws.conftest import notification
from tests.support.kafka import consume, create_topics

FIX = Path(__file__).parents[2] / "fixtures" / "raydium"
REAL = json.loads((FIX / "initialize2_transactionNotifications.json").read_text())[0]["params"]["result"]
SRC = json.loads((FIX / "layouts_from_source.json").read_text())
TOKEN = "B4qKiQd97nBgME2c6GwRwYWRCCuw7WzqmxzCHaQMpump"
POOL = "Hb5nPV8QeyAcom4tMPEZKbpKVEXBQeQgnU7pPQbb1FyG"
COIN_VAULT, PC_VAULT = (
    "4ECdmvNnYV69mz2znBmzLUGueaKsSbJL3a7svwtiGJbB",
    "7apsA8t7nqLFJi5uMQtoijt4x1FxY85s4jjyj4zcQwDY",
)
LP_MINT = "HPk8g4SRRdBBFuuNim7yad51z9NMuhhLhJEQUBJwEVT3"
COIN, PC = 100_000_000_000_000, 19_010_000_000  # the pool's initial deposit (its InitLog)


def amm_info() -> bytes:
    """The pool's AmmInfo as process_initialize2 leaves it (layout from the source excerpt)."""
    lay = offsets(
        SRC["amm_info_fields"], {"Fees": SRC["amm_fees_fields"], "StateData": SRC["amm_state_data_fields"]}
    )
    return pack(
        lay,
        {
            "coin_vault": COIN_VAULT,
            "pc_vault": PC_VAULT,
            "coin_vault_mint": TOKEN,
            "pc_vault_mint": SOL_MINT,
            "lp_mint": LP_MINT,
            "lp_amount": isqrt(COIN * PC),
        },
    )


def rpc(req: httpx.Request) -> httpx.Response:
    body = json.loads(req.content)
    method, params = body["method"], body["params"]
    if method == "getTransaction" and params[0] == REAL["signature"]:
        result: Any = {"slot": REAL["slot"], "blockTime": None, **as_json_encoding(REAL["transaction"])}
    elif method == "getAccountInfo" and params[0] == POOL:
        result = base64_account(AMM_V4_PROGRAM, amm_info())
    elif method == "getMultipleAccounts" and params[0] == [COIN_VAULT, PC_VAULT, LP_MINT]:
        result = multiple(token_account(TOKEN, COIN, 6), token_account(SOL_MINT, PC, 9), mint_account(0, 6))
    else:
        return httpx.Response(
            200, json={"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32602, "message": method}}
        )
    return httpx.Response(200, json={"jsonrpc": "2.0", "id": body["id"], "result": result})


@pytest.mark.integration
async def test_a_new_raydium_pool_is_admitted_with_its_pool_and_its_reserves_become_facts(
    isolated_env: Any, ws_server: Any
) -> None:
    env = isolated_env
    await create_topics(env, ["watchlist", "onchain", "price", "sol_price", "deadletter"])

    async def handler(ws: Any, n: int) -> None:
        req = json.loads(await ws.recv())
        assert req["params"][0] == {"mentions": [AMM_V4_PROGRAM]}
        await ws.send(json.dumps({"jsonrpc": "2.0", "result": 41, "id": req["id"]}))
        logs = REAL["transaction"]["meta"]["logMessages"]
        await ws.send(notification(41, REAL["slot"], REAL["signature"], logs))
        await asyncio.sleep(30)

    url = await ws_server(handler)
    base = env.settings()
    settings = base.model_copy(
        update={
            "discovery": base.discovery.model_copy(
                update={
                    "ws_url": url,
                    "programs": AMM_V4_PROGRAM,
                    "dexscreener": False,
                    "evaluate_interval_s": 0.1,
                }
            ),
            "connectors": base.connectors.model_copy(
                update={"mints": "", "follow_watchlist": True, "safety_interval_s": 0.2}
            ),
        }
    )
    async with Publisher(settings) as pub:
        await pub.publish(
            "sol_price", SOL_MINT, SolPriceEvent(mint=SOL_MINT, ts=datetime.now(UTC), price_usd=200.0)
        )
        await pub.flush()
    stop = asyncio.Event()
    discovery = DiscoveryConnector(settings, rpc_transport=httpx.MockTransport(rpc))
    pools = PoolReservesConnector(settings, transport=httpx.MockTransport(rpc))
    async with Publisher(settings) as pub_a, Publisher(settings) as pub_b:
        server = asyncio.create_task(discovery.serve(pub_a, stop))
        poller = asyncio.create_task(run_connector(pools, pub_b, stop=stop))
        try:
            facts: list[OnChainEvent] = []
            for _ in range(300):
                recs = await consume(
                    env.bootstrap, env.topic("onchain"), min_count=1, timeout_s=0.5, idle_s=0.2
                )
                facts = [e for r in recs if (e := decode(r.value, OnChainEvent)).kind is OnChainKind.SAFETY]
                if facts:
                    break
        finally:
            stop.set()
            await asyncio.gather(server, poller, return_exceptions=True)
            await discovery.aclose()
            await pools.aclose()

    entries = [
        decode(r.value, WatchlistEntry)
        for r in await consume(env.bootstrap, env.topic("watchlist"), min_count=1)
    ]
    (entry,) = [e for e in entries if e.status is WatchStatus.ACTIVE]
    assert (entry.mint, entry.pool, entry.origins) == (TOKEN, POOL, [DiscoveryOrigin.NEW_POOL])
    assert entry.liquidity_usd == pytest.approx(2 * 19.01 * 200.0)  # known from its creation

    onchain = [
        decode(r.value, OnChainEvent) for r in await consume(env.bootstrap, env.topic("onchain"), min_count=2)
    ]
    (new_pool,) = [e for e in onchain if e.kind is OnChainKind.NEW_POOL]
    assert (new_pool.mint, new_pool.source, new_pool.signature) == (
        TOKEN,
        "raydium_amm_v4:initialize2",
        REAL["signature"],
    )
    assert (
        new_pool.amount_lamports == PC and new_pool.wallet == "9m5gT3nYWeCLCJ7sHBmCP46KuMJptmYQsdxsZj7NgBZc"
    )
    assert new_pool.pool_liquidity_usd == pytest.approx(2 * 19.01 * 200.0)  # its opening deposit
    assert facts, "the pools connector published no SAFETY fact"
    fact = facts[0]
    assert (fact.mint, fact.source) == (TOKEN, "raydium_amm_v4:pool")
    assert fact.pool_liquidity_usd == pytest.approx(2 * 19.01 * 200.0)
    assert fact.lp_locked_pct == 100.0  # LP mint supply 0: every issued LP burned
