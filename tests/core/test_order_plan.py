"""The one settings-to-order-plan mapping (``core.order_plan.plan_for``): paper router, live
router and backtester all plan through it."""

from __future__ import annotations

from datetime import UTC, datetime

from solders.keypair import Keypair

from memesnipe.agents.routing import Router
from memesnipe.backtest.execution import paper_plan
from memesnipe.core.order_plan import Budget, PlanSettings, plan_for, plan_order
from memesnipe.core.paper_fill import MarketView, cu_price_for_budget
from memesnipe.settings import load_settings
from memesnipe.streams.trading import Intent, Order, Side, Venue

MARKET = MarketView(price_sol=0.001, price_usd=0.15, decimals=6, levels=((1_000.0, 10.0),))


def buy() -> Order:
    return Order(
        order_id="a" * 32,
        signal_id="s1",
        instance_id="i1",
        family="f",
        mint="So11111111111111111111111111111111111111112",
        ts=datetime(2026, 1, 1, tzinfo=UTC),
        side=Side.BUY,
        intent=Intent.ENTRY,
        venue=Venue.JUPITER,
        amount_in=100_000_000,
        slippage_bps=50,
        price_sol=0.001,
        price_usd=0.15,
    )


def test_plan_settings_read_the_paper_drift_execution_and_jito_settings() -> None:
    s = load_settings(
        paper={
            "fee_bps": 37,
            "slippage_bps": 12,
            "priority_fee_lamports": 20_000,
            "jito_tip_lamports": 77_000,
        },
        drift={"taker_fee_bps": 9},
        execution={"cu_limit_default": 250_000},
    )
    ps = PlanSettings.of(s)
    assert (ps.fee_bps, ps.flat_slippage_bps, ps.taker_fee_bps) == (37, 12, 9)
    b = ps.paper_budget()
    assert b.cu_limit == 250_000
    assert b.cu_price_micro_lamports == cu_price_for_budget(20_000, 250_000)
    assert b.tip_lamports == max(min(77_000, s.jito.tip_max_lamports), s.jito.tip_min_lamports)


def test_plan_for_is_plan_order_with_the_mapped_settings() -> None:
    s = load_settings(paper={"fee_bps": 40, "slippage_bps": 30})
    budget = Budget(300_000, 1_234, 50_000)
    expected = plan_order(
        buy(),
        MARKET,
        fee_bps=40,
        flat_slippage_bps=30,
        taker_fee_bps=s.drift.taker_fee_bps,
        cu_limit=300_000,
        cu_price_micro_lamports=1_234,
        tip_lamports=50_000,
    )
    assert plan_for(buy(), MARKET, s, budget) == expected
    assert plan_for(buy(), MARKET, PlanSettings.of(s), budget) == expected
    cheaper = plan_for(buy(), MARKET, load_settings(paper={"fee_bps": 10, "slippage_bps": 30}), budget)
    assert cheaper.qty_tokens > expected.qty_tokens  # the fee setting reaches the plan


def test_the_paper_router_and_the_backtester_plan_the_same() -> None:
    s = load_settings(paper={"fee_bps": 55, "priority_fee_lamports": 30_000})
    _, routed = Router(settings=s, payer="").paper_build(buy(), MARKET, Keypair().pubkey())
    assert routed == paper_plan(buy(), MARKET, s) == plan_for(buy(), MARKET, s)
    assert routed.priority_fee_lamports > 0 and routed.swap_fee_lamports > 0
