"""Helius follows the watched mints: each mint's own transaction history is polled beside the
program addresses, so an airdrop (plain token transfers that touch no polled program) reaches
airdrop_rotation as AIRDROP; a transaction seen under two addresses is published once; on the
real broker a mint admitted to the watchlist is polled without a restart and an evicted one no
longer is. Payloads: tests/fixtures/helius/SOURCE.md (the real pump.fun swap and the airdrop-like
TRANSFER derived from it by changing documented fields; values ours)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from memesnipe.connectors.helius.connector import HeliusConnector
from memesnipe.connectors.publisher import Publisher
from memesnipe.settings import load_settings
from memesnipe.streams.market import OnChainKind
from memesnipe.streams.watchlist import WatchStatus
from tests.connectors.helius.test_creators import creation
from tests.connectors.helius.test_helius import BUYER, CURVE, TOKEN, swap
from tests.connectors.test_watchlist import entry
from tests.support.kafka import create_topics

PUMP = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"


def airdrop(signature: str = "3airdrop") -> dict:
    """The real swap turned into a TRANSFER of TOKEN from one wallet to 12 wallets (the
    documented tokenTransfers objects, our recipients and amounts)."""
    tx = swap()[0]
    one = tx["tokenTransfers"][0]
    tx |= {
        "type": "TRANSFER",
        "signature": signature,
        "slot": tx["slot"] + 5,
        "timestamp": tx["timestamp"] + 2,
    }
    tx["tokenTransfers"] = [
        dict(one, toUserAccount=f"Recipient{i:02d}", tokenAmount=500.0) for i in range(12)
    ]
    return tx


async def test_a_watched_mints_history_gives_the_airdrop_and_a_swap_seen_twice_is_published_once() -> None:
    asked: list[httpx.Request] = []
    firsts: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.params.get("sort-order") == "asc":  # the mint's first transaction: its creation
            firsts.append(req)
            return httpx.Response(200, json=creation())
        asked.append(req)
        if req.url.path == f"/v0/addresses/{TOKEN}/transactions":
            return httpx.Response(200, json=[airdrop(), *swap()])  # newest first
        return httpx.Response(200, json=swap())  # the program's page: the same swap

    settings = load_settings(
        connectors={
            "helius_api_key": "hk",
            "helius_addresses": PUMP,
            "mints": TOKEN,
            "airdrop_min_recipients": 10,
        }
    )
    conn = HeliusConnector(settings, transport=httpx.MockTransport(handler))
    events = [e for i in await conn.fetch() for e in conn.parse(i)]
    await conn.fetch()
    await conn.aclose()
    paths = [r.url.path for r in asked]
    assert paths[:2] == [f"/v0/addresses/{PUMP}/transactions", f"/v0/addresses/{TOKEN}/transactions"]
    assert asked[3].url.params["until"] == "3airdrop"  # the mint's cursor: its newest transaction
    # the creation, read once to learn the creator when the mint was first polled, is not published
    assert [(r.url.path, r.url.params["limit"]) for r in firsts] == [
        (f"/v0/addresses/{TOKEN}/transactions", "1")
    ]
    assert conn.holdings.creator(TOKEN) == BUYER
    kinds = sorted(e.kind.name for e in events)
    assert kinds == ["AIRDROP", "SWAP"]  # the swap under both addresses, published once
    [drop] = [e for e in events if e.kind is OnChainKind.AIRDROP]
    assert (drop.mint, drop.wallet, drop.recipients, drop.signature) == (TOKEN, CURVE, 12, "3airdrop")


async def test_without_watched_mints_only_the_addresses_are_polled() -> None:
    asked: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        asked.append(req.url.path)
        return httpx.Response(200, json=[])

    conn = HeliusConnector(
        load_settings(connectors={"helius_api_key": "hk", "helius_addresses": PUMP}),
        transport=httpx.MockTransport(handler),
    )
    await conn.fetch()
    await conn.aclose()
    assert asked == [f"/v0/addresses/{PUMP}/transactions"]


@pytest.mark.integration
async def test_a_mint_admitted_to_the_watchlist_is_polled_and_an_evicted_one_is_dropped(
    isolated_env: Any,
) -> None:
    env = isolated_env
    await create_topics(env, ["watchlist"])
    base = env.settings()
    settings = base.model_copy(
        update={
            "connectors": base.connectors.model_copy(
                update={
                    "helius_api_key": "hk",
                    "helius_addresses": PUMP,
                    "mints": "",
                    "follow_watchlist": True,
                }
            )
        }
    )
    drops = 0

    def handler(req: httpx.Request) -> httpx.Response:
        nonlocal drops
        if req.url.path == f"/v0/addresses/{TOKEN}/transactions":
            drops += 1
            return httpx.Response(200, json=[airdrop(f"3airdrop{drops}")])  # a new one each cycle
        return httpx.Response(200, json=[])

    conn = HeliusConnector(settings, transport=httpx.MockTransport(handler))

    async def cycle() -> list[str]:
        return [f"{e.kind.name}:{e.mint}" for i in await conn.fetch() for e in conn.parse(i)]

    try:
        first = await cycle()
        async with Publisher(settings) as discovery:
            await discovery.publish("watchlist", TOKEN, entry(TOKEN, WatchStatus.ACTIVE))
            await discovery.flush()
            for _ in range(100):
                admitted = await cycle()
                if admitted:
                    break
            await discovery.publish("watchlist", TOKEN, entry(TOKEN, WatchStatus.EVICTED))
            await discovery.flush()
            for _ in range(100):
                if TOKEN not in await conn.polled():
                    break
            asked_then = drops
            after = await cycle()
    finally:
        await conn.aclose()
    assert first == []
    assert admitted == [f"AIRDROP:{TOKEN}"]
    assert after == [] and drops == asked_then  # evicted: no longer asked for
