"""Order lifecycle and router state tables.

``order_lifecycle``: order_id -> OrderRecord. Written by the router (NEW/ROUTED/REJECTED), the
fills agent (SIGNED/LANDED in paper) and the submitter (SUBMITTED/LANDED/FAILED/EXPIRED live).
Every writer handles messages keyed by the order's mint, and every trading topic is keyed by
mint, so the record always lives in the mint's partition whichever agent writes it.

``router_market``: mint -> MarketMark (last price and depth, plus bounded event-time histories of
both), for the paper slippage model: an order is filled at the price and depth *as of its event
time* (``MarketMark.price_asof``/``depth_asof``), never at a later mark consumed ahead of it.

Values are msgspec-encoded bytes (raw serializers), decoded only when a key is touched.
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter
from typing import Any

import msgspec

from memesnipe.app import app, settings
from memesnipe.core.asof import AsOfHistory, newest_lost
from memesnipe.core.order_lifecycle import TERMINAL_RETENTION_S, expired_terminal
from memesnipe.streams.base import UtcDatetime
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.trading import DepthStamp, Intent, OrderState, Side, Venue


class OrderRecord(msgspec.Struct, kw_only=True):
    """An order's lifecycle state plus what the fill needs (``plan``: expected amounts, fees)."""

    order_id: str
    mint: str
    instance_id: str
    family: str
    side: Side
    intent: Intent
    venue: Venue
    amount_in: int
    state: OrderState
    created_at: UtcDatetime
    updated_at: UtcDatetime
    paper: bool = True
    signature: str = ""
    reason: str = ""
    plan: dict[str, Any] = {}
    bundle_id: str = ""
    blockhash: str = ""  # live: the signed transaction's blockhash (until when it can land)
    filled: bool = False
    history: list[str] = []
    order_ts: UtcDatetime | None = None  # the order's event time: a paper fill happens "then"
    depth: DepthStamp | None = None  # the order's depth stamp, carried into its paper fill

    def __post_init__(self) -> None:
        # One entry per state change and a state never repeats, so the lifecycle's longest
        # path bounds the history already; the cap guards against a writer that appends more.
        if len(self.history) > HISTORY_KEEP:
            self.history = [self.history[0], *self.history[-(HISTORY_KEEP - 1) :]]


HISTORY_KEEP = 16
"""Entries kept in ``OrderRecord.history`` (the first, then the newest), applied on load."""


PRICE_HISTORY = 64
"""Price marks kept per mint for the as-of join (newest by event time)."""
DEPTH_HISTORY = 32
"""Depth snapshots kept per mint for the as-of join (newest by event time)."""


class PricePoint(msgspec.Struct, array_like=True):
    """One price event as the paper model needs it (``ts``: event time, epoch seconds)."""

    ts: float
    price_sol: float
    price_usd: float
    decimals: int = 6
    liquidity_usd: float = 0.0


class DepthPoint(msgspec.Struct, array_like=True):
    """One depth snapshot: ``(size_usd, impact_bps)`` levels and the pool liquidity."""

    ts: float
    levels: list[tuple[float, float]] = []
    liquidity_usd: float = 0.0


PRICES: AsOfHistory[PricePoint] = AsOfHistory("router.price", attrgetter("ts"), PRICE_HISTORY)
DEPTHS: AsOfHistory[DepthPoint] = AsOfHistory("router.depth", attrgetter("ts"), DEPTH_HISTORY)


