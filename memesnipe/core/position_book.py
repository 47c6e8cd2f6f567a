"""All position state of one token (mint): every strategy instance's positions, the last input
offset applied per topic, recent fill ids, a sticky rug flag, and exits in flight.

One book per mint because every input (fills, price marks, rug signals) is keyed by mint: a
mark reaches all of the token's positions with one lookup, and the offsets that make recovery
exact are written in the same value as the positions they protect (one table write per mint
per batch, so they can never disagree).

Pure: the agent decodes, calls these methods in input order, turns the outcomes into wire
messages, and writes the encoded book back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import msgspec

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

RECENT_FILL_IDS = 512
"""Fill ids remembered per mint, to drop a fill re-delivered at another offset."""


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


@dataclass(frozen=True, slots=True)
class ExitOrder:
    """An exit to send: which position, why, and the signal id it must carry."""

    position: Position
    decision: ExitDecision
    signal_id: str


@dataclass(frozen=True, slots=True)
class FillOutcome:
    position: Position
    effect: FillEffect
    exit: ExitOrder | None = None  # an immediate exit (a long opened into a rugged token)


@dataclass(frozen=True, slots=True)
class MarkOutcome:
    position: Position
    publish: bool
    exit: ExitOrder | None = None


class BookError(ValueError):
    """An input that cannot be applied to this book; the message says why (dead-letter it)."""


def position_key(instance_id: str, direction: Direction) -> str:
    return f"{instance_id}|{direction.value}"


def exit_signal_id(instance_id: str, direction: Direction, source_id: str) -> str:
    """Derived from the input that triggered the exit, so a replay gives the same id."""
    return f"exit|{instance_id}|{direction.value}|{source_id}"


class MintBook(msgspec.Struct, kw_only=True):
    mint: str
    offsets: dict[str, int] = {}
    positions: dict[str, Position] = {}
    recent_fill_ids: list[str] = []
    rug_reason: str = ""
    rug_ts_s: float = 0.0
    perp_markets: dict[str, int] = {}  # instance_id -> Drift perp market of its short entries
    clock_s: float = 0.0  # latest event time of the token's market inputs (marks, signals)

    # -- exactly-once bookkeeping -------------------------------------------------------
    def is_applied(self, topic: str, offset: int) -> bool:
        """True if the input at ``offset`` of ``topic`` (this mint's partition) was applied."""
        last = self.offsets.get(topic)
        return last is not None and offset <= last

    def record(self, topic: str, offset: int) -> None:
        last = self.offsets.get(topic)
        if last is None or offset > last:
            self.offsets[topic] = offset

    def rug_active(self, now_s: float, policy: BookPolicy) -> bool:
        return bool(self.rug_reason) and now_s - self.rug_ts_s < policy.rug_ttl_s

    # -- inputs -------------------------------------------------------------------------
    def apply_fill(self, fill: FillLike, source_id: str, policy: BookPolicy) -> FillOutcome | None:
        """Book a fill. None if its id was seen already; BookError if it cannot be booked."""
        if fill.fill_id in self.recent_fill_ids:
            return None
        try:
            validate_fill(fill)
        except FillError as exc:
            raise BookError(str(exc)) from None
        direction, action = SIDE_EFFECT[str(fill.side)]
        key = position_key(fill.instance_id, direction)
        pos = self.positions.get(key)
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
        pos.updated_ts_s = max(pos.updated_ts_s, fill.ts.timestamp())
        # Timers (throttle, exit retry, rug TTL) run on the market's clock: a fill's time comes
        # from the execution side, which need not share it (paper fills, replays, clock skew).
        ts_s = self.clock_s or fill.ts.timestamp()
        pos.published_mark = pos.mark_price
        pos.published_ts_s = self.clock_s  # 0 = no market time yet: the first mark publishes
        if effect.closed:
            del self.positions[key]
        exit_order = None
        if (
            pos.is_open
            and direction is Direction.LONG
            and action is FillAction.OPEN
            and self.rug_active(ts_s, policy)
        ):
            decision = ExitDecision(ExitReason.RUG, f"rug: {self.rug_reason}")
            exit_order = self._claim(pos, decision, source_id, ts_s, policy)
        return FillOutcome(pos, effect, exit_order)

    def apply_mark(
        self,
        price: float,
        decimals: int,
        ts_s: float,
        source_id: str,
        rules_for: Callable[[str], ExitRules],
        policy: BookPolicy,
        flatten: str = "",
    ) -> list[MarkOutcome]:
        """Mark every open position of this token at ``price`` and decide exits; ``flatten`` is
        the reason of an active kill switch that asks to close everything."""
        out: list[MarkOutcome] = []
        if not price > 0.0:
            return out
        self.clock_s = max(self.clock_s, ts_s)
        rug = self.rug_reason if self.rug_active(ts_s, policy) else ""
        for pos in self.positions.values():
            if ts_s < pos.mark_ts_s:
                continue  # older than the last mark: neither a mark nor a new best price
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
            exit_order = self._claim(pos, decision, source_id, ts_s, policy) if decision else None
            publish = exit_order is not None or self._due(pos, ts_s, policy)
            if publish:
                pos.seq += 1
                pos.published_mark = price
                pos.published_ts_s = ts_s
            out.append(MarkOutcome(pos, publish, exit_order))
        return out

    def note_perp_market(self, instance_id: str, perp_market_index: int) -> None:
        """Remember the Drift market of a short entry signal (fills do not carry it)."""
        self.perp_markets[instance_id] = perp_market_index
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

    def apply_rug(self, reason: str, ts_s: float, source_id: str, policy: BookPolicy) -> list[ExitOrder]:
        """A rug signal for this token: remember it and force every long out now."""
        self.clock_s = max(self.clock_s, ts_s)
        if ts_s >= self.rug_ts_s:
            self.rug_reason = reason or "rug signal"
            self.rug_ts_s = ts_s
        decision = ExitDecision(ExitReason.RUG, f"rug: {self.rug_reason}")
        out = []
        for pos in self.positions.values():
            if pos.direction is Direction.LONG and pos.is_open:
                order = self._claim(pos, decision, source_id, ts_s, policy)
                if order is not None:
                    out.append(order)
        return out

    # -- helpers ------------------------------------------------------------------------
    def _claim(
        self, pos: Position, decision: ExitDecision, source_id: str, ts_s: float, policy: BookPolicy
    ) -> ExitOrder | None:
        """Mark an exit pending and return it, unless one is already in flight."""
        if pos.pending_exit_id and pos.pending_since_s <= 0.0:
            pos.pending_since_s = ts_s  # sent before any market time: the retry clock starts now
            return None
        if pos.pending_exit_id and ts_s - pos.pending_since_s < policy.exit_retry_s:
            return None
        sid = exit_signal_id(pos.instance_id, pos.direction, source_id)
        pos.pending_exit_id = sid
        pos.pending_exit_reason = decision.reason.value
        pos.pending_since_s = ts_s
        return ExitOrder(pos, decision, sid)

    @staticmethod
    def _due(pos: Position, ts_s: float, policy: BookPolicy) -> bool:
        if pos.published_ts_s <= 0.0 or pos.published_mark <= 0.0:
            return True
        if abs(pos.mark_price / pos.published_mark - 1.0) >= policy.publish_min_change:
            return True
        return ts_s - pos.published_ts_s >= policy.publish_interval_s

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
