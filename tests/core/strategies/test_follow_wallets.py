"""follow_wallets: a followed wallet's buy is copied at its weight and size cap, its sell closes
the copy, dust and strangers are ignored, and consecutive losing round trips stop the wallet."""

from __future__ import annotations

import pytest

from memesnipe.streams.market import OnChainKind, TradeDirection
from memesnipe.streams.trading import Intent, Side
from tests.core.strategies.scenario import onchain, run

LEAD = "GqvyRtrPaye1pcxcwPwVbn8FByNkz6d7XEgEL38o9nSx"
OTHER = "FzcvDba4BpVzTubeHYoyNszZCDdPeXrzHRe1fYN7qRNm"
STRANGER = "4bHUoZY36hmtW1FbJ1XJ5umWmFWXxx9voAe94M8PWNpL"
SOL = 1_000_000_000
WALLETS = {LEAD: {"weight": 0.8, "max_sol": 4.0, "min_sol": 0.5, "max_losses": 2}, OTHER: {"weight": 0.5}}


def swap(s: float, wallet: str, side: TradeDirection, sol: float, tokens: float, **kw):
    return onchain(
        s,
        OnChainKind.SWAP,
        wallet=wallet,
        direction=side,
        amount_lamports=round(sol * SOL),
        amount_tokens=tokens,
        **kw,
    )


def buy(s: float, sol: float, tokens: float = 1_000_000.0, wallet: str = LEAD):
    return swap(s, wallet, TradeDirection.BUY, sol, tokens)


def sell(s: float, sol: float, tokens: float = 1_000_000.0, wallet: str = LEAD):
    return swap(s, wallet, TradeDirection.SELL, sol, tokens)


def follow(events, **params):
    return run("follow_wallets", events, wallets=WALLETS, **params)


def test_a_followed_buy_is_copied_at_weight_times_its_size_and_its_sell_closes_the_copy():
    sigs = follow([buy(0, 2.0), sell(300, 3.0)])
    assert [(s.side, s.intent) for s in sigs] == [(Side.BUY, Intent.ENTRY), (Side.SELL, Intent.EXIT)]
    assert sigs[0].strength == pytest.approx(0.8 * 2.0 / 4.0)
    assert sigs[0].meta["wallet"] == LEAD and sigs[0].meta["wallet_sol"] == pytest.approx(2.0)
    assert sigs[1].strength == 1.0 and sigs[1].meta["leader_return"] == pytest.approx(0.5)
    assert "sold 100% of its buy at +50.0%" in sigs[1].reason


def test_the_size_cap_limits_a_large_buy_to_the_wallet_weight():
    [s] = follow([buy(0, 40.0)])
    assert s.strength == pytest.approx(0.8)


def test_dust_buys_swaps_without_a_sol_leg_and_unfollowed_wallets_are_not_copied():
    assert follow([buy(0, 0.4)]) == []  # under min_sol 0.5
    assert follow([buy(0, 0.0)]) == []  # no SOL leg (e.g. paid in USDC)
    assert follow([buy(0, 3.0, wallet=STRANGER)]) == []
    assert (
        follow([onchain(0, OnChainKind.SWAP, wallet=LEAD, amount_lamports=3 * SOL, amount_tokens=1.0)]) == []
    )


def test_a_partial_sell_below_the_share_keeps_the_copy_and_sells_add_up():
    sigs = follow([buy(0, 2.0), sell(60, 0.8, tokens=400_000.0), sell(120, 1.2, tokens=200_000.0)])
    assert [s.side for s in sigs] == [Side.BUY, Side.SELL]
    assert sigs[1].meta["sold_share"] == pytest.approx(0.6)


def test_only_the_leader_of_the_copy_closes_it_and_one_copy_is_open_at_a_time():
    sigs = follow([buy(0, 2.0), buy(10, 3.0, wallet=OTHER), sell(20, 3.0, wallet=OTHER)])
    assert [s.side for s in sigs] == [Side.BUY]
    sigs = follow([buy(0, 2.0), buy(10, 3.0, wallet=OTHER), sell(20, 3.0)])
    assert [s.side for s in sigs] == [Side.BUY, Side.SELL]


def test_cooldown_after_an_exit():
    sigs = follow([buy(0, 2.0), sell(60, 3.0), buy(120, 2.0), buy(60 + 600, 2.0)])
    assert [(s.side, s.ts.timestamp() - sigs[0].ts.timestamp()) for s in sigs] == [
        (Side.BUY, 0),
        (Side.SELL, 60),
        (Side.BUY, 660),
    ]


def test_two_losing_round_trips_in_a_row_stop_the_wallet_and_a_win_resets_the_count():
    gap = 1_000
    losing = [e for k in range(2) for e in (buy(k * gap, 2.0), sell(k * gap + 60, 1.0))]
    sigs = follow([*losing, buy(2 * gap, 2.0)])
    assert [s.side for s in sigs] == [Side.BUY, Side.SELL, Side.BUY, Side.SELL]
    assert "2 losing round trips in a row" in sigs[-1].reason
    # stopped: a later buy is not copied until stop_s has passed, then it is again
    sigs = follow([*losing, buy(2 * gap, 2.0), buy(2 * gap + 3_600, 2.0)], stop_s=3_000)
    assert [s.side for s in sigs] == [Side.BUY, Side.SELL, Side.BUY, Side.SELL, Side.BUY]
    # loss, win, loss: never two in a row
    mixed = [
        buy(0, 2.0),
        sell(60, 1.0),
        buy(gap, 2.0),
        sell(gap + 60, 3.0),
        buy(2 * gap, 2.0),
        sell(2 * gap + 60, 1.0),
    ]
    sigs = follow([*mixed, buy(3 * gap, 2.0)])
    assert [s.side for s in sigs][-1] is Side.BUY and "losing" not in sigs[-2].reason


def test_a_copy_whose_leader_never_sells_is_forgotten_after_max_hold():
    sigs = follow([buy(0, 2.0), buy(3_600, 2.0, wallet=OTHER)], max_hold_s=1_800)
    assert [s.meta["wallet"] for s in sigs] == [LEAD, OTHER]


def test_params_refuse_a_bad_address_and_unknown_wallet_terms():
    from memesnipe.core.strategies import SpecError, validate_params

    with pytest.raises(SpecError, match="base58"):
        validate_params("follow_wallets", {"wallets": {"0xdeadbeef": {}}})
    with pytest.raises(SpecError, match="max_size"):
        validate_params("follow_wallets", {"wallets": {LEAD: {"max_size": 3}}})
