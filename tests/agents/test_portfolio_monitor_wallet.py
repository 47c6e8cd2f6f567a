"""Live equity is the wallet's value: the reconciler's readings (SOL + tokens at the books' mark)
set equity, drawdown and the kill switch from the first reading on, instead of the configured
capital; paper (no reading) keeps capital + PnL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from memesnipe.agents.portfolio_monitor import apply_marks, apply_wallet
from memesnipe.core.portfolio import Portfolio
from memesnipe.streams.codec import encode
from memesnipe.streams.ledger import LedgerMark
from memesnipe.streams.reconcile import Reconciliation
from memesnipe.tables.ledger import PortfolioState
from memesnipe.tables.wallet import WalletView
from tests.agents import riskmsgs as m

SOL = 10**9
W = "GkwFnmMDvn3HGMpJpWBg8tgJxr3NxNvg3AXxvXVPbRGJ"


def reading(equity: int, s: int) -> Reconciliation:
    return Reconciliation(wallet=W, ts=m.at(s), sol_lamports=equity, equity_lamports=equity)


def mark(unrealized: int, seq: int) -> LedgerMark:
    return LedgerMark(
        instance_id="a", mint="M", ts=m.at(seq), realized_lamports=0, unrealized_lamports=unrealized, seq=seq
    )


def test_the_wallets_value_is_equity_from_its_first_reading_and_trips_the_kill_switch() -> None:
    st, pf = PortfolioState(), Portfolio(capital=100 * SOL, max_drawdown=0.1)
    # before any reading: capital + PnL (the configured 100 SOL)
    assert apply_marks(st, pf, [(0, mark(-2 * SOL, 1))]) is None and pf.equity == 98 * SOL
    # the wallet holds 5 SOL: that is the base, not a 95 % drawdown of the configured capital
    assert apply_wallet(st, pf, reading(5 * SOL, 10)) is None
    assert (pf.equity, pf.hwm, pf.drawdown) == (5 * SOL, 5 * SOL, 0.0)
    # marks no longer move equity; a rise sets a new high-water mark
    assert apply_marks(st, pf, [(1, mark(-50 * SOL, 2))]) is None and pf.equity == 5 * SOL
    assert apply_wallet(st, pf, reading(6 * SOL, 20)) is None and pf.hwm == 6 * SOL
    # an older reading (read late) changes nothing
    assert apply_wallet(st, pf, reading(1 * SOL, 15)) is None and pf.equity == 6 * SOL
    # down 10 % from 6 SOL trips, naming the wallet's figures
    trip = apply_wallet(st, pf, reading(54 * SOL // 10, 30))
    assert trip is not None and trip.active and trip.drawdown == pytest.approx(0.1)
    assert "equity 5.4000 SOL, HWM 6.0000 SOL" in trip.reason
    assert apply_wallet(st, pf, reading(1 * SOL, 40)) is None and pf.tripped  # once
    assert apply_wallet(st, pf, None) is None


def test_the_view_keeps_the_newest_reading_through_the_wire_checks() -> None:
    v = WalletView("127.0.0.1:9092", "t.reconciliations")
    new, old = reading(7 * SOL, 20), reading(3 * SOL, 10)
    v.apply(W.encode(), encode(new), 0, 1, 0)
    v.apply(W.encode(), encode(old), 0, 2, 0)
    assert v.latest == new
    later = Reconciliation(wallet=W, ts=new.ts + timedelta(seconds=1), sol_lamports=1, equity_lamports=1)
    v.apply(W.encode(), encode(later), 0, 3, 0)
    assert v.latest == later
