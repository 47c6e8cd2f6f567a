"""Position accounting: average cost, realized/unrealized PnL gross and net of every cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memesnipe.core.positions import FillAction, FillError, apply_fill, new_position, summarize
from memesnipe.core.trailing_stop import Direction
from memesnipe.streams import Fill, Intent, Side

T0 = datetime(2026, 1, 1, tzinfo=UTC)
SOL = 1_000_000_000
TOK = 10**6  # base units per whole token (6 decimals)


def fill(side: Side, qty_tokens: int, notional: int, price: float, n: int = 0, **costs: int) -> Fill:
    return Fill(
        fill_id=f"f{n}",
        order_id=f"f{n}",
        instance_id="mom-1",
        family="momentum_5m",
        mint="MINT",
        ts=T0 + timedelta(seconds=n),
        side=side,
        intent=Intent.ENTRY if side in (Side.BUY, Side.SHORT) else Intent.EXIT,
        qty_tokens=qty_tokens,
        notional_lamports=notional,
        price_sol=price,
        **costs,
    )


def test_long_round_trip_gross_and_net() -> None:
    # buy 1000 tokens at 0.01 SOL = 10 SOL; sell them at 0.012 = 12 SOL
    buy = fill(
        Side.BUY,
        1000 * TOK,
        10 * SOL,
        0.01,
        0,
        swap_fee_lamports=25_000_000,
        priority_fee_lamports=15_000,
        jito_tip_lamports=1_000,
    )
    pos = new_position(buy, Direction.LONG)
    e = apply_fill(pos, buy)
    assert e.action is FillAction.OPEN and pos.qty == 1000 * TOK and pos.basis_lamports == 10 * SOL
    assert pos.open_costs_lamports == 25_016_000 and pos.entry_price == 0.01
    pos.decimals = 6
    assert pos.unrealized_gross_lamports(0.011) == 1 * SOL
    assert pos.unrealized_net_lamports(0.011) == 1 * SOL - 25_016_000

    sell = fill(
        Side.SELL,
        1000 * TOK,
        12 * SOL,
        0.012,
        1,
        swap_fee_lamports=30_000_000,
        priority_fee_lamports=15_000,
        jito_tip_lamports=1_000,
    )
    e = apply_fill(pos, sell)
    assert e.closed and e.qty == 1000 * TOK and e.excess_qty == 0
    assert pos.exit_reason == "signal_exit"  # closed by a sell the position manager did not ask for
    assert pos.realized_gross_lamports == 2 * SOL
    assert pos.realized_costs_lamports == 25_016_000 + 30_016_000
    assert pos.realized_net_lamports == 2 * SOL - 55_032_000
    assert pos.costs.total == 55_032_000
    assert (pos.costs.swap_fee, pos.costs.priority_fee, pos.costs.jito_tip) == (55_000_000, 30_000, 2_000)
    assert pos.qty == 0 and pos.basis_lamports == 0 and pos.open_costs_lamports == 0
    assert pos.unrealized_gross_lamports() == 0 and pos.closed_at_s == (T0 + timedelta(seconds=1)).timestamp()


def test_average_cost_and_partial_close() -> None:
    b1 = fill(Side.BUY, 100 * TOK, 1 * SOL, 0.01, 0, swap_fee_lamports=300)
    pos = new_position(b1, Direction.LONG)
    apply_fill(pos, b1)
    apply_fill(pos, fill(Side.BUY, 100 * TOK, 3 * SOL, 0.03, 1, swap_fee_lamports=600))
    assert pos.entry_price == pytest.approx(0.02) and pos.basis_lamports == 4 * SOL
    # sell a quarter (50 tokens) at 0.04 = 2 SOL: releases basis 1 SOL and a quarter of 900
    e = apply_fill(pos, fill(Side.SELL, 50 * TOK, 2 * SOL, 0.04, 2, swap_fee_lamports=100))
    assert not e.closed and e.realized_gross_lamports == 1 * SOL and e.realized_costs_lamports == 225 + 100
    assert pos.qty == 150 * TOK and pos.basis_lamports == 3 * SOL and pos.open_costs_lamports == 675
    assert pos.entry_price == pytest.approx(0.02)  # average cost does not move on a sale
    pos.decimals = 6
    assert pos.unrealized_gross_lamports(0.04) == 3 * SOL


def test_short_via_drift_with_fees_and_funding() -> None:
    # short 1000 tokens at 0.01 (10 SOL notional), cover at 0.008 (8 SOL), funding received 0.05 SOL
    s = fill(
        Side.SHORT, 1000 * TOK, 10 * SOL, 0.01, 0, drift_fee_lamports=10_000_000, priority_fee_lamports=5_000
    )
    pos = new_position(s, Direction.SHORT)
    apply_fill(pos, s)
    pos.decimals = 6
    assert pos.unrealized_gross_lamports(0.011) == -1 * SOL
    c = fill(
        Side.COVER,
        1000 * TOK,
        8 * SOL,
        0.008,
        1,
        drift_fee_lamports=8_000_000,
        priority_fee_lamports=5_000,
        funding_lamports=50_000_000,
    )
    e = apply_fill(pos, c)
    assert e.closed and pos.realized_gross_lamports == 2 * SOL
    assert pos.realized_costs_lamports == 10_005_000 + 8_005_000 - 50_000_000
    assert pos.realized_net_lamports == 2 * SOL + 31_990_000
    assert (pos.costs.drift_fee, pos.costs.funding) == (18_000_000, 50_000_000)
    assert pos.costs.total == pos.realized_costs_lamports == -31_990_000


def test_selling_more_than_held_books_only_the_held_part() -> None:
    b = fill(Side.BUY, 100 * TOK, 1 * SOL, 0.01, 0)
    pos = new_position(b, Direction.LONG)
    apply_fill(pos, b)
    e = apply_fill(pos, fill(Side.SELL, 200 * TOK, 4 * SOL, 0.02, 1))
    assert e.closed and e.qty == 100 * TOK and e.excess_qty == 100 * TOK
    assert pos.realized_gross_lamports == 1 * SOL  # half the proceeds belong to the held 100


def test_unrealized_without_decimals_scales_basis_by_price() -> None:
    b = fill(Side.BUY, 100 * TOK, 1 * SOL, 0.01, 0)
    pos = new_position(b, Direction.LONG)
    apply_fill(pos, b)
    assert pos.decimals == -1 and pos.unrealized_gross_lamports(0.015) == SOL // 2


@pytest.mark.parametrize(
    ("f", "text"),
    [
        (fill(Side.BUY, -1, 1, 0.01), "qty_tokens"),
        (fill(Side.BUY, 10, 1, 0.0), "price_sol"),
        (fill(Side.SHORT, 10, 1, 0.01), "does not belong"),
    ],
)
def test_bad_fills_are_refused(f: Fill, text: str) -> None:
    pos = new_position(fill(Side.BUY, 1, 1, 0.01), Direction.LONG)
    with pytest.raises(FillError, match=text):
        apply_fill(pos, f)


def test_summary_per_strategy_gross_and_net() -> None:
    b = fill(Side.BUY, 100 * TOK, 1 * SOL, 0.01, 0, swap_fee_lamports=1000)
    p1 = new_position(b, Direction.LONG)
    apply_fill(p1, b)
    p1.decimals, p1.mark_price = 6, 0.02
    s = summarize([p1])["mom-1"]
    assert (s.unrealized_gross, s.unrealized_net, s.costs, s.open_positions) == (SOL, SOL - 1000, 1000, 1)
    assert s.total_net == SOL - 1000
