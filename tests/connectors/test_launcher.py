"""Several live connectors in one process: those whose keys are set (and the keyless ones) start,
each skipped one is named with the setting it misses; a provider refusing a key stops that
connector only, the others keep publishing."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest

from memesnipe.connectors.launcher import (
    DISCOVERY_PROGRAMS,
    NOT_IN_LIVE_DATA,
    discovery_programs,
    following_the_watchlist,
    live_data_sources,
    plan,
    run_all,
)
from memesnipe.connectors.pools.programs import CREATION
from memesnipe.connectors.pump_fun.events import PUMP_PROGRAM
from memesnipe.connectors.registry import SOURCES
from memesnipe.settings import load_settings
from memesnipe.streams.market import MarketEvent, PriceEvent

FIX = Path(__file__).resolve().parents[1] / "fixtures"
POPDOG = "EATGZHJViJsk7nEKkrdJicwNbfpkJfAtmrEmrjXR8NBj"


@pytest.fixture(autouse=True)
def no_keys_from_the_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Which sources start depends on the keys set: none from this shell or a .env file."""
    for k in list(os.environ):
        if k.startswith("MEMESNIPE_"):
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)


def test_without_keys_the_keyless_sources_start_and_each_keyed_one_is_skipped_naming_its_setting() -> None:
    settings = following_the_watchlist(load_settings())
    assert settings.connectors.follow_watchlist
    p = plan(settings, live_data_sources())
    try:
        assert {"discovery", "volume", "pyth", "safety", "drift", "bridge"} <= set(p.started)
        assert p.skipped == {
            "depth": "depth needs an API key: set MEMESNIPE_JUPITER__API_KEY",
            "helius": "helius needs an API key: set MEMESNIPE_CONNECTORS__HELIUS_API_KEY",
            "social": "social needs an API key: set MEMESNIPE_CONNECTORS__X_BEARER_TOKEN",
        }
        assert (
            "skipped helius: helius needs an API key: set MEMESNIPE_CONNECTORS__HELIUS_API_KEY"
            in p.describe()
        )
    finally:
        asyncio.run(p.aclose())
    # every source is either started by --live-data or left out with a reason
    assert set(SOURCES) <= set(live_data_sources()) | set(NOT_IN_LIVE_DATA)


def test_with_the_keys_set_the_keyed_sources_start_too() -> None:
    keys = {"helius_api_key": "k1", "x_bearer_token": "k2", "jupiter_api_key": "k3"}
    p = plan(following_the_watchlist(load_settings(connectors=keys)), live_data_sources())
    try:
        # every keyed source starts with no mint configured: social follows the watchlist too
        assert {"depth", "helius", "social"} <= set(p.started) and not p.skipped
    finally:
        asyncio.run(p.aclose())
    p = plan(load_settings(connectors=keys), ["social"])
    try:  # outside --live-data, without the watchlist, social still needs its mints
        assert p.skipped == {
            "social": "social needs mints to watch: set MEMESNIPE_CONNECTORS__MINTS "
            "or MEMESNIPE_CONNECTORS__FOLLOW_WATCHLIST=true (discovery's watchlist)"
        }
    finally:
        asyncio.run(p.aclose())


class Sink:
    def __init__(self) -> None:
        self.events: list[MarketEvent] = []

    async def publish_event(self, event: MarketEvent) -> None:
        self.events.append(event)

    async def dead_letter(
        self, source_topic: str, key: str | None, payload: Any, reason: str, consumer: str
    ) -> None:
        raise AssertionError(f"no dead letter expected: {reason}")

    async def flush(self) -> None:
        return None


async def test_a_refused_key_stops_its_connector_and_the_others_go_on() -> None:
    dex = json.loads((FIX / "dexscreener" / "pairs_popdog.json").read_text())
    helius_calls: list[int] = []

    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.host == "api.dexscreener.com":
            return httpx.Response(200, json=dex)
        if req.url.host == "api.geckoterminal.com":
            return httpx.Response(200, json={"data": []})
        helius_calls.append(401)
        return httpx.Response(401, text="invalid api key")

    settings = load_settings(
        connectors={"mints": POPDOG, "helius_api_key": "wrong", "dexscreener_interval_s": 0.05}
    )
    p = plan(settings, ["volume", "helius"], transport=httpx.MockTransport(handler))
    assert set(p.started) == {"volume", "helius"}
    sink, stop = Sink(), asyncio.Event()

    async def stop_after_helius_was_refused_and_volume_published_thrice() -> None:
        while not (helius_calls and sum(isinstance(e, PriceEvent) for e in sink.events) >= 3):
            await asyncio.sleep(0.01)
        stop.set()

    watcher = asyncio.create_task(stop_after_helius_was_refused_and_volume_published_thrice())
    results = await asyncio.wait_for(run_all(p, sink, stop), timeout=60)
    await watcher
    assert results["helius"] is None  # stopped by the refused key, without retries
    assert helius_calls == [401]
    stats = results["volume"]
    assert stats is not None and stats.cycles >= 2
    assert {e.mint for e in sink.events} >= {POPDOG}
    assert all(e.source.startswith("volume:dexscreener") for e in sink.events)


def test_the_discovery_plan_names_every_program_discovery_reads_and_which_are_on() -> None:
    assert set(DISCOVERY_PROGRAMS) == {PUMP_PROGRAM, *CREATION}  # a new pool program is listed too
    raydium = "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"
    settings = load_settings(discovery={"programs": f"{PUMP_PROGRAM},{raydium},Unknown1111"})
    lines = discovery_programs(settings)
    assert lines[0] == (
        "discovery programs on: pump.fun (creations, curve completions, migrations to PumpSwap), "
        "Raydium AMM v4 pools, Unknown1111"
    )
    off = lines[2:]
    assert len(off) == len(DISCOVERY_PROGRAMS) - 2 and not any(raydium in line for line in off)
    assert discovery_programs(load_settings(discovery={"programs": ",".join(DISCOVERY_PROGRAMS)})) == [
        "discovery programs on: " + ", ".join(DISCOVERY_PROGRAMS.values())
    ]


def test_the_programs_setting_says_how_to_add_each_pool_program() -> None:
    from memesnipe.settings import DiscoverySettings

    field = DiscoverySettings.model_fields["programs"]
    description = field.description or ""
    assert field.default == PUMP_PROGRAM  # pool discovery is opt-in
    assert all(p in description for p in DISCOVERY_PROGRAMS if p != PUMP_PROGRAM)
