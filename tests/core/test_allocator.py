"""SharpeAllocator: exact weights, invariants for any input, and capital following performance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from memesnipe.core.allocator import SharpeAllocator, StrategyStats
from memesnipe.core.ledger import StrategyLedger
from memesnipe.core.sharpe import rolling_sharpe

ALLOC = SharpeAllocator(max_weight=0.5, max_total=1.0, exploration_weight=0.02, min_samples=24)


def test_exact_weights_explore_starve_cap_and_refill() -> None:
    w = ALLOC.allocate(
        {
            "A": StrategyStats(2.0, 30),
            "B": StrategyStats(1.0, 30),
            "C": StrategyStats(-5.0, 3),  # new: explores even though its few periods lost
            "D": StrategyStats(-0.1, 30),  # established, negative: starved
            "E": StrategyStats(9.0, 300, enabled=False),
        }
    )
    # C 0.02; 0.98 left: A would get 0.98*2/3 = 0.653 > cap 0.5 -> 0.5, B takes the other 0.48
    assert {k: v.weight for k, v in w.items()} == pytest.approx(
        {"A": 0.5, "B": 0.48, "C": 0.02, "D": 0.0, "E": 0.0}, abs=1e-9
    )
    assert w["D"].reason.startswith("starved") and w["E"].reason == "disabled"
    assert "capped" in w["A"].reason and w["C"].reason.startswith("exploring")
    assert sum(v.weight for v in w.values()) <= 1.0


def test_uncapped_weights_are_proportional_to_sharpe_like_numpy() -> None:
    alloc = SharpeAllocator(max_weight=1.0, max_total=0.9, exploration_weight=0.02, min_samples=2)
    s = np.array([0.3, 1.1, 2.6, 0.05])
    w = alloc.allocate({f"S{i}": StrategyStats(float(x), 10) for i, x in enumerate(s)})
    expected = 0.9 * s / s.sum()
    assert [w[f"S{i}"].weight for i in range(4)] == pytest.approx(expected.tolist(), abs=1e-9)


def test_everyone_capped_leaves_the_rest_in_cash() -> None:
    w = ALLOC.allocate({"A": StrategyStats(1.0, 30), "B": StrategyStats(3.0, 30)})
    assert (w["A"].weight, w["B"].weight) == (pytest.approx(0.5), pytest.approx(0.5))
    w = ALLOC.allocate({"A": StrategyStats(1.0, 30)})
    assert w["A"].weight == pytest.approx(0.5)


def test_too_many_explorers_share_the_total() -> None:
    alloc = SharpeAllocator(max_weight=0.25, max_total=0.5, exploration_weight=0.2, min_samples=5)
    w = alloc.allocate({f"N{i}": StrategyStats(0.0, 0) for i in range(5)})
    assert all(v.weight == pytest.approx(0.1) for v in w.values())
    assert sum(v.weight for v in w.values()) <= 0.5


stats_st = st.dictionaries(
    st.text("abcdefgh", min_size=1, max_size=3),
    st.builds(
        StrategyStats,
        st.floats(-50, 50, allow_nan=False),
        st.integers(0, 100),
        st.booleans(),
    ),
    max_size=12,
)


@settings(max_examples=400, deadline=None)
@example(  # a denormal Sharpe: budget * s underflowed and the share came out 1.0, over the budget
    stats={"a": StrategyStats(5e-324, 24, True), "b": StrategyStats(0.0, 0, True)},
    max_weight=1.0,
    max_total=1.0,
    explore=0.25,
)
@given(
    stats=stats_st,
    max_weight=st.floats(0.01, 1.0),
    max_total=st.floats(0.01, 1.0),
    explore=st.floats(0.0, 0.5),
)
def test_weights_are_never_negative_never_over_cap_never_sum_over_total(
    stats: dict, max_weight: float, max_total: float, explore: float
) -> None:
    alloc = SharpeAllocator(
        max_weight=max_weight, max_total=max_total, exploration_weight=explore, min_samples=24
    )
    w = alloc.allocate(stats)
    assert set(w) == set(stats)
    for k, v in w.items():
        assert 0.0 <= v.weight <= max_weight + 1e-12
        if not stats[k].enabled or (stats[k].samples >= 24 and stats[k].shrunk_sharpe <= 0):
            assert v.weight == 0.0
    assert sum(v.weight for v in w.values()) <= max_total


def test_capital_moves_from_the_loser_to_the_winner_over_time() -> None:
    """Hourly PnL marks: W drifts up, L drifts down (same noise). Through the ledger, the
    rolling Sharpe and the allocator, W's weight rises past exploration to the cap and L's
    falls to zero once both have enough history."""
    rng = np.random.default_rng(11)
    cap, hour = 100 * 10**9, 3600
    steps = {"W": rng.normal(4e7, 1e8, size=120), "L": rng.normal(-4e7, 1e8, size=120)}
    ledgers = {k: StrategyLedger() for k in steps}
    pnl = dict.fromkeys(steps, 0.0)
    alloc = SharpeAllocator(max_weight=0.4, max_total=1.0, exploration_weight=0.02, min_samples=24)
    history: dict[str, list[float]] = {"W": [], "L": []}
    for k in range(120):
        for name, led in ledgers.items():
            pnl[name] += steps[name][k]
            led.apply("M", int(pnl[name]), 0, k + 1, ts=k * hour + 30, period_s=hour, capital=cap, keep=168)
        stats = {}
        for name, led in ledgers.items():
            led.advance(k + 1, cap, 168)
            est = rolling_sharpe(led.returns, period_s=hour, window=168, min_samples=24)
            stats[name] = StrategyStats(est.shrunk, est.samples)
        w = alloc.allocate(stats)
        for name in history:
            history[name].append(w[name].weight)
    assert history["W"][0] == history["L"][0] == pytest.approx(0.02)  # both explore at first
    assert history["W"][-1] == pytest.approx(0.4) and history["L"][-1] == 0.0
    assert np.mean(history["W"][60:]) > np.mean(history["W"][:30]) > np.mean(history["L"][60:])
    assert all(a + b <= 1.0 for a, b in zip(history["W"], history["L"], strict=True))
    # the ledger's returns are the PnL increments over capital, exactly
    inc = np.diff(np.concatenate([[0.0], np.trunc(np.cumsum(steps["W"]))])) / cap
    assert ledgers["W"].returns[-100:] == pytest.approx(inc[-100:].tolist(), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("max_total", [0.3, 0.9999999999999999, 0.5, 0.1])
def test_a_single_capped_weight_never_exceeds_the_total_by_float_rounding(max_total):
    # found by hypothesis: floor(0.3 / 1e-9) * 1e-9 == 0.30000000000000004 > 0.3
    alloc = SharpeAllocator(max_weight=1.0, max_total=max_total, exploration_weight=0.0, min_samples=24)
    (w,) = alloc.allocate({"a": StrategyStats(1.0, 24, True)}).values()
    assert w.weight <= max_total
    assert max_total - w.weight < 2e-9
