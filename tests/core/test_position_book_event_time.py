"""The book decides exits as of each input's event time, as the backtester does in event-time
order: a rug counts from its own time on, a strategy exit refused before its entry filled is
claimed at its own moment among a late fill's marks, every exit carries the market of its
moment (price, and the depth snapshot before a mark / as of a fill), and the history limits
come from the policy (``exits.mark_history[_s]``)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import msgspec

from memesnipe.core.exits import ExitReason
from memesnipe.core.position_book import BookPolicy, MarketStamp, MintBook, decode_book, encode_book
from memesnipe.core.trailing_stop import Direction
from memesnipe.streams import Side
from memesnipe.streams.trading import DepthStamp
from tests.core.test_position_book_late_fills import POLICY, S0, T0, feed, fill, rules_for

LONG = Direction.LONG
D5 = ((1_000.0, 5.0), (10_000.0, 50.0))  # depth levels (size_usd, impact_bps) at t=5
D20 = ((1_000.0, 9.0), (10_000.0, 90.0))  # ...at t=20


def book_with_depth() -> MintBook:
    book = MintBook(mint="MINT", depth_complete=True)
    book.note_depth(S0 + 5, D5, 50_000.0, POLICY)
    book.note_depth(S0 + 20, D20, 40_000.0, POLICY)
    return book


def test_a_late_fill_does_not_see_a_rug_from_after_its_time() -> None:
    book = MintBook(mint="MINT")
    for n, t in enumerate((2, 4, 6, 8)):
        feed(book, 100.0, t, n)
    book.apply_rug("LP pulled", S0 + 7, "signals/0/0", POLICY)  # consumed before the fill at t=3
    out = book.apply_fill(fill(Side.BUY, 1000, 100.0, 3, "f1"), "fills/0/0", POLICY, rules_for)
    assert out is not None and out.exit is None  # the fill itself predates the rug
    exits = [o.exit for o in out.marks if o.exit is not None]
    # the first mark at or after the rug's time takes the long out, as in event-time order
    assert [(e.decision.reason, e.stamp.ts_s if e.stamp else None) for e in exits] == [
        (ExitReason.RUG, S0 + 8)
    ]


def test_a_fill_after_the_rug_in_event_time_still_exits_at_once() -> None:
    book = MintBook(mint="MINT")
    feed(book, 100.0, 2, 0)
    book.apply_rug("LP pulled", S0 + 3, "signals/0/0", POLICY)
    out = book.apply_fill(fill(Side.BUY, 1000, 100.0, 4, "f1"), "fills/0/0", POLICY, rules_for)
    assert out is not None and out.exit is not None and out.exit.decision.reason is ExitReason.RUG


def test_rug_as_of_uses_each_rugs_time_and_ttl_and_old_books_migrate() -> None:
    book = MintBook(mint="MINT")
    book.apply_rug("first", S0 + 100, "s/0/0", POLICY)
    book.apply_rug("second", S0 + 1_000, "s/0/1", POLICY)
    assert book.rug_asof(S0 + 50, POLICY) == ""
    assert book.rug_asof(S0 + 150, POLICY) == "first"
    assert book.rug_asof(S0 + 800, POLICY) == ""  # TTL 600 s after the first
    assert book.rug_asof(S0 + 1_100, POLICY) == "second"
    old = MintBook(mint="MINT", rug_reason="legacy", rug_ts_s=S0 + 10)  # stored before rug_hist
    assert old.rug_asof(S0 + 20, POLICY) == "legacy" and old.rug_asof(S0 + 5, POLICY) == ""


def test_a_stop_on_a_mark_is_stamped_with_that_price_and_the_depth_before_it() -> None:
    book = book_with_depth()
    book.apply_fill(fill(Side.BUY, 1000, 100.0, 1, "f1"), "fills/0/0", POLICY, rules_for)
    # a depth snapshot at the mark's own instant comes after the price in event-time order
    out = feed(book, 85.0, 20, 1)  # below the 10% stop
    (o,) = out
    assert o.exit is not None and o.exit.decision.reason is ExitReason.STOP_LOSS
    assert o.exit.stamp == MarketStamp(S0 + 20, 85.0, 85.0 * 150, DepthStamp(D5, 50_000.0))


def test_depth_as_of_inclusive_unknown_and_none() -> None:
    book = book_with_depth()
    assert book.depth_stamp(S0 + 20, inclusive=True) == DepthStamp(D20, 40_000.0)
    assert book.depth_stamp(S0 + 20, inclusive=False) == DepthStamp(D5, 50_000.0)
    assert book.depth_stamp(S0 + 1, inclusive=True) == DepthStamp()  # none before the first
    assert MintBook(mint="MINT").depth_stamp(S0 + 20, inclusive=True) is None  # not followed
    small = BookPolicy(mark_history=1)
    book.note_depth(S0 + 30, D20, 30_000.0, small)  # evicts t=5 and t=20
    assert book.depth_stamp(S0 + 25, inclusive=True) is None  # the answer was evicted
    assert book.depth_stamp(S0 + 30, inclusive=True) == DepthStamp(D20, 30_000.0)
    assert decode_book(encode_book(book)) == book


def test_the_policy_sets_how_much_history_is_kept() -> None:
    hour = dataclasses.replace(POLICY, mark_history=10_000, mark_history_s=3_600.0)
    short, long_ = MintBook(mint="MINT"), MintBook(mint="MINT")
    for n in range(0, 2_000, 15):
        short.note_mark(100.0, 6, S0 + n, f"price/0/{n}", 15_000.0, POLICY)
        long_.note_mark(100.0, 6, S0 + n, f"price/0/{n}", 15_000.0, hour)
    assert short.mark_hist[0].ts_s >= S0 + 1_995 - 600  # the default: 600 s of event time
    assert len(long_.mark_hist) == len(range(0, 2_000, 15))  # an hour: all of them
    # a fill at t=10 read after all of them: only the long history re-applies its marks
    a = short.apply_fill(fill(Side.BUY, 1000, 100.0, 10, "f1"), "fills/0/0", hour, rules_for)
    b = long_.apply_fill(fill(Side.BUY, 1000, 100.0, 10, "f1"), "fills/0/0", hour, rules_for)
    assert a is not None and a.fallback and a.marks == ()
    assert b is not None and not b.fallback and b.marks


def _request_then_late_fill(stop_at: float) -> list:
    """A strategy exit at t=100 refused before its entry (t=10) filled; marks to t=200 are
    consumed before the fill, the one at ``stop_at`` and later below the stop."""
    book = book_with_depth()
    for n, t in enumerate(range(15, 205, 15)):
        price = 80.0 if t >= stop_at else 100.0
        feed(book, price, t, n)
    stamp = MarketStamp(S0 + 100, 99.0, 14_850.0, DepthStamp(D5, 1.0))
    why = "exit x1 reached the risk gate before its entry filled"
    assert book.request_exit("mom-1", LONG, ("f1",), why, "rej/0/0", S0 + 100, POLICY, stamp=stamp) is None
    policy = dataclasses.replace(POLICY, exit_retry_s=1e9)  # no re-sends: one decision each
    out = book.apply_fill(fill(Side.BUY, 1000, 100.0, 10, "f1"), "fills/0/0", policy, rules_for)
    assert out is not None and out.exit is None
    return [(o.exit.decision.reason, o.exit.stamp, o.ts_s) for o in out.marks if o.exit is not None]


def test_an_earlier_stop_among_late_marks_wins_over_the_refused_exit() -> None:
    exits = _request_then_late_fill(stop_at=30)
    assert [(r, ts) for r, _, ts in exits] == [(ExitReason.STOP_LOSS, S0 + 30)]


def test_a_refused_exit_at_a_late_fill_without_earlier_stops_uses_its_stamp() -> None:
    book = book_with_depth()
    for n, t in enumerate(range(15, 205, 15)):
        feed(book, 100.0, t, n)
    stamp = MarketStamp(S0 + 20, 99.0, 14_850.0, DepthStamp(D5, 1.0))
    book.request_exit("mom-1", LONG, ("f1",), "r", "rej/0/0", S0 + 20, POLICY, stamp=stamp)
    out = book.apply_fill(fill(Side.BUY, 1000, 100.0, 10, "f1"), "fills/0/0", POLICY, rules_for)
    assert out is not None
    exits = [o for o in out.marks if o.exit is not None]
    # claimed after the mark at t=15 and before the one at t=30, with the refused exit's market
    assert exits[0].exit is not None and exits[0].exit.decision.reason is ExitReason.STRATEGY
    assert exits[0].exit.stamp == stamp and exits[0].ts_s == S0 + 20
    assert exits[0].exit.position.mark_price == 100.0 and exits[0].exit.position.mark_ts_s == S0 + 15


def test_an_exit_at_the_fills_moment_carries_the_fills_depth_and_the_price_then() -> None:
    book = book_with_depth()
    feed(book, 101.0, 4, 0)
    feed(book, 102.0, 30, 1)  # later than the fill: not its price
    book.apply_rug("LP pulled", S0 + 2, "signals/0/0", POLICY)
    f = msgspec.structs.replace(fill(Side.BUY, 1000, 100.0, 6, "f1"), depth=DepthStamp(D20, 7.0))
    out = book.apply_fill(f, "fills/0/0", POLICY, rules_for)
    assert out is not None and out.exit is not None and out.exit.decision.reason is ExitReason.RUG
    assert out.exit.stamp == MarketStamp(S0 + 6, 101.0, 101.0 * 150, DepthStamp(D20, 7.0))
    # without a depth on the fill: this book's depth as of the fill's time
    book2 = book_with_depth()
    feed(book2, 101.0, 4, 0)
    book2.apply_rug("LP pulled", S0 + 2, "signals/0/0", POLICY)
    out2 = book2.apply_fill(fill(Side.BUY, 1000, 100.0, 6, "f1"), "fills/0/0", POLICY, rules_for)
    assert out2 is not None and out2.exit is not None
    assert out2.exit.stamp is not None and out2.exit.stamp.depth == DepthStamp(D5, 50_000.0)
    assert out2.exit.stamp.ts_s == (T0 + timedelta(seconds=6)).timestamp()


def test_an_exit_is_sent_again_only_after_the_retry_time_in_event_time_and_on_the_wall() -> None:
    now = [1_000.0]
    policy = dataclasses.replace(POLICY, wall_clock=lambda: now[0])  # exit_retry_s = 5
    book = MintBook(mint="MINT")
    book.apply_fill(fill(Side.BUY, 1000, 100.0, 0, "f1"), "fills/0/0", policy, rules_for)

    def mark(t: float, n: int):
        return [o.exit for o in book.apply_mark(80.0, 6, S0 + t, f"price/0/{n}", rules_for, policy)]

    (first,) = mark(1, 0)  # the stop trips
    assert first is not None and first.position.pending_wall_s == 1_000.0
    # a replay: event time runs on 100 s while 1 s passes on the wall; the exit is in flight
    assert mark(101, 1) == [None]
    now[0] += 6.0
    (again,) = mark(102, 2)  # both clocks past the retry time: sent again, with a new id
    assert again is not None and again.signal_id != first.signal_id
    backtester = MintBook(mint="MINT")  # no wall clock: event time alone re-arms it
    backtester.apply_fill(fill(Side.BUY, 1000, 100.0, 0, "f1"), "fills/0/0", POLICY, rules_for)
    backtester.apply_mark(80.0, 6, S0 + 1, "price/0/0", rules_for, POLICY)
    (o,) = backtester.apply_mark(80.0, 6, S0 + 101, "price/0/1", rules_for, POLICY)
    assert o.exit is not None
