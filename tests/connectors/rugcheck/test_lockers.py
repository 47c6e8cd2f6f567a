"""RugCheck's full report gives when the LP lock ends: the earliest dated LP locker that holds
value becomes ``lp_unlock_ts`` on the SAFETY event that carries the locked share, so
rug_pull_sniffer's "LP unlocks soon" term works on live data. Payloads:
tests/fixtures/rugcheck/SOURCE.md (the Swagger example, verbatim; a report built from its schema)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.rugcheck import RugCheckClient, lp_unlock_at, rugcheck_event

FIX = Path(__file__).resolve().parents[2] / "fixtures" / "rugcheck"
MINT = "3wyAj7Rt1TWVPZVteFJPLa26JmLvdb1CAKEFZm3NY75E"
T0 = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
FIRST_UNLOCK = datetime(2026, 12, 17, tzinfo=UTC)


def fx(name: str) -> dict:
    return json.loads((FIX / f"{name}.json").read_text())


def test_the_earliest_dated_locker_holding_value_is_the_unlock_time() -> None:
    # the empty locker's earlier date (2025-12-08) does not count: it protects nothing
    assert lp_unlock_at(MINT, fx("report_lockers_built")) == FIRST_UNLOCK


def test_the_swagger_example_has_no_dated_locker_with_value() -> None:
    doc = fx("report_swagger_example")
    assert lp_unlock_at(doc["mint"], doc) is None
    assert lp_unlock_at(MINT, {"mint": MINT, "lockers": None}) is None  # no lockers at all


@pytest.mark.parametrize(
    ("mutate", "needle"),
    [
        (lambda r: r.update(mint="So11111111111111111111111111111111111111112"), "report is for"),
        (lambda r: next(iter(r["lockers"].values())).update(unlockDate=1797465600000), "not Unix seconds"),
        (lambda r: next(iter(r["lockers"].values())).update(unlockDate="soon"), "unlockDate"),
    ],
)
def test_a_foreign_or_malformed_report_raises(mutate, needle) -> None:
    report = fx("report_lockers_built")
    mutate(report)
    with pytest.raises(ParseError, match=needle):
        lp_unlock_at(MINT, report)


def test_the_unlock_time_rides_with_the_locked_share_and_only_with_it() -> None:
    summary, report = fx("report_summary_clean_built"), fx("report_lockers_built")
    ev = rugcheck_event(MINT, summary, T0, report=report)
    assert (ev.lp_locked_pct, ev.lp_unlock_ts) == (100.0, FIRST_UNLOCK)
    on_curve = rugcheck_event(MINT, summary, T0, with_lp=False, report=report)
    assert on_curve.lp_locked_pct is None and on_curve.lp_unlock_ts is None
    nothing_locked = rugcheck_event(MINT, dict(summary, lpLockedPct=0), T0, report=report)
    assert nothing_locked.lp_locked_pct == 0.0 and nothing_locked.lp_unlock_ts is None


async def test_the_client_asks_for_the_full_report() -> None:
    seen: list[str] = []

    def handler(req: httpx.Request) -> httpx.Response:
        seen.append(req.url.path)
        return httpx.Response(200, json=fx("report_lockers_built"))

    client = RugCheckClient(transport=httpx.MockTransport(handler))
    raw = await client.report(MINT)
    await client.aclose()
    assert seen == [f"/v1/tokens/{MINT}/report"] and lp_unlock_at(MINT, raw) == FIRST_UNLOCK


def test_rug_pull_sniffer_reads_the_live_unlock_time_as_lp_unlocks_soon() -> None:
    """The RugCheck event two hours before the first unlock, and the RPC's live mint authority
    (another SAFETY fact of the same mint), reach the short threshold; a week before, they do not."""
    from memesnipe.streams.market import OnChainEvent, OnChainKind
    from tests.core.strategies.scenario import run

    summary, report = fx("report_summary_clean_built"), fx("report_lockers_built")

    def facts(before_unlock_s: float) -> list[OnChainEvent]:
        t = FIRST_UNLOCK.timestamp() - before_unlock_s
        ev = rugcheck_event(MINT, summary, datetime.fromtimestamp(t, UTC), report=report)
        rpc = OnChainEvent(
            mint=MINT, ts=ev.ts, kind=OnChainKind.SAFETY, source="solana_rpc", mint_authority_live=True
        )
        return [rpc, ev]

    [sig] = run("rug_pull_sniffer", facts(2 * 3600))
    assert "LP unlocks in 2.0 h" in sig.reason
    assert run("rug_pull_sniffer", facts(7 * 86_400)) == []
