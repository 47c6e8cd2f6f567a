"""Meteora pool creation: DLMM against its published IDL, DAMM v2 against its account structs
(tests/fixtures/meteora/SOURCE.md)."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from memesnipe.connectors.meteora.pools import (
    DAMM_V2_INITS,
    DAMM_V2_POOLS,
    DLMM_INITS,
    DLMM_POOLS,
    DLMM_PROGRAM,
    damm_v2_state,
    dlmm_state,
)
from memesnipe.connectors.pools.anchor import instruction_discriminator
from memesnipe.connectors.pools.new_pool import new_pools
from memesnipe.connectors.pools.programs import DECODERS, creations_in_logs
from memesnipe.connectors.pools.reserves import pool_event, reading
from memesnipe.connectors.pools.state import PoolLayoutError, account_discriminator
from memesnipe.connectors.pools.transaction import Instruction
from memesnipe.connectors.solana_rpc.schemas import MultipleAccountsResult
from memesnipe.streams.base import SOL_MINT
from tests.connectors.pools.encoding import b58encode as _b58
from tests.connectors.pools.layout import idl_fields, offsets, pack
from tests.connectors.pools.rpc_shapes import multiple, token_account

FIX = Path(__file__).parents[2] / "fixtures" / "meteora"
DLMM_IDL = json.loads((FIX / "dlmm_idl_init.json").read_text())
DAMM_SRC = json.loads((FIX / "damm_v2_init_accounts_from_source.json").read_text())
DAMM_CTX = {
    "initialize_pool": "InitializePoolCtx",
    "initialize_customizable_pool": "InitializeCustomizablePoolCtx",
    "initialize_pool_with_dynamic_config": "InitializePoolWithDynamicConfigCtx",
}


def test_the_dlmm_program_and_every_pair_creating_instruction_are_the_idls() -> None:
    assert DLMM_IDL["address"] == DLMM_PROGRAM
    assert {ix["name"] for ix in DLMM_IDL["instructions"]} == set(DLMM_INITS)
    for ix in DLMM_IDL["instructions"]:
        assert instruction_discriminator(ix["name"]) == bytes(ix["discriminator"])
        names = [ix["accounts"][i] for i in DLMM_INITS[ix["name"]]]
        assert names[:5] == ["lb_pair", "token_mint_x", "token_mint_y", "reserve_x", "reserve_y"]
        assert names[5] in ("funder", "payer")


@pytest.mark.parametrize("name", sorted(DAMM_V2_INITS))
def test_damm_v2_accounts_follow_the_source_account_structs(name: str) -> None:
    names = [DAMM_SRC[DAMM_CTX[name]][i] for i in DAMM_V2_INITS[name]]
    assert names == ["pool", "token_a_mint", "token_b_mint", "token_a_vault", "token_b_vault", "creator"]


def test_a_dlmm_pair_creation_found_in_a_transaction_names_its_token() -> None:
    ix = next(i for i in DLMM_IDL["instructions"] if i["name"] == "initialize_lb_pair2")
    accounts = [f"{n}_key" for n in ix["accounts"]]
    accounts[2] = "B4qKiQd97nBgME2c6GwRwYWRCCuw7WzqmxzCHaQMpump"
    accounts[3] = SOL_MINT
    keys = [DLMM_PROGRAM, *accounts]
    data = bytes(ix["discriminator"]) + bytes(16)
    tx = {  # the documented json encoding (solana.com/docs/rpc/json-structures)
        "blockTime": 1_750_000_000,
        "meta": {"err": None, "innerInstructions": [], "loadedAddresses": {"writable": [], "readonly": []}},
        "transaction": {
            "signatures": ["sig1"],
            "message": {
                "accountKeys": keys,
                "instructions": [
                    {"programIdIndex": 0, "accounts": list(range(1, len(keys))), "data": _b58(data)}
                ],
            },
        },
    }
    (p,) = new_pools(tx, DECODERS)
    assert p.source == "meteora_dlmm:initialize_lb_pair2"
    assert (p.pool, p.vault_a, p.creator) == ("lb_pair_key", "reserve_x_key", "funder_key")
    assert p.token() == ("B4qKiQd97nBgME2c6GwRwYWRCCuw7WzqmxzCHaQMpump", SOL_MINT)
    assert p.ts is not None and p.ts.timestamp() == 1_750_000_000


def test_anchor_logs_say_a_pair_was_created_only_from_the_program_itself() -> None:
    lines = [f"Program {DLMM_PROGRAM} invoke [1]", "Program log: Instruction: InitializeLbPair2",
             f"Program {DLMM_PROGRAM} success"]  # fmt: skip
    assert DLMM_POOLS.in_logs(lines) and creations_in_logs(lines) == [DLMM_PROGRAM]
    assert not DLMM_POOLS.in_logs([lines[0], "Program log: Instruction: Swap", lines[2]])
    assert not DAMM_V2_POOLS.in_logs(lines)
    damm = [
        f"Program {DAMM_V2_POOLS.program} invoke [2]",
        "Program log: Instruction: InitializeCustomizablePool",
        f"Program {DAMM_V2_POOLS.program} success",
    ]
    assert creations_in_logs(damm) == [DAMM_V2_POOLS.program]
    assert DLMM_POOLS.new_pool(Instruction(DLMM_PROGRAM, ("a",) * 3, bytes(ix_disc()), 0, False)) is None


def ix_disc() -> bytes:
    return instruction_discriminator("initialize_lb_pair")  # valid tag, too few accounts


# --- DAMM v2 pool state: reserves, price and permanently locked liquidity ------------------

TOKEN = "B4qKiQd97nBgME2c6GwRwYWRCCuw7WzqmxzCHaQMpump"
VA, VB = "4ECdmvNnYV69mz2znBmzLUGueaKsSbJL3a7svwtiGJbB", "7apsA8t7nqLFJi5uMQtoijt4x1FxY85s4jjyj4zcQwDY"
NOW = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


def damm_layout() -> dict[str, tuple[int, str]]:
    sizes = {m.group(1): int(m.group(2)) for a in DAMM_SRC["const_asserts"]
             if (m := re.match(r"const_assert_eq!\((\w+)::INIT_SPACE, (\d+)\);", a))}  # fmt: skip
    nested = {"PoolFeesStruct": sizes["PoolFeesStruct"], "RewardInfo": sizes["RewardInfo"],
              "PoolMetrics": DAMM_SRC["pool_metrics_fields"], "NUM_REWARDS": 2}  # fmt: skip
    lay = offsets(DAMM_SRC["pool_fields"], nested, start=8)
    assert lay["<size>"][0] == 8 + sizes["Pool"]  # the layout adds up to the source's own assert
    return lay


def damm_pool(**values: object) -> bytes:
    base = {"token_a_mint": TOKEN, "token_b_mint": SOL_MINT, "token_a_vault": VA, "token_b_vault": VB}
    return pack(damm_layout(), {**base, **values}, prefix=account_discriminator("Pool"))


# a token at 0.0001 SOL: raw b per raw a = 0.0001 x 10^9 / 10^6 = 0.1, as a Q64.64 square root
SQRT_PRICE = int(math.sqrt(0.1) * 2**64)


def vaults(a: int, b: int) -> MultipleAccountsResult:
    return MultipleAccountsResult.model_validate(
        multiple(token_account(TOKEN, a, 6), token_account(SOL_MINT, b, 9))
    )


def test_damm_v2_pool_liquidity_values_its_token_side_at_the_pools_price_and_reads_its_locked_share() -> None:
    data = damm_pool(liquidity=8 * 10**20, permanent_lock_liquidity=6 * 10**20, sqrt_price=SQRT_PRICE,
                     token_a_amount=10**12, token_b_amount=100 * 10**9, layout_version=1)  # fmt: skip
    st = damm_v2_state("pool", data)
    assert (st.mint_a, st.mint_b, st.vault_a, st.vault_b, st.lp_mint) == (TOKEN, SOL_MINT, VA, VB, "")
    assert st.locked_liquidity_pct == 75.0
    # vaults hold more (LP fees owed to positions): the pool's own reserve count is what it trades on
    ev = pool_event(reading(st, vaults(2 * 10**12, 150 * 10**9)), NOW, sol_usd=200.0)
    assert ev is not None and ev.source == "meteora_damm_v2:pool" and ev.mint == TOKEN
    assert ev.pool_liquidity_usd == pytest.approx((100 + 10**6 * 0.0001) * 200.0)  # 100 SOL + 1M tokens
    assert ev.lp_locked_pct == 75.0


def test_a_damm_v2_pool_of_layout_0_is_valued_from_its_vaults_net_of_protocol_fees() -> None:
    data = damm_pool(liquidity=10**20, sqrt_price=SQRT_PRICE, protocol_b_fee=10**9, layout_version=0,
                     token_a_amount=123, token_b_amount=456)  # fmt: skip
    st = damm_v2_state("pool", data)
    assert (st.reserve_a, st.reserve_b, st.locked_liquidity_pct) == (None, None, 0.0)
    ev = pool_event(reading(st, vaults(10**12, 101 * 10**9)), NOW, sol_usd=200.0)
    assert ev is not None and ev.pool_liquidity_usd == pytest.approx(200 * 200.0)
    with pytest.raises(PoolLayoutError, match="discriminator"):
        damm_v2_state("pool", bytes(8) + data[8:])


def test_a_dlmm_pair_is_valued_at_its_active_bins_price_net_of_protocol_fees() -> None:
    (acct,) = DLMM_IDL["accounts"]
    nested = {t["name"]: idl_fields(t) for t in DLMM_IDL["types"] if t["name"] != "LbPair"}
    lay = offsets(idl_fields(next(t for t in DLMM_IDL["types"] if t["name"] == "LbPair")), nested, start=8)
    # bin step 25 (0.25 %), active bin -921: x (the token, 6 dp) at ~0.1 raw y per raw x = 0.0001 SOL
    values = {"token_x_mint": TOKEN, "token_y_mint": SOL_MINT, "reserve_x": VA, "reserve_y": VB,
              "active_id": -921, "bin_step": 25, "amount_x": 0, "amount_y": 2 * 10**9}  # fmt: skip
    st = dlmm_state("pair", pack(lay, values, prefix=bytes(acct["discriminator"])))
    assert (st.mint_a, st.mint_b, st.vault_a, st.vault_b, st.fees_b) == (TOKEN, SOL_MINT, VA, VB, 2 * 10**9)
    price = 1.0025**-921
    assert st.price_b_per_a == pytest.approx(price) and price == pytest.approx(0.1, rel=0.01)
    ev = pool_event(reading(st, vaults(10**12, 52 * 10**9)), NOW, sol_usd=200.0)
    assert ev is not None and ev.source == "meteora_dlmm:pool" and ev.lp_locked_pct is None
    assert ev.pool_liquidity_usd == pytest.approx((50 + 10**12 * price / 1e9) * 200.0)
    with pytest.raises(PoolLayoutError, match="discriminator"):
        dlmm_state("pair", bytes(232))
