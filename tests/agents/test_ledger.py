"""Ledger agent's per-mint folding (no broker): the position manager's position updates and the
shadow book -> LedgerMarks. The own PnL is read, never recomputed: it equals the positions'."""

from __future__ import annotations

import msgspec

from memesnipe.agents.ledger import apply_position, apply_price
from memesnipe.core.exits import ExitRules
from memesnipe.core.position_book import BookPolicy, MintBook
from memesnipe.core.position_messages import position_update
from memesnipe.core.trailing_stop import TrailingStop
from memesnipe.streams.market import PriceEvent
from memesnipe.streams.trading import Fill, PositionUpdate
from memesnipe.tables.ledger import MintLedgerState
from tests.agents import riskmsgs as m

RULES = ExitRules(TrailingStop(stop_loss=0.5))
SOL = 10**9


def price(p: float, t: float) -> PriceEvent:
    return PriceEvent(mint="M1", ts=m.at(t), price_sol=p, decimals=6)


def booked(book: MintBook, f: Fill) -> PositionUpdate:
    """What the position manager publishes for this fill."""
    out = book.apply_fill(f, f.fill_id, BookPolicy())
    assert out is not None
    return position_update(out.position, RULES)


def test_marks_carry_the_positions_net_pnl_across_positions_of_the_mint() -> None:
    st, book = MintLedgerState(), MintBook(mint="M1")
    buy = booked(book, m.fill("o1", "M1", qty=1_000_000, notional=2 * SOL, fee=1_000, t=0))
    mk = apply_position(st, buy, interval_s=5)
    assert mk is not None and (mk.realized_lamports, mk.unrealized_lamports) == (
        buy.realized_pnl_lamports,
        buy.unrealized_pnl_lamports,
    )
    assert mk.qty_tokens == 1_000_000 and mk.seq == 1
    sell = booked(book, m.fill("o2", "M1", side=m.Side.SELL, qty=1_000_000, notional=SOL, fee=500, t=7))
    mk = apply_position(st, sell, interval_s=5)
    assert mk is not None and mk.qty_tokens == 0 and mk.unrealized_lamports == 0
    assert mk.realized_lamports == sell.realized_pnl_lamports == -SOL - 1_500
    again = booked(book, m.fill("o3", "M1", qty=1_000_000, notional=SOL, t=9))  # a new position
    mk = apply_position(st, again, interval_s=5)
    assert mk is not None and mk.realized_lamports == -SOL - 1_500  # the closed one still counts
    assert mk.seq == 3


def test_repeated_or_stale_updates_are_ignored_and_price_moves_are_throttled() -> None:
    st = MintLedgerState()
    first = msgspec.structs.replace(m.position("M1", 1_000, unrealized=-10, t=0), position_id="p1", seq=1)
    assert apply_position(st, first, interval_s=5) is not None
    assert apply_position(st, first, interval_s=5) is None  # re-sent
    moved = msgspec.structs.replace(first, seq=2, unrealized_pnl_lamports=40, ts=m.at(2))
    assert apply_position(st, moved, interval_s=5) is None  # a price move within 5 s: not sent
    later = msgspec.structs.replace(first, seq=3, unrealized_pnl_lamports=70, ts=m.at(6))
    mk = apply_position(st, later, interval_s=5)
    assert mk is not None and mk.unrealized_lamports == 70
    assert apply_position(st, moved, interval_s=5) is None  # older than the latest: stale
    closed = msgspec.structs.replace(m.position("M1", 0, realized=25, t=8), position_id="p1", seq=4)
    mk = apply_position(st, closed, interval_s=5)
    assert mk is not None and (mk.realized_lamports, mk.unrealized_lamports, mk.qty_tokens) == (25, 0, 0)
    assert apply_position(st, closed, interval_s=5) is None  # a closed position's update again
    assert apply_price(st, price(3.0, 20), interval_s=5) == []  # no shadow book: nothing to mark


def test_a_long_and_a_short_of_one_strategy_are_summed() -> None:
    st = MintLedgerState()
    long = msgspec.structs.replace(m.position("M1", 1_000, unrealized=100, t=0), position_id="L", seq=1)
    short = msgspec.structs.replace(
        m.position("M1", 500, side=m.Side.SHORT, unrealized=-30, realized=-5, t=1), position_id="S", seq=1
    )
    apply_position(st, long, interval_s=5)
    mk = apply_position(st, short, interval_s=5)
    assert mk is not None and (mk.realized_lamports, mk.unrealized_lamports, mk.qty_tokens) == (-5, 70, 1_500)
