"""perp_basis_arb: a rich perp with positive funding opens a matched two-leg trade and unwinds it."""

from __future__ import annotations

import pytest

from memesnipe.streams.trading import Intent, Side
from tests.core.strategies.scenario import funding, price, run


def spot(until_s: int) -> list:
    return [price(10 * i, 1.0) for i in range(until_s // 10 + 1)]


def test_two_confirming_prints_open_spot_long_and_perp_short_together():
    evs = [*spot(200), funding(60, 1.03, 0.001), funding(120, 1.03, 0.001)]
    sigs = run("perp_basis_arb", evs)
    assert [(s.side, s.intent) for s in sigs] == [(Side.BUY, Intent.ENTRY), (Side.SHORT, Intent.ENTRY)]
    buy, short = sigs
    assert short.perp_market_index == 7 and buy.perp_market_index is None
    assert buy.strength == short.strength == pytest.approx(0.5 + 0.5 * (0.03 - 0.02) / 0.02)
    assert (
        buy.meta["pair"] == short.meta["pair"] and buy.meta["leg"] == "spot" and short.meta["leg"] == "perp"
    )
    assert buy.signal_id != short.signal_id and short.signal_id.startswith(buy.signal_id)


def test_basis_closing_unwinds_both_legs():
    evs = [*spot(400), funding(60, 1.03, 0.001), funding(120, 1.03, 0.001), funding(300, 1.001, 0.0001)]
    sigs = run("perp_basis_arb", evs)
    assert [(s.side, s.intent) for s in sigs][2:] == [(Side.SELL, Intent.EXIT), (Side.COVER, Intent.EXIT)]
    assert sigs[3].perp_market_index == 7


def test_one_print_is_not_confirmation():
    assert run("perp_basis_arb", [*spot(200), funding(60, 1.03, 0.001), funding(120, 1.01, 0.001)]) == []


def test_rich_perp_with_too_little_funding_is_not_worth_it():
    assert run("perp_basis_arb", [*spot(200), funding(60, 1.03, 0.0003), funding(120, 1.03, 0.0003)]) == []


def test_stale_spot_price_is_not_used():
    evs = [price(0, 1.0), funding(600, 1.03, 0.001), funding(660, 1.03, 0.001)]  # spot 10 min old
    assert run("perp_basis_arb", evs) == []
