"""A bounded as-of history: entries sorted by event time, the entry as of a time, and what
eviction lost (pure).

Stages read inputs of several topics, each in offset order, so a late input (a signal, an
order, a fill at event time ``t``) may be applied after market data with times ``> t`` was
consumed. To decide it as the backtester would (everything in event-time order), a stage keeps
the recent market data of a key in a history and looks up the entry *as of* ``t``. The
risk gate (depth, safety facts), the position book (marks, depth) and the router's market
marks (price, depth) all keep one; this module is the one way they do it.

The entries live in the caller's stored list (a field of the table value), so the stored
layout of each state stays what it was; :class:`AsOfHistory` holds how that kind of history is
kept (the entries' event time, the bounds) and counts the entries it evicted, process-wide,
for a metric (``memesnipe.metrics.asof_evictions``). Rules, the same for every history:

* entries are sorted by event time; equal times keep arrival order (a later one is "after");
* eviction always removes the oldest entries (beyond ``keep`` entries, or older than ``span_s``
  behind the newest), so every kept entry is at or after every evicted one;
* the caller keeps the newest evicted event time (``lost_ts``, None: nothing ever evicted):
  with it, "no entry at or before ``t``" is known to be true only when nothing was lost.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")

__all__ = ["AsOfHistory", "newest_lost", "registry"]

registry: dict[str, AsOfHistory[Any]] = {}
"""Every history kind by name (for the eviction metric)."""


class AsOfHistory(Generic[T]):
    """How one kind of as-of history is kept: entry time, bounds, and evictions so far."""

    __slots__ = ("evicted", "keep", "name", "span_s", "ts_of")

    def __init__(
        self, name: str, ts_of: Callable[[T], float], keep: int, span_s: float | None = None
    ) -> None:
        self.name = name
        self.ts_of = ts_of
        self.keep = keep
        self.span_s = span_s
        self.evicted = 0
        registry[name] = self

    def insert(self, hist: list[T], item: T) -> int:
        """Insert ``item`` by event time (after entries of the same time); its index."""
        ts_of = self.ts_of
        t = ts_of(item)
        if not hist or ts_of(hist[-1]) <= t:  # almost always: appended at the end
            hist.append(item)
            return len(hist) - 1
        i = bisect_right(hist, t, key=ts_of)
        hist.insert(i, item)
        return i

    def evict(self, hist: list[T], keep: int | None = None, span_s: float | None = None) -> list[T]:
        """Remove the oldest entries beyond ``keep`` (at least one entry stays) or older than
        ``span_s`` behind the newest (None: the kind's bounds); the removed ones, oldest first."""
        keep = max(self.keep if keep is None else keep, 1)
        span = self.span_s if span_s is None else span_s
        n = len(hist) - keep if len(hist) > keep else 0
        if span is not None and hist:
            ts_of = self.ts_of
            floor = ts_of(hist[-1]) - span
            while n < len(hist) and ts_of(hist[n]) < floor:
                n += 1
        if n <= 0:
            return []
        out = hist[:n]
        del hist[:n]
        self.evicted += n
        return out

    def add(self, hist: list[T], item: T, keep: int | None = None, span_s: float | None = None) -> list[T]:
        """:meth:`insert` then :meth:`evict`; the evicted entries, oldest first."""
        self.insert(hist, item)
        return self.evict(hist, keep, span_s)

    def upto(self, hist: list[T], t: float, inclusive: bool = True) -> int:
        """How many entries are at or before ``t`` (``inclusive=False``: strictly before)."""
        return (bisect_right if inclusive else bisect_left)(hist, t, key=self.ts_of)

    def asof(
        self, hist: list[T], t: float, lost_ts: float | None, inclusive: bool = True
    ) -> tuple[bool, T | None]:
        """``(True, the latest entry at or before t)``; ``(True, None)`` if there never was one;
        ``(False, None)`` if it may have been evicted (the caller falls back). Equal times: the
        last consumed; ``inclusive=False``: strictly before ``t``."""
        i = self.upto(hist, t, inclusive)
        if i > 0:
            return True, hist[i - 1]
        return lost_ts is None, None

    def after(self, hist: list[T], t: float) -> list[T]:
        """The entries strictly after ``t``, in order."""
        return hist[self.upto(hist, t) :]


def newest_lost(lost_ts: float | None, evicted: list[T], ts_of: Callable[[T], float]) -> float | None:
    """The newest evicted event time, given the one so far and the entries just evicted."""
    for e in evicted:
        t = ts_of(e)
        if lost_ts is None or t > lost_ts:
            lost_ts = t
    return lost_ts
