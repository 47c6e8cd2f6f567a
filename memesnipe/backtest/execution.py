"""Paper execution for the backtester: the same plan the router makes with no quote."""

from __future__ import annotations

from memesnipe.core.order_plan import Plan, plan_for
from memesnipe.core.paper_fill import MarketView
from memesnipe.settings import Settings
from memesnipe.streams.trading import Order


def paper_plan(order: Order, market: MarketView, s: Settings) -> Plan:
    """What the paper router plans for ``order`` (``core.order_plan.plan_for``, paper budget)."""
    return plan_for(order, market, s)
