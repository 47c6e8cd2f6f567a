"""The one bounded as-of history (``core.asof``) and the three states that keep one."""

from __future__ import annotations

from datetime import UTC, datetime
from operator import itemgetter

from memesnipe.core import asof
from memesnipe.core.asof import AsOfHistory, newest_lost
from memesnipe.core.gate import MintRiskState, apply_depth
from memesnipe.core.position_book import BookPolicy, MintBook
from memesnipe.streams.market import DepthEvent, DepthLevel

MINT = "So11111111111111111111111111111111111111112"


def hist_kind(name: str, keep: int = 3, span: float | None = None) -> AsOfHistory[tuple[float, str]]:
    return AsOfHistory(f"test.{name}", itemgetter(0), keep, span)


def test_entries_stay_sorted_by_event_time_and_equal_times_keep_arrival_order() -> None:
    h = hist_kind("order", keep=10)
    xs: list[tuple[float, str]] = []
    for e in [(5.0, "a"), (3.0, "b"), (5.0, "c"), (4.0, "d"), (3.0, "e")]:
        h.insert(xs, e)
    assert xs == [(3.0, "b"), (3.0, "e"), (4.0, "d"), (5.0, "a"), (5.0, "c")]
    assert h.asof(xs, 5.0, None) == (True, (5.0, "c"))  # equal times: the last consumed
    assert h.asof(xs, 5.0, None, inclusive=False) == (True, (4.0, "d"))
    assert h.after(xs, 3.0) == [(4.0, "d"), (5.0, "a"), (5.0, "c")]


def test_eviction_drops_the_oldest_beyond_the_count_and_counts_them() -> None:
    h = hist_kind("count", keep=2)
    xs: list[tuple[float, str]] = []
    lost: float | None = None
    for t in [1.0, 2.0, 3.0, 4.0]:
        lost = newest_lost(lost, h.add(xs, (t, "")), h.ts_of)
    assert xs == [(3.0, ""), (4.0, "")]
    assert lost == 2.0 and h.evicted == 2
    assert asof.registry["test.count"] is h  # the metric finds it by name


def test_eviction_by_span_keeps_only_what_is_recent_in_event_time() -> None:
    h = hist_kind("span", keep=100, span=10.0)
    xs: list[tuple[float, str]] = []
    for t in [0.0, 5.0, 9.0, 16.0]:
        h.add(xs, (t, ""))
    assert [t for t, _ in xs] == [9.0, 16.0]
    assert h.add(xs, (1.0, "late")) == [(1.0, "late")]  # older than the span: not kept either


def test_a_time_before_every_kept_entry_is_unknown_once_anything_was_evicted() -> None:
    h = hist_kind("known", keep=2)
    xs: list[tuple[float, str]] = []
    assert h.asof(xs, 1.0, None) == (True, None)  # never anything: known to be nothing
    for t in [10.0, 20.0, 30.0]:
        h.add(xs, (t, ""))
    assert h.asof(xs, 25.0, 10.0) == (True, (20.0, ""))
    assert h.asof(xs, 15.0, 10.0) == (False, None)  # the entry at 10 was it, and it is gone


def test_the_gate_keeps_depth_curves_aligned_with_the_bounded_history() -> None:
    st = MintRiskState()
    for t in [3.0, 1.0, 2.0, 4.0]:
        ev = DepthEvent(
            mint=MINT, ts=datetime.fromtimestamp(t, UTC), levels=[DepthLevel(100.0, t)], liquidity_usd=t
        )
        apply_depth(st, ev, keep=3)
    assert [t for t, _ in st.depth_hist] == [2.0, 3.0, 4.0]
    assert [c[0][1] for c in st.depth_curves] == [2.0, 3.0, 4.0]  # each snapshot's own levels
    assert st.depth_lost_ts == 1.0
    assert st.depth_asof(3.5) == (3.0, 3.0, [(100.0, 3.0)])
    assert st.depth_asof(1.5) is None  # the snapshot at 1 was it and was evicted


def test_the_books_depth_stamp_is_unknown_when_an_evicted_snapshot_may_be_it() -> None:
    """An evicted snapshot before ``t`` may be the answer even when the newest evicted one is
    after ``t``: the book must say "unknown" (None), never "there was no depth" (an empty stamp)."""
    book = MintBook(mint=MINT, depth_complete=True)
    policy = BookPolicy(mark_history=2)
    for t in [1.0, 5.0, 6.0, 7.0]:
        book.note_depth(t, ((100.0, t),), t, policy)
    assert book.depth_lost_s == 5.0
    assert book.depth_stamp(3.0, inclusive=True) is None
    stamp = book.depth_stamp(6.5, inclusive=True)
    assert stamp is not None and stamp.liquidity_usd == 6.0
    fresh = MintBook(mint=MINT, depth_complete=True)
    fresh.note_depth(5.0, (), 5.0, policy)
    empty = fresh.depth_stamp(3.0, inclusive=True)
    assert empty is not None and empty.liquidity_usd == 0.0 and not empty.levels  # known: none then
