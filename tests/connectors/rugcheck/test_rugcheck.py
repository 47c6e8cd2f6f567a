"""RugCheck report summary through the real client (httpx.MockTransport) on recorded/documented
payloads (tests/fixtures/rugcheck/SOURCE.md)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.errors import ParseError, RejectedError
from memesnipe.connectors.rugcheck import RugCheckClient, rugcheck_event
from memesnipe.streams.market import OnChainKind

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "rugcheck"
MINT = "3wyAj7Rt1TWVPZVteFJPLa26JmLvdb1CAKEFZm3NY75E"
T0 = datetime(2026, 2, 2, tzinfo=UTC)


def fx(name: str) -> dict:
    return json.loads((FIX / f"{name}.json").read_text())


def client(body: dict, seen: list[httpx.Request], status: int = 200, key: str = "") -> RugCheckClient:
    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req)
        return httpx.Response(status, json=body)

    return RugCheckClient("https://api.rugcheck.xyz", api_key=key, transport=httpx.MockTransport(handler))


async def test_the_summary_endpoint_is_called_and_a_real_danger_response_parses() -> None:
    seen: list[httpx.Request] = []
    c = client(fx("report_summary_low_liquidity"), seen)
    raw = await c.report_summary(MINT)
    await c.aclose()
    assert seen[0].method == "GET" and seen[0].url.path == f"/v1/tokens/{MINT}/report/summary"
    assert "x-api-key" not in seen[0].headers  # the public endpoint needs no key
    ev = rugcheck_event(MINT, raw, T0)
    assert ev.kind is OnChainKind.SAFETY and ev.source == "rugcheck" and ev.ts == T0
    assert ev.rugcheck_score == 29.0 and ev.rugcheck_danger == "Low Liquidity" and ev.lp_locked_pct == 0.0


async def test_a_clean_summary_has_no_danger_and_the_key_is_sent_when_set() -> None:
    seen: list[httpx.Request] = []
    c = client(fx("report_summary_clean_built"), seen, key="k-123")
    ev = rugcheck_event(MINT, await c.report_summary(MINT), T0)
    await c.aclose()
    assert seen[0].headers["x-api-key"] == "k-123"
    assert ev.rugcheck_score == 1.0 and ev.rugcheck_danger == "" and ev.lp_locked_pct == 100.0


def test_a_live_bonding_curve_leaves_the_lp_fact_to_the_curve() -> None:
    ev = rugcheck_event(MINT, fx("report_summary_low_liquidity"), T0, with_lp=False)
    assert ev.lp_locked_pct is None and ev.rugcheck_danger == "Low Liquidity"


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda d: d.update(error="analysis failed"), "analysis failed"),
        (lambda d: d.update(mint="So11111111111111111111111111111111111111112"), "asked for"),
        (lambda d: d.update(lpLockedPct=250.0), "lpLockedPct"),
        (lambda d: d.pop("score_normalised"), "score_normalised"),
    ],
)
def test_a_failed_or_foreign_summary_is_no_fact(mutate, needle) -> None:
    d = fx("report_summary_clean_built")
    mutate(d)
    with pytest.raises(ParseError, match=needle):
        rugcheck_event(MINT, d, T0)


async def test_a_refused_request_is_a_rejected_error() -> None:
    c = client({"error": "invalid api key"}, [], status=401, key="bogus")
    with pytest.raises(RejectedError):
        await c.report_summary(MINT)
    await c.aclose()
