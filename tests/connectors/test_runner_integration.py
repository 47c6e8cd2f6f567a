"""The connector loop against the real broker: parsed events land on their topic keyed by mint;
an undocumented payload lands on the dead-letter topic with the reason; nothing is lost."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.dexscreener.connector import DexScreenerConnector
from memesnipe.connectors.publisher import Publisher
from memesnipe.connectors.runner import run_connector
from memesnipe.streams.codec import decode, decode_market
from memesnipe.streams.deadletter import DeadLetter
from memesnipe.streams.market import PriceEvent
from tests.support.kafka import consume, create_topics

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "dexscreener" / "pairs_popdog.json"
POPDOG = "EATGZHJViJsk7nEKkrdJicwNbfpkJfAtmrEmrjXR8NBj"


@pytest.mark.integration
async def test_events_keyed_by_mint_and_bad_payload_dead_lettered(isolated_env) -> None:
    await create_topics(isolated_env, ["price", "deadletter"])
    good = json.loads(FIX.read_text())
    bad = json.loads(FIX.read_text())
    bad["pairs"][0]["priceNative"] = "text"
    bodies = [good, bad, good]

    def handler(req: httpx.Request) -> httpx.Response:
        if req.url.path != f"/latest/dex/tokens/{POPDOG}":
            return httpx.Response(404)
        return httpx.Response(200, json=bodies.pop(0))

    base = isolated_env.settings()
    settings = base.model_copy(
        update={
            "connectors": base.connectors.model_copy(update={"mints": POPDOG, "dexscreener_interval_s": 0.01})
        }
    )
    conn = DexScreenerConnector(settings, transport=httpx.MockTransport(handler))
    async with Publisher(settings) as pub:
        stats = await run_connector(conn, pub, max_cycles=3)
    assert (stats.cycles, stats.events, stats.dead_letters) == (3, 2, 1)

    prices = await consume(isolated_env.bootstrap, isolated_env.topic("price"), min_count=2, idle_s=1.0)
    assert len(prices) == 2
    assert {r.key for r in prices} == {POPDOG.encode()}
    evs = [decode_market(r.value) for r in prices]
    assert all(isinstance(e, PriceEvent) and e.price_usd == pytest.approx(0.003025) for e in evs)

    dls = await consume(isolated_env.bootstrap, isolated_env.topic("deadletter"), min_count=1, idle_s=1.0)
    assert len(dls) == 1
    letter = decode(dls[0].value, DeadLetter)
    assert letter.topic == "price" and letter.consumer == "connector:dexscreener"
    assert "priceNative" in letter.reason and letter.key == POPDOG
    assert json.loads(letter.payload)["pairs"][0]["priceNative"] == "text"  # payload kept whole
