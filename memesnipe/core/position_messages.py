"""Wire messages the position manager derives from its books (pure): position updates and
exit signals, plus the exit rules and book policy from settings. Shared by the Faust agent
and the in-process backtester so both speak exactly the same messages."""

from __future__ import annotations

from datetime import UTC, datetime

from memesnipe.core.exits import ExitRules
from memesnipe.core.perp_venue import PERP_VENUE_DOWN
from memesnipe.core.position_book import BookPolicy, ExitOrder
from memesnipe.core.positions import Position
from memesnipe.core.risk import EXIT_BEFORE_FILL
from memesnipe.core.trailing_stop import Direction, TrailingStop
from memesnipe.settings import ExitSettings
from memesnipe.streams.trading import Intent, OrderRejection, PositionStatus, PositionUpdate, Side, Signal

CONSUMER = "position_manager"
RUG_FAMILY = "rug_pull_sniffer"
FLATTEN_PREFIX = "flatten|"  # signal ids of the kill switch's flatten sweep


def default_rules(s: ExitSettings) -> ExitRules:
    return ExitRules(
        stop=TrailingStop(stop_loss=s.stop_loss, activation_offset=s.activation_offset, trail=s.trail),
        take_profit=s.take_profit,
        max_hold_s=s.max_hold_s,
    )


def book_policy(s: ExitSettings) -> BookPolicy:
    return BookPolicy(
        exit_retry_s=s.exit_retry_s,
        publish_min_change=s.publish_min_change,
        publish_interval_s=s.publish_interval_s,
        rug_ttl_s=s.rug_ttl_s,
        mark_history=s.mark_history,
        mark_history_s=s.mark_history_s,
    )


def _dt(ts_s: float) -> datetime:
    return datetime.fromtimestamp(ts_s, UTC)


def position_update(pos: Position, rules: ExitRules) -> PositionUpdate:
    long = pos.direction is Direction.LONG
    open_ = pos.is_open
    return PositionUpdate(
        instance_id=pos.instance_id,
        mint=pos.mint,
        ts=_dt(pos.updated_ts_s or pos.opened_at_s),
        status=PositionStatus.OPEN if open_ else PositionStatus.CLOSED,
        side=Side.BUY if long else Side.SHORT,
        qty_tokens=pos.qty,
        entry_price_sol=pos.entry_price,
        mark_price_sol=pos.mark_price,
        cost_lamports=pos.basis_lamports,
        realized_pnl_lamports=pos.realized_net_lamports,
        unrealized_pnl_lamports=pos.unrealized_net_lamports(),
        fees_lamports=pos.costs.total,
        stop_price_sol=rules.stop.stop_price(pos.entry_price, pos.best_price, pos.direction)
        if open_
        else None,
        peak_price_sol=pos.best_price or None,
        exit_reason=pos.exit_reason if not open_ else pos.pending_exit_reason,
        position_id=pos.position_id,
        family=pos.family,
        realized_gross_pnl_lamports=pos.realized_gross_lamports,
        unrealized_gross_pnl_lamports=pos.unrealized_gross_lamports(),
        exit_pending=bool(pos.pending_exit_id),
        perp_market_index=pos.perp_market_index,
        seq=pos.seq,
        fill_ts=_dt(pos.last_fill_s) if pos.last_fill_s else None,
    )


def exit_signal(order: ExitOrder, ts: datetime, price_usd: float = 0.0) -> Signal:
    """The exit as a signal at ``ts``. With the order's market stamp (the position manager's),
    its moment, price and depth instead: the router fills it on that market."""
    pos = order.position
    long = pos.direction is Direction.LONG
    st = order.stamp
    price_sol = pos.mark_price
    depth = None
    if st is not None:
        ts = _dt(st.ts_s)
        price_sol = st.price_sol or price_sol
        price_usd = st.price_usd or price_usd
        depth = st.depth
    return Signal(
        signal_id=order.signal_id,
        instance_id=pos.instance_id,
        family=pos.family,
        mint=pos.mint,
        ts=ts,
        side=Side.SELL if long else Side.COVER,
        intent=Intent.EXIT,
        strength=1.0,
        reason=order.decision.detail,
        price_usd=price_usd,
        price_sol=price_sol,
        perp_market_index=pos.perp_market_index,
        meta={
            "exit_reason": order.decision.reason.value,
            "qty_tokens": pos.qty,
            "position_id": pos.position_id,
            "source": CONSUMER,
        },
        depth=depth,
    )


def is_rug(sig: Signal) -> bool:
    """A rug alarm for the token: entries blocked, or the rug sniffer's own call (not its exits)."""
    return sig.block_entries or (sig.family == RUG_FAMILY and sig.intent is Intent.ENTRY)


def is_sweep_exit(sig: Signal) -> bool:
    return sig.intent is Intent.EXIT and sig.signal_id.startswith(FLATTEN_PREFIX)


def wants_signal(sig: Signal) -> bool:
    """Signals the book needs: rug alarms, short entries (their Drift market), and the flatten
    sweep's exits (so marks do not send a second exit for the same position)."""
    return (
        is_rug(sig)
        or (sig.intent is Intent.ENTRY and sig.side is Side.SHORT and sig.perp_market_index is not None)
        or is_sweep_exit(sig)
    )


def wants_rejection(rej: OrderRejection) -> bool:
    """Rejections the book needs: exits refused because their entry had not filled yet, and
    shorts refused for want of a live perp venue (their thesis degrades to exiting the longs)."""
    return rej.rule == EXIT_BEFORE_FILL or is_venue_degrade(rej)


def is_venue_degrade(rej: OrderRejection) -> bool:
    """A short refused because no perp venue is live (``core.perp_venue``): exit the mint's longs."""
    return rej.rule == PERP_VENUE_DOWN


def exit_request_reason(rej: OrderRejection) -> str:
    return f"exit {rej.signal_id} reached the risk gate before its entry filled"
