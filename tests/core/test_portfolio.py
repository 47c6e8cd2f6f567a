"""Equity, high-water mark and drawdown: exact, equal to numpy, and the trip/re-arm rule."""

from __future__ import annotations

import numpy as np
import pytest

from memesnipe.core.portfolio import Portfolio, drawdowns, max_drawdown


def test_drawdown_series_is_exact() -> None:
    eq = [100.0, 110.0, 99.0, 120.0, 90.0]
    assert drawdowns(eq) == pytest.approx([0.0, 0.0, 0.1, 0.0, 0.25])
    assert max_drawdown(eq) == pytest.approx(0.25)
    assert max_drawdown([100.0, 105.0], start_hwm=120.0) == pytest.approx(20 / 120)


def test_drawdown_matches_numpy() -> None:
    rng = np.random.default_rng(3)
    eq = 100 * np.cumprod(1 + rng.normal(0, 0.02, size=1000))
    hwm = np.maximum.accumulate(eq)
    assert drawdowns(eq.tolist()) == pytest.approx(((hwm - eq) / hwm).tolist(), rel=1e-12, abs=1e-15)


def test_trips_once_at_threshold_then_rearms_from_equity_at_resume() -> None:
    p = Portfolio(capital=100, max_drawdown=0.2)
    assert not p.update(-10)  # equity 90, dd 0.1
    assert not p.update(20)  # equity 120, new HWM
    assert p.update(-4)  # equity 96: dd = 24/120 = 0.2 -> trips (inclusive)
    assert (p.equity, p.hwm, p.drawdown) == (96, 120, pytest.approx(0.2))
    assert not p.update(-30)  # already tripped: no second kill
    p.rearm()  # resume at equity 70
    assert p.hwm == 70 and p.drawdown == 0
    assert not p.update(-40)  # 60: dd 1/7 < 0.2
    assert p.update(-44)  # 56: dd 0.2 -> trips again
