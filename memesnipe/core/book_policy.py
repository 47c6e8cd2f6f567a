"""How a position book behaves and what it keeps: the policy (exit retries, publish throttle, rug
lifetime, history bounds) and the bounds of its per-mint collections."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

RECENT_FILL_IDS = 512
"""Fill ids remembered per mint, to drop a fill re-delivered at another offset."""

EXIT_REQUESTS = 64
"""Strategy exits waiting for their entry's fill remembered per mint (the oldest dropped)."""
MAX_EXIT_RESENDS = 3
"""Times an exit of ours refused with ``exit_before_fill`` (the risk gate had not seen the
position yet) is sent again, per position."""

MARK_HISTORY = 64
"""Default of marks (and depth snapshots) remembered per mint for late fills (the newest ones by
event time); ``BookPolicy.mark_history`` (setting ``exits.mark_history``) overrides it."""
MARK_HISTORY_S = 600.0
"""...and at most this span of event time behind the newest remembered one: a fill later than
that (in event time, relative to the marks already consumed) falls back to no replay. Live,
fills trail marks by seconds; a max-speed replay compresses hours into seconds, so a replay sets
``exits.mark_history_s`` to its span (docs/EVENT_TIME.md)."""
PERP_MARKETS_KEEP = 64
"""Strategy instances whose Drift market is remembered per mint (``MintBook.perp_markets``, the
least recently used forgotten). A short's position keeps its own market once opened; this only
bridges a short entry signal to its fill, so an instance is forgotten only if 64 others shorted
the token in between."""
RUG_HISTORY = 8
"""Rug signals remembered per mint (the newest by event time), so a late input sees the rug as
of its own event time."""


@dataclass(frozen=True, slots=True)
class BookPolicy:
    """How the book re-arms exits and throttles mark updates (all in event-time seconds)."""

    exit_retry_s: float = 60.0
    """A pending exit with no reducing fill after this long may be sent again (new id)."""
    publish_min_change: float = 0.01
    """Publish a position on a mark when the price moved this fraction since the last publish..."""
    publish_interval_s: float = 10.0
    """...or this long has passed since it."""
    rug_ttl_s: float = 86_400.0
    """How long a rug signal keeps forcing longs in this token out."""
    mark_history: int = MARK_HISTORY
    """Marks and depth snapshots remembered per mint (late fills, exit stamps)..."""
    mark_history_s: float = MARK_HISTORY_S
    """...spanning at most this much event time behind the newest one."""
    wall_clock: Callable[[], float] | None = None
    """The agent's wall clock: an exit is sent again only when ``exit_retry_s`` have passed in
    event time *and* on this clock. A replay runs event time far faster than its fills come
    back; on event time alone it re-sent an exit on nearly every mark (hundreds of refused
    exits per position). None (the backtester, whose fills are instant): event time only."""
