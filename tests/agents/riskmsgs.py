"""Message builders shared by the risk agents' tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memesnipe.streams.control import KillSwitch, StrategyAllocation
from memesnipe.streams.market import DepthEvent, OnChainEvent, OnChainKind
from memesnipe.streams.trading import (
    Fill,
    Intent,
    PositionStatus,
    PositionUpdate,
    Side,
    Signal,
)

T0 = datetime(2026, 1, 1, tzinfo=UTC)
PRICE_SOL = 0.0001  # SOL per token
PRICE_USD = 0.015  # -> SOL/USD 150


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def signal(
    sid: str,
    mint: str,
    *,
    side: Side = Side.BUY,
    strength: float = 1.0,
    t: float = 0.0,
    instance: str = "inst-a",
    block: bool = False,
    perp: int | None = None,
    price_sol: float = PRICE_SOL,
    price_usd: float = PRICE_USD,
) -> Signal:
    intent = Intent.ENTRY if side in (Side.BUY, Side.SHORT) else Intent.EXIT
    return Signal(
        signal_id=sid,
        instance_id=instance,
        family="momentum",
        mint=mint,
        ts=at(t),
        side=side,
        intent=intent,
        strength=strength,
        reason="test",
        price_usd=price_usd,
        price_sol=price_sol,
        perp_market_index=perp,
        block_entries=block,
    )


def safe(mint: str, *, t: float = 0.0, **over: object) -> OnChainEvent:
    facts: dict[str, object] = {
        "mint_authority_live": False,
        "freeze_authority_live": False,
        "lp_locked_pct": 100.0,
        "top10_holder_pct": 20.0,
    }
    facts.update(over)
    return OnChainEvent(mint=mint, ts=at(t), kind=OnChainKind.SAFETY, **facts)  # type: ignore[arg-type]


def depth(mint: str, usd: float = 1_000_000.0, *, t: float = 0.0) -> DepthEvent:
    return DepthEvent(mint=mint, ts=at(t), liquidity_usd=usd)


def position(
    mint: str,
    qty: int,
    *,
    instance: str = "inst-a",
    side: Side = Side.BUY,
    cost: int = 100_000_000,
    t: float = 1.0,
    realized: int = 0,
    unrealized: int = 0,
    perp: int | None = None,
) -> PositionUpdate:
    return PositionUpdate(
        instance_id=instance,
        mint=mint,
        ts=at(t),
        status=PositionStatus.OPEN if qty > 0 else PositionStatus.CLOSED,
        side=side,
        qty_tokens=qty,
        entry_price_sol=PRICE_SOL,
        mark_price_sol=PRICE_SOL,
        cost_lamports=cost,
        realized_pnl_lamports=realized,
        unrealized_pnl_lamports=unrealized,
        unrealized_gross_pnl_lamports=unrealized,
        perp_market_index=perp,
    )


def kill(active: bool, *, by: str = "tester", reason: str = "test", t: float = 0.0) -> KillSwitch:
    return KillSwitch(active=active, ts=at(t), by=by, reason=reason)


def allocation(instance: str, weight: float, *, capital: int = 100 * 10**9) -> StrategyAllocation:
    return StrategyAllocation(
        instance_id=instance, weight=weight, capital_lamports=int(capital * weight), ts=T0, reason="test"
    )


def fill(
    order_id: str,
    mint: str,
    *,
    side: Side = Side.BUY,
    qty: int = 1_000_000,
    notional: int = 100_000_000,
    t: float = 1.0,
    instance: str = "inst-a",
    fee: int = 0,
) -> Fill:
    intent = Intent.ENTRY if side in (Side.BUY, Side.SHORT) else Intent.EXIT
    return Fill(
        fill_id=order_id,
        order_id=order_id,
        instance_id=instance,
        family="momentum",
        mint=mint,
        ts=at(t),
        side=side,
        intent=intent,
        qty_tokens=qty,
        notional_lamports=notional,
        price_sol=notional / qty / 1e9 * 1e6 if qty else 0.0,
        swap_fee_lamports=fee,
    )
