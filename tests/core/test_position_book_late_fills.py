"""Late fills: a fill at event time t consumed after marks with ts > t re-applies those marks to
the position it opens, so exits, ids and the final position equal the in-order sequence (the
backtester's); the history is bounded; older books decode; other positions are untouched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from memesnipe.core.exits import ExitRules
from memesnipe.core.position_book import (
    MARK_HISTORY,
    MARK_HISTORY_S,
    BookPolicy,
    MintBook,
    decode_book,
    encode_book,
    exit_source,
)
from memesnipe.core.positions import Position
from memesnipe.core.trailing_stop import TrailingStop
from memesnipe.streams import Fill, Intent, Side

T0 = datetime(2026, 1, 1, tzinfo=UTC)
S0 = T0.timestamp()
RULES = ExitRules(
    stop=TrailingStop(stop_loss=0.10, activation_offset=0.03, trail=0.02), take_profit=0.5, max_hold_s=30
)
POLICY = BookPolicy(exit_retry_s=5, publish_min_change=0.01, publish_interval_s=10, rug_ttl_s=600)


def rules_for(_: str) -> ExitRules:
    return RULES


def fill(side: Side, qty: int, price: float, t: float, fid: str, inst: str = "mom-1") -> Fill:
    return Fill(
        fill_id=fid,
        order_id=fid,
        instance_id=inst,
        family="momentum_5m",
        mint="MINT",
        ts=T0 + timedelta(seconds=t),
        side=side,
        intent=Intent.ENTRY if side in (Side.BUY, Side.SHORT) else Intent.EXIT,
        qty_tokens=qty,
        notional_lamports=round(qty * price),
        price_sol=price,
    )


def feed(book: MintBook, price: float, t: float, n: int):
    """A mark as the agent applies it: recorded only without positions, applied with."""
    if not book.positions:
        book.note_mark(price, 6, S0 + t, f"price/0/{n}", price * 150)
        return []
    return book.apply_mark(price, 6, S0 + t, f"price/0/{n}", rules_for, POLICY, "", price * 150)


def view(outcomes) -> list[tuple]:
    """What the agent emits per mark outcome: publish flag and the exit signal's content."""
    out = []
    for o in outcomes:
        ex = o.exit
        out.append(
            (
                o.publish,
                None
                if ex is None
                else (ex.decision.reason, ex.decision.detail, ex.signal_id, ex.position.mark_price),
            )
        )
    return out


PATHS = {  # (event time, price); the fill is at t=10 at 100.0
    "trailing_stop": [
        (2, 99.0),
        (9, 100.5),
        (10, 100.0),
        (11, 101.0),
        (12, 104.0),
        (13, 110.0),
        (14, 109.0),
        (15, 107.7),
        (16, 100.0),
        (22, 99.0),
        (23, 98.0),
    ],
    "stop_loss": [(5, 101.0), (11, 95.0), (12, 89.0), (13, 88.0), (19, 87.0)],
    "take_profit": [(9.5, 99.0), (11, 120.0), (12, 151.0), (13, 149.0)],
    "max_hold": [(1, 100.0), (11, 100.2), (20, 100.1), (25, 100.3), (40, 100.4), (41, 100.5), (47, 100.2)],
}


def in_order(path, t_fill=10.0, first_n=0):
    book = MintBook(mint="MINT")
    emitted = []
    filled = None
    for n, (t, p) in enumerate(path, start=first_n):
        if filled is None and t > t_fill:
            buy = fill(Side.BUY, 1000, 100.0, t_fill, "f1")
            filled = book.apply_fill(buy, "fills/0/0", POLICY, rules_for)
        emitted += view(feed(book, p, t, n))
    if filled is None:
        filled = book.apply_fill(fill(Side.BUY, 1000, 100.0, t_fill, "f1"), "fills/0/0", POLICY, rules_for)
    return book, filled, emitted


def late(path, t_fill=10.0, first_n=0):
    book = MintBook(mint="MINT")
    for n, (t, p) in enumerate(path, start=first_n):
        feed(book, p, t, n)
    out = book.apply_fill(fill(Side.BUY, 1000, 100.0, t_fill, "f1"), "fills/0/0", POLICY, rules_for)
    return book, out


