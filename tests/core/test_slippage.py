"""Slippage per order: floor + the route's price impact + the mint's volatility over the landing
horizon, capped per intent (an exit's cap is higher), the caps never past the signer's bounds."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from memesnipe.core.paper_fill import MarketView
from memesnipe.core.slippage import (
    SlippagePolicy,
    expected_impact_bps,
    for_order,
    min_out,
    order_slippage_bps,
    volatility_bps,
)
from memesnipe.settings import load_settings
from memesnipe.streams.trading import Intent, Order, Side, Venue

P = SlippagePolicy(floor_bps=50, impact_mult=1.0, vol_mult=2.0, horizon_s=10, window_s=300)


def test_a_quiet_thin_route_pays_its_impact_over_the_floor():
    assert order_slippage_bps(Intent.ENTRY, impact_bps=0, volatility_bps=0, policy=P) == 50
    assert order_slippage_bps(Intent.ENTRY, impact_bps=120.2, volatility_bps=0, policy=P) == 171  # ceil
    assert order_slippage_bps(Intent.ENTRY, impact_bps=-30, volatility_bps=0, policy=P) == 50  # favourable


def test_volatility_adds_sigmas_and_each_intent_has_its_cap():
    assert order_slippage_bps(Intent.ENTRY, impact_bps=10, volatility_bps=40, policy=P) == 50 + 10 + 80
    # a dump: an entry is capped at 300, an exit may pay up to 1,500 to get out
    assert order_slippage_bps(Intent.ENTRY, impact_bps=400, volatility_bps=500, policy=P) == 300
    assert order_slippage_bps(Intent.EXIT, impact_bps=400, volatility_bps=500, policy=P) == 1_450
    assert order_slippage_bps(Intent.EXIT, impact_bps=4_000, volatility_bps=500, policy=P) == 1_500
    assert order_slippage_bps(Intent.EXIT, impact_bps=math.inf, volatility_bps=0, policy=P) == 1_500


def test_volatility_is_the_per_second_variance_of_recent_log_returns_over_the_horizon():
    # +1 % / -1 % alternating every 2 s: per-second variance ln(1.01)^2 / 2
    prices, p = [], 1.0
    for i in range(11):
        prices.append((1000.0 + 2 * i, p))
        p *= 1.01 if i % 2 == 0 else 1 / 1.01
    got = volatility_bps(prices, until=1020.0, policy=P)
    assert got == pytest.approx(math.sqrt(math.log(1.01) ** 2 / 2 * 10) * 10_000)
    flat = [(1000.0 + i, 2.0) for i in range(10)]
    assert volatility_bps(flat, until=1010.0, policy=P) == 0.0
    # only points in (until - window, until] count: the jumps after `until` and before the window not
    late = [*flat, (1011.0, 4.0), (1012.0, 1.0)]
    assert volatility_bps(late, until=1010.0, policy=P) == 0.0
    early = [(500.0, 9.0), (501.0, 1.0), *flat]
    assert volatility_bps(early, until=1010.0, policy=P) == 0.0
    assert volatility_bps([(1.0, 1.0), (2.0, 2.0)], until=2.0, policy=P) == 0.0  # too few to tell


def _order(side: Side, intent: Intent, amount: int, ts: float) -> Order:
    return Order(
        order_id="o" * 32,
        signal_id="s",
        instance_id="i",
        family="f",
        mint="M",
        ts=datetime.fromtimestamp(ts, UTC),
        side=side,
        intent=intent,
        venue=Venue.JUPITER,
        amount_in=amount,
    )


def test_for_order_takes_the_depths_impact_before_a_quote_and_the_quotes_after():
    levels = ((100.0, 20.0), (1_000.0, 200.0))  # (size_usd, impact_bps)
    m = MarketView(price_sol=0.001, price_usd=0.2, decimals=6, levels=levels)  # SOL at 200 USD
    buy = _order(Side.BUY, Intent.ENTRY, 2 * 10**9, 2_000.0)  # 2 SOL = 400 USD
    assert expected_impact_bps(buy, m) == pytest.approx(20 + 180 * 300 / 900)
    assert for_order(buy, m, P) == 50 + math.ceil(80.0)
    assert for_order(buy, m, P, 12.5) == 63  # the quote's impact replaces the estimate
    sell = _order(Side.SELL, Intent.EXIT, 2_000 * 10**6, 2_000.0)  # 2,000 tokens x 0.2 USD
    assert expected_impact_bps(sell, m) == pytest.approx(20 + 180 * 300 / 900)
    assert expected_impact_bps(buy, MarketView(price_sol=0.001, price_usd=0.2)) == 0.0  # no depth


def test_min_out_is_the_programs_own_rounding():
    assert min_out(16_198_753, 50) == 16_198_753 * 9_950 // 10_000


def test_the_caps_are_settings_within_the_signers_bounds():
    s = load_settings(execution={"max_entry_slippage_bps": 250, "max_exit_slippage_bps": 2_000})
    pol = SlippagePolicy.of(s)
    assert (pol.entry_cap_bps, pol.exit_cap_bps) == (250, 2_000)
    with pytest.raises(SystemExit, match="signer"):
        load_settings(execution={"max_entry_slippage_bps": 600})  # the signer's entry bound is 500
    with pytest.raises(SystemExit, match="signer"):
        load_settings(execution={"max_exit_slippage_bps": 1_000}, signer={"max_exit_slippage_bps": 800})
