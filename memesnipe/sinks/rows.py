"""Kafka messages -> ClickHouse rows, one table per topic (market topics share one table).

Each row carries ``run_id`` and its stable id (see migrations/0001_init.sql). Decoding uses
the wire schemas in ``memesnipe.streams``; a message that does not decode raises
:class:`~memesnipe.streams.codec.DecodeError` and the sink dead-letters it with the reason.

Market events are sampled: at most one row per (type, mint, second of event time), the first
seen. The table's key is that triple, so a row that slips past the in-memory filter (after a
restart, or out of order) still collapses to one; ``ver`` = 2^63 - offset keeps the earliest.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import msgspec

from memesnipe.streams import (
    DeadLetter,
    ExecutionRequest,
    ExecutionResult,
    Fill,
    KillSwitch,
    Order,
    OrderRejection,
    OrderUpdate,
    PositionUpdate,
    Signal,
    StrategyAllocation,
    StrategySpec,
)
from memesnipe.streams.codec import DecodeError, check_size, configured_limits, decode, decode_market
from memesnipe.streams.market import (
    BridgeEvent,
    DepthEvent,
    FundingEvent,
    MarketEvent,
    OnChainEvent,
    PriceEvent,
    SocialEvent,
    SolPriceEvent,
)
from memesnipe.streams.reconcile import Reconciliation
from memesnipe.streams.topics import ALL_TOPICS, COMPACTED, MARKET_TOPICS

Row = tuple[Any, ...]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_REVERSE = 2**63
_json = msgspec.json.Encoder()


class Source(NamedTuple):
    """Where a message came from (for ids, versions and dead letters)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    timestamp_ms: int


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[str, ...]


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "signals",
            (
                "run_id",
                "signal_id",
                "instance_id",
                "family",
                "mint",
                "ts",
                "side",
                "intent",
                "strength",
                "reason",
                "price_usd",
                "price_sol",
                "block_entries",
                "meta",
                "ver",
            ),
        ),
        Table(
            "orders",
            (
                "run_id",
                "order_id",
                "signal_id",
                "instance_id",
                "family",
                "mint",
                "ts",
                "side",
                "intent",
                "venue",
                "amount_in",
                "slippage_bps",
                "price_usd",
                "price_sol",
                "reason",
                "ver",
            ),
        ),
        Table(
            "rejections",
            ("run_id", "signal_id", "instance_id", "mint", "ts", "side", "intent", "rule", "reason", "ver"),
        ),
        Table("order_updates", ("run_id", "order_id", "state", "ts", "reason", "signature", "ver")),
        Table(
            "exec_requests",
            (
                "run_id",
                "request_id",
                "order_id",
                "mint",
                "intent",
                "ts",
                "spend_lamports",
                "tip_lamports",
                "paper",
                "ver",
            ),
        ),
        Table(
            "exec_results",
            (
                "run_id",
                "request_id",
                "order_id",
                "mint",
                "status",
                "ts",
                "signature",
                "reason",
                "slot",
                "ver",
            ),
        ),
        Table(
            "fills",
            (
                "run_id",
                "fill_id",
                "order_id",
                "instance_id",
                "family",
                "mint",
                "ts",
                "side",
                "intent",
                "qty_tokens",
                "notional_lamports",
                "price_sol",
                "price_usd",
                "swap_fee_lamports",
                "priority_fee_lamports",
                "jito_tip_lamports",
                "drift_fee_lamports",
                "funding_lamports",
                "cost_lamports",
                "paper",
                "signature",
                "reason",
                "expected_qty_tokens",
                "expected_notional_lamports",
                "ver",
            ),
        ),
        Table(
            "positions",
            (
                "run_id",
                "instance_id",
                "mint",
                "ts",
                "status",
                "side",
                "qty_tokens",
                "entry_price_sol",
                "mark_price_sol",
                "cost_lamports",
                "realized_pnl_lamports",
                "unrealized_pnl_lamports",
                "fees_lamports",
                "stop_price_sol",
                "peak_price_sol",
                "exit_reason",
                "ver",
            ),
        ),
        Table(
            "allocations",
            (
                "run_id",
                "instance_id",
                "ts",
                "weight",
                "capital_lamports",
                "sharpe",
                "samples",
                "reason",
                "ver",
            ),
        ),
        Table("killswitch", ("run_id", "ts", "by", "active", "reason", "flatten", "drawdown", "ver")),
        Table(
            "strategy_specs",
            ("run_id", "instance_id", "revision", "family", "enabled", "params", "ts", "ver"),
        ),
        Table(
            "market_events",
            (
                "run_id",
                "type",
                "mint",
                "sec",
                "ts",
                "source",
                "price_usd",
                "price_sol",
                "volume_usd",
                "liquidity_usd",
                "value",
                "kind",
                "payload",
                "ver",
            ),
        ),
        Table(
            "perp_reconciliations",
            ("run_id", "venue_key", "ts", "reason", "holdings", "mismatches", "ver"),
        ),
        Table(
            "dead_letters",
            ("run_id", "topic", "partition", "offset", "key", "reason", "payload", "consumer", "ts", "ver"),
        ),
    )
}

