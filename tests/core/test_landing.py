"""The latency and landing model (core.landing) and the backtester applying it."""

from __future__ import annotations

from memesnipe.core.landing import DROPPED, LANDED, SLIPPAGE, LandingModel, adverse_bps, draw, judge
from memesnipe.streams.trading import Side


def test_the_draw_is_fixed_by_order_id_and_seed() -> None:
    assert draw("order-1", "s") == draw("order-1", "s")
    assert draw("order-1", "s") != draw("order-2", "s")
    assert draw("order-1", "s") != draw("order-1", "t")
    assert 0.0 <= draw("x", "y") < 1.0


def test_a_share_close_to_the_probability_fails_to_land() -> None:
    model = LandingModel(fail_probability=0.2)
    dropped = sum(
        not judge(model, f"o{i}", Side.BUY, slippage_bps=50, sized_price=1.0, fill_price=1.0).landed
        for i in range(5000)
    )
    assert 900 < dropped < 1100
    first = judge(model, "o1", Side.BUY, slippage_bps=50, sized_price=1.0, fill_price=1.0)
    assert first == judge(model, "o1", Side.BUY, slippage_bps=50, sized_price=1.0, fill_price=1.0)


def test_slippage_beyond_the_orders_bound_fails_only_against_the_order() -> None:
    model = LandingModel(latency_ms=400, slippage_failures=True)
    up = judge(model, "o", Side.BUY, slippage_bps=50, sized_price=1.0, fill_price=1.006)
    assert up.outcome == SLIPPAGE and "60 bps against the order within 400 ms" in up.reason
    assert judge(model, "o", Side.BUY, slippage_bps=50, sized_price=1.0, fill_price=1.004).outcome == LANDED
    assert judge(model, "o", Side.SELL, slippage_bps=50, sized_price=1.0, fill_price=1.5).landed  # in favour
    assert (
        judge(model, "o", Side.SHORT, slippage_bps=50, sized_price=1.0, fill_price=0.99).outcome == SLIPPAGE
    )
    assert adverse_bps(Side.COVER, 1.0, 1.01) > 99


def test_everything_off_always_lands_and_fills_at_order_time() -> None:
    model = LandingModel()
    assert not model.on and model.fill_time(100.0) == 100.0
    assert judge(model, "o", Side.BUY, slippage_bps=0, sized_price=1.0, fill_price=9.0).landed
    assert LandingModel(latency_ms=250).fill_time(100.0) == 100.25
    assert (
        judge(
            LandingModel(fail_probability=1.0), "o", Side.BUY, slippage_bps=0, sized_price=1, fill_price=1
        ).outcome
        == DROPPED
    )
