"""All position state of one token (mint): every strategy instance's positions, the last input
offset applied per topic, recent fill ids, recent rug signals, and exits in flight.

One book per mint because every input (fills, price marks, rug signals) is keyed by mint: a
mark reaches all of the token's positions with one lookup, and the offsets that make recovery
exact are written in the same value as the positions they protect (one table write per mint
per batch, so they can never disagree).

Pure: the agent decodes, calls these methods in input order, turns the outcomes into wire
messages, and writes the encoded book back.

Late fills (event time): the price topic can be consumed ahead of the fills topic, so a fill at
event time ``t`` may arrive after marks with ``ts > t`` were applied to the book. The book keeps a
bounded history of its recent marks (``mark_hist``: at most :data:`MARK_HISTORY` marks spanning at
most :data:`MARK_HISTORY_S` seconds of event time, sorted by event time, ties in arrival order),
and a fill that opens a position re-applies the recorded marks with ``ts > t`` to that position
only, exactly as :meth:`MintBook.apply_mark` would have had the fill come first (same exit
decisions, exit ids from the marks' source ids, publish throttle from the clock as of ``t``). If a
mark with ``ts > t`` was evicted (or the book was stored before the history existed), the fill
falls back to the old behaviour (no re-application) and ``FillOutcome.fallback`` is set.

Exits before fills: the risk gate sizes exits from a view of the positions that lags, so a
strategy's exit sent soon after its entry can reach it before the entry's fill: it is refused
with ``exit_before_fill`` and the pending entry order ids. :meth:`MintBook.request_exit` takes
that refusal: if one of those orders has filled here, the exit is claimed now (reason
``strategy``); otherwise the order ids are remembered (``exit_after_fill``, bounded) and the
fill of one of them claims it in :meth:`MintBook.apply_fill` (``FillOutcome.exit``). One exit in
flight per position as always; an exit of this book refused that way is sent again (bounded).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter

import msgspec

from memesnipe.core.asof import AsOfHistory, newest_lost
from memesnipe.core.bounded import remember
from memesnipe.core.exits import ExitDecision, ExitReason, ExitRules, check_exit
from memesnipe.core.positions import (
    SIDE_EFFECT,
    FillAction,
    FillEffect,
    FillError,
    FillLike,
    Position,
    apply_fill,
    new_position,
    validate_fill,
)
from memesnipe.core.trailing_stop import Direction, update_best
from memesnipe.streams.trading import DepthStamp

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


class MarketStamp(msgspec.Struct, frozen=True, array_like=True):
    """The market an exit is decided on: its event time, the price then, and the depth then
    (None: not known here; the router uses its own as-of history). The exit signal carries it,
    so the router fills it on the backtester's market even when it reads it much later."""

    ts_s: float
    price_sol: float = 0.0
    price_usd: float = 0.0
    depth: DepthStamp | None = None


@dataclass(frozen=True, slots=True)
class ExitOrder:
    """An exit to send: which position, why, and the signal id it must carry."""

    position: Position
    decision: ExitDecision
    signal_id: str
    stamp: MarketStamp | None = None  # None: the agent stamps it from the input that caused it


@dataclass(frozen=True, slots=True)
class MarkOutcome:
    position: Position
    publish: bool
    exit: ExitOrder | None = None
    ts_s: float = 0.0  # the mark's event time and USD price (set on marks re-applied after a fill)
    price_usd: float = 0.0


@dataclass(frozen=True, slots=True)
class FillOutcome:
    position: Position
    effect: FillEffect
    exit: ExitOrder | None = None  # an immediate exit (a long opened into a rugged token)
    marks: tuple[MarkOutcome, ...] = ()
    """Recorded marks with ``ts > fill.ts`` re-applied to the opened position, in event-time
    order: emit them (exits, publishes) as if they had been marks arriving after the fill."""
    fallback: bool = False
    """True if marks after the fill's event time were no longer all in the history: none were
    re-applied (the pre-history behaviour)."""


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


class ExitRequest(msgspec.Struct, array_like=True):
    """A strategy's exit that reached the risk gate before its entry order had filled: exit
    the position that order opens (or adds to) once its fill is booked, at the refused
    signal's moment (``stamp``; None: a request stored before stamps, claimed at the fill)."""

    instance_id: str
    direction: Direction
    reason: str
    stamp: MarketStamp | None = None