TOPIC_TABLE: dict[str, str] = {
    **{t: "market_events" for t in MARKET_TOPICS},
    "signals": "signals",
    "orders": "orders",
    "rejections": "rejections",
    "order_updates": "order_updates",
    "exec_requests": "exec_requests",
    "exec_results": "exec_results",
    "fills": "fills",
    "positions": "positions",
    "allocations": "allocations",
    "killswitch": "killswitch",
    "specs": "strategy_specs",
    "perp_reconciliations": "perp_reconciliations",
    "deadletter": "dead_letters",
}
"""Short topic name -> table."""

SINK_TOPICS = (*ALL_TOPICS, "perp_reconciliations")
"""What the sink stores: every trading topic, and the perp venue's readings (the cockpit shows
the venue's status from them)."""


def micros(ts: datetime) -> int:
    """Event time in integer microseconds since the epoch: the DateTime64(6) value of a row
    (clickhouse-connect writes ints as-is, much faster than converting datetimes) and, for
    most tables, its version."""
    d = ts - _EPOCH
    return (d.days * 86_400 + d.seconds) * 1_000_000 + d.microseconds


def _signal(run: str, data: bytes, src: Source) -> Row:
    m = decode(data, Signal)
    us = micros(m.ts)
    return (run, m.signal_id, m.instance_id, m.family, m.mint, us, m.side.value, m.intent.value,
            m.strength, m.reason, m.price_usd, m.price_sol, int(m.block_entries),
            _json.encode(m.meta).decode() if m.meta else "{}", us)  # fmt: skip


def _order(run: str, data: bytes, src: Source) -> Row:
    m = decode(data, Order)
    us = micros(m.ts)
    return (run, m.order_id, m.signal_id, m.instance_id, m.family, m.mint, us, m.side.value,
            m.intent.value, m.venue.value, m.amount_in, m.slippage_bps, m.price_usd, m.price_sol,
            m.reason, us)  # fmt: skip


def _rejection(run: str, data: bytes, src: Source) -> Row:
    m = decode(data, OrderRejection)
    us = micros(m.ts)
    return (run, m.signal_id, m.instance_id, m.mint, us, m.side.value, m.intent.value, m.rule,
            m.reason, us)  # fmt: skip


def _order_update(run: str, data: bytes, src: Source) -> Row:
    m = decode(data, OrderUpdate)
    us = micros(m.ts)
    return (run, m.order_id, m.state.value, us, m.reason, m.signature, us)


def _exec_request(run: str, data: bytes, src: Source) -> Row:
    m = decode(data, ExecutionRequest)
    us = micros(m.created_at)
    return (run, m.request_id, m.order_id, m.mint, m.intent.value, us, m.spend_lamports,
            m.tip_lamports, int(m.paper), us)  # fmt: skip


def _exec_result(run: str, data: bytes, src: Source) -> Row:
    m = decode(data, ExecutionResult)
    us = micros(m.ts)
    return (run, m.request_id, m.order_id, m.mint, m.status.value, us, m.signature, m.reason,
            m.slot, us)  # fmt: skip


def _fill(run: str, data: bytes, src: Source) -> Row:
    m = decode(data, Fill)
    us = micros(m.ts)
    return (run, m.fill_id, m.order_id, m.instance_id, m.family, m.mint, us, m.side.value,
            m.intent.value, m.qty_tokens, m.notional_lamports, m.price_sol, m.price_usd,
            m.swap_fee_lamports, m.priority_fee_lamports, m.jito_tip_lamports,
            m.drift_fee_lamports, m.funding_lamports, m.cost_lamports, int(m.paper), m.signature,
            m.reason, m.expected_qty_tokens, m.expected_notional_lamports, us)  # fmt: skip


def _position(run: str, data: bytes, src: Source) -> Row:
    m = decode(data, PositionUpdate)
    return (run, m.instance_id, m.mint, micros(m.ts), m.status.value, m.side.value, m.qty_tokens,
            m.entry_price_sol, m.mark_price_sol, m.cost_lamports, m.realized_pnl_lamports,
            m.unrealized_pnl_lamports, m.fees_lamports, m.stop_price_sol, m.peak_price_sol,
            m.exit_reason, src.offset)  # fmt: skip


def _allocation(run: str, data: bytes, src: Source) -> Row:
    m = decode(data, StrategyAllocation)
    us = micros(m.ts)
    return (run, m.instance_id, us, m.weight, m.capital_lamports, m.sharpe, m.samples, m.reason, us)


def _killswitch(run: str, data: bytes, src: Source) -> Row:
    m = decode(data, KillSwitch)
    return (run, micros(m.ts), m.by, int(m.active), m.reason, int(m.flatten), m.drawdown, src.offset)


def _spec(run: str, data: bytes, src: Source) -> Row:
    m = decode(data, StrategySpec)
    us = micros(m.updated_at) if m.updated_at else max(src.timestamp_ms, 0) * 1000
    return (run, m.instance_id, m.revision, m.family, int(m.enabled), _json.encode(m.params).decode(),
            us, src.offset)  # fmt: skip


