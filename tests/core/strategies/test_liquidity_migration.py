"""liquidity_migration: several LPs adding a large share of the pool fires; outflow closes."""

from __future__ import annotations

import pytest

from memesnipe.streams.market import OnChainKind
from memesnipe.streams.trading import Intent, Side
from tests.core.strategies.scenario import bridge, onchain, run

ADD, REMOVE, SAFETY = OnChainKind.LP_ADD, OnChainKind.LP_REMOVE, OnChainKind.SAFETY


def pool() -> list:
    return [onchain(0, SAFETY, pool_liquidity_usd=100_000.0)]


def adds(n: int, usd: float, start_liq: float = 100_000.0, every_s: float = 120) -> list:
    return [
        onchain(60 + every_s * i, ADD, amount_usd=usd, pool_liquidity_usd=start_liq + usd * (i + 1))
        for i in range(n)
    ]


def test_three_adds_of_a_third_of_the_pool_buy():
    sigs = run("liquidity_migration", [*pool(), *adds(3, 20_000.0)])
    assert len(sigs) == 1 and (sigs[0].side, sigs[0].intent) == (Side.BUY, Intent.ENTRY)
    share = 60_000.0 / 160_000.0
    assert sigs[0].meta["net_share"] == pytest.approx(share)
    assert sigs[0].strength == pytest.approx(0.5 + 0.5 * (share - 0.35) / 0.35)


def test_two_adds_are_not_a_migration_even_when_large():
    assert run("liquidity_migration", [*pool(), *adds(2, 30_000.0)]) == []


def test_adds_spread_beyond_the_window_do_not_add_up():
    assert run("liquidity_migration", [*pool(), *adds(3, 20_000.0, every_s=1_000)]) == []


def test_removals_in_the_window_offset_the_adds():
    evs = [
        *pool(),
        *adds(2, 20_000.0),
        onchain(200, REMOVE, amount_usd=15_000.0, pool_liquidity_usd=125_000.0),
    ]
    evs.append(onchain(300, ADD, amount_usd=20_000.0, pool_liquidity_usd=145_000.0))
    assert run("liquidity_migration", evs) == []  # net 45k / 145k = 31 % < 35 %


def test_bridged_inflow_counts_at_its_weight():
    evs = [*pool(), *adds(3, 14_000.0), bridge(500, 40_000.0)]  # 42k + 0.5 * 40k = 62k of 142k
    sigs = run("liquidity_migration", evs)
    assert len(sigs) == 1 and sigs[0].meta["net_usd"] == pytest.approx(62_000.0)


def test_net_outflow_closes_the_long():
    evs = [
        *pool(),
        *adds(3, 20_000.0),
        onchain(600, REMOVE, amount_usd=80_000.0, pool_liquidity_usd=80_000.0),
    ]
    sigs = run("liquidity_migration", evs)
    assert [(s.side, s.intent) for s in sigs] == [(Side.BUY, Intent.ENTRY), (Side.SELL, Intent.EXIT)]
