"""The cockpit in headless Chromium against a seeded chDB and the real Kafka broker."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from memesnipe.streams import KillSwitch, PositionStatus, Side
from memesnipe.streams.codec import decode
from memesnipe.web.landing import PAPER_NOTE
from tests.support.kafka import REPO, consume
from tests.web.browser import Chromium, Page, chromium_path
from tests.web.conftest import LIVE, TOKEN, Served, Start
from tests.web.seed import MINT_C, MINT_D, PAUSED_REASON, seed_live_landing

pytestmark = [
    pytest.mark.browser,
    pytest.mark.integration,
    pytest.mark.skipif(chromium_path() is None, reason="needs Debian's chromium"),
]

ARTIFACTS = REPO / "test-artifacts"


def visible_text(selector: str) -> str:
    """JS: the text of every rendered (non-zero-size) element matching ``selector``."""
    return (
        f"Array.from(document.querySelectorAll({json.dumps(selector)}))"
        ".filter(e => e.getBoundingClientRect().height > 0).map(e => e.innerText).join('\\n')"
    )


async def rows(page: Page, table: str, attr: str) -> list[str]:
    return await page.eval(
        f"Array.from(document.querySelectorAll('#{table} tbody tr[{attr}]'))"
        f".filter(e => e.getBoundingClientRect().height > 0).map(e => e.getAttribute('{attr}'))"
    )


async def test_cockpit_shows_seeded_data_updates_live_and_kill_pauses(served: Served, tmp_path: Path) -> None:
    async with Chromium(tmp_path / "chromium") as browser:
        page = await browser.new_page()
        await page.viewport(1440, 1000)
        await page.goto(served.url)
        await page.wait_for("document.body.dataset.ready === '1'", 15, "first snapshot rendered")

        # seeded trades, with their exit reasons and realized PnL
        assert await rows(page, "trades", "data-fill-id") == [f"fill-{n:04d}" for n in range(6, 0, -1)]
        trades = await page.eval(visible_text("#trades tbody"))
        assert "trailing_stop" in trades and "stop_loss" in trades
        assert "+0.489" in trades  # fill-0002 net PnL: 2.5 - 2.0 SOL minus both legs' costs
        # open positions with their stops
        assert sorted(await rows(page, "positions", "data-mint")) == sorted([MINT_C, MINT_D])
        assert await page.eval(visible_text("#positions td.stop")) == "0.0004700\n0.000006900"
        # live allocations
        alloc = await page.eval(visible_text("#allocations .alloc"))
        assert "momentum-a" in alloc and "45.0%" in alloc and "35.0%" in alloc and "20.0%" in alloc
        # per-strategy table, totals, costs
        assert sorted(await rows(page, "strategies", "data-instance")) == [
            "bridge-c",
            "momentum-a",
            "social-b",
        ]
        assert await page.eval("document.getElementById('k-trades').textContent") == "2"
        assert await page.eval("document.getElementById('k-winrate').textContent") == "win rate 50.0%"
        assert await rows(page, "costs", "data-day") == ["2026-11-20"]
        assert await page.eval("document.querySelectorAll('#equity-svg path.dd').length") == 1
        assert await page.eval("document.getElementById('conn').dataset.state") == "live"
        # paper: no landing, and the page says so instead of showing zeros
        assert await page.eval(visible_text("#landing-note")) == PAPER_NOTE
        assert await rows(page, "landing", "data-venue") == []
        # the perp venue as last read: paused, the venue's reason, when it was read
        venue = await page.eval(visible_text("#perp-venues .venue"))
        assert venue.startswith("drift PAUSED") and PAUSED_REASON in venue
        assert "read 11-20 10:28:00 UTC" in venue
        assert await page.eval("document.querySelector('#perp-venues .venue').dataset.state") == "paused"
        assert page.errors == []

        # a new fill arrives (the sink inserts it): the page shows it without a reload
        seeder = served.seeder
        await asyncio.to_thread(
            seeder.fill, 7, "bridge-c", MINT_C, Side.SELL, 95, 3.4, 0.00051, "take_profit"
        )
        await asyncio.to_thread(
            seeder.position,
            "bridge-c",
            MINT_C,
            95,
            0.00045,
            0.00051,
            0,
            None,
            PositionStatus.CLOSED,
            "take_profit",
        )
        await page.wait_for(
            "!!document.querySelector('#trades tr[data-fill-id=\"fill-0007\"]')", 5, "new fill on the page"
        )
        assert "take_profit" in await page.eval(visible_text('#trades tr[data-fill-id="fill-0007"]'))
        await page.wait_for(
            "document.getElementById('k-trades').textContent === '3'", 5, "trade count updated"
        )
        assert await rows(page, "positions", "data-mint") == [MINT_D]

        # the kill switch: token, reason, click -> KillSwitch(active=True) on Kafka -> PAUSED
        await page.wait_for(
            "document.getElementById('kill-state').textContent === 'TRADING'", 15, "state known"
        )
        await page.type("#token", TOKEN)
        await page.type("#reason", "browser test: manual kill")
        await page.click("#kill-btn")
        await page.wait_for(
            "document.getElementById('kill-state').textContent === 'PAUSED'", 10, "page shows PAUSED"
        )
        records = await consume(served.env.bootstrap, served.env.topic("killswitch"), min_count=1, idle_s=0.5)
        msgs = [decode(r.value, KillSwitch) for r in records]
        assert len(msgs) == 1
        assert msgs[0].active is True
        assert msgs[0].reason == "browser test: manual kill"
        assert msgs[0].by.startswith("cockpit:operator@127.0.0.1")
        assert records[0].key == b"global"
        assert await page.eval("document.getElementById('kill-badge').dataset.state") == "on"
        await page.wait_for(
            "document.getElementById('control-msg').textContent === 'kill confirmed on the killswitch topic'",
            5,
            "confirmation shown",
        )
        assert page.errors == []

        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(ARTIFACTS / "cockpit.png")

        # phone-sized screen: nothing wider than the viewport, the kill button reachable
        await page.viewport(375, 812, mobile=True, scale=2)
        await page.wait_for("document.documentElement.clientWidth === 375", 5)
        await asyncio.sleep(0.3)  # the chart redraws after resize
        assert await page.eval("document.documentElement.scrollWidth") <= 375
        assert await page.eval("document.getElementById('kill-btn').getBoundingClientRect().width") > 150
        # the kill switch comes right after the totals, above the chart
        kill_top = await page.eval("document.querySelector('.control').getBoundingClientRect().top")
        chart_top = await page.eval("document.querySelector('.chart-panel').getBoundingClientRect().top")
        assert kill_top < chart_top
        await page.screenshot(ARTIFACTS / "cockpit-phone.png")
        assert page.errors == []


def cell(venue: str, cls: str) -> str:
    """JS: the text of one landing table cell."""
    return f"document.querySelector('#landing tr[data-venue=\"{venue}\"] td.{cls}').textContent"


async def test_cockpit_shows_live_landing_per_venue(cockpit_factory: Start, tmp_path: Path) -> None:
    served = await cockpit_factory({**LIVE, "MEMESNIPE_WEB__TOKEN": TOKEN})
    await asyncio.to_thread(seed_live_landing, served.seeder)
    async with Chromium(tmp_path / "chromium") as browser:
        page = await browser.new_page()
        await page.viewport(1440, 1000)
        await page.goto(served.url)
        await page.wait_for("document.body.dataset.ready === '1'", 15, "first snapshot rendered")
        assert await rows(page, "landing", "data-venue") == ["all", "drift", "jupiter"]
        assert await page.eval(visible_text("#landing-note")) == ""
        everything = await page.eval(visible_text('#landing tr[data-venue="all"]'))
        assert everything.split("\t")[:5] == ["all", "3", "1", "1", "1"]  # landed failed expired pending
        assert await page.eval(cell("all", "rate")) == "60.0%"
        assert await page.eval(cell("all", "ttl")) == "1.20 / 2.00"
        assert await page.eval(cell("all", "slip")) == "50.0 / 100.0"
        assert await page.eval(cell("jupiter", "rate")) == "66.7%"
        assert await page.eval(cell("drift", "rate")) == "50.0%"
        assert await page.eval(cell("drift", "ttl")) == "0.80 / 0.80"
        assert await page.eval(cell("drift", "slip")) == "-20.0 / -20.0"
        assert page.errors == []
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(ARTIFACTS / "cockpit-landing.png")
