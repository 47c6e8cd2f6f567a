"""Books against the chain, pure: the latest position per (instance, mint), open spot longs as
the wallet's expected holdings, mismatches beyond the tolerance."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memesnipe.core.reconcile import Holding, book_holdings, compare, latest_positions
from memesnipe.streams.trading import PositionStatus, PositionUpdate, Side

T0 = datetime(2026, 12, 1, tzinfo=UTC)


def pos(
    instance: str,
    mint: str,
    qty: int,
    *,
    seq: int = 0,
    side: Side = Side.BUY,
    open_: bool = True,
    dt: int = 0,
):
    return PositionUpdate(
        instance_id=instance,
        mint=mint,
        ts=T0 + timedelta(seconds=dt),
        status=PositionStatus.OPEN if open_ else PositionStatus.CLOSED,
        side=side,
        qty_tokens=qty,
        entry_price_sol=1.0,
        mark_price_sol=1.0,
        cost_lamports=0,
        realized_pnl_lamports=0,
        unrealized_pnl_lamports=0,
        seq=seq,
    )


def test_the_latest_update_wins_by_sequence_then_time() -> None:
    ups = [pos("a", "M", 5, seq=2), pos("a", "M", 9, seq=1, dt=60), pos("a", "M", 7, seq=2, dt=1)]
    assert latest_positions(ups)[("a", "M")].qty_tokens == 7


def test_books_hold_open_spot_longs_summed_over_instances() -> None:
    latest = latest_positions(
        [
            pos("a", "M", 5),
            pos("b", "M", 3),
            pos("c", "M", 100, open_=False),  # closed: its qty is history
            pos("d", "N", 40, side=Side.SHORT),  # a perp short holds no tokens in the wallet
            pos("e", "N", 2),
        ]
    )
    assert book_holdings(latest) == {"M": 8, "N": 2}


def test_mismatches_beyond_the_tolerance_on_either_side() -> None:
    rows, bad = compare(
        {"M": 8, "N": 2}, {"M": 8, "N": 5, "X": 7, "SOL": 9, "Z": 0}, tolerance=1, ignore={"SOL"}
    )
    assert [h.mint for h in rows] == ["M", "N", "X"]  # a zero balance on chain is not a holding
    assert bad == [Holding("N", 2, 5), Holding("X", 0, 7)]
    assert bad[0].difference == 3
    assert compare({"M": 8}, {"M": 9}, tolerance=1)[1] == []
