"""airdrop_rotation: holder growth explained by airdrops fires; organic or small growth does not."""

from __future__ import annotations

import pytest

from memesnipe.streams.market import OnChainKind
from memesnipe.streams.trading import Intent, Side
from tests.core.strategies.scenario import onchain, run

AIRDROP, HOLDERS = OnChainKind.AIRDROP, OnChainKind.HOLDERS


def test_ten_pct_more_holders_from_300_airdrop_recipients_buys():
    evs = [onchain(0, HOLDERS, holders=1_000), onchain(1_200, AIRDROP, recipients=300, holders=1_100)]
    sigs = run("airdrop_rotation", evs)
    assert len(sigs) == 1 and (sigs[0].side, sigs[0].intent) == (Side.BUY, Intent.ENTRY)
    assert sigs[0].meta["holder_growth"] == pytest.approx(0.1)
    assert sigs[0].strength == pytest.approx(0.5 + 0.5 * (0.1 - 0.05) / 0.1)


def test_growth_the_airdrops_do_not_explain_is_not_this_signal():
    evs = [
        onchain(0, HOLDERS, holders=1_000),
        onchain(600, AIRDROP, recipients=40, holders=1_010),
        onchain(1_200, HOLDERS, holders=1_100),
    ]
    assert run("airdrop_rotation", evs) == []


def test_large_airdrop_with_little_holder_growth_is_not_rotation():
    evs = [onchain(0, HOLDERS, holders=10_000), onchain(1_200, AIRDROP, recipients=300, holders=10_300)]
    assert run("airdrop_rotation", evs) == []


def test_holders_falling_from_the_peak_closes_the_long():
    evs = [
        onchain(0, HOLDERS, holders=1_000),
        onchain(1_200, AIRDROP, recipients=300, holders=1_100),
        onchain(1_800, HOLDERS, holders=1_120),
        onchain(2_400, HOLDERS, holders=1_080),  # -3.6 % from the peak
    ]
    sigs = run("airdrop_rotation", evs)
    assert [(s.side, s.intent) for s in sigs] == [(Side.BUY, Intent.ENTRY), (Side.SELL, Intent.EXIT)]
