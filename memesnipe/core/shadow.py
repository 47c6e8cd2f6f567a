"""Shadow paper books: what a strategy would have earned on the signals the gate refused it for
zero allocation (pure, event time).

A strategy whose allocation reaches zero gets no orders, so its own returns stay flat and its
Sharpe can never recover: it would never trade again. Every strategy therefore keeps a shadow
book beside its real one. The shadow books a *hypothetical* fill for each entry the risk gate
refused with rule ``no_allocation`` (sized as an exploring strategy: ``capital x
exploration_weight x default_entry_fraction x strength``, priced by the paper model on the
refused signal's own price and depth stamp), and closes it on that strategy's own exit signal
for the mint (refused by the gate, which sees no real position). Open shadow positions are
marked to market on prices like real ones.

The allocator's returns of a strategy are then two series (``core.ledger.StrategyLedger``): its
own, and its shadow returns = own PnL + shadow PnL per period. A strategy its own returns starve
is judged on its shadow returns (``core.allocator.pick_returns``): when those recover, it gets
weight again. A strategy with allocation never has shadow fills, so its two series are equal.
"""

from __future__ import annotations

from memesnipe.core.ledger import PositionPnl
from memesnipe.core.paper_fill import MarketView, PaperFillError, simulate_buy, simulate_perp, simulate_sell
from memesnipe.streams.trading import Intent, OrderRejection, Side

SHADOW_RULES = frozenset({"no_allocation"})
"""Entries refused for these rules go to the shadow book (the strategy had no capital)."""
EXIT_FOR = {Side.SELL: "long", Side.COVER: "short"}
ENTRY_DIRECTION = {Side.BUY: "long", Side.SHORT: "short"}


def shadow_amount(strength: float, capital: int, exploration_weight: float, entry_fraction: float) -> int:
    """Lamports of a hypothetical entry: what an exploring strategy's signal would be sized at."""
    return int(capital * exploration_weight * entry_fraction * max(0.0, min(strength, 1.0)))


def _market(rej: OrderRejection) -> MarketView:
    d = rej.depth
    return MarketView(
        price_sol=rej.price_sol,
        price_usd=rej.price_usd,
        levels=tuple(d.levels) if d is not None else (),
        liquidity_usd=d.liquidity_usd if d is not None else 0.0,
    )


def wants(rej: OrderRejection, held: PositionPnl | None) -> bool:
    """A rejection the shadow book applies: an entry refused for zero allocation, or an exit of
    a direction the shadow holds."""
    if rej.intent is Intent.ENTRY:
        return rej.rule in SHADOW_RULES and rej.side in ENTRY_DIRECTION
    return held is not None and held.qty > 0 and EXIT_FOR.get(rej.side) == held.direction


def apply_rejection(
    positions: dict[str, PositionPnl],
    rej: OrderRejection,
    *,
    amount_lamports: int,
    fee_bps: int,
    slippage_bps: float,
    taker_fee_bps: int,
) -> tuple[str, int] | None:
    """Book the hypothetical fill of ``rej`` into ``positions`` (instance -> shadow position on
    this mint); ``(side, qty)`` booked, or None (not a shadow case, no price, or nothing to close)."""
    held = positions.get(rej.instance_id)
    if not wants(rej, held):
        return None
    market = _market(rej)
    ts = rej.ts.timestamp()
    try:
        if rej.intent is Intent.ENTRY:
            if amount_lamports <= 0:
                return None
            if held is not None and held.qty > 0 and held.direction != ENTRY_DIRECTION[rej.side]:
                return None  # the shadow holds the other direction: ignore, as the gate would
            if rej.side is Side.BUY:
                swap = simulate_buy(
                    amount_lamports,
                    market,
                    fee_bps=fee_bps,
                    flat_slippage_bps=slippage_bps,
                    slippage_limit_bps=None,
                )
            else:
                swap = simulate_perp(
                    amount_lamports,
                    market,
                    opening=True,
                    taker_fee_bps=taker_fee_bps,
                    flat_slippage_bps=slippage_bps,
                )
        else:
            assert held is not None
            if rej.side is Side.SELL:
                swap = simulate_sell(
                    held.qty, market, fee_bps=fee_bps, flat_slippage_bps=slippage_bps, slippage_limit_bps=None
                )
            else:
                swap = simulate_perp(
                    held.qty,
                    market,
                    opening=False,
                    taker_fee_bps=taker_fee_bps,
                    flat_slippage_bps=slippage_bps,
                )
    except PaperFillError:
        return None
    if swap.qty_tokens <= 0:
        return None
    qty = swap.qty_tokens if rej.intent is Intent.ENTRY else held.qty  # type: ignore[union-attr]
    p = positions.setdefault(rej.instance_id, PositionPnl())
    p.apply_fill(rej.side.value, qty, swap.notional_lamports, swap.swap_fee_lamports, ts)
    return rej.side.value, qty
