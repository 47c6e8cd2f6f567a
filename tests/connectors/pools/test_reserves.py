"""A pool's liquidity from its reserves and its LP burned share from its own state."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from math import isqrt
from pathlib import Path

import pytest

from memesnipe.connectors.pools.reserves import ReserveReadingError, lp_burned_pct, pool_event, reading
from memesnipe.connectors.pools.state import PoolLayoutError, PoolState
from memesnipe.connectors.pump_fun.pool import POOL_DISCRIMINATOR, pumpswap_state
from memesnipe.connectors.solana_rpc.schemas import MultipleAccountsResult
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import OnChainKind
from tests.connectors.pools.layout import idl_fields, offsets, pack
from tests.connectors.pools.rpc_shapes import mint_account, multiple, token_account

FIX = Path(__file__).parents[2] / "fixtures"
PUMP_AMM = json.loads((FIX / "pump_fun" / "pump_amm_pool_idl.json").read_text())
TS = datetime(2024, 12, 19, 13, 0, tzinfo=UTC)
TOKEN = "B4qKiQd97nBgME2c6GwRwYWRCCuw7WzqmxzCHaQMpump"
USDC = "EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v"
# the real AMM v4 pool of tests/fixtures/raydium (initialize2 of 100,000,000 tokens (6 dp) and 19.01 SOL)
COIN, PC = 100_000_000_000_000, 19_010_000_000
LP_ISSUED = isqrt(COIN * PC)  # process_initialize2: lp_amount = sqrt(pc x coin)
LP_TO_CREATOR = LP_ISSUED - 10**6  # ... minus 10^lp_decimals never minted (lp decimals = coin's, 6)
STATE = PoolState(
    "raydium_amm_v4", "Hb5nPV8QeyAcom4tMPEZKbpKVEXBQeQgnU7pPQbb1FyG",
    mint_a=TOKEN, mint_b=SOL_MINT,
    vault_a="4ECdmvNnYV69mz2znBmzLUGueaKsSbJL3a7svwtiGJbB",
    vault_b="7apsA8t7nqLFJi5uMQtoijt4x1FxY85s4jjyj4zcQwDY",
    lp_mint="HPk8g4SRRdBBFuuNim7yad51z9NMuhhLhJEQUBJwEVT3",
    lp_supply=LP_ISSUED, fees_a=0, fees_b=10_000_000,
)  # fmt: skip


def read(lp_circulating: int, pc: int = PC) -> MultipleAccountsResult:
    vaults = token_account(TOKEN, COIN, 6), token_account(SOL_MINT, pc, 9)
    return MultipleAccountsResult.model_validate(multiple(*vaults, mint_account(lp_circulating, 6)))


def test_liquidity_is_twice_the_sol_reserve_net_of_owed_fees_at_the_sol_price() -> None:
    ev = pool_event(reading(STATE, read(LP_TO_CREATOR)), TS, sol_usd=220.0)
    assert ev is not None
    assert (ev.mint, ev.kind, ev.source, ev.ts) == (TOKEN, OnChainKind.SAFETY, "raydium_amm_v4:pool", TS)
    assert ev.pool_liquidity_usd == pytest.approx(2 * (19.01 - 0.01) * 220.0)


def test_lp_the_creator_still_holds_is_not_locked_and_burning_it_locks_it_all() -> None:
    fresh = pool_event(reading(STATE, read(LP_TO_CREATOR)), TS, 220.0)
    assert fresh is not None and fresh.lp_locked_pct is not None
    assert fresh.lp_locked_pct < 0.01  # only Raydium's never-minted 10^6 LP
    burned = pool_event(reading(STATE, read(0)), TS, 220.0)
    assert burned is not None and burned.lp_locked_pct == 100.0
    half = pool_event(reading(STATE, read(LP_TO_CREATOR // 2)), TS, 220.0)
    assert half is not None and half.lp_locked_pct == pytest.approx(50.0, abs=0.01)


def test_without_a_sol_price_the_pool_gives_its_lp_fact_but_no_liquidity() -> None:
    ev = pool_event(reading(STATE, read(0)), TS, sol_usd=None)
    assert ev is not None and ev.pool_liquidity_usd is None and ev.lp_locked_pct == 100.0


def test_a_usdc_pool_is_priced_at_one_dollar_and_a_pool_of_two_quotes_names_no_token() -> None:
    st = PoolState("x", "p", TOKEN, USDC, "va", "vb")
    r = reading(st, MultipleAccountsResult.model_validate(
        multiple(token_account(TOKEN, 5, 6), token_account(USDC, 1_500_000_000, 6))))  # fmt: skip
    ev = pool_event(r, TS, None)
    assert ev is not None and ev.pool_liquidity_usd == 3_000.0 and ev.lp_locked_pct is None
    assert pool_event(reading(PoolState("x", "p", SOL_MINT, USDC, "va", "vb"), r_two()), TS, 200.0) is None


def r_two() -> MultipleAccountsResult:
    return MultipleAccountsResult.model_validate(
        multiple(token_account(SOL_MINT, 1, 9), token_account(USDC, 1, 6)))  # fmt: skip


def test_a_vault_holding_another_mint_than_the_pool_says_is_refused() -> None:
    vaults = token_account(USDC, COIN, 6), token_account(SOL_MINT, PC, 9)
    bad = MultipleAccountsResult.model_validate(multiple(*vaults, mint_account(0, 6)))
    with pytest.raises(ReserveReadingError, match="holds EPjF"):
        reading(STATE, bad)


def test_lp_burned_share_is_bounded_and_unknown_without_an_issued_count() -> None:
    assert lp_burned_pct(None, 5) is None and lp_burned_pct(0, 0) is None and lp_burned_pct(10, None) is None
    assert lp_burned_pct(10, 12) == 0.0  # more in circulation than issued: never negative


def test_the_documented_pumpswap_pool_is_read_at_the_idl_layouts_offsets() -> None:
    """PumpSwap's README example Pool account (its decoded fields), laid out by the IDL."""
    (acct,) = PUMP_AMM["accounts"]
    (ty,) = PUMP_AMM["types"]
    assert bytes(acct["discriminator"]) == POOL_DISCRIMINATOR
    lay = offsets(idl_fields(ty), {}, start=8)
    doc = json.loads((FIX / "pump_fun" / "pumpswap_pool_doc_example.json").read_text())["account"]
    values = {k: int(v["data"]) if v["type"] in ("u8", "u16", "u64") else v["data"] for k, v in doc.items()}
    data = pack(lay, values, prefix=POOL_DISCRIMINATOR)
    st = pumpswap_state("GseMAnNDvntR5uFePZ51yZBXzNSn7GdFPkfHwfr6d77J", data)
    assert (st.mint_a, st.mint_b, st.vault_a, st.vault_b, st.lp_mint, st.lp_supply) == (
        "7LSsEoJGhLeZzGvDofTdNg7M3JttxQqGWNLo6vWMpump", SOL_MINT,
        "5jMpkf4JF4noHftLgNKyPNh6roVfPSGSjuEk3U4eLKRa", "43DVcZR4kQFjh4Xm2i3DcneRxNjZp7HMud8yDrJWrDr8",
        "6dpnPD6UWDw5hbJEuPQwnCCMba1JYwHANKuL6GQ6otAH", 4_193_388_284_800,
    )  # fmt: skip
    assert (st.fees_a, st.fees_b) == (0, 0)
    # pump.fun burns the LP it receives on migration (docs/PUMP_PROGRAM_README.md): LP mint supply 0
    r = reading(st, MultipleAccountsResult.model_validate(multiple(
        token_account(st.mint_a, 206_900_000_000_000, 6), token_account(SOL_MINT, 84_990_000_000, 9),
        mint_account(0, 9))))  # fmt: skip
    ev = pool_event(r, TS, 200.0)
    assert ev is not None and ev.lp_locked_pct == 100.0 and ev.source == "pumpswap:pool"
    with pytest.raises(PoolLayoutError, match="discriminator"):
        pumpswap_state("pool", bytes(8) + data[8:])
