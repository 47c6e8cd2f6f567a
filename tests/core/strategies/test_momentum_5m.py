"""momentum_5m: a 5-minute breakout on volume fires; either half alone does not."""

from __future__ import annotations

import pytest

from memesnipe.streams.trading import Intent, Side
from tests.core.strategies.scenario import price, run


def flat_hour() -> list:
    return [price(30 * i, 1.0, 5_000.0) for i in range(120)]  # one hour at 1.0, $5k / 5 min


def test_breakout_on_4x_volume_buys_with_the_documented_strength():
    sigs = run("momentum_5m", [*flat_hour(), price(3_600, 1.10, 20_000.0)])
    assert len(sigs) == 1
    s = sigs[0]
    assert (s.side, s.intent) == (Side.BUY, Intent.ENTRY)
    # ret 10 % vs 5 % threshold, volume 4x vs 2.5x: 0.5 * 0.10 / 0.10 + 0.5 * 4 / 5
    assert s.strength == pytest.approx(0.9)
    assert s.price_usd == 1.10 and "+10.0%" in s.reason


def test_same_move_on_2x_volume_is_not_a_breakout():
    assert run("momentum_5m", [*flat_hour(), price(3_600, 1.10, 10_000.0)]) == []


def test_big_volume_without_the_price_move_is_not_a_breakout():
    assert run("momentum_5m", [*flat_hour(), price(3_600, 1.04, 50_000.0)]) == []


def test_no_baseline_no_trade():
    # the same jump after two minutes of history: nothing to compare the volume with
    assert run("momentum_5m", [price(0, 1.0), price(60, 1.0), price(400, 1.2, 50_000.0)]) == []


def test_fading_momentum_closes_the_long():
    evs = [*flat_hour(), price(3_600, 1.10, 20_000.0)]
    evs += [price(3_600 + 30 * i, 1.10, 20_000.0) for i in range(1, 12)]
    evs.append(price(3_600 + 30 * 12, 1.03, 20_000.0))  # -6.4 % vs 5 min ago
    sigs = run("momentum_5m", evs)
    assert [(s.side, s.intent) for s in sigs] == [(Side.BUY, Intent.ENTRY), (Side.SELL, Intent.EXIT)]
    assert "momentum faded" in sigs[1].reason


def with_price_only_ticks(evs: list) -> list:
    """Each event followed 15 s later by the same price from a source without volume (0)."""
    out = []
    for e in evs:
        out += [e, price((e.ts - evs[0].ts).total_seconds() + 15, e.price_usd, 0.0)]
    return out


def test_price_only_ticks_do_not_dilute_the_volume_baseline():
    # 2x the baseline is no breakout; counted as zeros, price-only ticks would halve the
    # baseline and make it 4x
    evs = [*with_price_only_ticks(flat_hour()), price(3_600, 1.10, 10_000.0)]
    assert run("momentum_5m", evs) == []
    # ...and 4x still is one, at the same ratio as without them
    sigs = run("momentum_5m", [*with_price_only_ticks(flat_hour()), price(3_600, 1.10, 20_000.0)])
    assert len(sigs) == 1 and sigs[0].meta["volume_ratio"] == pytest.approx(4.0)
