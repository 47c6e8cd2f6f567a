"""The websocket client against a real local server: subscribe, a dropped connection mid-stream,
reconnect + resubscribe, gap backfill from history (deduplicated by signature), heartbeats."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.connectors.solana_ws import AccountItem, Backoff, LogsItem, SolanaWsClient, Subscription
from tests.connectors.solana_ws.conftest import (
    BACKFILL,
    PUMP,
    drain,
    fixture,
    notification,
    pump_events,
    pump_logs,
    rpc_transport,
)

CREATE = fixture("solana_ws/logsNotification_pump_create.json")
CREATE_SIG = CREATE["params"]["result"]["value"]["signature"]


async def test_drop_mid_stream_reconnects_resubscribes_and_backfills_the_gap_once(ws_server: Any) -> None:
    requests: list[list[dict[str, Any]]] = []
    ev = pump_events()
    migrate = ev["migrate"]

    async def handler(ws: Any, n: int) -> None:
        req = json.loads(await ws.recv())
        requests.append([req])
        sub_id = 887487 if n == 1 else 900001
        await ws.send(json.dumps({"jsonrpc": "2.0", "result": sub_id, "id": req["id"]}))
        if n == 1:
            await ws.send(json.dumps(CREATE))  # the recorded notification, verbatim
            await asyncio.sleep(0.05)
            ws.transport.abort()  # dropped mid-stream: no close frame
            return
        # the new connection: the migration arrives live too (it was also in the backfill)
        await ws.send(notification(sub_id, 3, migrate["signature"], pump_logs("MigrateV2", migrate["data"])))
        await asyncio.sleep(1.0)

    url = await ws_server(handler)
    calls: list[dict[str, Any]] = []
    rpc = SolanaRpcClient("http://rpc.test", transport=rpc_transport(calls, CREATE_SIG))
    client = SolanaWsClient(url, [Subscription.logs(PUMP)], rpc=rpc, backoff=Backoff(base_s=0.01, max_s=0.05))
    items: list[Any] = []

    async def consume() -> None:
        async for item in client.stream():
            items.append(item)

    task = asyncio.create_task(consume())
    for _ in range(500):  # four items, then the live copy of the migration, dropped as a duplicate
        if len(items) >= 4 and client.stats.duplicates:
            break
        await asyncio.sleep(0.02)
    client.stop()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await rpc.aclose()

    assert [(i.signature, i.source) for i in items] == [
        (CREATE_SIG, "ws"),
        *[(ev[name]["signature"], "backfill") for name, _ix, _bt in BACKFILL],
    ]
    assert all(isinstance(i, LogsItem) and i.err is None for i in items)
    assert items[0].slot == 310199880 and items[0].logs == CREATE["params"]["result"]["value"]["logs"]
    assert items[3].block_time is not None and int(items[3].block_time.timestamp()) == 1790784420
    # resubscribed with the same subscription after the drop
    assert len(requests) == 2
    assert [r[0]["method"] for r in requests] == ["logsSubscribe", "logsSubscribe"]
    assert (
        requests[0][0]["params"]
        == requests[1][0]["params"]
        == [{"mentions": [PUMP]}, {"commitment": "confirmed"}]
    )
    # backfill went back to the last signature seen before the drop; the failed tx was not fetched
    sig_calls = [c for c in calls if c["method"] == "getSignaturesForAddress"]
    assert sig_calls[0]["params"][0] == PUMP and sig_calls[0]["params"][1]["until"] == CREATE_SIG
    fetched = [c["params"][0] for c in calls if c["method"] == "getTransaction"]
    assert fetched == [ev[name]["signature"] for name, _ix, _bt in BACKFILL]
    assert client.stats.reconnects == 1 and client.stats.backfilled == 3 and client.stats.duplicates == 1


async def test_a_silent_connection_is_dropped_and_reopened(ws_server: Any) -> None:
    seen: list[int] = []

    async def handler(ws: Any, n: int) -> None:
        req = json.loads(await ws.recv())
        seen.append(n)
        await ws.send(json.dumps({"jsonrpc": "2.0", "result": 887487, "id": req["id"]}))
        if n == 1:
            await asyncio.sleep(1.0)  # alive (answers pings) but silent: the idle timeout trips
        else:
            await ws.send(json.dumps(CREATE))
            await asyncio.sleep(1.0)

    url = await ws_server(handler)
    client = SolanaWsClient(
        url, [Subscription.logs(PUMP)], backoff=Backoff(base_s=0.01), idle_timeout_s=0.3, ping_interval_s=0.1
    )
    gen = client.stream()
    items = await drain(gen, 1)
    client.stop()
    await gen.aclose()
    assert seen == [1, 2] and items[0].signature == CREATE_SIG
    assert client.stats.reconnects == 1  # no RPC client given: nothing to backfill, still streaming


async def test_program_subscribe_yields_the_documented_account_notification(ws_server: Any) -> None:
    doc = fixture("solana_ws/programNotification_doc.json")
    got: list[Any] = []

    async def handler(ws: Any, n: int) -> None:
        req = json.loads(await ws.recv())
        got.append(req)
        await ws.send(json.dumps({"jsonrpc": "2.0", "result": 11, "id": req["id"]}))
        await ws.send(json.dumps({"jsonrpc": "2.0", "method": "logsNotification", "params": "junk"}))
        await ws.send(json.dumps(doc))
        await asyncio.sleep(1.0)

    url = await ws_server(handler)
    sub = Subscription.program("11111111111111111111111111111111")
    client = SolanaWsClient(url, [sub])
    gen = client.stream()
    (item,) = await drain(gen, 1)
    client.stop()
    await gen.aclose()
    assert got[0]["method"] == "programSubscribe"
    assert got[0]["params"] == [
        "11111111111111111111111111111111",
        {"commitment": "confirmed", "encoding": "base64"},
    ]
    assert isinstance(item, AccountItem) and item.subscription == sub
    assert item.pubkey == "BpdYYo2Vw1NVbzE2DqJxCX2xEfr42xvMYFU2dKd1CW57" and item.slot == 583
    assert item.account["lamports"] == 499997095000 and item.account["data"] == ["", "base64"]