class MarketMark(msgspec.Struct, kw_only=True):
    """Last price and depth seen for a mint (event time), and their bounded histories.

    The flat fields are the latest consumed (the pre-as-of behaviour, kept as the fallback).
    ``price_hist``/``depth_hist`` are sorted by event time (equal times: arrival order) and bounded
    (``PRICE_HISTORY``/``DEPTH_HISTORY``); evictions drop the oldest entry and record the newest
    evicted time in ``*_lost_ts`` (None: nothing evicted, the history is complete). A mark stored
    or built without histories is migrated in ``__post_init__``: its latest values become the
    first entry (at ``price_ts``/``depth_ts``, epoch 0 if unknown) and older times count as lost.
    """

    price_sol: float = 0.0
    price_usd: float = 0.0
    decimals: int = 6
    liquidity_usd: float = 0.0
    levels: list[tuple[float, float]] = []
    price_ts: UtcDatetime | None = None
    depth_ts: UtcDatetime | None = None
    price_hist: list[PricePoint] = []
    depth_hist: list[DepthPoint] = []
    price_lost_ts: float | None = None
    depth_lost_ts: float | None = None
    migrated: bool = False

    def __post_init__(self) -> None:
        if self.migrated:
            return
        self.migrated = True
        if not self.price_hist and (self.price_ts is not None or self.price_sol > 0 or self.price_usd > 0):
            t = self.price_ts.timestamp() if self.price_ts is not None else 0.0
            self.price_hist = [PricePoint(t, self.price_sol, self.price_usd, self.decimals, 0.0)]
            self.price_lost_ts = t
        if not self.depth_hist and (self.depth_ts is not None or self.levels or self.liquidity_usd > 0):
            t = self.depth_ts.timestamp() if self.depth_ts is not None else 0.0
            self.depth_hist = [DepthPoint(t, list(self.levels), self.liquidity_usd)]
            self.depth_lost_ts = t

    def apply_price(self, p: Any, keep: int = PRICE_HISTORY) -> bool:
        """Record a PriceEvent; True if it also became the latest mark (event time wins)."""
        t = p.ts.timestamp()
        lost = PRICES.add(
            self.price_hist, PricePoint(t, p.price_sol, p.price_usd, p.decimals, p.liquidity_usd), keep
        )
        self.price_lost_ts = newest_lost(self.price_lost_ts, lost, PRICES.ts_of)
        if self.price_ts is not None and p.ts < self.price_ts:
            return False
        self.price_sol, self.price_usd, self.decimals, self.price_ts = (
            p.price_sol,
            p.price_usd,
            p.decimals,
            p.ts,
        )
        if p.liquidity_usd > 0:
            self.liquidity_usd = p.liquidity_usd
        return True

    def apply_depth(self, d: Any, keep: int = DEPTH_HISTORY) -> bool:
        """Record a DepthEvent; True if it also became the latest depth (event time wins)."""
        t = d.ts.timestamp()
        levels = [(lv.size_usd, lv.impact_bps) for lv in d.levels]
        lost = DEPTHS.add(self.depth_hist, DepthPoint(t, levels, d.liquidity_usd), keep)
        self.depth_lost_ts = newest_lost(self.depth_lost_ts, lost, DEPTHS.ts_of)
        if self.depth_ts is not None and d.ts < self.depth_ts:
            return False
        self.levels = levels
        if d.liquidity_usd > 0:
            self.liquidity_usd = d.liquidity_usd
        self.depth_ts = d.ts
        return True

    def price_asof(self, ts: float) -> tuple[bool, PricePoint | None]:
        """``(True, latest price with ts' <= ts)``, ``(True, None)`` if the complete history has
        none, ``(False, None)`` if it was evicted (the caller falls back to the latest)."""
        return PRICES.asof(self.price_hist, ts, self.price_lost_ts)

    def depth_asof(self, ts: float) -> tuple[bool, DepthPoint | None]:
        """As :meth:`price_asof`, for depth snapshots."""
        return DEPTHS.asof(self.depth_hist, ts, self.depth_lost_ts)


def expired_records(now: datetime, retention_s: float = TERMINAL_RETENTION_S) -> list[bytes]:
    """Keys of this worker's ``order_lifecycle`` records of terminal orders older than the
    retention (``core.order_lifecycle.TERMINAL_RETENTION_S`` says why that is safe): the caller
    deletes them through its stage (a table write), e.g. from the submitter's periodic sweep."""
    recs = [r for r in (load_record(raw) for raw in list(order_lifecycle.values())) if r is not None]
    return [
        oid.encode()
        for oid in expired_terminal(((r.order_id, r.state, r.updated_at) for r in recs), now, retention_s)
    ]


def lifecycle_size() -> int:
    """Records held in this worker's partitions of ``order_lifecycle`` (for the size metric)."""
    return len(order_lifecycle)


def load_record(raw: bytes | None) -> OrderRecord | None:
    return None if raw is None else decode(raw, OrderRecord)


def dump(value: msgspec.Struct) -> bytes:
    return encode(value)


def load_mark(raw: bytes | None) -> MarketMark | None:
    return None if raw is None else decode(raw, MarketMark)


def _table(name: str, help_: str) -> Any:
    return app.Table(
        name,
        default=None,
        key_type=bytes,
        value_type=bytes,
        partitions=settings.kafka.partitions,
        help=help_,
    )


order_lifecycle = _table("order_lifecycle", "order_id -> OrderRecord (msgspec JSON)")
router_market = _table("router_market", "mint -> MarketMark (msgspec JSON)")