@pytest.mark.parametrize("name", sorted(PATHS))
def test_a_fill_after_later_marks_gives_the_in_order_exits_and_position(name: str) -> None:
    path = PATHS[name]
    ref_book, _ref_fill, ref_emitted = in_order(path)
    book, out = late(path)
    assert out is not None and not out.fallback
    assert view(out.marks) == ref_emitted
    assert any(ex[0].value == name for _p, ex in ref_emitted if ex)
    assert [o.ts_s for o in out.marks] == [S0 + t for t, _p in path if t > 10]
    assert [o.price_usd for o in out.marks] == [p * 150 for t, p in path if t > 10]
    assert book.positions == ref_book.positions  # every field: best, hold start, pending, seq, ...
    assert out.position == ref_book.positions["mom-1|long"]


def test_the_exit_carries_the_position_as_of_its_mark_not_the_last_one() -> None:
    _book, out = late(PATHS["trailing_stop"])
    first, retry = [o.exit for o in out.marks if o.exit is not None]  # re-armed after 5 s
    assert first.position.mark_price == 107.7 and exit_source(first.signal_id) == "exit|mom-1|long|price/0/7"
    assert retry.position.mark_price == 99.0 and exit_source(retry.signal_id) == "exit|mom-1|long|price/0/9"
    assert out.position.mark_price == 98.0


def test_a_fill_with_no_later_marks_and_the_backtester_call_replay_nothing() -> None:
    book = MintBook(mint="MINT")
    feed(book, 100.0, 5, 0)
    out = book.apply_fill(fill(Side.BUY, 1000, 100.0, 10, "f1"), "fills/0/0", POLICY, rules_for)
    assert out is not None and out.marks == () and not out.fallback
    # without rules (the backtester's call, where the fill always precedes later marks)
    book = MintBook(mint="MINT")
    feed(book, 100.0, 20, 0)
    out = book.apply_fill(fill(Side.BUY, 1000, 100.0, 10, "f1"), "fills/0/0", POLICY)
    assert out is not None and out.marks == () and out.position.mark_ts_s == 0.0


def test_replayed_marks_touch_only_the_new_position() -> None:
    book = MintBook(mint="MINT")
    book.apply_fill(fill(Side.BUY, 500, 100.0, 0, "f0", inst="other-1"), "fills/0/0", POLICY, rules_for)
    ref = MintBook(mint="MINT")
    ref.apply_fill(fill(Side.BUY, 500, 100.0, 0, "f0", inst="other-1"), "fills/0/0", POLICY, rules_for)
    path = [(5, 101.0), (11, 104.0), (12, 110.0), (13, 107.0), (14, 106.0)]
    other_emitted = []
    for n, (t, p) in enumerate(path):
        other_emitted += view(feed(book, p, t, n))
    before = msgspec.structs.replace(book.positions["other-1|long"])
    out = book.apply_fill(fill(Side.BUY, 1000, 100.0, 10, "f1"), "fills/0/1", POLICY, rules_for)
    assert out is not None and len(out.marks) == 4
    assert all(o.position.instance_id == "mom-1" for o in out.marks)
    assert book.positions["other-1|long"] == before  # it saw those marks when they came
    # and both positions equal the in-order sequence
    ref_emitted = []
    for n, (t, p) in enumerate(path):
        if t == 11:
            ref.apply_fill(fill(Side.BUY, 1000, 100.0, 10, "f1"), "fills/0/1", POLICY, rules_for)
        ref_emitted += view(feed(ref, p, t, n))
    assert book.positions == ref.positions
    # in order, each mark after the fill yields other-1's outcome, then mom-1's
    assert view(out.marks) == ref_emitted[1:][1::2]
    assert other_emitted == [ref_emitted[0], *ref_emitted[1:][0::2]]


