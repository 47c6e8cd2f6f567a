"""Trading messages: signals, orders, rejections, order updates, fills and positions."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import msgspec

from memesnipe.streams.base import Fraction, Lamports, Message, Mint, UtcDatetime


class Side(StrEnum):
    BUY = "buy"  # open/add a long (spot, Jupiter)
    SELL = "sell"  # close a long (spot, Jupiter)
    SHORT = "short"  # open a perp short (Drift)
    COVER = "cover"  # close a perp short (Drift, reduce-only)


class Intent(StrEnum):
    ENTRY = "entry"
    EXIT = "exit"


class Venue(StrEnum):
    JUPITER = "jupiter"
    DRIFT = "drift"


class DepthStamp(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """The mint's depth as of a signal's event time, as the strategy runner saw it: the latest
    depth snapshot's ``(size_usd, impact_bps)`` buy levels and its pool liquidity (USD); no
    snapshot yet: no levels, 0. The router's paper fill uses it whenever an order carries one
    (it is the backtester's depth at that moment); the position manager stamps its exits with the
    depth of their moment too (docs/EVENT_TIME.md)."""

    levels: tuple[tuple[float, float], ...] = ()
    liquidity_usd: float = 0.0


SafetyValue = bool | float | str


class SafetyStamp(msgspec.Struct, frozen=True, array_like=True):
    """The mint's token-safety facts as of a signal's event time, as the strategy runner saw them:
    per fact (a ``market.SAFETY_FACTS`` name) the newest message that carried it, as ``(event time
    in epoch seconds, value, that message's source)``; none known yet: empty. It is the
    backtester's view at that moment (same event-time walk), so the risk gate decides an entry on
    it whenever a signal carries one (docs/EVENT_TIME.md)."""

    facts: dict[str, tuple[float, SafetyValue, str]] = {}


class Signal(Message, frozen=True, kw_only=True):
    """A strategy's wish. ``signal_id`` is derived from the input that caused it, so a replayed
    input gives the same id and everything downstream can deduplicate on it.

    ``price_usd``/``price_sol`` and ``depth``: the mint's market as of ``ts``, stamped by the
    strategy runner (``depth`` None: not stamped, e.g. a position manager exit or an older
    message); ``safety``: the mint's safety facts as of ``ts``, stamped likewise (None: not
    stamped, the risk gate uses its own as-of history)."""

    signal_id: str
    instance_id: str
    family: str
    mint: Mint
    ts: UtcDatetime
    side: Side
    intent: Intent
    strength: Fraction
    reason: str
    price_usd: float = 0.0
    price_sol: float = 0.0
    perp_market_index: int | None = None
    block_entries: bool = False
    meta: dict[str, Any] = {}
    depth: DepthStamp | None = None
    safety: SafetyStamp | None = None


class Order(Message, frozen=True, kw_only=True):
    """An approved, sized order. ``order_id`` is its idempotency key: hash of
    (instance_id, mint, signal_id). Buys are sized in lamports in, sells in token units in.
    ``price_usd``/``price_sol``/``depth``: the signal's market stamp, copied by the risk gate."""

    order_id: str
    signal_id: str
    instance_id: str
    family: str
    mint: Mint
    ts: UtcDatetime
    side: Side
    intent: Intent
    venue: Venue
    amount_in: Lamports
    slippage_bps: int = 50
    price_usd: float = 0.0
    price_sol: float = 0.0
    perp_market_index: int | None = None
    reason: str = ""
    depth: DepthStamp | None = None


class OrderRejection(Message, frozen=True, kw_only=True):
    """A signal the risk gate refused, with the rule and a readable reason.

    ``awaiting_order_ids``: for rule ``exit_before_fill`` (an exit that reached the gate before
    the fill of its entry), the pending entry orders of that (instance, mint), sorted; the
    position manager exits the position once one of them has filled. Empty for other rules.
    ``price_usd``/``price_sol``/``depth``: the refused signal's market stamp, so an exit the
    position manager sends in its place is filled on the market of the refused signal's moment."""

    signal_id: str
    instance_id: str
    mint: Mint
    ts: UtcDatetime
    side: Side
    intent: Intent
    rule: str
    reason: str
    awaiting_order_ids: tuple[str, ...] = ()
    price_usd: float = 0.0
    price_sol: float = 0.0
    depth: DepthStamp | None = None
    strength: float = 1.0  # the refused signal's strength (sizes its shadow fill, core.shadow)


class OrderState(StrEnum):
    NEW = "new"
    ROUTED = "routed"
    SIGNED = "signed"
    SUBMITTED = "submitted"
    LANDED = "landed"
    FAILED = "failed"
    EXPIRED = "expired"
    REJECTED = "rejected"


class OrderUpdate(Message, frozen=True, kw_only=True):
    """One transition of an order's lifecycle."""

    order_id: str
    state: OrderState
    ts: UtcDatetime
    reason: str = ""
    signature: str = ""


class Fill(Message, frozen=True, kw_only=True):
    """An executed order. Quantities in integer base units; costs in lamports.

    ``qty_tokens`` is tokens bought (buy/short) or sold (sell/cover) in the token's base units;
    ``notional_lamports`` is SOL paid (buy) or received (sell) before costs.
    ``rent_lamports``: a token account's rent deposit the swap paid (or got back on closing it):
    the wallet's still, so it is in neither the notional nor the costs.
    ``depth``: the order's depth stamp (None: none), so an exit decided at the fill's own moment
    (a long opened into a rugged token) is filled on the same depth as the backtester's.
    """

    fill_id: str
    order_id: str
    instance_id: str
    family: str
    mint: Mint
    ts: UtcDatetime
    side: Side
    intent: Intent
    qty_tokens: int
    notional_lamports: Lamports
    price_sol: float
    price_usd: float = 0.0
    swap_fee_lamports: Lamports = 0
    priority_fee_lamports: Lamports = 0
    jito_tip_lamports: Lamports = 0
    drift_fee_lamports: Lamports = 0
    funding_lamports: int = 0
    paper: bool = True
    signature: str = ""
    reason: str = ""
    depth: DepthStamp | None = None
    expected_qty_tokens: int = 0  # live: what the plan expected (0 = paper / not recorded)
    expected_notional_lamports: Lamports = 0
    rent_lamports: int = 0  # live: rent deposited in (+) / refunded from (-) a token account; not price

    @property
    def slippage_bps(self) -> float:
        """Realised slippage against the plan (positive = worse than expected); 0 when unknown."""
        if self.side in (Side.BUY, Side.SHORT):
            exp, got = self.expected_qty_tokens, self.qty_tokens
        else:
            exp, got = self.expected_notional_lamports, self.notional_lamports
        return (exp - got) / exp * 10_000 if exp > 0 else 0.0

    @property
    def cost_lamports(self) -> int:
        return (
            self.swap_fee_lamports
            + self.priority_fee_lamports
            + self.jito_tip_lamports
            + self.drift_fee_lamports
            - self.funding_lamports
        )


class PositionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class PositionUpdate(Message, frozen=True, kw_only=True):
    """State of one (strategy instance, mint) position after a fill or a mark."""

    instance_id: str
    mint: Mint
    ts: UtcDatetime
    status: PositionStatus
    side: Side
    qty_tokens: int
    entry_price_sol: float
    mark_price_sol: float
    cost_lamports: int
    realized_pnl_lamports: int
    unrealized_pnl_lamports: int
    fees_lamports: int = 0
    stop_price_sol: float | None = None
    peak_price_sol: float | None = None
    exit_reason: str = ""
    # position manager additions: cost_lamports = basis (SOL paid for a long, entry notional of a
    # short) of the open qty; realized/unrealized_pnl_lamports are NET of fees_lamports (all costs:
    # swap, priority, Jito, Drift, minus funding received); the *_gross_* fields exclude costs.
    position_id: str = ""
    family: str = ""
    realized_gross_pnl_lamports: int = 0
    unrealized_gross_pnl_lamports: int = 0
    exit_pending: bool = False
    perp_market_index: int | None = None
    seq: int = 0
    fill_ts: UtcDatetime | None = None
    """Event time of the latest fill this state reflects. ``ts`` is the latest event time of
    any input (marks too), which in a replay runs ahead of fills still being booked; the risk
    gate keeps an order pending until an update reflects its fill by this (None: by ``ts``)."""
