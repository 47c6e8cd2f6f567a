"""All position state of one token (mint): every strategy instance's positions, the last input
offset applied per topic, recent fill ids, recent rug signals, and exits in flight.

One book per mint because every input (fills, price marks, rug signals) is keyed by mint: a
mark reaches all of the token's positions with one lookup, and the offsets that make recovery
exact are written in the same value as the positions they protect (one table write per mint
per batch, so they can never disagree).

Pure: the agent decodes, calls these methods in input order, turns the outcomes into wire
messages, and writes the encoded book back. The book is split by responsibility:

- this module: :class:`MintBook` (its stored fields, fills, marks, the late-fill replay) and its
  codec; it re-exports the names below so ``memesnipe.core.position_book`` stays the import;
- ``core.book_policy``: :class:`BookPolicy` and the bounds of the per-mint collections;
- ``core.book_history``: the market history (marks, depth, rugs by event time) and what it
  answers as of a moment (late fills, exit stamps);
- ``core.book_exits``: claiming exits (one in flight per position, retries, exits before fills);
- ``core.book_records``: stored records and the outcomes of inputs; ``core.exit_ids``: exit ids.

Late fills: a fill at event time ``t`` consumed after marks with ``ts > t`` re-applies those
marks to the position it opens only, exactly as :meth:`MintBook.apply_mark` would have had the
fill come first (same exit decisions, exit ids from the marks' source ids, publish throttle from
the clock as of ``t``). If a mark with ``ts > t`` was evicted (or the book was stored before the
history existed), the fill falls back to no re-application and ``FillOutcome.fallback`` is set.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from memesnipe.core.book_exits import ExitClaims
from memesnipe.core.book_history import (
    DEPTHS,
    MARKS,
    RUGS,
    DepthRecord,
    MarketHistory,
    MarkRecord,
)
from memesnipe.core.book_policy import (
    EXIT_REQUESTS,
    MARK_HISTORY,
    MARK_HISTORY_S,
    MAX_EXIT_RESENDS,
    PERP_MARKETS_KEEP,
    RECENT_FILL_IDS,
    RUG_HISTORY,
    BookPolicy,
)
from memesnipe.core.book_records import (
    BookError,
    ExitOrder,
    ExitRequest,
    FillOutcome,
    MarketStamp,
    MarkOutcome,
)
from memesnipe.core.bounded import remember
from memesnipe.core.exit_ids import exit_signal_id, exit_source, position_key
from memesnipe.core.exits import ExitDecision, ExitReason, ExitRules, check_exit
from memesnipe.core.positions import (
    SIDE_EFFECT,
    FillAction,
    FillError,
    FillLike,
    Position,
    apply_fill,
    new_position,
    validate_fill,
)
from memesnipe.core.trailing_stop import Direction, update_best

__all__ = [
    "DEPTHS",
    "EXIT_REQUESTS",
    "MARKS",
    "MARK_HISTORY",
    "MARK_HISTORY_S",
    "MAX_EXIT_RESENDS",
    "PERP_MARKETS_KEEP",
    "RECENT_FILL_IDS",
    "RUGS",
    "RUG_HISTORY",
    "BookError",
    "BookPolicy",
    "DepthRecord",
    "ExitOrder",
    "ExitRequest",
    "FillOutcome",
    "MarkOutcome",
    "MarkRecord",
    "MarketStamp",
    "MintBook",
    "decode_book",
    "encode_book",
    "exit_signal_id",
    "exit_source",
    "position_key",
]


class MintBook(MarketHistory, ExitClaims, msgspec.Struct, kw_only=True, omit_defaults=True):
    """One token's positions and everything that makes their updates exact (see the module)."""

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

    def is_applied(self, topic: str, offset: int) -> bool:
        """True if the input at ``offset`` of ``topic`` (this mint's partition) was applied."""
        last = self.offsets.get(topic)
        return last is not None and offset <= last

    def record(self, topic: str, offset: int) -> None:
        last = self.offsets.get(topic)
        if last is None or offset > last:
            self.offsets[topic] = offset

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

    def note_perp_market(self, instance_id: str, perp_market_index: int) -> None:
        """Remember the Drift market of a short entry signal (fills do not carry it)."""
        remember(self.perp_markets, instance_id, perp_market_index, PERP_MARKETS_KEEP)
        pos = self.positions.get(position_key(instance_id, Direction.SHORT))
        if pos is not None and pos.perp_market_index is None:
            pos.perp_market_index = perp_market_index

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

    def _remember(self, fill_id: str) -> None:
        self.recent_fill_ids.append(fill_id)
        if len(self.recent_fill_ids) > RECENT_FILL_IDS:
            del self.recent_fill_ids[: len(self.recent_fill_ids) - RECENT_FILL_IDS]


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(MintBook)


def encode_book(book: MintBook) -> bytes:
    return _encoder.encode(book)


def decode_book(data: bytes) -> MintBook:
    return _decoder.decode(data)
