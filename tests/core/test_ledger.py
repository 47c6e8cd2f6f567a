"""Ledger: average-cost PnL from fills and marks, per-period returns on event time."""

from __future__ import annotations

import numpy as np
import pytest

from memesnipe.core.ledger import PositionPnl, StrategyLedger

CAP = 100 * 10**9
H = 3600


def test_long_average_cost_realized_and_unrealized() -> None:
    p = PositionPnl()
    p.apply_fill("buy", 1000, 100_000_000, 100_000, ts=1)
    assert (p.qty, p.basis, p.realized, p.unrealized) == (1000, 100_000_000, -100_000, 0)
    assert p.apply_mark(120.0, 6, ts=2)  # 120 SOL per token, 6 decimals = 120_000 lamports/unit
    assert p.unrealized == 1000 * 120_000 - 100_000_000 == 20_000_000
    p.apply_fill("buy", 1000, 140_000_000, 0, ts=3)  # average cost now 120_000
    p.apply_fill("sell", 500, 75_000_000, 50_000, ts=4)  # releases 60_000_000 basis
    assert p.realized == -100_000 - 50_000 + 15_000_000
    assert (p.qty, p.basis) == (1500, 180_000_000)
    p.apply_fill("sell", 2000, 150_000_000, 0, ts=5)  # sells more than held: only 1500 count
    assert (p.qty, p.basis, p.direction, p.unrealized) == (0, 0, "", 0)
    assert p.realized == -150_000 + 15_000_000 + (150_000_000 * 1500 // 2000 - 180_000_000)


def test_short_profits_when_price_falls() -> None:
    p = PositionPnl()
    p.apply_fill("short", 1000, 100_000_000, 0, ts=1)
    p.apply_mark(80.0, 6, ts=2)
    assert p.unrealized == 20_000_000
    p.apply_fill("cover", 1000, 90_000_000, 10_000, ts=3)
    assert (p.realized, p.qty) == (10_000_000 - 10_000, 0)


def test_marks_are_ignored_when_flat_or_out_of_order() -> None:
    p = PositionPnl()
    assert not p.apply_mark(1.0, 6, ts=1)
    p.apply_fill("buy", 10, 1000, 0, ts=5)
    assert not p.apply_mark(1.0, 6, ts=4) and p.seq == 1
    with pytest.raises(ValueError, match="short fill while a long"):
        p.apply_fill("short", 1, 1, 0, ts=6)


def test_periods_close_on_event_time_with_zero_returns_for_quiet_periods() -> None:
    led = StrategyLedger()
    kw = {"period_s": H, "capital": CAP, "keep": 10}
    assert led.apply("M1", 0, 0, 1, ts=0, **kw)
    assert led.apply("M1", 60, 40, 2, ts=H + 10, **kw)  # closes period 0 (PnL 0 -> 0)
    assert not led.apply("M1", 999, 999, 2, ts=H + 11, **kw)  # same seq: a replay
    assert led.apply("M2", -30, 0, 1, ts=3 * H + 5, **kw)  # closes 1 (0 -> 100) and 2 (quiet)
    assert led.returns == [0.0, 100 / CAP, 0.0]
    led.advance(4, CAP, 10)  # close 3: 100 -> 70
    assert led.returns == pytest.approx([0.0, 100 / CAP, 0.0, -30 / CAP])
    assert (led.realized, led.unrealized, led.pnl) == (30, 40, 70)


def test_returns_equal_pnl_increments_over_capital_and_keep_bounds_history() -> None:
    rng = np.random.default_rng(5)
    pnl = np.cumsum(rng.integers(-(10**7), 10**7, size=50))
    led = StrategyLedger()
    for k, v in enumerate(pnl):
        led.apply("M", int(v), 0, k + 1, ts=k * H + 1, period_s=H, capital=CAP, keep=20)
    led.advance(50, CAP, 20)
    expected = np.diff(np.concatenate([[0], pnl])) / CAP
    assert led.returns == pytest.approx(expected[-20:].tolist(), rel=1e-12)


def mark(led: StrategyLedger, mint: str, realized: int, unrealized: int, seq: int, **kw: object) -> bool:
    return led.apply(mint, realized, unrealized, seq, 10.0, period_s=3600, capital=10**9, keep=8, **kw)  # type: ignore[arg-type]


def test_the_ledger_keeps_a_bounded_number_of_mints_without_changing_its_pnl() -> None:
    led = StrategyLedger()
    for i in range(10):
        assert mark(led, f"m{i}", realized=100 * i, unrealized=0, seq=1, mints_keep=4)
    mark(led, "open", realized=-5, unrealized=70, seq=1, mints_keep=4)
    assert len(led.mints) == 4 and "open" in led.mints  # an open mint is never retired
    assert led.pnl == sum(100 * i for i in range(10)) - 5 + 70
    assert led.realized == sum(100 * i for i in range(10)) - 5
    assert led.entries() == len(led.mints) + len(led.retired)


def test_a_retired_mints_resent_mark_is_ignored_and_a_newer_one_brings_it_back() -> None:
    led = StrategyLedger()
    for i in range(4):
        mark(led, f"m{i}", realized=1_000, unrealized=0, seq=5, mints_keep=2)
    assert "m0" in led.retired and "m0" not in led.mints
    assert not mark(led, "m0", realized=1_000, unrealized=0, seq=5, mints_keep=2)  # re-sent after a crash
    assert led.pnl == 4_000
    assert mark(led, "m0", realized=1_500, unrealized=200, seq=6, mints_keep=2)  # cumulative realized
    assert led.pnl == 3 * 1_000 + 1_500 + 200
    assert "m0" in led.mints and "m0" not in led.retired


def test_the_shadow_book_is_bounded_apart_from_the_own_book() -> None:
    led = StrategyLedger()
    for i in range(5):
        mark(led, f"s{i}", realized=10, unrealized=0, seq=1, mints_keep=2, shadow=True)
    assert len(led.shadow_mints) == 2 and led.pnl == 0
    assert led.shadow_pnl == 50


def test_positions_pnl_sums_closed_and_open_positions_and_remembers_a_bounded_set_of_closed_ids() -> None:
    from memesnipe.core.ledger import CLOSED_IDS_KEEP, PositionsPnl

    p = PositionsPnl()
    for i in range(CLOSED_IDS_KEEP + 5):
        assert p.apply(f"p{i}", 1, True, 0, 50, 10, float(i))
        assert p.apply(f"p{i}", 2, False, 3, 0, 0, float(i))
    assert p.realized == 3 * (CLOSED_IDS_KEEP + 5) and p.unrealized == 0 and p.qty == 0
    assert len(p.closed_ids) == CLOSED_IDS_KEEP
    assert not p.apply(f"p{CLOSED_IDS_KEEP + 4}", 2, False, 3, 0, 0, 0.0)  # a re-sent close: once
    assert p.apply("open", 1, True, -1, 20, 5, 1e6)
    assert (p.realized, p.unrealized, p.qty) == (3 * (CLOSED_IDS_KEEP + 5) - 1, 20, 5)