def _perp_reconciliation(run: str, data: bytes, src: Source) -> Row:
    """A perp venue reading: its key ``<venue>:<wallet>`` and reason (the venue's status)."""
    m = decode(data, Reconciliation)
    us = micros(m.ts)
    return (run, m.wallet, us, m.reason, len(m.holdings), len(m.mismatches), us)


def _dead_letter(run: str, data: bytes, src: Source) -> Row:
    try:
        m = decode(data, DeadLetter)
    except DecodeError as exc:
        # A dead letter we cannot read is still kept (never dead-lettered again: no loops).
        return (run, src.topic, src.partition, src.offset, (src.key or b"").decode("utf-8", "replace"),
                f"unreadable dead letter: {exc}", data.decode("utf-8", "replace"), "analytics",
                max(src.timestamp_ms, 0) * 1000, 0)  # fmt: skip
    # A replay dead-letters the same message again, later: the first letter is kept.
    us = micros(m.ts)
    return (run, m.topic, m.partition, m.offset, m.key or "", m.reason, m.payload, m.consumer, us,
            _REVERSE - us)  # fmt: skip


def _market_fields(m: MarketEvent) -> tuple[float, float, float, float, float, str]:
    """(price_usd, price_sol, volume_usd, liquidity_usd, value, kind) of any market event."""
    if isinstance(m, PriceEvent):
        return m.price_usd, m.price_sol, m.volume_usd_5m, m.liquidity_usd, 0.0, ""
    if isinstance(m, SocialEvent):
        return 0.0, 0.0, 0.0, 0.0, float(m.mentions), ""
    if isinstance(m, DepthEvent):
        return 0.0, 0.0, 0.0, m.liquidity_usd, m.levels[0].impact_bps if m.levels else 0.0, ""
    if isinstance(m, BridgeEvent):
        return 0.0, 0.0, m.amount_usd, 0.0, m.amount_usd, m.source_chain
    if isinstance(m, FundingEvent):
        return m.mark_price_usd, 0.0, 0.0, 0.0, m.funding_rate_hourly, m.perp_symbol
    if isinstance(m, SolPriceEvent):
        return m.price_usd, 0.0, 0.0, 0.0, m.conf_usd, ""
    if isinstance(m, OnChainEvent):
        return 0.0, 0.0, m.amount_usd, m.pool_liquidity_usd or 0.0, m.amount_tokens, m.kind.value
    return 0.0, 0.0, 0.0, 0.0, 0.0, ""


_CONVERTERS: dict[str, Callable[[str, bytes, Source], Row]] = {
    "signals": _signal,
    "orders": _order,
    "rejections": _rejection,
    "order_updates": _order_update,
    "exec_requests": _exec_request,
    "exec_results": _exec_result,
    "fills": _fill,
    "positions": _position,
    "allocations": _allocation,
    "killswitch": _killswitch,
    "specs": _spec,
    "perp_reconciliations": _perp_reconciliation,
    "deadletter": _dead_letter,
}


class RowMapper:
    """Turns one message of a short-named topic into ``(table, row)``, or None when sampled out."""

    def __init__(self, run_id: str, max_sample_keys: int = 200_000) -> None:
        self.run_id = run_id
        self._last_second: dict[tuple[str, str], int] = {}
        self._max_sample_keys = max_sample_keys

    def map(self, short: str, data: bytes | None, src: Source) -> tuple[str, Row] | None:
        if isinstance(data, bytes | bytearray):
            check_size(bytes(data), configured_limits())  # before any parsing (wire.max_*)
        if short in MARKET_TOPICS:
            return self._market(short, data, src)
        conv = _CONVERTERS.get(short)
        if conv is None:
            raise KeyError(f"no table for topic {short!r}")
        if not isinstance(data, bytes | bytearray):
            if short in COMPACTED:
                return None  # a deletion marker on a compacted control topic: nothing to store
            raise DecodeError("empty message (tombstone)")
        return TOPIC_TABLE[short], conv(self.run_id, data, src)

    def _market(self, short: str, data: bytes | None, src: Source) -> tuple[str, Row] | None:
        if data is None:
            raise DecodeError("empty message (tombstone)")
        m = decode_market(data)
        tag = type(m).__struct_config__.tag
        if tag != short:
            raise DecodeError(f"a {tag!r} event on the {short!r} topic")
        us = micros(m.ts)
        second = us // 1_000_000
        key = (short, m.mint)
        if self._last_second.get(key) == second:
            return None
        if len(self._last_second) >= self._max_sample_keys:
            self._last_second.clear()
        self._last_second[key] = second
        p_usd, p_sol, vol, liq, value, kind = _market_fields(m)
        return "market_events", (self.run_id, short, m.mint, second, us, m.source, p_usd, p_sol, vol, liq,
                                 value, kind, bytes(data).decode("utf-8", "replace"),
                                 _REVERSE - src.offset)  # fmt: skip
