"""Open exposure across all strategies and mints, for the risk gate's global limits (pure).

Fed with every order, fill, order update and position update (all partitions, see
``memesnipe.tables.views``). Exposure of a strategy on a mint is its open position's marked
notional plus its *pending* entries: an entry order counts from the moment the gate emits it
until the position reflects its fill (a position update at or after the fill's time), or until
it fails, or until ``pending_ttl_s`` of wall-clock time has passed since it was sent (the Kafka
record time; a backstop for an order whose failure was never reported). The TTL is on the wall
clock, not event time, because event times of different mints are not comparable: one signal
with a skewed timestamp must not release every other order's exposure. So an order is never counted
zero times in between, which is what would let two quick entries both pass a cap.
"""

from __future__ import annotations

import bisect
import heapq
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from memesnipe.streams.trading import (
    Fill,
    Intent,
    Order,
    OrderState,
    OrderUpdate,
    PositionStatus,
    PositionUpdate,
    Side,
)

TERMINAL_FAILURES = frozenset({OrderState.FAILED, OrderState.EXPIRED, OrderState.REJECTED})
RATE_WINDOW_S = 60.0
RATE_KEEP_S = 3600.0  # event-time history kept for the rate window (tolerates skew between mints)


@dataclass(slots=True)
class Held:
    side: Side
    qty_tokens: int
    exposure: int
    ts: float
    perp_market_index: int | None = None
    family: str = ""
    fill_ts: float = 0.0  # the latest fill this state reflects (PositionUpdate.fill_ts, else ts)


@dataclass(slots=True)
class Pending:
    instance_id: str
    mint: str
    intent: Intent
    lamports: int
    ts: float  # event time of the order
    sent_at: float  # wall clock when it was sent (record time)
    filled_ts: float | None = None
    side: Side | None = None


def position_exposure(p: PositionUpdate) -> int:
    """Marked notional in lamports: basis plus gross unrealized PnL (long) or minus it (short)."""
    if p.status is not PositionStatus.OPEN or p.qty_tokens <= 0:
        return 0
    if p.side in (Side.SHORT, Side.COVER):
        return max(0, p.cost_lamports - p.unrealized_gross_pnl_lamports)
    return max(0, p.cost_lamports + p.unrealized_gross_pnl_lamports)