def test_history_is_bounded_by_count_and_event_time_span() -> None:
    book = MintBook(mint="MINT")
    for n in range(200):
        feed(book, 100.0 + n * 0.01, n, n)
    assert len(book.mark_hist) == MARK_HISTORY
    assert [r.ts_s for r in book.mark_hist] == [S0 + n for n in range(200 - MARK_HISTORY, 200)]
    assert book.marks_missing_s == S0 + 200 - MARK_HISTORY - 1
    sparse = MintBook(mint="MINT")
    for n, t in enumerate([0, 100, 300, 700, 1000]):
        feed(sparse, 100.0, t, n)
    assert [r.ts_s - S0 for r in sparse.mark_hist] == [
        700,
        1000,
    ]  # within MARK_HISTORY_S (600 s) of the newest
    assert sparse.marks_missing_s == S0 + 300 and MARK_HISTORY_S == 600.0
    # the encoded book stays small: one mint's history is at most MARK_HISTORY short records
    assert len(encode_book(book)) < 64 * 48


def test_out_of_order_marks_are_kept_sorted_by_event_time() -> None:
    book = MintBook(mint="MINT")
    for n, t in enumerate([1, 5, 3, 5, 4]):
        feed(book, 100.0 + n, t, n)
    assert [(r.ts_s - S0, r.source_id) for r in book.mark_hist] == [
        (1, "price/0/0"),
        (3, "price/0/2"),
        (4, "price/0/4"),
        (5, "price/0/1"),
        (5, "price/0/3"),
    ]


def test_a_fill_older_than_the_history_falls_back_to_no_replay() -> None:
    book = MintBook(mint="MINT")
    for n in range(100):
        feed(book, 100.0, n, n)
    out = book.apply_fill(fill(Side.BUY, 1000, 100.0, 10, "f1"), "fills/0/0", POLICY, rules_for)
    assert out is not None and out.fallback and out.marks == ()
    assert out.position.mark_ts_s == 0.0  # as before: the next mark is its first
    # a fill within the history is exact
    out = book.apply_fill(fill(Side.BUY, 1000, 100.0, 90, "f2", inst="b-1"), "fills/0/1", POLICY, rules_for)
    assert out is not None and not out.fallback and len(out.marks) == 9


class OldMintBook(msgspec.Struct, kw_only=True):
    """The stored shape before the mark history existed."""

    mint: str
    offsets: dict[str, int] = {}
    positions: dict[str, Position] = {}
    recent_fill_ids: list[str] = []
    rug_reason: str = ""
    rug_ts_s: float = 0.0
    perp_markets: dict[str, int] = {}
    clock_s: float = 0.0


def test_a_book_stored_before_the_history_decodes_and_falls_back_only_before_its_clock() -> None:
    old = OldMintBook(mint="MINT", offsets={"price": 7}, clock_s=S0 + 100)
    book = decode_book(msgspec.msgpack.encode(old))
    assert book.mark_hist == [] and book.marks_missing_s == S0 + 100 and book.offsets == {"price": 7}
    out = book.apply_fill(fill(Side.BUY, 1000, 100.0, 50, "f1"), "fills/0/0", POLICY, rules_for)
    assert out is not None and out.fallback  # marks up to its clock were never recorded
    out = book.apply_fill(fill(Side.BUY, 1000, 100.0, 150, "f2", inst="b-1"), "fills/0/1", POLICY, rules_for)
    assert out is not None and not out.fallback


def test_history_round_trips_through_the_encoded_book() -> None:
    book = MintBook(mint="MINT")
    for n, (t, p) in enumerate(PATHS["stop_loss"]):
        feed(book, p, t, n)
    again = decode_book(encode_book(book))
    assert again == book and len(again.mark_hist) == len(PATHS["stop_loss"])
    a = book.apply_fill(fill(Side.BUY, 1000, 100.0, 10, "f1"), "fills/0/0", POLICY, rules_for)
    b = again.apply_fill(fill(Side.BUY, 1000, 100.0, 10, "f1"), "fills/0/0", POLICY, rules_for)
    assert a is not None and b is not None and view(a.marks) == view(b.marks) and again == book
