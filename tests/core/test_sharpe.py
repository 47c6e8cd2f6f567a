"""Rolling Sharpe: exact on hand-checkable series, equal to an independent numpy computation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from memesnipe.core.sharpe import SECONDS_PER_YEAR, periods_per_year, rolling_sharpe

YEAR, DAY, HOUR = SECONDS_PER_YEAR, 86_400, 3_600


def test_two_returns_one_period_per_year_is_sqrt2() -> None:
    # mean 0.02, sample std 0.01*sqrt(2) -> 0.02 / 0.014142... = sqrt(2), annualization x1
    est = rolling_sharpe([0.01, 0.03], period_s=YEAR, window=10, min_samples=2)
    assert est.sharpe == pytest.approx(math.sqrt(2), rel=1e-12)
    assert est.shrunk == pytest.approx(math.sqrt(2), rel=1e-12)
    assert (est.samples, est.mean) == (2, pytest.approx(0.02))


def test_daily_periods_annualize_by_sqrt_365_and_short_history_is_shrunk() -> None:
    est = rolling_sharpe([0.01, 0.03], period_s=DAY, window=10, min_samples=8)
    assert est.sharpe == pytest.approx(math.sqrt(2) * math.sqrt(365), rel=1e-12)
    assert est.shrunk == pytest.approx(math.sqrt(2) * math.sqrt(365) * 2 / 8, rel=1e-12)
    assert periods_per_year(HOUR) == 8760


def test_matches_numpy_on_the_last_window() -> None:
    rng = np.random.default_rng(42)
    r = rng.normal(0.0004, 0.01, size=500)
    est = rolling_sharpe(r.tolist(), period_s=HOUR, window=168, min_samples=24)
    tail = r[-168:]
    expected = tail.mean() / tail.std(ddof=1) * np.sqrt(365 * 24)
    assert est.sharpe == pytest.approx(expected, rel=1e-10)
    assert est.shrunk == est.sharpe  # 168 >= 24 samples: no shrinkage
    assert est.std == pytest.approx(tail.std(ddof=1), rel=1e-12)


def test_no_evidence_gives_zero() -> None:
    assert rolling_sharpe([], period_s=HOUR, window=10, min_samples=2).sharpe == 0.0
    assert rolling_sharpe([0.05], period_s=HOUR, window=10, min_samples=2).sharpe == 0.0
    assert rolling_sharpe([0.01] * 30, period_s=HOUR, window=10, min_samples=2).sharpe == 0.0


def test_negative_returns_give_negative_sharpe() -> None:
    r = [-0.01, -0.02, 0.005, -0.015]
    est = rolling_sharpe(r, period_s=HOUR, window=10, min_samples=2)
    a = np.array(r)
    assert est.sharpe == pytest.approx(a.mean() / a.std(ddof=1) * np.sqrt(8760), rel=1e-12) and est.sharpe < 0
