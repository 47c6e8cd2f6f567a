"""The live inputs this package adds, through the strategies that need them (the real engine):
dev_wallet_drain fires on a creator's sale only once its SOL leg is priced in USD, and
liquidity_migration sizes LP adds against the pool's liquidity read from its reserves."""

from __future__ import annotations

from datetime import UTC, datetime

from memesnipe.connectors.helius.parse import parse_enhanced
from memesnipe.connectors.pools.reserves import PoolReading, TokenBalance, pool_event
from memesnipe.connectors.pools.state import PoolState
from memesnipe.connectors.sol_usd import SolUsd, with_usd
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import SolPriceEvent
from memesnipe.streams.trading import Intent, Side
from tests.connectors.helius.test_helius import BUYER, TOKEN, sell_of_the_real_swap, swap
from tests.core.strategies.scenario import run

BLOCK = swap()[0]["timestamp"]  # the recorded swap's block time


def sol_at(usd: float) -> SolUsd:
    sol = SolUsd(max_age_s=3600)
    sol.observe(SolPriceEvent(mint=SOL_MINT, ts=datetime.fromtimestamp(BLOCK, UTC), price_usd=usd))
    return sol


def retimed(txs: list[dict], t: int, n: int) -> list[dict]:
    for tx in txs:
        tx["timestamp"], tx["signature"], tx["slot"] = t, f"{tx['signature']}-{n}", tx["slot"] + n
    return txs


def test_a_creators_sale_of_3_9_sol_is_a_dev_drain_only_once_priced_in_usd() -> None:
    create = retimed(swap(), BLOCK, 0)
    create[0]["type"] = "CREATE"  # the creator (fee payer) receives its initial tokens
    sale = retimed(sell_of_the_real_swap(), BLOCK + 600, 1)  # ... and sells them all for 3.9 SOL
    events = parse_enhanced([*create, *sale], creators={TOKEN: BUYER})
    assert run("dev_wallet_drain", events) == []  # 3.9 SOL < min_sold_sol, no USD: not large enough
    priced = with_usd(events, sol_at(300.0))  # $1,170 >= min_sold_usd
    (sig,) = run("dev_wallet_drain", priced)
    # no perp market for this token: the thesis is a long exit that blocks new entries
    assert (sig.side, sig.intent) == (Side.SELL, Intent.EXIT) and sig.meta["block_s"] > 0


def test_lp_adds_priced_in_usd_against_the_pools_reserve_liquidity_fire_a_migration() -> None:
    sol = sol_at(200.0)
    state = PoolState("raydium_amm_v4", "pool", TOKEN, SOL_MINT, "va", "vb")
    reading = PoolReading(state, TokenBalance(TOKEN, 10**15, 6), TokenBalance(SOL_MINT, 10 * 10**9, 9), None)
    fact = pool_event(
        reading, datetime.fromtimestamp(BLOCK - 60, UTC), sol.at(datetime.fromtimestamp(BLOCK, UTC))
    )
    assert fact is not None and fact.pool_liquidity_usd == 4_000.0  # 2 x 10 SOL x $200
    adds = []
    for n in range(3):
        txs = retimed(swap(), BLOCK + 120 * n, n)
        txs[0]["type"] = "ADD_LIQUIDITY"  # the recorded wallet deposits its 4 SOL side
        adds += with_usd(parse_enhanced(txs), sol)
    assert [a.amount_usd for a in adds] == [1_600.0] * 3  # 2 x 4 SOL x $200
    assert run("liquidity_migration", [fact, *adds[:2]], min_net_usd=1_000.0) == []  # two adds: too few
    (sig,) = run("liquidity_migration", [fact, *adds], min_net_usd=1_000.0)
    assert (sig.side, sig.intent) == (Side.BUY, Intent.ENTRY) and sig.meta["net_usd"] == 4_800.0
