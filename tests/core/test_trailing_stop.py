"""Trailing stop with activation offset: the worked example from the issue, exactly."""

from __future__ import annotations

import pytest

from memesnipe.core.trailing_stop import Direction, TrailingStop, update_best

LONG, SHORT = Direction.LONG, Direction.SHORT
STOP = TrailingStop(stop_loss=0.10, activation_offset=0.03, trail=0.02)


def _walk(prices: list[float], entry: float = 100.0, direction: Direction = LONG) -> list[float]:
    """The stop after each price, the best price updated first (as the position manager does)."""
    best, out = entry, []
    for p in prices:
        best = update_best(best, p, direction)
        out.append(STOP.stop_price(entry, best, direction))
    return out


def test_stop_stays_at_90_until_the_peak_reaches_103() -> None:
    stops = _walk([100.0, 101.0, 95.0, 102.9, 102.99, 91.0])
    assert stops == [90.0] * 6


def test_stop_trails_2pct_under_the_peak_from_103() -> None:
    stops = _walk([103.0, 104.0, 110.0])
    assert stops == pytest.approx([100.94, 101.92, 107.8], abs=1e-9)


def test_stop_never_moves_back_when_price_falls() -> None:
    stops = _walk([103.0, 110.0, 109.0, 108.0, 107.9])
    assert stops[1:] == pytest.approx([107.8] * 4, abs=1e-9)


def test_hit_at_and_below_the_stop_only() -> None:
    assert not STOP.is_hit(100.0, 100.0, 90.01, LONG)
    assert STOP.is_hit(100.0, 100.0, 90.0, LONG)
    assert not STOP.is_hit(100.0, 110.0, 107.81, LONG)
    assert STOP.is_hit(100.0, 110.0, 107.8, LONG)


def test_short_mirrors_long() -> None:
    stops = _walk([100.0, 98.0, 97.01, 97.0, 90.0, 95.0], direction=SHORT)
    assert stops[:3] == pytest.approx([110.0] * 3, abs=1e-9)
    assert stops[3:] == pytest.approx([98.94, 91.8, 91.8], abs=1e-9)
    assert STOP.is_hit(100.0, 90.0, 91.8, SHORT)
    assert not STOP.is_hit(100.0, 90.0, 91.79, SHORT)


def test_zero_trail_is_a_fixed_stop() -> None:
    fixed = TrailingStop(stop_loss=0.10, activation_offset=0.03, trail=0.0)
    assert fixed.stop_price(100.0, 200.0, LONG) == 90.0
    assert not fixed.is_trailing(100.0, 200.0, LONG)


def test_trailing_never_below_the_initial_stop() -> None:
    # offset 0 and a wide trail: trailing 30 % under 110 is 77, the stop stays at 90
    wide = TrailingStop(stop_loss=0.10, activation_offset=0.0, trail=0.30)
    assert wide.stop_price(100.0, 110.0, LONG) == 90.0


def test_memecoin_scale_prices() -> None:
    # SOL prices of memecoins are tiny; fractions still hold
    entry = 2.5e-7
    assert STOP.stop_price(entry, entry * 1.03, LONG) == pytest.approx(entry * 1.03 * 0.98, rel=1e-12)
    assert STOP.stop_price(entry, entry * 1.029, LONG) == pytest.approx(entry * 0.9, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"stop_loss": 0.0},
        {"stop_loss": 1.0},
        {"stop_loss": 0.1, "trail": 1.0},
        {"stop_loss": 0.1, "trail": -0.01},
        {"stop_loss": 0.1, "activation_offset": -0.01},
    ],
)
def test_bad_config_is_refused_with_the_field_named(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError) as err:
        TrailingStop(**kwargs)
    bad = next(k for k in ("trail", "activation_offset", "stop_loss") if k in kwargs and kwargs[k] != 0.1)
    assert bad in str(err.value)
