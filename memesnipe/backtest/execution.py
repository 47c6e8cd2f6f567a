"""Paper execution for the backtester: the same plan the router makes with no quote."""

from __future__ import annotations

from memesnipe.core.order_plan import Plan, plan_order
from memesnipe.core.paper_fill import MarketView, cu_price_for_budget
from memesnipe.core.tip import dynamic_tip
from memesnipe.settings import Settings
from memesnipe.streams.trading import Order


def paper_plan(order: Order, market: MarketView, s: Settings) -> Plan:
    """What the paper router plans for ``order`` (compute budget, tip and paper model alike)."""
    cu_limit = s.execution.cu_limit_default
    tip = dynamic_tip(
        None,
        fallback_lamports=s.paper.jito_tip_lamports,
        min_lamports=s.jito.tip_min_lamports,
        max_lamports=s.jito.tip_max_lamports,
    )
    return plan_order(
        order,
        market,
        fee_bps=s.paper.fee_bps,
        flat_slippage_bps=s.paper.slippage_bps,
        taker_fee_bps=s.drift.taker_fee_bps,
        cu_limit=cu_limit,
        cu_price_micro_lamports=cu_price_for_budget(s.paper.priority_fee_lamports, cu_limit),
        tip_lamports=tip,
    )
