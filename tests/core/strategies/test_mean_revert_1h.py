"""mean_revert_1h: a 3-sigma drop is bought and sold on reversion; 2 sigma or a crash is not."""

from __future__ import annotations

import math

import numpy as np
import pytest

from memesnipe.streams.trading import Intent, Side
from tests.core.strategies.scenario import at, price, run


def wobble_hour() -> list:
    return [price(30 * i, 1.0 + 0.01 * math.sin(i / 3.0)) for i in range(120)]


def z_of_next(evs: list, px: float, at_s: float) -> float:
    """z of log(px) against every sample in the window (12 buckets of 5 min), px included."""
    head = at(at_s).timestamp() // 300
    xs = [math.log(e.price_usd) for e in evs if e.ts.timestamp() // 300 > head - 12]
    xs.append(math.log(px))
    a = np.array(xs)
    return (math.log(px) - a.mean()) / a.std()


def drop_for(z_target: float) -> float:
    lo, hi = 0.5, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if z_of_next(wobble_hour(), mid, 3_600) < z_target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def test_three_sigma_drop_buys_with_strength_from_z():
    px = drop_for(-3.0)
    sigs = run("mean_revert_1h", [*wobble_hour(), price(3_600, px)])
    assert len(sigs) == 1 and (sigs[0].side, sigs[0].intent) == (Side.BUY, Intent.ENTRY)
    z = sigs[0].meta["z"]
    assert z == pytest.approx(-3.0, abs=0.01)
    assert sigs[0].strength == pytest.approx(0.5 + 0.5 * (abs(z) - 2.5) / 2.5, abs=1e-6)


def test_reversion_to_the_mean_closes_the_long():
    px = drop_for(-3.0)
    evs = [*wobble_hour(), price(3_600, px), price(3_630, px), price(3_660, 1.0)]
    sigs = run("mean_revert_1h", evs)
    assert [(s.side, s.intent) for s in sigs] == [(Side.BUY, Intent.ENTRY), (Side.SELL, Intent.EXIT)]
    assert "reverted" in sigs[1].reason


def test_two_sigma_is_not_an_extreme():
    assert run("mean_revert_1h", [*wobble_hour(), price(3_600, drop_for(-2.2))]) == []


def test_a_crash_beyond_z_stop_is_a_regime_change_not_a_stretch():
    assert run("mean_revert_1h", [*wobble_hour(), price(3_600, 0.3)]) == []


def test_upward_extreme_is_faded_only_when_shorts_are_allowed():
    evs = [*wobble_hour(), price(3_600, 1.0 / drop_for(-3.0))]
    assert run("mean_revert_1h", evs) == []
    sigs = run("mean_revert_1h", evs, allow_short=True)
    # no perp market known for the mint: the short thesis becomes a long exit that blocks entries
    assert len(sigs) == 1 and (sigs[0].side, sigs[0].intent) == (Side.SELL, Intent.EXIT)
    assert sigs[0].block_entries and "no Drift perp market" in sigs[0].reason
