import pytest

from memesnipe.core.tip import JITO_MIN_TIP_LAMPORTS, TipFloor, dynamic_tip, sol_to_lamports

FLOOR = TipFloor.from_sol({25: 0.000005, 50: 0.00001, 75: 0.00005, 95: 0.0005, 99: 0.005}, 0.000012)


def test_sol_figures_convert_to_lamports():
    assert FLOOR.percentiles == {25: 5_000, 50: 10_000, 75: 50_000, 95: 500_000, 99: 5_000_000}
    assert FLOOR.ema50 == 12_000


def test_configured_percentile_is_paid():
    assert dynamic_tip(FLOOR, percentile=75, max_lamports=10**9) == 50_000
    assert dynamic_tip(FLOOR, percentile=50, max_lamports=10**9) == 10_000


def test_between_percentiles_interpolates():
    assert dynamic_tip(FLOOR, percentile=85, max_lamports=10**9) == 275_000


def test_hard_cap_wins():
    assert dynamic_tip(FLOOR, percentile=99, max_lamports=200_000) == 200_000


def test_never_below_jito_minimum():
    low = TipFloor.from_sol({25: 1e-7, 50: 2e-7})
    assert dynamic_tip(low, percentile=25, min_lamports=0, max_lamports=10**6) == JITO_MIN_TIP_LAMPORTS
    assert dynamic_tip(None, fallback_lamports=1) == JITO_MIN_TIP_LAMPORTS


def test_multiplier_and_ema():
    assert dynamic_tip(FLOOR, percentile=50, multiplier=1.5, max_lamports=10**9) == 15_000
    assert dynamic_tip(FLOOR, percentile=50, use_ema=True, max_lamports=10**9) == 12_000


def test_no_data_uses_clamped_fallback():
    assert dynamic_tip(None, fallback_lamports=5_000_000, max_lamports=100_000) == 100_000


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="below Jito's minimum"):
        dynamic_tip(FLOOR, max_lamports=10)
    with pytest.raises(ValueError):
        sol_to_lamports(float("nan"))
