"""rug_pull_sniffer: enough red flags fire a short thesis; fewer do not; rising risk re-fires."""

from __future__ import annotations

import pytest

from memesnipe.streams.market import OnChainKind
from memesnipe.streams.trading import Intent, Side
from tests.core.strategies.scenario import at, funding, onchain, run

SAFETY, REMOVE, HOLDERS = OnChainKind.SAFETY, OnChainKind.LP_REMOVE, OnChainKind.HOLDERS


def safety(s: float, unlock_in_s: float, mint_auth: bool = True, **kw):
    return onchain(
        s,
        SAFETY,
        lp_locked_pct=100.0,
        lp_unlock_ts=at(s + unlock_in_s),
        mint_authority_live=mint_auth,
        freeze_authority_live=False,
        top10_holder_pct=20.0,
        pool_liquidity_usd=100_000.0,
        **kw,
    )


def test_unlock_in_two_hours_plus_live_mint_authority_is_a_short_thesis():
    sigs = run("rug_pull_sniffer", [safety(0, 2 * 3_600)])
    assert len(sigs) == 1
    s = sigs[0]
    assert (s.side, s.intent, s.block_entries) == (Side.SELL, Intent.EXIT, True)  # no perp market
    assert s.strength == pytest.approx(0.55)
    assert "LP unlocks in 2.0 h" in s.reason and "mint authority live" in s.reason


def test_unlock_in_eight_hours_is_not_soon():
    assert run("rug_pull_sniffer", [safety(0, 8 * 3_600)]) == []


def test_lp_removal_alone_fires_and_is_a_drift_short_where_a_perp_exists():
    evs = [
        funding(0, 1.0, 0.0, market_index=11),
        safety(0, 30 * 86_400, mint_auth=False),
        onchain(60, REMOVE, amount_usd=30_000.0, pool_liquidity_usd=70_000.0),
    ]
    sigs = run("rug_pull_sniffer", evs)
    assert len(sigs) == 1 and (sigs[0].side, sigs[0].intent) == (Side.SHORT, Intent.ENTRY)
    assert sigs[0].perp_market_index == 11 and "30% of LP removed" in sigs[0].reason


def test_small_lp_removal_is_not_a_flag():
    evs = [
        safety(0, 30 * 86_400, mint_auth=False),
        onchain(60, REMOVE, amount_usd=10_000.0, pool_liquidity_usd=90_000.0),
    ]
    assert run("rug_pull_sniffer", evs) == []


def test_rising_risk_refires_and_the_short_is_covered_after_the_horizon():
    evs = [
        funding(0, 1.0, 0.0, market_index=11),
        safety(0, 2 * 3_600),  # 0.55
        onchain(60, REMOVE, amount_usd=40_000.0, pool_liquidity_usd=60_000.0),  # + 0.6
        onchain(60 + 6 * 3_600, HOLDERS, holders=10),
    ]
    sigs = run("rug_pull_sniffer", evs)
    assert [(s.side, s.intent) for s in sigs] == [
        (Side.SHORT, Intent.ENTRY),
        (Side.SHORT, Intent.ENTRY),
        (Side.COVER, Intent.EXIT),
    ]
    assert sigs[1].strength == 1.0
