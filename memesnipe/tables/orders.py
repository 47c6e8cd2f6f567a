"""Order lifecycle and router state tables.

``order_lifecycle``: order_id -> OrderRecord. Written by the router (NEW/ROUTED/REJECTED), the
fills agent (SIGNED/LANDED in paper) and the submitter (SUBMITTED/LANDED/FAILED/EXPIRED live).
Every writer handles messages keyed by the order's mint, and every trading topic is keyed by
mint, so the record always lives in the mint's partition whichever agent writes it.

``router_market``: mint -> MarketMark (last price and depth), for the paper slippage model.
``router_killswitch``: a GlobalTable holding the latest KillSwitch message, read by every worker.

Values are msgspec-encoded bytes (raw serializers), decoded only when a key is touched.
"""

from __future__ import annotations

from typing import Any

import msgspec

from memesnipe.app import app, settings
from memesnipe.streams.base import UtcDatetime
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.trading import Intent, OrderState, Side, Venue


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
    filled: bool = False
    history: list[str] = []
    order_ts: UtcDatetime | None = None  # the order's event time: a paper fill happens "then"


class MarketMark(msgspec.Struct, kw_only=True):
    """Last price and depth seen for a mint (event time)."""

    price_sol: float = 0.0
    price_usd: float = 0.0
    decimals: int = 6
    liquidity_usd: float = 0.0
    levels: list[tuple[float, float]] = []
    price_ts: UtcDatetime | None = None
    depth_ts: UtcDatetime | None = None


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
router_killswitch = app.GlobalTable(
    "router_killswitch",
    default=None,
    key_type=bytes,
    value_type=bytes,
    partitions=settings.kafka.partitions,
    help="'state' -> latest KillSwitch (msgspec JSON)",
)
