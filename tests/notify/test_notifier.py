"""Notifications from fills, kill switches and Alertmanager; each sent once per channel,
also across a restart (the sent log)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from memesnipe.notify.messages import Notification, from_alertmanager, from_fill, from_kill_switch
from memesnipe.notify.sent import SentLog
from memesnipe.notify.service import Notifier
from memesnipe.streams import Side
from memesnipe.streams.control import KillSwitch
from tests.sinks.factories import SOL, fill

ALERT = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager" / "webhook_v4.json"


class Recorder:
    def __init__(self, name: str, fail: bool = False) -> None:
        self.name, self.fail = name, fail
        self.sent: list[Notification] = []

    async def send(self, n: Notification) -> None:
        if self.fail:
            raise RuntimeError("down")
        self.sent.append(n)

    async def aclose(self) -> None:
        return None


def test_messages_carry_stable_ids_and_the_facts() -> None:
    f = fill(3, Side.BUY, instance="A", mint="MintX", notional=2 * SOL, minutes=1)
    n = from_fill(f)
    assert n.id == f"fill:{f.fill_id}" and n.kind == "fill"
    assert "FILL BUY A 2.0000 SOL" in n.title and "MintX" in n.text and n.data["order_id"] == f.order_id
    ks = KillSwitch(
        active=True,
        ts=datetime(2026, 1, 1, tzinfo=UTC),
        by="portfolio_monitor",
        reason="drawdown",
        drawdown=0.21,
    )
    k = from_kill_switch(ks)
    assert k.id == "killswitch:2026-01-01T00:00:00+00:00:on" and k.urgent
    assert k.title == "KILL SWITCH ON by portfolio_monitor" and "drawdown 21.0%" in k.text
    (a,) = from_alertmanager(json.loads(ALERT.read_text()))
    assert a.id == "alert:5f9c3e1a2b7d4c60:firing:2026-01-01T00:00:00.000Z"
    assert a.title == "[FIRING] KillSwitchActive (critical)" and a.urgent
    assert a.text.startswith("Kill switch is ON")


async def test_each_notification_goes_once_per_channel_even_after_a_restart(tmp_path: Path) -> None:
    tg, hook = Recorder("telegram"), Recorder("webhook", fail=True)
    n = Notification("fill:abc", "fill", "FILL", "text")
    first = Notifier([tg, hook], SentLog(tmp_path / "sent.txt"))
    assert await first.notify(n) == {"telegram": "sent", "webhook": "failed"}
    assert await first.notify(n) == {"telegram": "skipped", "webhook": "failed"}
    await first.aclose()
    hook.fail = False
    again = Notifier([tg, hook], SentLog(tmp_path / "sent.txt"))  # a restarted notifier
    assert await again.notify(n) == {"telegram": "skipped", "webhook": "sent"}
    await again.aclose()
    assert len(tg.sent) == 1 and len(hook.sent) == 1


def test_sent_log_is_bounded_and_compacts(tmp_path: Path) -> None:
    log = SentLog(tmp_path / "s.txt", keep=3)
    for i in range(7):
        log.add(f"id{i}")
    log.close()
    again = SentLog(tmp_path / "s.txt", keep=3)
    assert "id6" in again and "id4" in again and "id0" not in again and len(again) == 3
    assert len((tmp_path / "s.txt").read_text().splitlines()) < 7
    again.close()


async def test_the_alertmanager_receiver_wants_its_bearer_token(tmp_path: Path) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from memesnipe import health
    from memesnipe.cli.notify import build_web_app
    from memesnipe.settings import load_settings

    settings = load_settings(
        notify={"receiver_token": "t0ken-for-alertmanager", "webhook_url": "https://x.example"}
    )
    rec = Recorder("webhook")
    app = build_web_app(Notifier([rec], SentLog(tmp_path / "s.txt")), health.Readiness("unit-n"), settings)
    async with TestClient(TestServer(app)) as client:
        body = json.loads(ALERT.read_text())
        assert (await client.post("/alertmanager", json=body)).status == 401
        bad = await client.post(
            "/alertmanager", json={"alerts": "no"}, headers={"Authorization": "Bearer t0ken-for-alertmanager"}
        )
        assert bad.status == 400
        ok = await client.post(
            "/alertmanager", json=body, headers={"Authorization": "Bearer t0ken-for-alertmanager"}
        )
        assert ok.status == 200 and (await ok.json())["outcomes"] == [{"webhook": "sent"}]
    assert [n.kind for n in rec.sent] == ["alert"]
