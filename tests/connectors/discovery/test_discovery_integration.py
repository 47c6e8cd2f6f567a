"""End to end on the real broker: a recorded stream of a pump.fun creation and a migration to
PumpSwap (a local websocket server replaying them) becomes watchlist entries, and a running
DexScreener connector that follows the watchlist starts polling the new mints, no restart."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from memesnipe.connectors.dexscreener.connector import DexScreenerConnector
from memesnipe.connectors.discovery.service import DiscoveryConnector
from memesnipe.connectors.publisher import Publisher
from memesnipe.connectors.runner import run_connector
from memesnipe.streams.codec import decode
from memesnipe.streams.market import OnChainEvent, OnChainKind
from memesnipe.streams.watchlist import DiscoveryOrigin, WatchlistEntry, WatchStatus
from tests.connectors.solana_ws.conftest import (
    fixture,
    notification,
    pump_events,
    pump_logs,
)
from tests.support.kafka import consume, create_topics

CREATE = fixture("solana_ws/logsNotification_pump_create.json")
CREATED_MINT = "DGxVcSTq8ECJsmiQfp1knvd6enuG9nJKdDihzSaFpump"
MIGRATED_MINT = "Gu2bpydt5bHVHtko5vvsWH5KQUT3Wxvt6hzYvKdND6ur"
YEARS = 10 * 365 * 86400.0


@pytest.mark.integration
async def test_creation_and_migration_become_watchlist_entries_and_a_connector_polls_them(
    isolated_env: Any, ws_server: Any
) -> None:
    env = isolated_env
    await create_topics(env, ["watchlist", "onchain", "price", "deadletter"])
    migrate = pump_events()["migrate"]

    async def handler(ws: Any, n: int) -> None:
        req = json.loads(await ws.recv())
        await ws.send(json.dumps({"jsonrpc": "2.0", "result": 887487, "id": req["id"]}))
        await asyncio.sleep(1.0)  # the connector is already polling (nothing) by now
        await ws.send(json.dumps(CREATE))
        await ws.send(
            notification(887487, 310199990, migrate["signature"], pump_logs("MigrateV2", migrate["data"]))
        )
        await asyncio.sleep(30)

    url = await ws_server(handler)
    base = env.settings()
    settings = base.model_copy(
        update={
            "discovery": base.discovery.model_copy(
                update={
                    "ws_url": url,
                    "dexscreener": False,
                    "evaluate_interval_s": 0.1,
                    "max_age_s": YEARS,  # recorded events: months old by the time this runs
                    "idle_evict_s": YEARS,
                }
            ),
            "connectors": base.connectors.model_copy(
                update={"mints": "", "follow_watchlist": True, "dexscreener_interval_s": 0.2}
            ),
        }
    )
    polled: list[str] = []

    def dex(req: httpx.Request) -> httpx.Response:
        polled.append(req.url.path)
        return httpx.Response(200, json={"schemaVersion": "1.0.0", "pairs": None})

    stop = asyncio.Event()
    connector = DexScreenerConnector(settings, transport=httpx.MockTransport(dex))

    def holdings(req: httpx.Request) -> httpx.Response:
        """The creator's holding, asked for at its creation: the RPC docs' getTokenAccountsByOwner
        jsonParsed example (420 000 000 tokens) owned by the asked wallet in the asked mint."""
        owner, flt = json.loads(req.content)["params"][:2]
        doc = fixture("solana_rpc/getTokenAccountsByOwner_jsonParsed.json")
        info = doc["result"]["value"][0]["account"]["data"]["parsed"]["info"]
        info["owner"], info["mint"] = owner, flt["mint"]
        return httpx.Response(200, json=doc)

    discovery = DiscoveryConnector(settings, rpc_transport=httpx.MockTransport(holdings))
    async with Publisher(settings) as pub_a, Publisher(settings) as pub_b:
        poller = asyncio.create_task(run_connector(connector, pub_a, stop=stop))
        server = asyncio.create_task(discovery.serve(pub_b, stop))
        try:
            await asyncio.sleep(0.6)  # before the server sends anything
            early = (list(connector.mints), poller.done(), list(polled))
            for _ in range(300):
                hit = [p for p in polled if CREATED_MINT in p and MIGRATED_MINT in p]
                if hit:
                    break
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            await asyncio.gather(poller, server, return_exceptions=True)
            await discovery.aclose()
    assert connector.mints == [CREATED_MINT, MIGRATED_MINT]
    assert any(CREATED_MINT in p and MIGRATED_MINT in p for p in polled), polled[-5:]
    assert early == ([], False, [])  # it was running, watching nothing, before the mints existed

    records = await consume(env.bootstrap, env.topic("watchlist"), min_count=2, timeout_s=30)
    entries = {r.key.decode(): decode(r.value, WatchlistEntry) for r in records}
    assert set(entries) == {CREATED_MINT, MIGRATED_MINT}
    assert all(e.status is WatchStatus.ACTIVE and e.mint == k for k, e in entries.items())
    assert entries[CREATED_MINT].origins == [DiscoveryOrigin.PUMP_CREATE]
    assert entries[MIGRATED_MINT].origins == [DiscoveryOrigin.PUMP_MIGRATE]
    assert entries[MIGRATED_MINT].pool == "Vptu7kbcUHWNHKSCw1Qn1MhgP9fqKmQnTAzTqETCAs5"

    onchain = [
        decode(r.value, OnChainEvent) for r in await consume(env.bootstrap, env.topic("onchain"), min_count=2)
    ]
    assert {(e.mint, e.kind) for e in onchain} == {
        (CREATED_MINT, OnChainKind.NEW_MINT),
        (MIGRATED_MINT, OnChainKind.NEW_POOL),
    }
    [created] = [e for e in onchain if e.kind is OnChainKind.NEW_MINT]
    assert created.wallet and created.wallet_balance_tokens == 420_000_000.0  # the creator's holding
