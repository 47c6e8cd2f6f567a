"""Drift Data API funding: documented precision, event time, once-only publishing, bad input."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.drift_data.connector import DriftFundingConnector
from memesnipe.connectors.drift_data.parse import parse_funding
from memesnipe.connectors.errors import ParseError
from memesnipe.settings import load_settings
from memesnipe.streams.base import SOL_MINT

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "drift_data"


def payload() -> dict:
    return json.loads((FIX / "fundingRates_SOL-PERP.json").read_text())


def test_rate_is_a_fraction_per_hour_with_the_documented_precision() -> None:
    [ev] = parse_funding(payload(), "SOL-PERP", SOL_MINT)
    assert ev.mint == SOL_MINT and ev.perp_symbol == "SOL-PERP" and ev.market_index == 0
    assert ev.oracle_price_usd == pytest.approx(84.642173)
    assert ev.mark_price_usd == pytest.approx(84.579888)
    assert ev.funding_rate_hourly == pytest.approx(-0.001889875 / 84.642173)  # ~ -2.23e-5 per hour
    assert ev.ts == datetime.fromtimestamp(1771383600, UTC)


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda p: p["fundingRates"][0].update(fundingRate="1.5e-3"), "fundingRate"),
        (lambda p: p["fundingRates"][0].pop("ts"), "ts"),
        (lambda p: p["fundingRates"][0].update(oraclePriceTwap="0"), "oraclePriceTwap"),
        (lambda p: p.pop("fundingRates"), "fundingRates"),
    ],
)
def test_malformed_records_raise(mutate, needle) -> None:
    p = payload()
    mutate(p)
    with pytest.raises(ParseError, match=needle):
        parse_funding(p, "SOL-PERP", SOL_MINT)


async def test_connector_publishes_each_settlement_once() -> None:
    p1 = payload()
    p2 = copy.deepcopy(p1)
    newer = dict(p1["fundingRates"][0], ts="1771387200", slot=401010000, recordId="28757")
    p2["fundingRates"].append(newer)
    bodies = [p1, p1, p2]
    seen: list[httpx.Request] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(200, json=bodies.pop(0))

    conn = DriftFundingConnector(load_settings(), transport=httpx.MockTransport(handler))
    got = [[e.ts.timestamp() for e in conn.parse(i)] for _ in range(3) for i in await conn.fetch()]
    await conn.aclose()
    assert got == [[1771383600.0], [], [1771387200.0]]
    assert seen[0].url.path == "/fundingRates" and seen[0].url.params["marketName"] == "SOL-PERP"


def test_bad_market_setting_names_the_setting() -> None:
    with pytest.raises(SystemExit, match="MEMESNIPE_CONNECTORS__DRIFT_MARKETS"):
        DriftFundingConnector(load_settings(connectors={"drift_markets": "SOL-PERP"}))
