"""Allocator agent's computation (no broker): ledgers + specs -> StrategyAllocation messages."""

from __future__ import annotations

import pytest

from memesnipe.agents.allocator import compute
from memesnipe.core.ledger import StrategyLedger
from memesnipe.settings import get_settings
from memesnipe.streams.control import StrategySpec


def test_new_specs_explore_disabled_get_zero_and_winners_are_weighted() -> None:
    r = get_settings().risk
    n = r.sharpe_min_samples + 6
    good = StrategyLedger(returns=[0.001 + (0.0005 if i % 2 else -0.0005) for i in range(n)])
    bad = StrategyLedger(returns=[-0.001 + (0.0005 if i % 2 else -0.0005) for i in range(n)])
    specs = {
        "new": StrategySpec(instance_id="new", family="momentum"),
        "off": StrategySpec(instance_id="off", family="momentum", enabled=False),
        "good": StrategySpec(instance_id="good", family="momentum"),
    }
    out = {a.instance_id: a for a in compute({"good": good, "bad": bad}, specs)}
    assert set(out) == {"new", "off", "good", "bad"}
    assert out["new"].weight == pytest.approx(r.exploration_weight) and out["new"].samples == 0
    assert out["off"].weight == 0.0 and out["off"].reason == "disabled"
    assert out["bad"].weight == 0.0 and out["bad"].sharpe < 0 and out["bad"].reason.startswith("starved")
    assert out["good"].weight == pytest.approx(r.max_strategy_weight) and out["good"].sharpe > 0
    assert out["good"].capital_lamports == int(out["good"].weight * r.capital_lamports)
    assert sum(a.weight for a in out.values()) <= r.max_total_weight
