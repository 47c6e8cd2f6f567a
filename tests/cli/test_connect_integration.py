"""``memesnipe connect SOURCE... --if-configured`` end to end on the real broker: several
connectors in one process against a local HTTP server serving the providers' recorded payloads
(DexScreener, GeckoTerminal pools and token info, Wormholescan, deBridge); the one without its
key is skipped naming the setting; each publishes onto its topic keyed by mint."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest
from aiohttp import web

from memesnipe.streams.codec import decode_market
from memesnipe.streams.market import BridgeEvent, OnChainEvent, PriceEvent
from tests.support.kafka import REPO, consume, create_topics, free_port

pytestmark = pytest.mark.integration
FIX = REPO / "tests" / "fixtures"
POPDOG = "EATGZHJViJsk7nEKkrdJicwNbfpkJfAtmrEmrjXR8NBj"
BONK = "DezXAZ8z7PnrnRJjz3wXBoRgixCa6xjnB7YaB1pPB263"


def _load(path: str) -> dict:
    return json.loads((FIX / path).read_text())


async def _serve(port: int) -> web.AppRunner:
    pairs = _load("dexscreener/pairs_popdog.json")
    pools = _load("geckoterminal/token_pools.json")
    pools["data"][0]["relationships"]["base_token"]["data"]["id"] = f"solana_{POPDOG}"  # ours
    info = _load("geckoterminal/token_info.json")
    info["data"]["attributes"]["address"] = POPDOG  # ours
    orders = _load("bridge/debridge_filtered_orders.json")

    async def ok(body: dict) -> web.Response:
        return web.json_response(body)

    async def dln(request: web.Request) -> web.Response:
        body = await request.json()
        inflows = body.get("takeChainIds") == [7565164]
        return web.json_response(orders if inflows else {"orders": [], "totalCount": 0})

    app = web.Application()
    app.router.add_get("/latest/dex/tokens/{mints}", lambda r: ok(pairs))
    app.router.add_get("/api/v2/networks/solana/tokens/{mint}/pools", lambda r: ok(pools))
    app.router.add_get("/api/v2/networks/solana/tokens/{mint}/info", lambda r: ok(info))
    app.router.add_get("/api/v1/operations", lambda r: ok(_load("bridge/operations_capture.json")))
    app.router.add_post("/api/Orders/filteredList", dln)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def test_several_connectors_in_one_process_publish_and_a_keyless_one_is_skipped(isolated_env) -> None:
    env = isolated_env
    await create_topics(env)
    port = free_port()
    server = await _serve(port)
    base = f"http://127.0.0.1:{port}"
    e = env.env | {
        "MEMESNIPE_CONNECTORS__MINTS": f"{POPDOG},{BONK}",
        "MEMESNIPE_CONNECTORS__DEXSCREENER_BASE_URL": base,
        "MEMESNIPE_CONNECTORS__GECKOTERMINAL_BASE_URL": base,
        "MEMESNIPE_CONNECTORS__GECKOTERMINAL_INTERVAL_S": "0.05",
        "MEMESNIPE_CONNECTORS__BRIDGE_BASE_URL": base,
        "MEMESNIPE_CONNECTORS__DEBRIDGE_BASE_URL": base,
        "MEMESNIPE_CONNECTORS__HELIUS_API_KEY": "",
        "MEMESNIPE_METRICS_PORT": "0",
    }
    try:
        proc = await asyncio.to_thread(
            subprocess.run,
            [
                sys.executable,
                "-m",
                "memesnipe",
                "connect",
                "volume",
                "holders",
                "bridge",
                "helius",
                "--if-configured",
                "--cycles",
                "1",
            ],
            env=e,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        await server.cleanup()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "connect: started volume\nconnect: started holders\nconnect: started bridge\n" in proc.stdout
    assert (
        "connect: skipped helius: helius needs an API key: set MEMESNIPE_CONNECTORS__HELIUS_API_KEY"
        in proc.stdout
    )

    def events(topic: str, n: int) -> list:
        recs = asyncio.run(consume(env.bootstrap, env.topic(topic), min_count=n, timeout_s=30))
        return [(r.key.decode(), decode_market(r.value)) for r in recs]

    [(k, price)] = [x for x in await asyncio.to_thread(events, "price", 1) if x[0] == POPDOG]
    assert (
        isinstance(price, PriceEvent) and price.source == "volume:geckoterminal:meteora+dexscreener:raydium"
    )
    assert price.volume_usd_5m == pytest.approx(3596.4480742334) and price.trades_5m == 122
    [(k, holders)] = await asyncio.to_thread(events, "onchain", 1)
    assert k == POPDOG and isinstance(holders, OnChainEvent) and holders.holders == 730
    bridged = await asyncio.to_thread(events, "bridge", 2)
    assert {(k, type(ev), ev.bridge, round(ev.amount_usd, 2)) for k, ev in bridged} == {
        (BONK, BridgeEvent, "debridge", 0.67),
        (BONK, BridgeEvent, "debridge", -20.25),
    }
