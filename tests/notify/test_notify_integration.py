"""``memesnipe notify``'s service on the real broker: fills and kill-switch changes become
Telegram messages and webhook POSTs (remote HTTP mocked), Alertmanager's webhook is received
over real HTTP, readiness is served, and a notifier re-reading everything (its offsets lost)
sends nothing twice."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from memesnipe.cli.notify import serve
from memesnipe.streams import Side, encode
from memesnipe.streams.control import KillSwitch
from tests.sinks.factories import SOL, fill
from tests.support.kafka import IsolatedEnv, create_topics, free_port, produce

pytestmark = pytest.mark.integration

FIX = Path(__file__).resolve().parents[1] / "fixtures"
TELEGRAM_OK = json.loads((FIX / "telegram" / "sendMessage_ok.json").read_text())


class Remote:
    """Telegram and the webhook receiver, as httpx.MockTransport sees them."""

    def __init__(self) -> None:
        self.telegram: list[dict[str, Any]] = []
        self.webhook: list[dict[str, Any]] = []
        self.flood_once = True

    def __call__(self, req: httpx.Request) -> httpx.Response:
        body = json.loads(req.content)
        if req.url.host == "api.telegram.org":
            if self.flood_once:  # the first message meets flood control once
                self.flood_once = False
                return httpx.Response(
                    429,
                    json={
                        "ok": False,
                        "error_code": 429,
                        "description": "Too Many Requests: retry after 1",
                        "parameters": {"retry_after": 1},
                    },
                )
            self.telegram.append(body)
            return httpx.Response(200, json=TELEGRAM_OK)
        self.webhook.append(body)
        return httpx.Response(200, json={"ok": True})


async def run_until(settings: Any, remote: Remote, until: Any, timeout_s: float = 60.0) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(serve(settings, stop=stop, transport=httpx.MockTransport(remote)))
    try:
        deadline = time.monotonic() + timeout_s
        while not await until():
            assert not task.done(), task.exception()
            assert time.monotonic() < deadline, (remote.telegram, remote.webhook)
            await asyncio.sleep(0.2)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def test_notifier_sends_fills_kills_and_alerts_once(isolated_env: IsolatedEnv) -> None:
    env = isolated_env
    await create_topics(env, ["fills", "killswitch"])
    port = free_port()
    env.extra.update(
        {
            "MEMESNIPE_METRICS_PORT": str(port),
            "MEMESNIPE_NOTIFY__TELEGRAM_BOT_TOKEN": "7012345678:AAH-test-token",
            "MEMESNIPE_NOTIFY__TELEGRAM_CHAT_ID": "-1001234567890",
            "MEMESNIPE_NOTIFY__TELEGRAM_RATE_PER_S": "30",
            "MEMESNIPE_NOTIFY__WEBHOOK_URL": "https://hooks.example.org/memesnipe",
            "MEMESNIPE_NOTIFY__FROM_BEGINNING": "true",
        }
    )
    settings = env.settings()
    fills = [fill(i, Side.BUY, instance="A", mint=f"M{i}", notional=SOL, minutes=i) for i in range(3)]
    kill = KillSwitch(active=True, ts=datetime(2026, 1, 1, tzinfo=UTC), by="ops", reason="manual")
    await produce(env.bootstrap, env.topic("fills"), [(f.mint.encode(), encode(f)) for f in fills])
    await produce(env.bootstrap, env.topic("killswitch"), [(b"global", encode(kill))])
    remote = Remote()
    alert = json.loads((FIX / "alertmanager" / "webhook_v4.json").read_text())
    state: dict[str, Any] = {}

    async def all_sent() -> bool:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
            try:
                ready = await http.get("/readyz")
            except httpx.HTTPError:
                return False
            state.setdefault("first_ready", ready.status_code)
            if ready.status_code == 200 and "alert" not in state:
                state["ready"] = ready.json()
                state["alert"] = (await http.post("/alertmanager", json=alert)).json()
        return len(remote.telegram) == 5 and len(remote.webhook) == 5

    await run_until(settings, remote, all_sent)
    assert state["ready"]["checks"] == {"consuming": "ok"}
    assert state["alert"]["outcomes"] == [{"telegram": "sent", "webhook": "sent"}]
    texts = [m["text"] for m in remote.telegram]
    assert sum(t.startswith("FILL BUY A 1.0000 SOL") for t in texts) == 3
    assert "KILL SWITCH ON by ops\nmanual" in texts
    assert any(t.startswith("[FIRING] KillSwitchActive (critical)") for t in texts)
    assert {m["chat_id"] for m in remote.telegram} == {"-1001234567890"}
    assert sorted(p["id"] for p in remote.webhook if p["kind"] == "fill") == sorted(
        f"fill:{f.fill_id}" for f in fills
    )

    # a notifier that lost its offsets (new group) re-reads everything: only the new fill goes out
    new = fill(9, Side.SELL, instance="A", mint="M0", notional=SOL, minutes=9)
    await produce(env.bootstrap, env.topic("fills"), [(new.mint.encode(), encode(new))])
    env.extra["MEMESNIPE_NOTIFY__GROUP_ID"] = f"{env.app_id}-notifier-again"
    again = Remote()
    again.flood_once = False

    async def new_one_sent() -> bool:
        return len(again.telegram) >= 1 and len(again.webhook) >= 1

    await run_until(env.settings(), again, new_one_sent)
    await asyncio.sleep(1.0)
    assert [m["text"].split("\n")[0] for m in again.telegram] == ["FILL SELL A 1.0000 SOL (paper)"]
    assert [p["id"] for p in again.webhook] == [f"fill:{new.fill_id}"]
