"""The query layer on a real chDB: PnL per strategy, costs, positions, replays never double count."""

from __future__ import annotations

from typing import Any

import pytest

from memesnipe.sinks.client import Store
from memesnipe.sinks.queries import Queries
from memesnipe.streams import OrderState, OrderUpdate, PositionStatus, Side
from tests.sinks.factories import SOL, T0, allocation, fill, ingest, kill, position, price

CAPITAL = 100 * SOL
FEES = dict(swap_fee=2_000_000, priority=10_000, tip=1_000)
FILL_COST = 2_011_000


def scenario() -> list[tuple[str, Any]]:
    return [
        # A wins 0.2 SOL gross on day 1
        ("fills", fill(1, Side.BUY, instance="A", mint="M1", notional=SOL, minutes=0, **FEES)),
        ("fills", fill(2, Side.SELL, instance="A", mint="M1", notional=int(1.2 * SOL), minutes=10, **FEES)),
        # B loses 0.5 SOL gross, closing on day 2
        ("fills", fill(3, Side.BUY, instance="B", mint="M2", notional=2 * SOL, minutes=20, **FEES)),
        (
            "fills",
            fill(4, Side.SELL, instance="B", mint="M2", notional=int(1.5 * SOL), minutes=24 * 60 + 5, **FEES),
        ),
        # C is still open, marked +0.1 SOL
        ("fills", fill(5, Side.BUY, instance="C", mint="M3", notional=SOL, minutes=30, **FEES)),
        ("positions", position("C", "M3", 31, unrealized=SOL // 20)),
        ("positions", position("C", "M3", 40, unrealized=SOL // 10)),
        # A's closed position: must not show as open
        ("positions", position("A", "M1", 9, unrealized=SOL // 10)),
        ("positions", position("A", "M1", 10, unrealized=0, status=PositionStatus.CLOSED)),
        ("killswitch", kill(True, 50)),
        ("killswitch", kill(False, 60)),
        ("allocations", allocation("A", 0.3, 0)),
        ("allocations", allocation("A", 0.6, 90)),
        ("allocations", allocation("B", 0.4, 90)),
        ("order_updates", OrderUpdate(order_id="fill-1", state=OrderState.ROUTED, ts=T0)),
        ("order_updates", OrderUpdate(order_id="fill-1", state=OrderState.LANDED, ts=T0.replace(second=5))),
        ("price", price("M1", 0.5)),
        ("price", price("M1", 1.5)),
    ]


@pytest.fixture
def queries(store: Store) -> Queries:
    return Queries(store, "test", CAPITAL)


async def test_pnl_per_strategy_gross_net_trades_and_win_rate(store: Store, queries: Queries) -> None:
    await ingest(store, scenario())
    perf = queries.performance()
    s = {r["instance_id"]: r for r in perf["strategies"]}
    assert s["A"]["realized_gross_lamports"] == int(0.2 * SOL)
    assert s["A"]["costs_lamports"] == 2 * FILL_COST
    assert s["A"]["net_pnl_lamports"] == int(0.2 * SOL) - 2 * FILL_COST
    assert (s["A"]["trades"], s["A"]["wins"], s["A"]["win_rate"]) == (1, 1, 1.0)
    assert s["B"]["gross_pnl_lamports"] == -int(0.5 * SOL)
    assert s["B"]["win_rate"] == 0.0
    assert s["C"]["unrealized_lamports"] == SOL // 10 and s["C"]["open_positions"] == 1
    assert s["C"]["net_pnl_lamports"] == SOL // 10 - FILL_COST
    t = perf["totals"]
    assert t["costs_lamports"] == 5 * FILL_COST
    assert t["net_pnl_lamports"] == int(0.2 * SOL) - int(0.5 * SOL) + SOL // 10 - 5 * FILL_COST
    assert t["win_rate"] == 0.5 and t["trades"] == 2


async def test_equity_curve_ends_at_capital_plus_net_and_shows_the_drawdown(
    store: Store, queries: Queries
) -> None:
    await ingest(store, scenario())
    perf = queries.performance()
    curve = perf["equity_curve"]
    assert curve[-1]["equity_lamports"] == CAPITAL + perf["totals"]["net_pnl_lamports"]
    assert [p["ts"] for p in curve] == sorted(p["ts"] for p in curve)
    # Peak: A's gain, C marked +0.1, four fills paid; then B's loss and its exit cost.
    peak = CAPITAL + int(0.3 * SOL) - 4 * FILL_COST
    assert max(p["equity_lamports"] for p in curve) == peak
    assert perf["totals"]["max_drawdown"] == pytest.approx((int(0.5 * SOL) + FILL_COST) / peak, rel=1e-9)
    assert perf["totals"]["max_drawdown"] > 0


async def test_daily_costs_split_every_cost_by_utc_day(store: Store, queries: Queries) -> None:
    await ingest(store, scenario())
    days = {str(d["day"]): d for d in queries.daily_costs()}
    assert list(days) == ["2026-11-03", "2026-11-02"]  # newest first
    assert days["2026-11-02"]["fills"] == 4 and days["2026-11-03"]["fills"] == 1
    assert days["2026-11-02"]["swap_fee_lamports"] == 4 * 2_000_000
    assert days["2026-11-02"]["jito_tip_lamports"] == 4 * 1_000
    assert days["2026-11-02"]["total_lamports"] == 4 * FILL_COST
    assert len(queries.daily_costs(1)) == 1


async def test_latest_state_reads(store: Store, queries: Queries) -> None:
    await ingest(store, scenario())
    pos = queries.open_positions()
    assert [(p["instance_id"], p["mint"], p["unrealized_pnl_lamports"]) for p in pos] == [
        ("C", "M3", SOL // 10)
    ]
    ks = queries.killswitch()
    assert ks["active"] is False and len(ks["history"]) == 2
    assert queries.kill_switch()["active"] == 0
    alloc = {a["instance_id"]: a["weight"] for a in queries.allocations()}
    assert alloc == {"A": 0.6, "B": 0.4}
    assert queries.order_states() == [{"state": "landed", "orders": 1}]
    health = {t["table"]: t["rows"] for t in queries.health()["tables"]}
    assert health["fills"] == 5 and health["market_events"] == 2 and health["signals"] == 0


async def test_replaying_everything_twice_leaves_every_figure_unchanged(
    store: Store, queries: Queries
) -> None:
    await ingest(store, scenario())
    queries.cache_s = 0
    before = queries.report()
    before_trades = queries.trades(100)
    await ingest(store, scenario(), batch_rows=3)  # replay, in other batch boundaries
    await ingest(store, scenario()[::-1])  # and once more, out of order
    assert store.rows("SELECT count() AS n FROM memesnipe.fills")[0]["n"] >= 5
    assert queries.report() == before
    assert queries.trades(100) == before_trades


async def test_runs_are_isolated_by_run_id(store: Store, queries: Queries) -> None:
    await ingest(store, scenario())
    await ingest(store, scenario()[:2], run_id="backtest-1")
    queries.cache_s = 0
    assert queries.performance()["totals"]["fills"] == 5
    assert queries.performance("backtest-1")["totals"]["fills"] == 2
    assert {r["run_id"]: r["fills"] for r in queries.runs()} == {"test": 5, "backtest-1": 2}


async def test_cockpit_reads_carry_the_view_field_names(store: Store, queries: Queries) -> None:
    await ingest(store, scenario())
    strat = {r["instance_id"]: r for r in queries.strategy_pnl()}
    assert strat["A"]["pnl_net_lamports"] == int(0.2 * SOL) - 2 * FILL_COST
    trades = queries.trades(10)
    assert trades[0]["fill_id"] == "fill-4"  # newest first
    pnl = {t["fill_id"]: t["pnl_lamports"] for t in trades}
    assert pnl["fill-2"] == int(0.2 * SOL) - 2 * FILL_COST and pnl["fill-1"] is None
    assert {h["name"] for h in queries.pipeline_health()} >= {"fills", "positions"}


async def test_an_empty_run_reports_zeros_not_errors(queries: Queries) -> None:
    rep = queries.report()
    assert rep["strategies"] == [] and rep["totals"]["fills"] == 0
    assert rep["totals"]["net_pnl_lamports"] == 0 and rep["equity_curve"] == []
    assert rep["killswitch"]["latest"] is None
