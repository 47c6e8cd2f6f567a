"""RugCheck report summary -> OnChainEvent(kind=SAFETY, source="rugcheck").

Facts carried: ``rugcheck_score`` (``score_normalised``, 0-100, higher = riskier),
``rugcheck_danger`` (names of the risks at level ``danger``, ``"; "``-joined; ``""`` = none) and
``lp_locked_pct`` (``lpLockedPct``, percent of the LP burned or locked) and, when some LP is
locked and the full report was read, ``lp_unlock_ts``: the earliest ``unlockDate`` of the
report's LP ``lockers`` that hold value (``usdcLocked`` > 0), past dates included (an expired lock
is unlocked LP). A summary with ``error``
set carries no facts (ParseError): a failed analysis must not read as a clean one. Event time is
the fetch time (the summary carries none).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.rugcheck.schemas import TokenCheckSummary, TokenReportLockers
from memesnipe.connectors.runner import validate
from memesnipe.streams.market import OnChainEvent, OnChainKind

PROVIDER = "rugcheck"


MAX_UNLOCK_S = 32_503_680_000  # year 3000: anything later is not Unix seconds


def lp_unlock_at(mint: str, raw: Any) -> datetime | None:
    """The earliest unlock date of the report's LP lockers holding value; None without one."""
    r = validate(TokenReportLockers, raw, PROVIDER)
    if r.mint is not None and r.mint != mint:
        raise ParseError(PROVIDER, f"report is for {r.mint}, asked for {mint}")
    dates = []
    for key, locker in (r.lockers or {}).items():
        if locker.usdcLocked <= 0 or locker.unlockDate <= 0:
            continue
        if locker.unlockDate > MAX_UNLOCK_S:
            raise ParseError(
                PROVIDER, f"{mint}: locker {key} unlockDate {locker.unlockDate} is not Unix seconds"
            )
        dates.append(locker.unlockDate)
    return datetime.fromtimestamp(min(dates), UTC) if dates else None


def rugcheck_event(
    mint: str, raw: Any, fetched_at: datetime, *, with_lp: bool = True, report: Any = None
) -> OnChainEvent:
    """``with_lp=False``: leave the LP fact out (a token still on its pump.fun bonding curve has
    no LP yet; its liquidity is locked in the curve, reported by the curve's own state).
    ``report``: the full report, for the LP unlock date."""
    s = validate(TokenCheckSummary, raw, PROVIDER)
    if s.error:
        raise ParseError(PROVIDER, f"{mint}: report summary error: {s.error}")
    if s.mint is not None and s.mint != mint:
        raise ParseError(PROVIDER, f"summary is for {s.mint}, asked for {mint}")
    if not 0.0 <= s.score_normalised <= 100.0:
        raise ParseError(PROVIDER, f"{mint}: score_normalised {s.score_normalised} outside 0..100")
    lp = s.lpLockedPct
    if lp is not None and not 0.0 <= lp <= 100.0:
        raise ParseError(PROVIDER, f"{mint}: lpLockedPct {lp} outside 0..100")
    danger = "; ".join(r.name for r in s.risks or () if r.level.lower() == "danger")
    unlock = lp_unlock_at(mint, report) if with_lp and lp and report is not None else None
    return OnChainEvent(
        mint=mint,
        ts=fetched_at,
        source=PROVIDER,
        kind=OnChainKind.SAFETY,
        rugcheck_score=float(s.score_normalised),
        rugcheck_danger=danger,
        lp_locked_pct=lp if with_lp else None,
        lp_unlock_ts=unlock,
    )
