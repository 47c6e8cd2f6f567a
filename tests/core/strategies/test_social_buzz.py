"""social_buzz: a mention burst from many authors fires; a burst from a few accounts does not."""

from __future__ import annotations

import pytest

from memesnipe.streams.trading import Intent, Side
from tests.core.strategies.scenario import run, social


def chatter() -> list:
    return [social(60 * i, 10, 8) for i in range(40)]  # 10 mentions/min for 40 minutes


def test_five_times_the_usual_velocity_from_30_authors_buys():
    sigs = run("social_buzz", [*chatter(), social(2_400, 50, 30)])
    assert len(sigs) == 1
    s = sigs[0]
    assert (s.side, s.intent) == (Side.BUY, Intent.ENTRY)
    assert s.meta["velocity_ratio"] == pytest.approx(5.0)
    assert s.strength == pytest.approx(0.5 + 0.5 * (5.0 - 4.0) / 4.0)


def test_burst_from_too_few_unique_authors_is_ignored():
    assert run("social_buzz", [*chatter(), social(2_400, 50, 8)]) == []


def test_burst_with_a_low_author_share_is_shilling():
    assert run("social_buzz", [*chatter(), social(2_400, 200, 40)]) == []  # 20 % < 30 %


def test_three_times_the_baseline_is_not_enough():
    assert run("social_buzz", [*chatter(), social(2_400, 30, 25)]) == []


def test_velocity_is_per_minute_whatever_the_event_window():
    # 100 mentions over 5 minutes is 20/min = 2x: not a burst
    assert run("social_buzz", [*chatter(), social(2_400, 100, 60, window_s=300)]) == []


def test_buzz_fading_closes_the_long():
    sigs = run("social_buzz", [*chatter(), social(2_400, 50, 30), social(2_460, 12, 10)])
    assert [(s.side, s.intent) for s in sigs] == [(Side.BUY, Intent.ENTRY), (Side.SELL, Intent.EXIT)]


def test_no_history_required_still_never_divides_by_zero():
    # min_baseline_s=0 is a valid setting: the first event has no history at all (coverage 0)
    assert run("social_buzz", [social(0, 50, 30)], min_baseline_s=0) == []
    sigs = run("social_buzz", [*chatter(), social(2_400, 50, 30)], min_baseline_s=0)
    assert [(s.side, s.intent) for s in sigs] == [(Side.BUY, Intent.ENTRY)]
