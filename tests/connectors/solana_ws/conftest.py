"""A real websocket server on 127.0.0.1 replaying recorded notifications (the remote), and the
documented history responses for gap backfill (tests/fixtures/solana_ws/SOURCE.md)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

FIX = Path(__file__).resolve().parents[2] / "fixtures"
PUMP = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"


def fixture(name: str) -> Any:
    return json.loads((FIX / name).read_text())


def pump_events() -> dict[str, dict[str, str]]:
    return fixture("pump_fun/events.json")  # type: ignore[no-any-return]


def pump_logs(instruction: str, data_b64: str) -> list[str]:
    """The runtime's log lines around one recorded pump.fun event (SOURCE.md: 'minimal logs')."""
    return [
        f"Program {PUMP} invoke [1]",
        f"Program log: Instruction: {instruction}",
        f"Program data: {data_b64}",
        f"Program {PUMP} success",
    ]


BACKFILL = (  # the transactions the socket missed while it was down, oldest first
    ("create_v2", "CreateV2", 1781160205),
    ("complete", "Buy", 1787337289),
    ("migrate", "MigrateV2", 1790784420),
)


def notification(sub_id: int, slot: int, signature: str, logs: list[str], err: Any = None) -> str:
    """A logsNotification in the documented shape (solana.com/docs/rpc/websocket/logssubscribe)."""
    return json.dumps(
        {
            "jsonrpc": "2.0",
            "method": "logsNotification",
            "params": {
                "result": {
                    "context": {"slot": slot},
                    "value": {"signature": signature, "err": err, "logs": logs},
                },
                "subscription": sub_id,
            },
        }
    )


Handler = Callable[[Any, int], Awaitable[None]]


@pytest.fixture
async def ws_server() -> AsyncIterator[Callable[[Handler], Awaitable[str]]]:
    """``url = await ws_server(handler)``: handler(ws, connection_number) per connection."""
    servers: list[Any] = []

    async def start(handler: Handler) -> str:
        count = {"n": 0}

        async def serve(ws: Any, *_: Any) -> None:
            count["n"] += 1
            await handler(ws, count["n"])

        server = await websockets.serve(serve, "127.0.0.1", 0)
        servers.append(server)
        port = next(iter(server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}"

    yield start
    for s in servers:
        s.close()
        await s.wait_closed()


def rpc_transport(calls: list[dict[str, Any]], until: str) -> httpx.MockTransport:
    """getSignaturesForAddress / getTransaction as documented (solana.com/docs/rpc/http/...),
    carrying the recorded transactions of BACKFILL plus one failed transaction."""
    ev = pump_events()
    sigs = [
        {"signature": "FailedTx1111111111111111111111111111111111111", "slot": 2,
         "err": {"InstructionError": [3, {"Custom": 6001}]}, "memo": None, "blockTime": 1790784500,
         "confirmationStatus": "confirmed"},
    ] + [
        {"signature": ev[name]["signature"], "slot": 1 + i, "err": None, "memo": None, "blockTime": bt,
         "confirmationStatus": "confirmed"}
        for i, (name, _ix, bt) in reversed(list(enumerate(BACKFILL)))
    ] + [{"signature": until, "slot": 0, "err": None, "memo": None, "blockTime": None,
          "confirmationStatus": "finalized"}]  # a node that returns the `until` entry too  # fmt: skip
    txs = {
        ev[name]["signature"]: {
            "slot": 1 + i,
            "blockTime": bt,
            "meta": {"err": None, "fee": 5000, "logMessages": pump_logs(ix, ev[name]["data"])},
            "transaction": {"signatures": [ev[name]["signature"]], "message": {}},
        }
        for i, (name, ix, bt) in enumerate(BACKFILL)
    }

    def handler(req: httpx.Request) -> httpx.Response:
        body = json.loads(req.content)
        calls.append(body)
        if body["method"] == "getSignaturesForAddress":
            cfg = body["params"][1]
            result = [] if cfg.get("before") else sigs
            return httpx.Response(200, json={"jsonrpc": "2.0", "result": result, "id": body["id"]})
        if body["method"] == "getTransaction":
            return httpx.Response(
                200, json={"jsonrpc": "2.0", "result": txs.get(body["params"][0]), "id": body["id"]}
            )
        return httpx.Response(404)

    return httpx.MockTransport(handler)


async def drain(gen: AsyncIterator[Any], n: int, timeout_s: float = 10.0) -> list[Any]:
    out: list[Any] = []

    async def take() -> None:
        async for item in gen:
            out.append(item)
            if len(out) >= n:
                return

    await asyncio.wait_for(take(), timeout=timeout_s)
    return out
