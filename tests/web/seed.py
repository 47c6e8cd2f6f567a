"""Seed a real chDB database the way the sink does: wire messages -> RowMapper -> Store.insert.

A small, realistic paper session: three strategies, closed round trips with exit reasons and
every cost, two open positions with trailing stops, allocations and a few price ticks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from memesnipe.sinks.client import Store
from memesnipe.sinks.migrate import migrate
from memesnipe.sinks.queries import Queries
from memesnipe.sinks.rows import TABLES, RowMapper, Source
from memesnipe.streams import (
    Fill,
    Intent,
    KillSwitch,
    Order,
    OrderState,
    OrderUpdate,
    PositionStatus,
    PositionUpdate,
    PriceEvent,
    Side,
    StrategyAllocation,
    Venue,
)
from memesnipe.streams.codec import encode
from memesnipe.streams.reconcile import Reconciliation

RUN = "cockpit-test"
CAPITAL = 100 * 10**9
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
MINT_A = "BonkA1111111111111111111111111111111111111"
MINT_B = "WifB22222222222222222222222222222222222222"
MINT_C = "PopC33333333333333333333333333333333333333"
MINT_D = "MewD44444444444444444444444444444444444444"
PERP_ACCOUNT = "drift:WaLLet5555555555555555555555555555555555"
PAUSED_REASON = "Drift v2 exchange_status 0x08: FillPaused"


class Seeder:
    """Writes wire messages into chDB through the analytics sink's row mapping and insert path."""

    def __init__(self, store: Store, run: str = RUN) -> None:
        self.store = store
        self.mapper = RowMapper(run)
        self.offset = 0

    def put(self, short: str, msg: msgspec.Struct) -> None:
        self.offset += 1
        src = Source(f"test.{short}", 0, self.offset, None, int(T0.timestamp() * 1000))
        out = self.mapper.map(short, encode(msg), src)
        assert out is not None
        table, row = out
        self.store.insert(table, TABLES[table].columns, [row])

    def fill(
        self,
        n: int,
        inst: str,
        mint: str,
        side: Side,
        minutes: float,
        notional_sol: float,
        price: float,
        reason: str = "",
    ) -> Fill:
        intent = Intent.ENTRY if side in (Side.BUY, Side.SHORT) else Intent.EXIT
        f = Fill(
            fill_id=f"fill-{n:04d}",
            order_id=f"fill-{n:04d}",
            instance_id=inst,
            family=inst.split("-")[0],
            mint=mint,
            ts=T0 + timedelta(minutes=minutes),
            side=side,
            intent=intent,
            qty_tokens=int(notional_sol / price * 10**6),
            notional_lamports=int(notional_sol * 10**9),
            price_sol=price,
            swap_fee_lamports=int(notional_sol * 10**9 * 0.0025),
            priority_fee_lamports=10_000,
            jito_tip_lamports=1_000,
            drift_fee_lamports=0,
            funding_lamports=0,
            reason=reason,
        )
        self.put("fills", f)
        return f

    def position(
        self,
        inst: str,
        mint: str,
        minutes: float,
        entry: float,
        mark: float,
        qty: int,
        stop: float | None,
        status: PositionStatus = PositionStatus.OPEN,
        exit_reason: str = "",
    ) -> None:
        cost = int(qty * entry / 10**6 * 10**9)
        value = int(qty * mark / 10**6 * 10**9)
        self.put(
            "positions",
            PositionUpdate(
                instance_id=inst,
                mint=mint,
                ts=T0 + timedelta(minutes=minutes),
                status=status,
                side=Side.BUY,
                qty_tokens=qty if status is PositionStatus.OPEN else 0,
                entry_price_sol=entry,
                mark_price_sol=mark,
                cost_lamports=cost,
                realized_pnl_lamports=0,
                unrealized_pnl_lamports=value - cost if status is PositionStatus.OPEN else 0,
                stop_price_sol=stop,
                peak_price_sol=mark,
                exit_reason=exit_reason,
            ),
        )


def open_store(path: Path) -> Store:
    store = Store.open(f"chdb://{path}", "memesnipe")
    migrate(store)
    return store


def queries(store: Store, run: str = RUN) -> Queries:
    return Queries(store, run, CAPITAL)


