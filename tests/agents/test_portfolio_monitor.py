"""Portfolio monitor folding (no broker): equity from marks, replay-safe, one trip, re-arm."""

from __future__ import annotations

from datetime import timedelta

import pytest

from memesnipe.agents.portfolio_monitor import apply_marks, maybe_rearm
from memesnipe.core.portfolio import Portfolio
from memesnipe.streams.control import KillSwitch
from memesnipe.streams.ledger import LedgerMark
from memesnipe.tables.ledger import PortfolioState
from tests.agents import riskmsgs as m

SOL = 10**9


def mark(inst: str, mint: str, realized: int, unrealized: int, seq: int) -> LedgerMark:
    return LedgerMark(
        instance_id=inst,
        mint=mint,
        ts=m.at(seq),
        realized_lamports=realized,
        unrealized_lamports=unrealized,
        seq=seq,
    )


def test_equity_sums_latest_marks_and_trips_once() -> None:
    st, pf = PortfolioState(), Portfolio(capital=100 * SOL, max_drawdown=0.1)
    trip = apply_marks(st, pf, [(0, mark("a", "M1", 0, -3 * SOL, 1)), (1, mark("b", "M2", -2 * SOL, 0, 1))])
    assert trip is None and st.pnl == -5 * SOL and pf.equity == 95 * SOL
    # a's position on M1 now -8: total -10 -> 10% drawdown -> trips, reason names the figures
    trip = apply_marks(st, pf, [(2, mark("a", "M1", 0, -8 * SOL, 2))])
    assert trip is not None and trip.active and trip.drawdown == pytest.approx(0.1)
    assert "equity 90.0000 SOL, HWM 100.0000 SOL" in trip.reason
    # replayed offsets and stale seqs change nothing; no second trip while tripped
    assert apply_marks(st, pf, [(2, mark("a", "M1", 0, -50 * SOL, 3))]) is None and st.pnl == -10 * SOL
    assert apply_marks(st, pf, [(3, mark("a", "M1", 0, -1 * SOL, 1))]) is None and st.pnl == -10 * SOL
    assert apply_marks(st, pf, [(4, mark("a", "M1", 0, -20 * SOL, 4))]) is None and pf.tripped


def test_resume_after_the_trip_rearms_from_current_equity() -> None:
    st, pf = (
        PortfolioState(tripped=True, trip_ts=m.at(100).timestamp()),
        Portfolio(100, 0.1, hwm=100, equity=80, tripped=True),
    )
    old = KillSwitch(active=False, ts=m.at(50), by="ops", reason="older than the trip")
    assert not maybe_rearm(st, pf, old) and pf.tripped
    assert not maybe_rearm(st, pf, KillSwitch(active=True, ts=m.at(101), by="x", reason="y"))
    assert maybe_rearm(
        st, pf, KillSwitch(active=False, ts=m.at(100) + timedelta(seconds=1), by="ops", reason="ok")
    )
    assert (pf.tripped, pf.hwm) == (False, 80)
