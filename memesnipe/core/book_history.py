"""A position book's market history (pure): the recent marks, depth snapshots and rug signals of
its token by event time (``core.asof``), and what it answers from them as of a moment: the
marks after a late fill, the price, depth and rug then, and the book's clock then.

Late fills (event time): the price topic can be consumed ahead of the fills topic, so a fill at
event time ``t`` may arrive after marks with ``ts > t`` were applied to the book. The book keeps a
bounded history of its recent marks (``mark_hist``: at most :data:`MARK_HISTORY` marks spanning at
most :data:`MARK_HISTORY_S` seconds of event time), and a fill that opens a position re-applies
the recorded marks with ``ts > t`` to that position only (``MintBook.apply_fill``).
"""

from __future__ import annotations

from operator import attrgetter, itemgetter
from typing import TYPE_CHECKING

import msgspec

from memesnipe.core.asof import AsOfHistory, newest_lost
from memesnipe.core.book_policy import MARK_HISTORY, MARK_HISTORY_S, RUG_HISTORY, BookPolicy
from memesnipe.core.positions import Position
from memesnipe.streams.trading import DepthStamp


class MarkRecord(msgspec.Struct, array_like=True):
    """One remembered price mark: what :meth:`MintBook.apply_mark` was given, plus whether it
    advanced the book's clock (the book held positions then, or a late fill re-applied it)."""

    ts_s: float
    price: float
    decimals: int
    source_id: str
    price_usd: float = 0.0
    clocked: bool = False


class DepthRecord(msgspec.Struct, array_like=True):
    """One remembered depth snapshot: its event time, buy levels and pool liquidity."""

    ts_s: float
    levels: tuple[tuple[float, float], ...] = ()
    liquidity_usd: float = 0.0


MARKS: AsOfHistory[MarkRecord] = AsOfHistory(
    "position_book.marks", attrgetter("ts_s"), MARK_HISTORY, MARK_HISTORY_S
)
DEPTHS: AsOfHistory[DepthRecord] = AsOfHistory(
    "position_book.depth", attrgetter("ts_s"), MARK_HISTORY, MARK_HISTORY_S
)
RUGS: AsOfHistory[tuple[float, str]] = AsOfHistory("position_book.rugs", itemgetter(0), RUG_HISTORY)


class MarketHistory:
    """The market-history half of ``MintBook`` (a mixin: the fields are the book's)."""

    if not TYPE_CHECKING:
        __slots__ = ()
    positions: dict[str, Position]
    clock_s: float
    mark_hist: list[MarkRecord]
    marks_missing_s: float
    marks_clock_evicted_s: float
    rug_hist: list[tuple[float, str]]
    depth_hist: list[DepthRecord]
    depth_lost_s: float | None
    depth_complete: bool

    def rug_asof(self, now_s: float, policy: BookPolicy) -> str:
        """The reason of the rug in force at event time ``now_s`` ("" = none): the latest rug
        signal at or before it, within its TTL. A rug later than ``now_s`` (consumed before a
        late input) does not count, as it would not have in event-time order."""
        i = RUGS.upto(self.rug_hist, now_s)
        if i == 0:
            return ""
        ts, reason = self.rug_hist[i - 1]
        return reason if now_s - ts < policy.rug_ttl_s else ""

    def note_mark(
        self,
        price: float,
        decimals: int,
        ts_s: float,
        source_id: str,
        price_usd: float = 0.0,
        policy: BookPolicy | None = None,
    ) -> None:
        """Remember a mark of a token without positions (nothing to decide now; a late fill
        opening a position at an earlier event time re-applies it)."""
        if price > 0.0 and not self.positions:
            self._record_mark(MarkRecord(ts_s, price, decimals, source_id, price_usd, False), policy)

    def note_depth(
        self,
        ts_s: float,
        levels: tuple[tuple[float, float], ...],
        liquidity_usd: float,
        policy: BookPolicy | None = None,
    ) -> None:
        """Remember a depth snapshot: exits stamp the depth as of their moment from these."""
        lost = DEPTHS.add(self.depth_hist, DepthRecord(ts_s, levels, liquidity_usd), *_bounds(policy))
        self.depth_lost_s = newest_lost(self.depth_lost_s, lost, DEPTHS.ts_of)

    def depth_stamp(self, t: float, *, inclusive: bool) -> DepthStamp | None:
        """The depth as of event time ``t``: the latest snapshot before it (``inclusive``: at or
        before it; equal times: the last consumed). An exit decided on a price mark at ``t``
        takes the one before ``t``, as the backtester, which applies a price before a depth
        snapshot of the same instant. None if not known here (an evicted snapshot may be it,
        or the book has not followed the depth topic from its start)."""
        if not self.depth_complete:
            return None
        known, rec = DEPTHS.asof(self.depth_hist, t, self.depth_lost_s, inclusive)
        if rec is not None:
            return DepthStamp(rec.levels, rec.liquidity_usd)
        return DepthStamp() if known else None  # known: no snapshot before t, so no depth then

    def _record_mark(self, rec: MarkRecord, policy: BookPolicy | None = None) -> None:
        for old in MARKS.add(self.mark_hist, rec, *_bounds(policy)):
            self.marks_missing_s = max(self.marks_missing_s, old.ts_s)
            if old.clocked:
                self.marks_clock_evicted_s = max(self.marks_clock_evicted_s, old.ts_s)

    def _marks_after(self, t: float) -> list[MarkRecord] | None:
        """The recorded marks with ``ts > t`` in order; None if one of them may be missing."""
        if self.marks_missing_s > t:
            return None
        return MARKS.after(self.mark_hist, t)

    def _mark_asof(self, t: float) -> MarkRecord | None:
        """The last mark at or before event time ``t``; None if it may have been evicted."""
        i = MARKS.upto(self.mark_hist, t)
        return self.mark_hist[i - 1] if i else None

    def _clock_asof(self, t: float) -> float:
        """The book's clock as it was when marks and signals up to event time ``t`` had been
        applied (what a fill at ``t`` arriving in event-time order would have seen)."""
        c = self.marks_clock_evicted_s if self.marks_clock_evicted_s <= t else 0.0
        hist = self.mark_hist
        for rec in hist[: MARKS.upto(hist, t)]:
            if rec.clocked:
                c = max(c, rec.ts_s)
        for ts, _ in self.rug_hist:
            if ts <= t:
                c = max(c, ts)
        return c


def _bounds(policy: BookPolicy | None) -> tuple[int, float]:
    """The mark and depth histories' bounds: count, and event-time span behind the newest."""
    return (MARK_HISTORY, MARK_HISTORY_S) if policy is None else (policy.mark_history, policy.mark_history_s)
