"""korean_time_burst: a spike in Seoul hours above that hour's previous-days baseline fires."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from memesnipe.core.strategies.korean_time_burst import KST_OFFSET_S
from memesnipe.streams.trading import Intent, Side
from tests.core.strategies.scenario import price, run

DAY = 86_400


def day_one() -> list:
    """09:00-10:00 KST on day 1 (00:00-01:00 UTC): price 1.0, $5k per 5 minutes."""
    return [price(60 * i, 1.0, 5_000.0) for i in range(60)]


def burst(start_s: int, vol: float = 15_000.0) -> list:
    """Ten quiet minutes, then +5 % on ``vol``."""
    return [*(price(start_s + 60 * i, 1.0, 5_000.0) for i in range(10)), price(start_s + 600, 1.05, vol)]


def test_burst_at_09h_kst_against_the_previous_days_09h_buys():
    sigs = run("korean_time_burst", [*day_one(), *burst(DAY + 1_200)])
    assert len(sigs) == 1
    s = sigs[0]
    assert (s.side, s.intent) == (Side.BUY, Intent.ENTRY) and s.meta["kst_hour"] == 9
    # ret 5 % vs 4 % min (x 2), volume 3x vs 2.5x (x 2)
    assert s.strength == pytest.approx(0.5 * 0.05 / 0.08 + 0.5 * 3.0 / 5.0, rel=1e-6)


def test_the_same_burst_on_the_first_day_has_no_baseline():
    assert run("korean_time_burst", burst(1_200)) == []


def test_the_same_burst_outside_seoul_hours_does_not_fire():
    # 16:00 UTC = 01:00 KST, outside the 09-24 session
    assert run("korean_time_burst", [*day_one(), *burst(DAY + 16 * 3_600)]) == []


def test_volume_twice_that_hours_baseline_is_not_a_burst():
    assert run("korean_time_burst", [*day_one(), *burst(DAY + 1_200, vol=10_000.0)]) == []


def test_session_can_wrap_midnight():
    # 22:00-02:00 KST; the burst at 01:00 KST (16:00 UTC) against the previous day's 01:00 KST
    base = [price(16 * 3_600 + 60 * i, 1.0, 5_000.0) for i in range(60)]
    sigs = run("korean_time_burst", [*base, *burst(DAY + 16 * 3_600)], kst_open_hour=22, kst_close_hour=2)
    assert len(sigs) == 1 and sigs[0].meta["kst_hour"] == 1


def test_fixed_offset_equals_asia_seoul_for_every_hour_of_a_year():
    seoul = ZoneInfo("Asia/Seoul")
    t = datetime(2026, 1, 1, tzinfo=UTC)
    for h in range(0, 366 * 24, 7):
        ts = t + timedelta(hours=h, minutes=13)
        assert int((ts.timestamp() + KST_OFFSET_S) // 3600 % 24) == ts.astimezone(seoul).hour


def test_price_only_ticks_do_not_dilute_that_hours_baseline():
    # day one's 09h with a volume-less tick (a price-only source) after each minute: counted as
    # zeros they would halve the baseline and make 2x it a "burst"
    day = [e for i in range(60) for e in (price(60 * i, 1.0, 5_000.0), price(60 * i + 30, 1.0, 0.0))]
    assert run("korean_time_burst", [*day, *burst(DAY + 1_200, vol=10_000.0)]) == []
    sigs = run("korean_time_burst", [*day, *burst(DAY + 1_200)])
    assert len(sigs) == 1 and sigs[0].meta["volume_ratio"] == pytest.approx(3.0)
