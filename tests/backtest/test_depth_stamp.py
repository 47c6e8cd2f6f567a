"""Every order of a strategy's signal carries, as its depth stamp, exactly the depth the
backtester fills it with: the router, its own depth history evicted in a fast replay, fills from
the stamp and so computes the backtester's fill (tests/integration/test_parity.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import islice
from typing import Any

import pytest

import memesnipe.backtest.engine as bt
from memesnipe.backtest import Backtester
from memesnipe.connectors.simulator import MarketSimulator
from memesnipe.core.paper_fill import MarketView
from memesnipe.core.strategies.defaults import default_specs
from memesnipe.settings import load_settings
from memesnipe.streams.trading import Order


def test_stamped_orders_are_filled_with_their_stamp(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("MEMESNIPE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEMESNIPE_RISK__MAX_OPEN_POSITIONS", "100000")
    monkeypatch.setenv("MEMESNIPE_RISK__MAX_ORDERS_PER_MIN", "1000000")
    seen: list[tuple[Order, MarketView]] = []
    plan = bt.paper_plan

    def spy(order: Order, market: MarketView, s: Any) -> Any:
        seen.append((order, market))
        return plan(order, market, s)

    monkeypatch.setattr(bt, "paper_plan", spy)
    sim = MarketSimulator(5, 8, datetime(2026, 4, 6, tzinfo=UTC), tick_s=15.0, pump_prob=0.02, rug_prob=0.006)
    Backtester(default_specs(), load_settings()).run(islice(sim.events(), 20_000))
    stamped = [(o, m) for o, m in seen if o.depth is not None]
    assert len(stamped) >= 5 and any(o.depth and o.depth.levels for o, _ in stamped)
    for o, m in stamped:
        assert o.depth is not None
        assert (tuple(m.levels), m.liquidity_usd) == (o.depth.levels, o.depth.liquidity_usd), o
