"""The cockpit's HTTP API against a seeded chDB and the real Kafka broker: who may press kill
or resume, what lands on the killswitch topic, and the live feed."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import msgspec
import pytest

from memesnipe.streams import KillSwitch, Side
from memesnipe.streams.codec import decode
from memesnipe.web.landing import PAPER_NOTE
from memesnipe.web.landing import landing as landing_of
from memesnipe.web.view import Landing
from tests.support.kafka import consume
from tests.web.conftest import LIVE, TOKEN, Served, Start
from tests.web.seed import MINT_C, PAUSED_REASON, queries, seed_live_landing

pytestmark = pytest.mark.integration

AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def killswitch_messages(served: Served, expect: int) -> list[KillSwitch]:
    records = await consume(
        served.env.bootstrap, served.env.topic("killswitch"), min_count=expect, timeout_s=15, idle_s=1.0
    )
    return [decode(r.value, KillSwitch) for r in records]


async def post(served: Served, path: str, body: dict[str, Any], headers: dict[str, str]) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(served.url + path, json=body, headers=headers) as resp,
    ):
        return resp.status, await resp.text()


async def test_kill_without_or_with_a_wrong_token_is_refused_and_nothing_is_published(served: Served) -> None:
    status, _ = await post(served, "api/kill", {"reason": "no token"}, {})
    assert status == 401
    status, _ = await post(served, "api/kill", {}, {"Authorization": "Bearer " + TOKEN[:-1] + "x"})
    assert status == 401
    status, _ = await post(served, "api/kill", {}, {"Authorization": "Basic " + TOKEN})
    assert status == 401
    assert await killswitch_messages(served, 0) == []


async def test_kill_then_resume_publish_on_the_killswitch_topic(served: Served) -> None:
    status, text = await post(
        served, "api/kill", {"reason": "halt", "operator": "ana", "flatten": True}, AUTH
    )
    assert status == 200, text
    status, text = await post(served, "api/resume", {"reason": "all clear"}, AUTH)
    assert status == 400 and "confirm" in text  # resume needs an explicit confirmation
    status, text = await post(served, "api/resume", {"reason": "all clear", "confirm": "RESUME"}, AUTH)
    assert status == 200, text

    msgs = await killswitch_messages(served, 2)
    assert [(m.active, m.reason, m.flatten) for m in msgs] == [
        (True, "halt", True),
        (False, "all clear", False),
    ]
    assert [m.by for m in msgs] == ["cockpit:ana@127.0.0.1", "cockpit:operator@127.0.0.1"]
    # the cockpit reads the topic back: its state is the resume
    deadline = time.monotonic() + 10
    while served.cockpit.control.status.message != msgs[-1] and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert served.cockpit.control.status.message == msgs[-1]


async def test_live_mode_without_a_token_refuses_controls(cockpit_factory: Start) -> None:
    served = await cockpit_factory(LIVE)
    status, text = await post(served, "api/kill", {"reason": "x"}, {})
    assert status == 503 and "MEMESNIPE_WEB__TOKEN" in text
    async with aiohttp.ClientSession() as http, http.get(served.url + "api/config") as resp:
        assert (await resp.json())["controls_enabled"] is False
    assert await killswitch_messages(served, 0) == []


async def test_paper_mode_without_a_token_accepts_controls_from_localhost(cockpit_factory: Start) -> None:
    served = await cockpit_factory()
    status, text = await post(served, "api/kill", {"reason": "local"}, {})
    assert status == 200, text
    [msg] = await killswitch_messages(served, 1)
    assert msg.active and msg.reason == "local"


async def test_snapshot_matches_the_query_layer(served: Served) -> None:
    async with aiohttp.ClientSession() as http, http.get(served.url + "api/snapshot") as resp:
        assert resp.status == 200
        snap = await resp.json()
    perf = queries(served.store).performance()
    assert snap["totals"]["pnl_net_lamports"] == perf["totals"]["net_pnl_lamports"]
    assert snap["totals"]["trades"] == 2
    assert {s["instance_id"]: s["pnl_net_lamports"] for s in snap["strategies"]} == {
        s["instance_id"]: s["net_pnl_lamports"] for s in perf["strategies"]
    }
    exits = {t["fill_id"]: (t["reason"], t["pnl_lamports"]) for t in snap["trades"] if t["intent"] == "exit"}
    assert exits == {
        "fill-0002": ("trailing_stop", perf["trade_pnl"]["fill-0002"]),
        "fill-0004": ("stop_loss", perf["trade_pnl"]["fill-0004"]),
    }
    assert snap["equity"][0][1] == served.settings.risk.capital_lamports
    assert snap["costs"][0]["total_lamports"] == perf["totals"]["costs_lamports"]


async def get_snapshot(served: Served) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(served.url + "api/snapshot") as resp:
        assert resp.status == 200
        snap: dict[str, Any] = await resp.json()
        return snap


async def test_paper_snapshot_says_there_is_no_landing_and_shows_the_perp_venue(served: Served) -> None:
    snap = await get_snapshot(served)
    assert snap["landing"] == {"available": False, "note": PAPER_NOTE, "total": None, "venues": []}
    [venue] = snap["perp_venues"]
    assert (venue["venue"], venue["state"], venue["reason"]) == ("drift", "paused", PAUSED_REASON)
    assert venue["ts"] == "2026-11-20T10:28:00+00:00"


async def test_snapshot_in_live_mode_carries_the_landing_figures(cockpit_factory: Start) -> None:
    served = await cockpit_factory({**LIVE, "MEMESNIPE_WEB__TOKEN": TOKEN})
    await asyncio.to_thread(seed_live_landing, served.seeder)
    snap = await get_snapshot(served)
    landing = snap["landing"]
    assert landing["available"] is True
    assert msgspec.convert(landing, Landing) == landing_of(queries(served.store), "live")  # the query layer's
    total = landing["total"]
    assert (total["landed"], total["failed"], total["expired"], total["pending"]) == (3, 1, 1, 1)
    assert total["landing_rate"] == 0.6
    assert (total["time_to_land_p50_s"], total["time_to_land_p90_s"]) == (1.2, 2.0)
    assert (total["slippage_p50_bps"], total["slippage_p90_bps"]) == (50.0, 100.0)
    assert [v["venue"] for v in landing["venues"]] == ["drift", "jupiter"]


async def test_page_is_served_with_a_strict_content_security_policy(served: Served) -> None:
    async with aiohttp.ClientSession() as http:
        async with http.get(served.url) as resp:
            assert resp.status == 200
            assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
            assert 'src="static/cockpit.js"' in await resp.text()
        async with http.get(served.url + "static/../cockpit.py") as resp:
            assert resp.status == 404


async def next_event(stream: aiohttp.StreamReader, kind: str, timeout_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    event = ""
    while time.monotonic() < deadline:
        line = (await asyncio.wait_for(stream.readline(), deadline - time.monotonic())).decode().rstrip("\n")
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("data: ") and event == kind:
            return json.loads(line[6:])
    raise TimeoutError(f"no {kind} event in {timeout_s}s")


async def test_event_stream_pushes_a_snapshot_when_a_fill_arrives(served: Served) -> None:
    async with aiohttp.ClientSession() as http, http.get(served.url + "events") as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        first = await next_event(resp.content, "snapshot", 10)
        assert first["trades"][0]["fill_id"] == "fill-0006"
        t0 = time.monotonic()
        await asyncio.to_thread(served.seeder.fill, 7, "bridge-c", MINT_C, Side.SELL, 95, 3.4, 0.00051)
        update = await next_event(resp.content, "snapshot", 5)
        # other changes may be pushed first, and the totals (performance(), rate-limited cache)
        # may follow the trade list by one poll: wait, within the same 5 s, for both
        while update["trades"][0]["fill_id"] != "fill-0007" or update["totals"]["trades"] != 3:
            update = await next_event(resp.content, "snapshot", 5 - (time.monotonic() - t0))
        assert update["totals"]["trades"] == 3
        assert time.monotonic() - t0 < 5
