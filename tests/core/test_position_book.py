"""The per-mint book: exact replay skipping, fill dedupe, pending exits and re-arming, rug
stickiness, stale marks, throttled publishing, and a lossless encode/decode."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from memesnipe.core.exits import ExitReason, ExitRules
from memesnipe.core.position_book import (
    BookError,
    BookPolicy,
    MintBook,
    decode_book,
    encode_book,
    exit_source,
)
from memesnipe.core.trailing_stop import Direction, TrailingStop
from memesnipe.streams import Fill, Intent, Side

T0 = datetime(2026, 1, 1, tzinfo=UTC)
S0 = T0.timestamp()
RULES = ExitRules(stop=TrailingStop(stop_loss=0.10, activation_offset=0.03, trail=0.02), max_hold_s=3600)
POLICY = BookPolicy(exit_retry_s=30, publish_min_change=0.01, publish_interval_s=10, rug_ttl_s=600)


def rules_for(_: str) -> ExitRules:
    return RULES


def fill(side: Side, qty: int, notional: int, price: float, n: int, inst: str = "mom-1") -> Fill:
    return Fill(
        fill_id=f"f{n}",
        order_id=f"f{n}",
        instance_id=inst,
        family="momentum_5m",
        mint="MINT",
        ts=T0 + timedelta(seconds=n),
        side=side,
        intent=Intent.ENTRY if side in (Side.BUY, Side.SHORT) else Intent.EXIT,
        qty_tokens=qty,
        notional_lamports=notional,
        price_sol=price,
    )


def opened() -> MintBook:
    book = MintBook(mint="MINT")
    out = book.apply_fill(fill(Side.BUY, 1000, 100_000, 100.0, 0), "fills/0/0", POLICY)
    assert out is not None and out.position.is_open
    return book


def mark(book: MintBook, price: float, t: float, n: int):
    return book.apply_mark(price, 6, S0 + t, f"price/0/{n}", rules_for, POLICY)


def test_offsets_skip_what_was_applied() -> None:
    book = MintBook(mint="MINT")
    assert not book.is_applied("price", 5)
    book.record("price", 5)
    assert book.is_applied("price", 5) and book.is_applied("price", 4) and not book.is_applied("price", 6)
    assert not book.is_applied("fills", 0)


def test_same_fill_id_is_booked_once() -> None:
    book = opened()
    assert book.apply_fill(fill(Side.BUY, 1000, 100_000, 100.0, 0), "fills/0/9", POLICY) is None
    assert book.positions["mom-1|long"].qty == 1000


def test_pump_then_dump_exits_once_with_the_trailing_stop_then_closes() -> None:
    book = opened()
    for i, p in enumerate([101.0, 103.0, 108.0, 110.0, 109.0], start=1):
        assert all(o.exit is None for o in mark(book, p, i, i))
    outs = mark(book, 107.7, 6, 6)  # stop 107.8
    (o,) = outs
    assert o.exit is not None and o.exit.decision.reason is ExitReason.TRAILING_STOP
    assert o.exit.decision.detail == "trailing_stop: price 107.7 <= stop 107.8"
    assert exit_source(o.exit.signal_id) == "exit|mom-1|long|price/0/6"
    assert o.publish  # an exit always publishes the position
    # still below the stop: no second exit while the first is pending
    assert mark(book, 100.0, 7, 7)[0].exit is None
    # the sell fills: position closed, removed, exit reason kept
    out = book.apply_fill(fill(Side.SELL, 1000, 107_700, 107.7, 8), "fills/0/1", POLICY)
    assert out is not None and out.effect.closed and out.position.exit_reason == "trailing_stop"
    assert out.position.realized_gross_lamports == 7_700
    assert book.positions == {}


def test_pending_exit_rearms_after_the_retry_time() -> None:
    book = opened()
    first = mark(book, 89.0, 1, 1)[0].exit
    assert first is not None and first.decision.reason is ExitReason.STOP_LOSS
    assert mark(book, 88.0, 30, 2)[0].exit is None  # 29 s later: still pending
    again = mark(book, 88.0, 31, 3)[0].exit
    assert again is not None and exit_source(again.signal_id) == "exit|mom-1|long|price/0/3"


def test_partial_exit_fill_rearms_for_the_rest() -> None:
    book = opened()
    assert mark(book, 89.0, 1, 1)[0].exit is not None
    out = book.apply_fill(fill(Side.SELL, 400, 35_600, 89.0, 2), "fills/0/1", POLICY)
    assert out is not None and not out.effect.closed and out.position.qty == 600
    again = mark(book, 88.0, 3, 3)[0].exit
    assert again is not None and again.decision.reason is ExitReason.STOP_LOSS


def test_rug_exits_longs_now_and_longs_opened_later_but_not_shorts() -> None:
    book = opened()
    book.apply_fill(fill(Side.SHORT, 500, 50_000, 100.0, 1, inst="rug-1"), "fills/0/1", POLICY)
    orders = book.apply_rug("LP pulled", S0 + 2, "signals/0/4", POLICY)
    assert [(o.position.instance_id, o.decision.reason) for o in orders] == [("mom-1", ExitReason.RUG)]
    assert orders[0].decision.detail == "rug: LP pulled"
    # another strategy's long filled after the rug is told to leave at once
    out = book.apply_fill(fill(Side.BUY, 10, 1_000, 100.0, 3, inst="late-1"), "fills/0/2", POLICY)
    assert out is not None and out.exit is not None and out.exit.decision.reason is ExitReason.RUG
    # after the TTL (on the market's clock) a new long is left alone
    mark(book, 100.0, 700, 9)
    out = book.apply_fill(fill(Side.BUY, 10, 1_000, 100.0, 700, inst="later-1"), "fills/0/3", POLICY)
    assert out is not None and out.exit is None


def test_max_hold_counts_market_event_time_from_the_first_mark() -> None:
    book = opened()
    assert mark(book, 100.0, 1, 1)[0].exit is None
    assert mark(book, 100.0, 3600, 2)[0].exit is None  # held 3599 s
    o = mark(book, 100.0, 3601, 3)[0].exit
    assert o is not None and o.decision.reason is ExitReason.MAX_HOLD


def test_fill_clock_ahead_of_the_market_clock_still_stops_out() -> None:
    # a paper fill stamped with the wall clock, marks from a replay months earlier: the stop,
    # the publish interval and the exit retry all run on the marks' clock
    book = MintBook(mint="MINT")
    late = Fill(
        fill_id="f0",
        order_id="f0",
        instance_id="mom-1",
        family="momentum_5m",
        mint="MINT",
        ts=T0 + timedelta(days=300),
        side=Side.BUY,
        intent=Intent.ENTRY,
        qty_tokens=1000,
        notional_lamports=100_000,
        price_sol=100.0,
    )
    book.apply_fill(late, "fills/0/0", POLICY)
    assert [mark(book, 100.2, t, t)[0].publish for t in (1, 5, 11)] == [True, False, True]
    first = mark(book, 89.0, 12, 12)[0].exit
    assert first is not None and first.decision.reason is ExitReason.STOP_LOSS
    assert mark(book, 88.0, 41, 13)[0].exit is None
    assert mark(book, 88.0, 42, 14)[0].exit is not None  # re-armed after 30 s of market time


def test_stale_marks_are_ignored() -> None:
    book = opened()
    mark(book, 110.0, 10, 1)
    assert mark(book, 50.0, 5, 2) == []  # older than the last mark: not a price we can act on
    pos = book.positions["mom-1|long"]
    assert (pos.mark_price, pos.best_price) == (110.0, 110.0)


def test_marks_publish_on_1pct_moves_or_every_10s() -> None:
    book = opened()  # published at the fill, before any market time: the first mark publishes
    assert [
        mark(book, p, t, n)[0].publish
        for n, (p, t) in enumerate([(100.0, 0), (100.5, 1), (100.99, 2), (101.0, 3), (101.5, 4), (101.5, 14)])
    ] == [True, False, False, True, False, True]


def test_reducing_without_a_position_is_refused() -> None:
    book = MintBook(mint="MINT")
    with pytest.raises(BookError, match="holds no long position"):
        book.apply_fill(fill(Side.SELL, 10, 1_000, 100.0, 0), "fills/0/0", POLICY)


def test_short_gets_its_drift_market_from_the_entry_signal() -> None:
    book = MintBook(mint="MINT")
    book.note_perp_market("rug-1", 42)
    out = book.apply_fill(fill(Side.SHORT, 500, 50_000, 100.0, 1, inst="rug-1"), "fills/0/1", POLICY)
    assert out is not None and out.position.perp_market_index == 42
    o = mark(book, 111.0, 2, 1)[0].exit
    assert (
        o is not None
        and o.decision.reason is ExitReason.STOP_LOSS
        and o.position.direction is Direction.SHORT
    )


def test_encode_decode_round_trip() -> None:
    book = opened()
    mark(book, 105.0, 1, 1)
    book.record("price", 1)
    again = decode_book(encode_book(book))
    assert again == book
    assert again.positions["mom-1|long"].best_price == 105.0


def test_two_positions_never_share_an_exit_id_for_the_same_input() -> None:
    """A stop closed one position; a late fill opened another, and replaying the marks it missed
    trips the same stop for it: its exit must not carry the first one's id (the risk gate would
    drop it as a duplicate and leave the position open; found by tests/faults)."""
    from memesnipe.core.position_book import exit_signal_id
    from memesnipe.core.trailing_stop import Direction

    first = exit_signal_id("i", Direction.SHORT, "faults.price/2/400", "i|M|short|fill-a")
    second = exit_signal_id("i", Direction.SHORT, "faults.price/2/400", "i|M|short|fill-b")
    assert first != second
    assert exit_source(first) == exit_source(second) == "exit|i|short|faults.price/2/400"
    assert exit_signal_id("i", Direction.SHORT, "src", "i|M|short|fill-a") == first.replace(
        "faults.price/2/400", "src"
    )
