"""dev_wallet_drain: the dev selling a quarter of its bag fires a short thesis; a small sale does not."""

from __future__ import annotations

import pytest

from memesnipe.streams.market import OnChainKind
from memesnipe.streams.trading import Intent, Side
from tests.core.strategies.scenario import funding, onchain, run

SELL, HOLDERS = OnChainKind.DEV_SELL, OnChainKind.HOLDERS


def dev_sell(s: float, tokens: float, balance_after: float, usd: float = 5_000.0):
    return onchain(
        s, SELL, wallet="DevWallet", amount_tokens=tokens, wallet_balance_tokens=balance_after, amount_usd=usd
    )


def test_selling_25pct_without_a_perp_market_exits_longs_and_blocks_entries():
    sigs = run("dev_wallet_drain", [dev_sell(0, 25_000.0, 75_000.0)])
    assert len(sigs) == 1
    s = sigs[0]
    assert (s.side, s.intent, s.block_entries) == (Side.SELL, Intent.EXIT, True)
    assert s.perp_market_index is None and "no Drift perp market" in s.reason
    assert s.strength == pytest.approx(0.5 + 0.5 * (0.25 - 0.2) / 0.8)


def test_with_a_perp_market_it_is_a_drift_short_and_is_covered_after_the_horizon():
    evs = [funding(0, 1.0, 0.0, market_index=3), dev_sell(10, 25_000.0, 75_000.0)]
    evs.append(onchain(10 + 3_600, HOLDERS, holders=900))
    sigs = run("dev_wallet_drain", evs)
    assert [(s.side, s.intent) for s in sigs] == [(Side.SHORT, Intent.ENTRY), (Side.COVER, Intent.EXIT)]
    assert sigs[0].perp_market_index == sigs[1].perp_market_index == 3


def test_small_sale_is_not_a_drain():
    assert run("dev_wallet_drain", [dev_sell(0, 15_000.0, 85_000.0)]) == []


def test_sales_add_up_within_the_window():
    sigs = run("dev_wallet_drain", [dev_sell(0, 15_000.0, 85_000.0), dev_sell(600, 10_000.0, 75_000.0)])
    assert len(sigs) == 1 and sigs[0].meta["sold_share"] == pytest.approx(0.25)


def test_sales_further_apart_than_the_window_do_not():
    assert (
        run("dev_wallet_drain", [dev_sell(0, 15_000.0, 85_000.0), dev_sell(2_400, 10_000.0, 75_000.0)]) == []
    )
