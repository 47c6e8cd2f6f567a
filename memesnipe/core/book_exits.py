"""A position book's exits (pure): one exit in flight per position, claimed from a mark, a rug, a
fill, or a strategy's exit the risk gate refused before it saw the position.

Exits before fills: the risk gate sizes exits from a view of the positions that lags, so a
strategy's exit sent soon after its entry can reach it before the entry's fill: it is refused
with ``exit_before_fill`` and the pending entry order ids. :meth:`ExitClaims.request_exit` takes
that refusal: if one of those orders has filled here, the exit is claimed now (reason
``strategy``); otherwise the order ids are remembered (``exit_after_fill``, bounded) and the
fill of one of them claims it in ``MintBook.apply_fill`` (``FillOutcome.exit``). One exit in
flight per position as always; an exit of this book refused that way is sent again (bounded).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import msgspec

from memesnipe.core.book_policy import EXIT_REQUESTS, MAX_EXIT_RESENDS, BookPolicy
from memesnipe.core.book_records import ExitOrder, ExitRequest, MarketStamp, MarkOutcome
from memesnipe.core.exit_ids import exit_signal_id, position_key
from memesnipe.core.exits import ExitDecision, ExitReason
from memesnipe.core.positions import Position
from memesnipe.core.trailing_stop import Direction


class ExitClaims:
    """The exit half of ``MintBook`` (a mixin: the fields are the book's)."""

    if not TYPE_CHECKING:
        __slots__ = ()
    positions: dict[str, Position]
    clock_s: float
    recent_fill_ids: list[str]
    exit_after_fill: dict[str, ExitRequest]
    exit_resends: dict[str, int]

    if TYPE_CHECKING:

        def rug_asof(self, now_s: float, policy: BookPolicy) -> str: ...  # MarketHistory's

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