class BookError(ValueError):
    """An input that cannot be applied to this book; the message says why (dead-letter it)."""


def position_key(instance_id: str, direction: Direction) -> str:
    return f"{instance_id}|{direction.value}"


def exit_signal_id(instance_id: str, direction: Direction, source_id: str, position_id: str = "") -> str:
    """Derived from the input that triggered the exit and the position it closes, so a replay
    gives the same id and two positions never share one: a stop that closed a position and, on a
    late fill's replay, trips again for the position that fill opened must not be dropped by the
    risk gate as the first exit seen again (tests/faults found it: the second position stayed
    open until the exit retry). ``p<8 hex>``: a digest of the position id."""
    tag = f"p{hashlib.sha256(position_id.encode()).hexdigest()[:8]}|" if position_id else ""
    return f"exit|{instance_id}|{direction.value}|{tag}{source_id}"


_POSITION_TAG = re.compile(r"\|p[0-9a-f]{8}\|")


def exit_source(signal_id: str) -> str:
    """An exit id without its position tag: ``exit|instance|direction|<input>``."""
    return _POSITION_TAG.sub("|", signal_id, count=1)


class MintBook(msgspec.Struct, kw_only=True, omit_defaults=True):
    mint: str
    offsets: dict[str, int] = {}
    positions: dict[str, Position] = {}
    recent_fill_ids: list[str] = []
    rug_reason: str = ""  # legacy (books stored before rug_hist): migrated on load
    rug_ts_s: float = 0.0
    perp_markets: dict[str, int] = {}  # instance_id -> Drift market of its shorts (PERP_MARKETS_KEEP)
    clock_s: float = 0.0  # latest event time of the token's market inputs (marks, signals)
    mark_hist: list[MarkRecord] = []  # recent marks by event time (see MARK_HISTORY*)
    marks_missing_s: float = -1.0
    """Newest event time of a mark that is not in ``mark_hist`` (evicted); -1 on decode = a book
    stored before the history existed: every mark up to its ``clock_s`` may be missing."""
    marks_clock_evicted_s: float = 0.0  # newest event time of an evicted clock-advancing mark
    exit_after_fill: dict[str, ExitRequest] = {}
    """order_id -> a strategy exit refused with ``exit_before_fill`` before that entry order
    filled (oldest first, at most :data:`EXIT_REQUESTS`): its fill claims the exit."""
    exit_resends: dict[str, int] = {}  # position_id -> exits sent again (see MAX_EXIT_RESENDS)
    rug_hist: list[tuple[float, str]] = []  # (event time, reason) of recent rugs, by time
    depth_hist: list[DepthRecord] = []  # recent depth snapshots by event time (as mark_hist)
    depth_lost_s: float | None = None  # newest event time of an evicted snapshot (None: none)
    depth_complete: bool = False
    """True if this book has seen the token's depth topic from its start (a book the position
    manager creates): no snapshot before a time means there was none. False (a book stored
    before depth was kept, or the backtester's): exits carry no depth stamp."""

    def __post_init__(self) -> None:
        if self.marks_missing_s < 0.0:
            self.marks_missing_s = self.clock_s
        if self.rug_reason:  # a book stored before the rug history
            if not self.rug_hist:
                self.rug_hist = [(self.rug_ts_s, self.rug_reason)]
            self.rug_reason, self.rug_ts_s = "", 0.0

    def entries(self) -> int:
        """Entries of this book's bounded collections (for the state-size metric)."""
        return (
            len(self.positions)
            + len(self.recent_fill_ids)
            + len(self.perp_markets)
            + len(self.mark_hist)
            + len(self.depth_hist)
            + len(self.rug_hist)
            + len(self.exit_after_fill)
            + len(self.exit_resends)
        )

    # -- exactly-once bookkeeping -------------------------------------------------------
    def is_applied(self, topic: str, offset: int) -> bool:
        """True if the input at ``offset`` of ``topic`` (this mint's partition) was applied."""
        last = self.offsets.get(topic)
        return last is not None and offset <= last

    def record(self, topic: str, offset: int) -> None:
        last = self.offsets.get(topic)
        if last is None or offset > last:
            self.offsets[topic] = offset

    def rug_asof(self, now_s: float, policy: BookPolicy) -> str:
        """The reason of the rug in force at event time ``now_s`` ("" = none): the latest rug
        signal at or before it, within its TTL. A rug later than ``now_s`` (consumed before a
        late input) does not count, as it would not have in event-time order."""
        i = RUGS.upto(self.rug_hist, now_s)
        if i == 0:
            return ""
        ts, reason = self.rug_hist[i - 1]
        return reason if now_s - ts < policy.rug_ttl_s else ""

    # -- inputs -------------------------------------------------------------------------
    def apply_fill(
        self,
        fill: FillLike,
        source_id: str,
        policy: BookPolicy,
        rules_for: Callable[[str], ExitRules] | None = None,
        flatten: str = "",
    ) -> FillOutcome | None:
        """Book a fill. None if its id was seen already; BookError if it cannot be booked.

        With ``rules_for`` (the agent), a fill that opens a position re-applies the recorded
        marks with ``ts > fill.ts`` to it (``FillOutcome.marks``); ``flatten`` is as for
        :meth:`apply_mark`. A strategy exit waiting for this fill (``exit_after_fill``) is
        claimed at its own moment among those marks. Without it (the backtester, where no
        later mark exists yet) nothing is re-applied."""
        if fill.fill_id in self.recent_fill_ids:
            return None
        try:
            validate_fill(fill)
        except FillError as exc:
            raise BookError(str(exc)) from None
        direction, action = SIDE_EFFECT[str(fill.side)]
        key = position_key(fill.instance_id, direction)
        pos = self.positions.get(key)
        fill_s = fill.ts.timestamp()
        late = [] if rules_for is None or pos is not None else self._marks_after(fill_s)
        fallback = late is None
        if pos is None:
            if action is FillAction.REDUCE:
                raise BookError(
                    f"fill {fill.fill_id}: {fill.side} of {fill.qty_tokens} tokens by {fill.instance_id} "
                    f"but it holds no {direction.value} position in {fill.mint}"
                )
            pos = new_position(fill, direction)
            if direction is Direction.SHORT:
                idx = getattr(fill, "perp_market_index", None)
                pos.perp_market_index = idx if idx is not None else self.perp_markets.get(fill.instance_id)
            self.positions[key] = pos
        effect = apply_fill(pos, fill)
        self._remember(fill.fill_id)
        pos.seq += 1
        pos.updated_ts_s = max(pos.updated_ts_s, fill_s)
        pos.last_fill_s = max(pos.last_fill_s, fill_s)
        # Timers (throttle, exit retry, rug TTL) run on the market's clock: a fill's time comes
        # from the execution side, which need not share it (paper fills, replays, clock skew).
        # A fill consumed after later marks runs on the clock as of its own event time, as it
        # would have in event-time order (the backtester's).
        clock = self._clock_asof(fill_s) if late else self.clock_s
        ts_s = clock or fill_s
        pos.published_mark = pos.mark_price
        pos.published_ts_s = clock  # 0 = no market time yet: the first mark publishes
        if effect.closed:
            del self.positions[key]
            self.exit_resends.pop(pos.position_id, None)
        exit_order = None
        # the rug in force at the fill's moment: a late fill must not see a later rug; otherwise
        # every rug consumed so far counts (a long opened into a rugged token leaves at once)
        rug = self.rug_asof(fill_s if late else max(self.clock_s, fill_s), policy)
        if pos.is_open and direction is Direction.LONG and action is FillAction.OPEN and rug:
            decision = ExitDecision(ExitReason.RUG, f"rug: {rug}")
            exit_order = self._claim(pos, decision, source_id, ts_s, policy, self._fill_stamp(fill, fill_s))
        req = self.exit_after_fill.pop(getattr(fill, "order_id", fill.fill_id), None)
        if not (
            req is not None
            and exit_order is None  # a rug exit already takes the position out
            and pos.is_open
            and action is FillAction.OPEN
            and req.instance_id == fill.instance_id
            and req.direction is direction
        ):
            req = None
        deferred = None
        if req is not None:
            decision = ExitDecision(ExitReason.STRATEGY, f"strategy: {req.reason}")
            if late and req.stamp is not None and req.stamp.ts_s > fill_s:
                deferred = (req.stamp, decision)  # claimed among the late marks, at its moment
            else:
                # at its own moment, unless that is before the fill (then the fill's)
                own = req.stamp is not None and req.stamp.ts_s >= fill_s
                stamp = req.stamp if own and req.stamp is not None else self._fill_stamp(fill, fill_s)
                exit_order = self._claim(pos, decision, source_id, ts_s, policy, stamp)
        marks: tuple[MarkOutcome, ...] = ()
        if late and pos.is_open and rules_for is not None:
            marks = tuple(self._replay(pos, late, rules_for, policy, flatten, deferred, source_id))
        return FillOutcome(pos, effect, exit_order, marks, fallback)

    def _fill_stamp(self, fill: FillLike, fill_s: float) -> MarketStamp:
        """The market of an exit decided at a fill's own moment: the price as of the fill's
        event time (the backtester's last price then; None recorded: the position's mark) and
        the order's depth stamp (else this book's depth as of then, if it knows it)."""
        mark = self._mark_asof(fill_s)
        depth = getattr(fill, "depth", None)
        if depth is None:
            depth = self.depth_stamp(fill_s, inclusive=True)
        if mark is None:
            return MarketStamp(fill_s, 0.0, float(getattr(fill, "price_usd", 0.0) or 0.0), depth)
        return MarketStamp(fill_s, mark.price, mark.price_usd, depth)

    def apply_mark(
        self,
        price: float,
        decimals: int,
        ts_s: float,
        source_id: str,
        rules_for: Callable[[str], ExitRules],
        policy: BookPolicy,
        flatten: str = "",
        price_usd: float = 0.0,
    ) -> list[MarkOutcome]:
        """Mark every open position of this token at ``price`` and decide exits; ``flatten`` is
        the reason of an active kill switch that asks to close everything. The mark is recorded
        in the history (``price_usd`` with it, for exits of late fills)."""
        out: list[MarkOutcome] = []
        if not price > 0.0:
            return out
        self._record_mark(MarkRecord(ts_s, price, decimals, source_id, price_usd, True), policy)
        self.clock_s = max(self.clock_s, ts_s)
        rug = self.rug_asof(ts_s, policy)
        for pos in self.positions.values():
            o = self._mark_position(
                pos, price, decimals, ts_s, source_id, rules_for, policy, rug, flatten, price_usd
            )
            if o is not None:
                out.append(o)
        return out

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

    def _mark_position(
        self,
        pos: Position,
        price: float,
        decimals: int,
        ts_s: float,
        source_id: str,
        rules_for: Callable[[str], ExitRules],
        policy: BookPolicy,
        rug: str,
        flatten: str,
        price_usd: float = 0.0,
    ) -> MarkOutcome | None:
        if ts_s < pos.mark_ts_s:
            return None  # older than the last mark: neither a mark nor a new best price
        pos.mark_price = price
        pos.mark_ts_s = ts_s
        if pos.hold_start_s <= 0.0:
            pos.hold_start_s = ts_s
        pos.updated_ts_s = max(pos.updated_ts_s, ts_s)
        if decimals >= 0:
            pos.decimals = decimals
        pos.best_price = update_best(pos.best_price, price, pos.direction)
        decision = check_exit(
            rules_for(pos.instance_id),
            pos.direction,
            pos.entry_price,
            pos.best_price,
            price,
            pos.hold_start_s,
            ts_s,
            rug=rug if pos.direction is Direction.LONG else "",
            flatten=flatten,
        )
        exit_order = None
        if decision:
            stamp = MarketStamp(ts_s, price, price_usd, self.depth_stamp(ts_s, inclusive=False))
            exit_order = self._claim(pos, decision, source_id, ts_s, policy, stamp)
        publish = exit_order is not None or self._due(pos, ts_s, policy)
        if publish:
            pos.seq += 1
            pos.published_mark = price
            pos.published_ts_s = ts_s
        return MarkOutcome(pos, publish, exit_order)

    # -- mark history (late fills) ----------------------------------------------------------
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

    def _replay(
        self,
        pos: Position,
        late: list[MarkRecord],
        rules_for: Callable[[str], ExitRules],
        policy: BookPolicy,
        flatten: str,
        deferred: tuple[MarketStamp, ExitDecision] | None = None,
        source_id: str = "",
    ) -> list[MarkOutcome]:
        """Apply ``late`` marks to ``pos`` only (the others saw them when they arrived).
        ``deferred``: a strategy exit claimed at its own moment among them (after the marks of
        that instant: the backtester applies a price before what it causes)."""
        out = []
        for rec in late:
            if deferred is not None and rec.ts_s > deferred[0].ts_s:
                out += self._claim_deferred(pos, deferred, source_id, policy)
                deferred = None
            rug = self.rug_asof(rec.ts_s, policy)
            o = self._mark_position(
                pos,
                rec.price,
                rec.decimals,
                rec.ts_s,
                rec.source_id,
                rules_for,
                policy,
                rug,
                flatten,
                rec.price_usd,
            )
            rec.clocked = True  # a position existed at this mark: it advanced the clock
            self.clock_s = max(self.clock_s, rec.ts_s)
            if o is None:
                continue
            ex = o.exit
            if ex is not None:  # the signal must carry the position as of this mark
                ex = ExitOrder(msgspec.structs.replace(pos), ex.decision, ex.signal_id, ex.stamp)
            out.append(MarkOutcome(pos, o.publish, ex, rec.ts_s, rec.price_usd))
        if deferred is not None:
            out += self._claim_deferred(pos, deferred, source_id, policy)
        return out

    def _claim_deferred(
        self, pos: Position, deferred: tuple[MarketStamp, ExitDecision], source_id: str, policy: BookPolicy
    ) -> list[MarkOutcome]:
        stamp, decision = deferred
        if not pos.is_open or pos.pending_exit_id:
            return []  # an exit decided earlier is taking the position out already
        ex = self._claim(pos, decision, source_id, stamp.ts_s, policy, stamp)
        if ex is None:
            return []
        pos.seq += 1
        ex = ExitOrder(msgspec.structs.replace(pos), ex.decision, ex.signal_id, stamp)
        return [MarkOutcome(pos, True, ex, stamp.ts_s, stamp.price_usd)]

    def note_perp_market(self, instance_id: str, perp_market_index: int) -> None:
        """Remember the Drift market of a short entry signal (fills do not carry it)."""
        remember(self.perp_markets, instance_id, perp_market_index, PERP_MARKETS_KEEP)
        pos = self.positions.get(position_key(instance_id, Direction.SHORT))
        if pos is not None and pos.perp_market_index is None:
            pos.perp_market_index = perp_market_index

    def note_exit(self, instance_id: str, direction: Direction, signal_id: str, reason: str) -> bool:
        """An exit we sent from outside a batch (the flatten sweep), read back from the signals
        log: mark it in flight so marks do not send a second one. True if it was new."""
        pos = self.positions.get(position_key(instance_id, direction))
        if pos is None or not pos.is_open or pos.pending_exit_id:
            return False
        pos.pending_exit_id = signal_id
        pos.pending_exit_reason = reason
        pos.pending_since_s = self.clock_s
        return True

    def request_exit(
        self,
        instance_id: str,
        direction: Direction,
        order_ids: Sequence[str],
        reason: str,
        source_id: str,
        ts_s: float,
        policy: BookPolicy,
        rejected_id: str = "",
        stamp: MarketStamp | None = None,
    ) -> ExitOrder | None:
        """An exit of ``instance_id``'s ``direction`` position that the risk gate refused with
        ``exit_before_fill`` (it did not see the position yet; ``order_ids`` are the entry orders
        it saw pending). If one of them has filled here and the position is open, claim the exit
        now (none while one is in flight); the ones not filled yet are remembered, and their
        fill claims it (:meth:`apply_fill`). ``rejected_id``: the refused signal's id; if it is
        the exit this book has in flight, that exit is dead and is sent again (new id), at most
        :data:`MAX_EXIT_RESENDS` times per position. ``stamp``: the refused signal's moment and
        market; the exit is sent with it (a claim at a later fill: among its late marks)."""
        filled = False
        for oid in order_ids:
            if oid in self.recent_fill_ids:  # fill ids are the order ids (core/order_plan.py)
                filled = True
            else:
                self._request(oid, ExitRequest(instance_id, direction, reason, stamp))
        pos = self.positions.get(position_key(instance_id, direction))
        if pos is None or not pos.is_open:
            return None
        ts_s = self.clock_s or ts_s
        if rejected_id and pos.pending_exit_id == rejected_id:
            n = self.exit_resends.get(pos.position_id, 0)
            if n >= MAX_EXIT_RESENDS:
                return None
            self.exit_resends.pop(pos.position_id, None)
            self.exit_resends[pos.position_id] = n + 1
            while len(self.exit_resends) > EXIT_REQUESTS:
                del self.exit_resends[next(iter(self.exit_resends))]
            try:
                why = ExitReason(pos.pending_exit_reason)
            except ValueError:
                why = ExitReason.STRATEGY
            pos.pending_exit_id = ""  # refused, not in flight: claim it again
            detail = f"{why.value}: sent again, the risk gate had not seen the position ({rejected_id})"
            return self._claim(pos, ExitDecision(why, detail), source_id, ts_s, policy)
        if not filled:
            return None
        decision = ExitDecision(ExitReason.STRATEGY, f"strategy: {reason}")
        return self._claim(pos, decision, source_id, ts_s, policy, stamp)

    def apply_rug(self, reason: str, ts_s: float, source_id: str, policy: BookPolicy) -> list[ExitOrder]:
        """A rug signal for this token: remember it and force every long out now."""
        self.clock_s = max(self.clock_s, ts_s)
        RUGS.add(self.rug_hist, (ts_s, reason or "rug signal"))
        decision = ExitDecision(ExitReason.RUG, f"rug: {self.rug_asof(ts_s, policy)}")
        out = []
        for pos in self.positions.values():
            if pos.direction is Direction.LONG and pos.is_open:
                order = self._claim(pos, decision, source_id, ts_s, policy)
                if order is not None:
                    out.append(order)
        return out

    # -- helpers ------------------------------------------------------------------------
    def _claim(
        self,
        pos: Position,
        decision: ExitDecision,
        source_id: str,
        ts_s: float,
        policy: BookPolicy,
        stamp: MarketStamp | None = None,
    ) -> ExitOrder | None:
        """Mark an exit pending and return it, unless one is already in flight."""
        if pos.pending_exit_id and pos.pending_since_s <= 0.0:
            pos.pending_since_s = ts_s  # sent before any market time: the retry clock starts now
            return None
        if pos.pending_exit_id and ts_s - pos.pending_since_s < policy.exit_retry_s:
            return None
        wall = policy.wall_clock() if policy.wall_clock is not None else 0.0
        if pos.pending_exit_id and wall and wall - pos.pending_wall_s < policy.exit_retry_s:
            return None
        sid = exit_signal_id(pos.instance_id, pos.direction, source_id, pos.position_id)
        pos.pending_exit_id = sid
        pos.pending_exit_reason = decision.reason.value
        pos.pending_since_s = ts_s
        pos.pending_wall_s = wall
        return ExitOrder(pos, decision, sid, stamp)

    @staticmethod
    def _due(pos: Position, ts_s: float, policy: BookPolicy) -> bool:
        if pos.published_ts_s <= 0.0 or pos.published_mark <= 0.0:
            return True
        if abs(pos.mark_price / pos.published_mark - 1.0) >= policy.publish_min_change:
            return True
        return ts_s - pos.published_ts_s >= policy.publish_interval_s

    def _request(self, order_id: str, req: ExitRequest) -> None:
        reqs = self.exit_after_fill
        reqs.pop(order_id, None)  # re-inserted as the newest
        reqs[order_id] = req
        while len(reqs) > EXIT_REQUESTS:
            del reqs[next(iter(reqs))]

    def _remember(self, fill_id: str) -> None:
        self.recent_fill_ids.append(fill_id)
        if len(self.recent_fill_ids) > RECENT_FILL_IDS:
            del self.recent_fill_ids[: len(self.recent_fill_ids) - RECENT_FILL_IDS]


def _bounds(policy: BookPolicy | None) -> tuple[int, float]:
    """The mark and depth histories' bounds: count, and event-time span behind the newest."""
    return (MARK_HISTORY, MARK_HISTORY_S) if policy is None else (policy.mark_history, policy.mark_history_s)


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(MintBook)


def encode_book(book: MintBook) -> bytes:
    return _encoder.encode(book)


def decode_book(data: bytes) -> MintBook:
    return _decoder.decode(data)
