import math

import pytest

from memesnipe.core.paper_fill import (
    MarketView,
    PaperFillError,
    cu_price_for_budget,
    from_quote,
    impact_bps,
    network_fee_lamports,
    simulate_buy,
    simulate_perp,
    simulate_sell,
)

LEVELS = [(1_000.0, 20.0), (5_000.0, 120.0)]
# 1 token = 0.001 SOL, SOL = 150 USD -> token = 0.15 USD
M = MarketView(price_sol=0.001, price_usd=0.15, decimals=6, levels=LEVELS)


def test_impact_interpolates_through_origin_and_levels():
    assert impact_bps(500, LEVELS) == (10.0, "depth")
    assert impact_bps(3_000, LEVELS) == (70.0, "depth")


def test_impact_beyond_depth_extends_last_slope():
    # slope of the last segment: 100 bps / 4000 USD; 7000 USD -> 120 + 50
    assert impact_bps(7_000, LEVELS) == (170.0, "depth")


def test_impact_from_pool_liquidity_is_constant_product():
    imp, model = impact_bps(1_000, (), liquidity_usd=18_000)
    assert model == "liquidity"
    assert imp == pytest.approx(10_000 * 1_000 / (9_000 + 1_000))


def test_impact_flat_without_depth_or_liquidity():
    assert impact_bps(1_000, (), 0.0, flat_bps=42) == (42, "flat")


def test_buy_pays_fee_then_impacted_price():
    sw = simulate_buy(10**9, M, fee_bps=25, flat_slippage_bps=50)
    fee = 10**9 * 25 // 10_000
    assert sw.swap_fee_lamports == fee
    assert sw.notional_lamports == 10**9 - fee
    size_usd = (10**9 - fee) / 1e9 * 150
    imp = size_usd / 1_000 * 20
    assert sw.impact_bps == pytest.approx(imp)
    px = 0.001 * (1 + imp / 10_000)
    assert sw.price_sol == pytest.approx(px)
    assert sw.qty_tokens == math.floor((10**9 - fee) / 1e9 / px * 10**6)
    assert sw.model == "depth"


def test_sell_receives_impacted_price_and_fee_is_separate():
    qty = 1_000 * 10**6  # 1000 tokens = 1 SOL = 150 USD
    sw = simulate_sell(qty, M, fee_bps=30, flat_slippage_bps=50)
    imp = 150 / 1_000 * 20
    gross = math.floor(1_000 * 0.001 * (1 - imp / 10_000) * 1e9)
    assert sw.notional_lamports == gross
    assert sw.swap_fee_lamports == gross * 30 // 10_000
    assert sw.qty_tokens == qty


def test_round_trip_loses_fees_and_impact():
    buy = simulate_buy(10**9, M, fee_bps=25, flat_slippage_bps=50)
    sell = simulate_sell(buy.qty_tokens, M, fee_bps=25, flat_slippage_bps=50)
    received = sell.notional_lamports - sell.swap_fee_lamports
    assert received < 10**9
    assert received > 10**9 * 0.98


def test_slippage_limit_refuses_too_much_impact():
    with pytest.raises(PaperFillError, match="exceeds the order's slippage limit 10 bps"):
        simulate_buy(10 * 10**9, M, fee_bps=0, flat_slippage_bps=0, slippage_limit_bps=10)


def test_no_price_is_refused():
    with pytest.raises(PaperFillError, match="no usable SOL price"):
        simulate_buy(10**9, MarketView(price_sol=0.0), fee_bps=0, flat_slippage_bps=0)


def test_perp_short_and_cover():
    short = simulate_perp(10**9, M, opening=True, taker_fee_bps=10, flat_slippage_bps=50)
    assert short.price_sol == pytest.approx(0.001 * 0.995)
    assert short.swap_fee_lamports == 10**6
    cover = simulate_perp(short.qty_tokens, M, opening=False, taker_fee_bps=10, flat_slippage_bps=50)
    assert cover.price_sol == pytest.approx(0.001 * 1.005)
    assert cover.notional_lamports > short.notional_lamports  # adverse both ways


def test_network_fee_charges_requested_limit():
    assert network_fee_lamports(200_000, 50_000) == 5_000 + 10_000
    assert network_fee_lamports(300_000, 1) == 5_000 + 1  # rounds up
    assert cu_price_for_budget(10_000, 300_000) == 33_333
    assert network_fee_lamports(300_000, cu_price_for_budget(10_000, 300_000)) <= 15_000


def test_quote_fill_adds_fee_back_into_notional():
    buy = from_quote(buy=True, in_amount=10**9, out_amount=5_000_000, decimals=6, fee_lamports=2_500_000)
    assert buy.notional_lamports == 10**9 - 2_500_000 and buy.qty_tokens == 5_000_000
    sell = from_quote(buy=False, in_amount=5_000_000, out_amount=900_000_000, decimals=6, fee_lamports=1_000)
    assert sell.notional_lamports == 900_001_000 and sell.qty_tokens == 5_000_000
    with pytest.raises(PaperFillError):
        from_quote(buy=True, in_amount=1, out_amount=0, decimals=6)