def seed_session(store: Store) -> Seeder:
    """The seeded session the browser test expects to see."""
    s = Seeder(store)
    s.fill(1, "momentum-a", MINT_A, Side.BUY, 1, 2.0, 0.000020)
    s.position("momentum-a", MINT_A, 1, 0.000020, 0.000020, 100_000_000_000, 0.000017)
    s.fill(2, "momentum-a", MINT_A, Side.SELL, 25, 2.5, 0.000025, reason="trailing_stop")
    s.position("momentum-a", MINT_A, 25, 0.000020, 0.000025, 0, None, PositionStatus.CLOSED, "trailing_stop")
    s.fill(3, "social-b", MINT_B, Side.BUY, 30, 1.5, 0.0031)
    s.fill(4, "social-b", MINT_B, Side.SELL, 55, 1.2, 0.00248, reason="stop_loss")
    s.position("social-b", MINT_B, 55, 0.0031, 0.00248, 0, None, PositionStatus.CLOSED, "stop_loss")
    s.fill(5, "bridge-c", MINT_C, Side.BUY, 60, 3.0, 0.00045)
    s.position("bridge-c", MINT_C, 70, 0.00045, 0.00052, 6_666_666_666, 0.00047)
    s.fill(6, "momentum-a", MINT_D, Side.BUY, 80, 1.0, 0.0000081)
    s.position("momentum-a", MINT_D, 90, 0.0000081, 0.0000077, 123_456_790_123, 0.0000069)
    for inst, w, sh in (("momentum-a", 0.45, 1.8), ("social-b", 0.20, -0.4), ("bridge-c", 0.35, 1.1)):
        s.put(
            "allocations",
            StrategyAllocation(
                instance_id=inst,
                weight=w,
                capital_lamports=int(CAPITAL * w),
                sharpe=sh,
                samples=12,
                ts=T0 + timedelta(minutes=85),
                reason="sharpe-weighted",
            ),
        )
    # an earlier automatic kill, lifted by an operator: the switch is off when the test starts
    for minutes, active, by, why in (
        (50, True, "portfolio_monitor", "drawdown 21%"),
        (52, False, "ops", "ok"),
    ):
        s.put("killswitch", KillSwitch(active=active, ts=T0 + timedelta(minutes=minutes), by=by, reason=why))
    # the perp venue read live, then paused: the latest reading is the one shown
    for minutes, why in (
        (40, "schedule; collateral 120.00 USD, funding settled +0.000000 USD"),
        (88, f"schedule; {PAUSED_REASON}"),
    ):
        s.put(
            "perp_reconciliations",
            Reconciliation(
                wallet=PERP_ACCOUNT, ts=T0 + timedelta(minutes=minutes), sol_lamports=0, reason=why
            ),
        )
    for i in range(5):
        s.put(
            "price",
            PriceEvent(mint=MINT_C, ts=T0 + timedelta(minutes=60 + i * 5), price_sol=0.00045 + i * 1e-5),
        )
    return s


LIVE_SUBMISSIONS = (
    # (n, venue, side, seconds to the outcome, outcome, expected, got); outcome None: pending
    (1, Venue.JUPITER, Side.BUY, 1.2, OrderState.LANDED, 1_000_000, 990_000),  # 100 bps fewer tokens
    (2, Venue.JUPITER, Side.SELL, 2.0, OrderState.LANDED, 10**9, 995_000_000),  # 50 bps less SOL
    (3, Venue.JUPITER, Side.BUY, 3.0, OrderState.FAILED, 0, 0),
    (4, Venue.DRIFT, Side.SHORT, 0.8, OrderState.LANDED, 2_000_000, 2_004_000),  # 20 bps better
    (5, Venue.DRIFT, Side.SHORT, 60.0, OrderState.EXPIRED, 0, 0),
    (6, Venue.JUPITER, Side.BUY, 0.0, None, 0, 0),
)
"""Live submissions: 6 submitted, 3 landed, 1 failed, 1 expired, 1 pending (rate 3/5); time to
land 0.8 / 1.2 / 2.0 s; realised slippage -20 / 50 / 100 bps."""


def seed_live_landing(s: Seeder) -> None:
    """Live orders through their lifecycle as the submitter records them, and their fills."""
    for n, venue, side, secs, outcome, expected, got in LIVE_SUBMISSIONS:
        oid = f"live-{n:04d}"
        sent = T0 + timedelta(minutes=100 + n)
        buying = side in (Side.BUY, Side.SHORT)
        intent = Intent.ENTRY if buying else Intent.EXIT
        s.put(
            "orders",
            Order(order_id=oid, signal_id=f"sig-{oid}", instance_id="momentum-a", family="momentum",
                  mint=MINT_A, ts=sent, side=side, intent=intent, venue=venue, amount_in=10**9),
        )  # fmt: skip
        states = [(OrderState.ROUTED, 0.0), (OrderState.SIGNED, 0.0), (OrderState.SUBMITTED, 0.0)]
        states += [(outcome, secs)] if outcome is not None else []
        for state, after in states:
            s.put("order_updates", OrderUpdate(order_id=oid, state=state, ts=sent + timedelta(seconds=after)))
        if outcome is OrderState.LANDED:
            s.put(
                "fills",
                Fill(fill_id=oid, order_id=oid, instance_id="momentum-a", family="momentum", mint=MINT_A,
                     ts=sent + timedelta(seconds=secs), side=side, intent=intent,
                     qty_tokens=got if buying else 1_000_000, notional_lamports=10**9 if buying else got,
                     price_sol=0.001, paper=False,
                     expected_qty_tokens=expected if buying else 0,
                     expected_notional_lamports=0 if buying else expected),
            )  # fmt: skip
