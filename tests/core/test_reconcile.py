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


def test_a_position_reopened_after_a_close_wins_though_its_sequence_starts_again() -> None:
    import msgspec

    closed = msgspec.structs.replace(pos("a", "M", 0, seq=3, open_=False, dt=5), position_id="p1")
    reopened = msgspec.structs.replace(pos("a", "M", 40, seq=1, dt=4), position_id="p2")
    assert latest_positions([closed, reopened])[("a", "M")].qty_tokens == 40
    replayed = msgspec.structs.replace(pos("a", "M", 30, seq=0, dt=9), position_id="p2")
    assert latest_positions([closed, reopened, replayed])[("a", "M")].qty_tokens == 40


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


def _priced(instance: str, mint: str, qty: int, *, entry: float, cost: int, upnl: int) -> PositionUpdate:
    import msgspec

    return msgspec.structs.replace(
        pos(instance, mint, qty),
        entry_price_sol=entry,
        cost_lamports=cost,
        unrealized_gross_pnl_lamports=upnl,
    )


def test_missing_tokens_are_taken_from_the_largest_positions_and_extra_ones_added_to_the_largest() -> None:
    from memesnipe.core.reconcile import adoption_fill, adoptions

    books = latest_positions(
        [
            _priced("a", "M", 500, entry=2.0, cost=1_000, upnl=0),
            _priced("b", "M", 200, entry=3.0, cost=600, upnl=0),
            _priced("c", "N", 50, entry=1.0, cost=50, upnl=0),
        ]
    )
    todo, left = adoptions(books, [Holding("M", 700, 100), Holding("N", 50, 80), Holding("X", 0, 9)])
    assert [(a.instance_id, a.mint, a.delta, a.price_sol) for a in todo] == [
        ("a", "M", -500, 2.0),  # the 600 missing: all of a's 500, then 100 of b's
        ("b", "M", -100, 3.0),
        ("c", "N", 30, 1.0),  # 30 more on chain: added at the position's own entry price
    ]
    assert left == [Holding("X", 0, 9)]  # no position holds X: nothing to book it in
    f = adoption_fill(todo[0], "r1", T0)
    assert (f.side, f.qty_tokens, f.notional_lamports, f.paper) == (Side.SELL, 500, 0, False)
    assert f.fill_id == adoption_fill(todo[0], "r1", T0).fill_id != adoption_fill(todo[0], "r2", T0).fill_id
    assert f.reason.startswith("reconcile:") and len(f.fill_id) == 32


def test_the_wallets_value_is_its_sol_and_tokens_at_the_books_mark() -> None:
    from memesnipe.core.reconcile import wallet_value

    books = latest_positions(
        [
            _priced("a", "M", 500, entry=2.0, cost=1_000, upnl=500),  # marked at 3 lamports/unit
            _priced("b", "M", 500, entry=2.0, cost=1_000, upnl=500),
        ]
    )
    chain = {"M": 800, "SOLMINT": 40, "X": 9}
    value, unpriced = wallet_value(1_000_000, chain, books, sol_mint="SOLMINT")
    assert value == 1_000_000 + 40 + 800 * 3 and unpriced == ["X"]
