"""Wire messages for sink tests (real structs, encoded as the agents encode them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memesnipe.streams import (
    Fill,
    Intent,
    KillSwitch,
    PositionStatus,
    PositionUpdate,
    PriceEvent,
    Side,
    StrategyAllocation,
)

T0 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
SOL = 10**9


def fill(
    n: int,
    side: Side,
    *,
    instance: str = "momo-1",
    mint: str = "MintA",
    qty: int = 1_000_000,
    notional: int = SOL,
    minutes: float = 0,
    swap_fee: int = 2_500_000,
    priority: int = 10_000,
    tip: int = 1_000,
    drift_fee: int = 0,
    funding: int = 0,
) -> Fill:
    return Fill(
        fill_id=f"fill-{n}",
        order_id=f"fill-{n}",
        instance_id=instance,
        family="momentum_5m",
        mint=mint,
        ts=T0 + timedelta(minutes=minutes),
        side=side,
        intent=Intent.ENTRY if side in (Side.BUY, Side.SHORT) else Intent.EXIT,
        qty_tokens=qty,
        notional_lamports=notional,
        price_sol=notional / qty,
        swap_fee_lamports=swap_fee,
        priority_fee_lamports=priority,
        jito_tip_lamports=tip,
        drift_fee_lamports=drift_fee,
        funding_lamports=funding,
    )


def position(
    instance: str, mint: str, minutes: float, unrealized: int, status: PositionStatus = PositionStatus.OPEN
) -> PositionUpdate:
    return PositionUpdate(
        instance_id=instance,
        mint=mint,
        ts=T0 + timedelta(minutes=minutes),
        status=status,
        side=Side.BUY,
        qty_tokens=1_000_000 if status is PositionStatus.OPEN else 0,
        entry_price_sol=0.001,
        mark_price_sol=0.0012,
        cost_lamports=SOL,
        realized_pnl_lamports=0,
        unrealized_pnl_lamports=unrealized,
    )


def price(mint: str, seconds: float, usd: float = 1.0) -> PriceEvent:
    return PriceEvent(mint=mint, ts=T0 + timedelta(seconds=seconds), price_usd=usd, price_sol=usd / 150)


def kill(active: bool, minutes: float) -> KillSwitch:
    return KillSwitch(active=active, ts=T0 + timedelta(minutes=minutes), by="test", reason="drawdown")


def allocation(instance: str, weight: float, minutes: float) -> StrategyAllocation:
    return StrategyAllocation(
        instance_id=instance,
        weight=weight,
        capital_lamports=int(weight * 100 * SOL),
        ts=T0 + timedelta(minutes=minutes),
    )


async def ingest(store, items, run_id: str = "test", batch_rows: int = 1000) -> int:  # type: ignore[no-untyped-def]
    """Map (topic, message) pairs to rows and insert them through the real writer."""
    from memesnipe.sinks.rows import RowMapper, Source
    from memesnipe.sinks.writer import BatchWriter
    from memesnipe.streams import encode

    mapper = RowMapper(run_id)
    writer = BatchWriter(store, batch_rows=batch_rows, flush_interval_s=60)
    n = 0
    for offset, (topic, msg) in enumerate(items):
        data = msg if isinstance(msg, bytes) else encode(msg)
        out = mapper.map(topic, data, Source(f"t.{topic}", 0, offset, b"k", 0))
        if out is not None:
            writer.add(*out)
            n += 1
    await writer.close()
    return n
