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


CREATOR = "CreatorWallet111111111111111111111111111111"


def creator_swap(s: float, side, tokens: float, lamports: int, sig: str = "", **kw):
    return onchain(
        s,
        OnChainKind.SWAP,
        wallet=CREATOR,
        direction=side,
        amount_tokens=tokens,
        amount_lamports=lamports,
        signature=sig,
        **kw,
    )


def test_the_creator_learnt_from_the_creation_event_selling_in_sol_is_a_drain_without_configuration():
    from memesnipe.streams.market import TradeDirection

    created = onchain(0, OnChainKind.NEW_MINT, wallet=CREATOR, wallet_balance_tokens=60_000.0)
    evs = [
        created,
        creator_swap(30, TradeDirection.BUY, 40_000.0, 2 * 10**9),  # holds 100k now
        creator_swap(60, TradeDirection.SELL, 30_000.0, 6 * 10**9),  # 30 % of 100k, 6 SOL
    ]
    [s] = run("dev_wallet_drain", evs)
    assert (s.side, s.intent) == (Side.SELL, Intent.EXIT)  # no perp market: exit and block
    assert s.meta["sold_share"] == pytest.approx(0.3) and s.meta["sold_sol"] == pytest.approx(6.0)
    assert "(6.00 SOL)" in s.reason


def test_creator_sales_too_small_in_sol_or_by_others_are_not_a_drain():
    from memesnipe.streams.market import TradeDirection

    created = onchain(0, OnChainKind.NEW_MINT, wallet=CREATOR, wallet_balance_tokens=100_000.0)
    small = creator_swap(60, TradeDirection.SELL, 30_000.0, 4 * 10**9)  # under min_sold_sol 5
    assert run("dev_wallet_drain", [created, small]) == []
    other = onchain(
        60,
        OnChainKind.SWAP,
        wallet="SomeoneElse",
        direction=TradeDirection.SELL,
        amount_tokens=90_000.0,
        amount_lamports=50 * 10**9,
    )
    assert run("dev_wallet_drain", [created, other]) == []
    unknown_creator = creator_swap(60, TradeDirection.SELL, 30_000.0, 6 * 10**9)
    assert run("dev_wallet_drain", [unknown_creator]) == []


def test_a_configured_dev_sell_and_the_swap_of_the_same_transaction_count_once():
    from memesnipe.streams.market import TradeDirection

    created = onchain(0, OnChainKind.NEW_MINT, wallet=CREATOR, wallet_balance_tokens=100_000.0)
    dev = onchain(
        60, SELL, wallet=CREATOR, amount_tokens=15_000.0, amount_lamports=6 * 10**9, signature="tx1"
    )
    same = creator_swap(60, TradeDirection.SELL, 15_000.0, 6 * 10**9, sig="tx1")
    assert run("dev_wallet_drain", [created, dev, same]) == []  # 15 %, not 30 %


def test_a_creator_from_a_pump_fun_create_without_its_initial_buy_counts_from_nothing():
    from memesnipe.streams.market import TradeDirection

    created = onchain(0, OnChainKind.NEW_MINT, wallet=CREATOR, source="pump_fun:create")
    [s] = run("dev_wallet_drain", [created, creator_swap(60, TradeDirection.SELL, 30_000.0, 6 * 10**9)])
    assert s.meta["sold_share"] == pytest.approx(1.0)
