"""Average-cost PnL from fills: hand-computed cases and invariants over random fill sequences."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from memesnipe.core.ledger import PositionPnl
from memesnipe.core.positions import Position, apply_fill, new_position
from memesnipe.core.trailing_stop import Direction
from memesnipe.sinks.ledger import Book, Ledger, daily_sharpe, max_drawdown, sharpe
from memesnipe.streams import Side
from tests.sinks.factories import SOL, T0, fill


def row(f: Any) -> dict[str, Any]:
    return {
        "fill_id": f.fill_id,
        "instance_id": f.instance_id,
        "family": f.family,
        "mint": f.mint,
        "ts": f.ts,
        "side": f.side.value,
        "qty_tokens": f.qty_tokens,
        "notional_lamports": f.notional_lamports,
        "cost_lamports": f.cost_lamports,
    }


def test_a_long_round_trip_is_one_winning_trade_net_of_both_legs_costs() -> None:
    led = Ledger()
    assert led.apply(row(fill(1, Side.BUY, notional=SOL, swap_fee=3_000_000, priority=0, tip=0))) is None
    trade = led.apply(row(fill(2, Side.SELL, notional=int(1.2 * SOL), swap_fee=2_000_000, priority=0, tip=0)))
    assert trade is not None
    assert trade.gross == pytest.approx(0.2 * SOL)
    assert trade.costs == pytest.approx(5_000_000)
    assert trade.net == pytest.approx(0.2 * SOL - 5_000_000)
    s = led.stats["momo-1"]
    assert (s.trades, s.wins, s.fills) == (1, 1, 2)
    assert s.net_pnl == pytest.approx(0.2 * SOL - 5_000_000)


def test_a_partial_close_uses_the_average_cost_and_its_share_of_entry_costs() -> None:
    led = Ledger()
    led.apply(row(fill(1, Side.BUY, qty=1000, notional=SOL, swap_fee=1000, priority=0, tip=0)))
    led.apply(row(fill(2, Side.BUY, qty=1000, notional=2 * SOL, swap_fee=3000, priority=0, tip=0)))
    trade = led.apply(row(fill(3, Side.SELL, qty=1000, notional=SOL, swap_fee=500, priority=0, tip=0)))
    assert trade is not None
    assert trade.gross == pytest.approx(SOL - 1.5 * SOL)  # sold at 1.0, average cost 1.5
    assert trade.costs == pytest.approx(2000 + 500)  # half of the 4000 entry costs + the exit's own
    book = led.books.get(("momo-1", "MintA", "long"), Book())
    assert (
        book.qty == 1000
        and book.basis == pytest.approx(1.5 * SOL)
        and book.entry_costs == pytest.approx(2000)
    )
    assert led.stats["momo-1"].wins == 0


def test_a_perp_short_gains_when_covered_lower() -> None:
    led = Ledger()
    led.apply(row(fill(1, Side.SHORT, notional=SOL, swap_fee=0, priority=0, tip=0, drift_fee=1000)))
    trade = led.apply(
        row(
            fill(
                2,
                Side.COVER,
                notional=int(0.8 * SOL),
                swap_fee=0,
                priority=0,
                tip=0,
                drift_fee=1000,
                funding=500,
            )
        )
    )
    assert trade is not None
    assert trade.gross == pytest.approx(0.2 * SOL)
    assert trade.costs == pytest.approx(1000 + 1000 - 500)


def test_long_and_short_books_of_one_mint_are_separate() -> None:
    led = Ledger()
    led.apply(row(fill(1, Side.BUY, notional=SOL)))
    led.apply(row(fill(2, Side.SHORT, notional=SOL)))
    trade = led.apply(row(fill(3, Side.SELL, notional=2 * SOL)))
    assert trade is not None and trade.gross == pytest.approx(SOL)
    assert led.books[("momo-1", "MintA", "short")].qty == 1_000_000


def test_a_sell_with_no_open_position_realizes_nothing_and_is_flagged() -> None:
    led = Ledger()
    assert led.apply(row(fill(1, Side.SELL, notional=SOL))) is None
    s = led.stats["momo-1"]
    assert s.trades == 0 and s.realized_gross == 0 and s.unmatched_qty == 1_000_000
    assert s.costs == pytest.approx(fill(1, Side.SELL).cost_lamports)  # its costs still count


def test_an_unknown_side_is_an_error_naming_the_fill() -> None:
    r = row(fill(1, Side.BUY))
    r["side"] = "hodl"
    with pytest.raises(ValueError, match="fill-1"):
        Ledger().apply(r)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(1, 5_000), st.integers(0, 10 * SOL), st.integers(0, 10**7)),
        min_size=1,
        max_size=40,
    )
)
def test_costs_are_conserved_and_a_flat_book_realizes_proceeds_minus_basis(ops: list[Any]) -> None:
    led = Ledger()
    bought = sold_matched = 0.0
    open_qty = 0
    total_costs = orphan_costs = 0
    for i, (is_buy, qty, notional, fee) in enumerate(ops):
        f = fill(
            i, Side.BUY if is_buy else Side.SELL, qty=qty, notional=notional, swap_fee=fee, priority=0, tip=0
        )
        total_costs += fee
        if is_buy:
            bought += notional
            open_qty += qty
        else:
            closed = min(qty, open_qty)
            orphan_costs += fee if closed == 0 else 0
            sold_matched += notional * closed // qty  # integer lamports, as a position's
            open_qty -= closed
        led.apply(row(f))
    book = led.books.get(("momo-1", "MintA", "long"))
    remaining_entry_costs = book.entry_costs if book else 0.0
    trade_costs = sum(t.costs for t in led.trades)
    assert trade_costs + remaining_entry_costs + orphan_costs == pytest.approx(
        total_costs, rel=1e-9, abs=1e-3
    )
    assert led.costs == total_costs
    assert (book.qty if book else 0) == open_qty
    if open_qty == 0:
        assert led.realized_gross == pytest.approx(sold_matched - bought, rel=1e-9, abs=1e-2)
    else:
        assert led.realized_gross == pytest.approx(sold_matched - (bought - book.basis), rel=1e-9, abs=1e-2)


def test_sharpe_is_mean_over_sample_std_and_annualizes_by_sqrt_periods() -> None:
    assert sharpe([1.0, 2.0, 3.0]) == pytest.approx(2.0)
    assert sharpe([1.0, 2.0, 3.0], 365) == pytest.approx(2.0 * math.sqrt(365))
    assert sharpe([1.0]) is None
    assert sharpe([2.0, 2.0]) is None


def test_max_drawdown_is_the_largest_fall_from_a_peak() -> None:
    assert max_drawdown([100, 120, 90, 130, 125]) == pytest.approx(0.25)
    assert max_drawdown([100, 110, 120]) == 0.0


def test_daily_sharpe_uses_the_last_equity_of_each_day() -> None:
    pts = [
        (T0, 101.0),
        (T0 + timedelta(hours=1), 102.0),
        (T0 + timedelta(days=1), 99.96),
        (T0 + timedelta(days=2), 102.9588),
    ]
    # daily returns vs 100: +2%, -2%, +3%
    expected = sharpe([0.02, -0.02, 0.03], 365)
    assert daily_sharpe(pts, 100.0) == pytest.approx(expected, rel=1e-6)
    assert daily_sharpe(pts[:2], 100.0) is None


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.booleans(), st.integers(1, 5_000), st.integers(1, 10 * SOL), st.integers(0, 10**7)),
        min_size=1,
        max_size=40,
    )
)
def test_the_analytics_the_ledger_and_the_positions_book_the_same_pnl(ops: list[Any]) -> None:
    """One average-cost rule (``core.positions.reduce_at_average_cost``): the analytics ledger,
    the ledger stage's ``PositionPnl`` and the position manager's ``Position`` realize the same
    lamports from the same fills (sells with nothing open are skipped: only the analytics book
    those, as unmatched)."""
    led, pnl = Ledger(), PositionPnl()
    pos: Position | None = None
    gross = costs = net = 0  # over the positions, closed and open
    for i, (is_buy, qty, notional, fee) in enumerate(ops):
        if not is_buy and (pos is None or not pos.is_open):
            continue
        f = fill(
            i, Side.BUY if is_buy else Side.SELL, qty=qty, notional=notional, swap_fee=fee, priority=0, tip=0
        )
        led.apply(row(f))
        pnl.apply_fill(f.side.value, f.qty_tokens, f.notional_lamports, f.cost_lamports, 0.0)
        if pos is None:
            pos = new_position(f, Direction.LONG)
        apply_fill(pos, f)
        if not pos.is_open:
            gross += pos.realized_gross_lamports
            costs += pos.realized_costs_lamports
            net += pos.realized_net_lamports
            pos = None
    book = led.books.get(("momo-1", "MintA", "long"), Book())
    if pos is not None:
        gross += pos.realized_gross_lamports
        costs += pos.realized_costs_lamports
        net += pos.realized_net_lamports - pos.open_costs_lamports
        assert (book.qty, book.basis, book.entry_costs) == (
            pos.qty,
            pos.basis_lamports,
            pos.open_costs_lamports,
        )
    else:
        assert (book.qty, book.basis, book.entry_costs) == (0, 0, 0)
    assert led.realized_gross == gross
    assert sum(t.costs for t in led.trades) == costs
    assert pnl.realized == net  # realized net of every cost, open costs included