class ExposureBook:
    """Open positions, pending orders and the recent order rate, with O(1) aggregates."""

    def __init__(
        self,
        pending_ttl_s: float = 180.0,
        remember_orders: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.pending_ttl_s = pending_ttl_s
        self.clock = clock
        self.remember_orders = remember_orders
        self.held: dict[tuple[str, str], Held] = {}
        self.pending: dict[str, Pending] = {}
        self._pending_by_pos: dict[tuple[str, str], set[str]] = defaultdict(set)
        self._by_mint: dict[str, int] = defaultdict(int)
        self._by_instance: dict[str, int] = defaultdict(int)
        self._order_ts: OrderedDict[str, float] = OrderedDict()  # every order seen, oldest first
        self._rate_ts: list[float] = []  # event times of recent orders, sorted
        self._entries: dict[tuple[str, str], int] = defaultdict(int)  # pending entry orders per position
        self._new_positions: set[tuple[str, str]] = set()  # not held, with a pending entry
        self._next_expire = 0.0
        self._by_sent: list[tuple[float, str]] = []  # heap of (sent_at, order_id) for the TTL

    # ------------------------------------------------------------ aggregates

    def _add(self, instance_id: str, mint: str, lamports: int) -> None:
        self._by_mint[mint] += lamports
        self._by_instance[instance_id] += lamports

    def token_exposure(self, mint: str) -> int:
        return self._by_mint.get(mint, 0)

    def strategy_exposure(self, instance_id: str) -> int:
        return self._by_instance.get(instance_id, 0)

    def holds(self, instance_id: str, mint: str) -> bool:
        key = (instance_id, mint)
        return key in self.held or self._entries.get(key, 0) > 0

    def _recount(self, key: tuple[str, str]) -> None:
        if key not in self.held and self._entries.get(key, 0) > 0:
            self._new_positions.add(key)
        else:
            self._new_positions.discard(key)

    def open_positions(self) -> int:
        """Open (strategy, mint) positions plus pending entries that would open a new one."""
        return len(self.held) + len(self._new_positions)

    def position(self, instance_id: str, mint: str) -> Held | None:
        return self.held.get((instance_id, mint))

    def exit_pending(self, instance_id: str, mint: str) -> bool:
        return any(
            self.pending[i].intent is Intent.EXIT for i in self._pending_by_pos.get((instance_id, mint), ())
        )

    def pending_entry_ids(self, instance_id: str, mint: str, side: Side | None = None) -> list[str]:
        """Ids of the pending entry orders of (instance, mint), sorted: emitted, not yet
        reflected in a position, not failed, not expired. ``side``: only entries of that side."""
        return sorted(
            i
            for i in self._pending_by_pos.get((instance_id, mint), ())
            if self.pending[i].intent is Intent.ENTRY and (side is None or self.pending[i].side is side)
        )

    def orders_in_window(self, now: float) -> int:
        """Orders (any intent) with event time in ``(now - 60 s, now]``."""
        r = self._rate_ts
        return bisect.bisect_right(r, now) - bisect.bisect_right(r, now - RATE_WINDOW_S)

    def knows_order(self, order_id: str) -> bool:
        return order_id in self._order_ts

    # ------------------------------------------------------------ folds

    def apply_order(self, o: Order, sent_at: float | None = None) -> None:
        if o.order_id in self._order_ts:
            return
        ts = o.ts.timestamp()
        self._order_ts[o.order_id] = ts
        while len(self._order_ts) > self.remember_orders:
            self._order_ts.popitem(last=False)
        bisect.insort(self._rate_ts, ts)
        if self._rate_ts[0] < ts - RATE_KEEP_S:
            del self._rate_ts[: bisect.bisect_left(self._rate_ts, ts - RATE_KEEP_S)]
        lamports = o.amount_in if o.intent is Intent.ENTRY else 0
        sent = self.clock() if sent_at is None else sent_at
        self.pending[o.order_id] = Pending(o.instance_id, o.mint, o.intent, lamports, ts, sent, side=o.side)
        heapq.heappush(self._by_sent, (sent, o.order_id))
        key = (o.instance_id, o.mint)
        self._pending_by_pos[key].add(o.order_id)
        self._add(o.instance_id, o.mint, lamports)
        if o.intent is Intent.ENTRY:
            self._entries[key] += 1
            self._recount(key)

    def _drop_pending(self, order_id: str) -> None:
        p = self.pending.pop(order_id, None)
        if p is None:
            return
        self._add(p.instance_id, p.mint, -p.lamports)
        key = (p.instance_id, p.mint)
        ids = self._pending_by_pos.get(key)
        if ids is not None:
            ids.discard(order_id)
            if not ids:
                del self._pending_by_pos[key]
        if p.intent is Intent.ENTRY:
            self._entries[key] -= 1
            if self._entries[key] <= 0:
                del self._entries[key]
            self._recount(key)

    def apply_fill(self, f: Fill) -> None:
        p = self.pending.get(f.order_id)
        if p is not None:
            p.filled_ts = f.ts.timestamp()
            held = self.held.get((p.instance_id, p.mint))
            # reflected only by a state that has booked a fill this late: a state stamped later
            # by marks alone (a replay books fills long after later marks) has not
            if held is not None and held.fill_ts >= p.filled_ts:
                self._drop_pending(f.order_id)

    def apply_update(self, u: OrderUpdate) -> None:
        if u.state in TERMINAL_FAILURES:
            self._drop_pending(u.order_id)

    def apply_position(self, p: PositionUpdate) -> None:
        key = (p.instance_id, p.mint)
        ts = p.ts.timestamp()
        fill_ts = p.fill_ts.timestamp() if p.fill_ts is not None else ts
        old = self.held.pop(key, None)
        if old is not None:
            if old.ts > ts:  # an older update arriving late: keep the newer state
                self.held[key] = old
                return
            self._add(p.instance_id, p.mint, -old.exposure)
        if p.status is PositionStatus.OPEN and p.qty_tokens > 0:
            exp = position_exposure(p)
            self.held[key] = Held(p.side, p.qty_tokens, exp, ts, p.perp_market_index, p.family, fill_ts)
            self._add(p.instance_id, p.mint, exp)
        self._recount(key)
        for oid in list(self._pending_by_pos.get(key, ())):
            pend = self.pending[oid]
            if pend.filled_ts is not None and fill_ts >= pend.filled_ts:
                self._drop_pending(oid)

    def expire(self) -> None:
        """Drop pending orders sent more than the TTL ago (wall clock; checked once a second)."""
        now = self.clock()
        if now < self._next_expire:
            return
        self._next_expire = now + 1.0
        cutoff = now - self.pending_ttl_s
        heap = self._by_sent
        while heap and heap[0][0] < cutoff:
            _, oid = heapq.heappop(heap)
            self._drop_pending(oid)  # no-op if it already filled or failed
