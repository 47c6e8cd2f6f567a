"""Ledger agent's per-mint folding (no broker): fills and price marks -> LedgerMarks."""

from __future__ import annotations

from memesnipe.agents.ledger import apply_fill, apply_price
from memesnipe.streams.market import PriceEvent
from memesnipe.tables.ledger import MintLedgerState
from tests.agents import riskmsgs as m


def price(p: float, t: float) -> PriceEvent:
    return PriceEvent(mint="M1", ts=m.at(t), price_sol=p, decimals=6)


def test_fill_then_throttled_marks_and_duplicate_fills_ignored() -> None:
    st = MintLedgerState()
    mk = apply_fill(st, m.fill("o1", "M1", qty=1_000_000, notional=2 * 10**9, fee=1000, t=0))
    assert mk is not None and (mk.realized_lamports, mk.unrealized_lamports, mk.seq) == (-1000, 0, 1)
    assert apply_fill(st, m.fill("o1", "M1", qty=1_000_000, notional=2 * 10**9, t=0)) is None  # same fill id
    assert [x.unrealized_lamports for x in apply_price(st, price(1.5, 2), interval_s=5)] == []  # < 5 s
    marks = apply_price(st, price(1.5, 6), interval_s=5)
    assert [(x.unrealized_lamports, x.qty_tokens) for x in marks] == [(-500_000_000, 1_000_000)]
    assert marks[0].seq == 3  # every mark bumps seq, emitted or not
    sell = apply_fill(st, m.fill("o2", "M1", side=m.Side.SELL, qty=1_000_000, notional=10**9, t=7))
    assert sell is not None and (sell.realized_lamports, sell.unrealized_lamports) == (-1000 - 10**9, 0)
    assert apply_price(st, price(3.0, 20), interval_s=5) == []  # flat: nothing to mark
