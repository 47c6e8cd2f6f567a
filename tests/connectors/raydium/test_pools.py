"""Raydium pool creation and pool state, against real mainnet transactions and the programs' source.

Fixtures (tests/fixtures/raydium/SOURCE.md): two real AMM v4 ``initialize2`` transactions as
delivered by a websocket ``transactionNotification`` (jsonParsed), and layouts excerpted from
raydium-amm / raydium-cp-swap source."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from memesnipe.connectors.pools.anchor import instruction_discriminator
from memesnipe.connectors.pools.new_pool import new_pools
from memesnipe.connectors.pools.programs import DECODERS, creations_in_logs
from memesnipe.connectors.pools.state import PoolLayoutError, account_discriminator
from memesnipe.connectors.pools.transaction import Instruction
from memesnipe.connectors.raydium.pools import (
    AMM_V4_PROGRAM,
    CPMM_INITS,
    CPMM_PROGRAM,
    amm_v4_init_logs,
    amm_v4_state,
    cpmm_init_in_logs,
    cpmm_new_pool,
    cpmm_state,
)
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import OnChainKind
from memesnipe.streams.watchlist import DiscoveryOrigin
from tests.connectors.pools.layout import offsets, pack

FIX = Path(__file__).parents[2] / "fixtures" / "raydium"
NOTIFS = json.loads((FIX / "initialize2_transactionNotifications.json").read_text())
SRC = json.loads((FIX / "layouts_from_source.json").read_text())
NOW = datetime(2024, 12, 19, tzinfo=UTC)


def tx(n: int) -> dict[str, Any]:
    return NOTIFS[n]["params"]["result"]["transaction"]  # type: ignore[no-any-return]


def parsed_inner(t: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        ix["parsed"]["info"]
        for g in t["meta"]["innerInstructions"]
        for ix in g["instructions"]
        if isinstance(ix.get("parsed"), dict) and ix["parsed"]["type"] == kind
    ]


def test_the_init_log_amm_v4_wrote_matches_its_instruction_log_line() -> None:
    for n in range(2):
        logs = tx(n)["meta"]["logMessages"]
        (init,) = amm_v4_init_logs(logs)
        line = next(m for m in logs if "initialize2: InitializeInstruction2" in m)
        args = dict(re.findall(r"(\w+): (\d+)", line))
        assert init.time == int(args["open_time"])
        assert init.pc_amount == int(args["init_pc_amount"])
        assert init.coin_amount == int(args["init_coin_amount"])
        assert creations_in_logs(logs) == [AMM_V4_PROGRAM]


def test_a_ray_log_written_by_another_program_is_not_a_pool() -> None:
    logs = tx(0)["meta"]["logMessages"]
    ray = next(m for m in logs if m.startswith("Program log: ray_log: "))
    spoof = ["Program Evi1111111111111111111111111111111111111 invoke [1]", ray,
             "Program Evi1111111111111111111111111111111111111 success"]  # fmt: skip
    assert amm_v4_init_logs(spoof) == []
    assert creations_in_logs(spoof) == []


def test_initialize2_gives_the_pool_its_mints_vaults_lp_mint_and_creator() -> None:
    t = tx(0)
    (p,) = new_pools(t, DECODERS)
    assert p.source == "raydium_amm_v4:initialize2"
    assert p.signature == NOTIFS[0]["params"]["result"]["signature"]
    # cross-checked with what the transaction itself did (its parsed inner instructions):
    assign = {i["account"]: i["owner"] for i in parsed_inner(t, "assign")}
    assert assign[p.pool] == AMM_V4_PROGRAM  # the new AMM account was given to the program
    vault_mint = {i["account"]: i["mint"] for i in parsed_inner(t, "initializeAccount")}
    assert vault_mint[p.vault_a] == p.mint_a and vault_mint[p.vault_b] == p.mint_b
    (lp,) = parsed_inner(t, "initializeMint")
    assert lp["mint"] == p.lp_mint
    signer = next(k["pubkey"] for k in t["transaction"]["message"]["accountKeys"] if k["signer"])
    assert p.creator == signer
    assert (p.amount_a, p.amount_b) == (100_000_000_000_000, 19_010_000_000)  # coin, pc deposits
    assert p.token() == ("B4qKiQd97nBgME2c6GwRwYWRCCuw7WzqmxzCHaQMpump", SOL_MINT)


def test_the_token_is_the_non_sol_side_whichever_order_the_pool_has() -> None:
    (p,) = new_pools(tx(1), DECODERS)
    assert p.mint_a == SOL_MINT  # this pool's coin side is wSOL
    assert p.token() == ("6TArF7DG91BVuAvSidiT1wMPyvv5WNEkmJY2ovopump", SOL_MINT)
    ev = p.event(p.ts or NOW)
    assert ev is not None
    assert ev.kind is OnChainKind.NEW_POOL and ev.mint == p.mint_b
    assert ev.amount_lamports == 79_005_361_670  # the SOL deposit (coin side here)
    assert ev.amount_tokens == 206_900_000_000_000
    assert ev.pool_liquidity_usd is None  # no SOL price given: no USD
    priced = p.event(NOW, sol_usd=200.0)
    assert priced is not None and priced.pool_liquidity_usd == round(2 * 79.00536167 * 200.0, 2)


def test_the_pool_becomes_a_new_pool_candidate_with_its_pool_address() -> None:
    (p,) = new_pools(tx(0), DECODERS)
    c = p.candidate(NOW)
    assert c is not None
    assert (c.mint, c.origin, c.pool, c.source) == (
        "B4qKiQd97nBgME2c6GwRwYWRCCuw7WzqmxzCHaQMpump", DiscoveryOrigin.NEW_POOL, p.pool, p.source,
    )  # fmt: skip
    assert c.ts == NOW  # a notification carries no block time: the caller's time stands in


def test_a_failed_initialize2_creates_nothing() -> None:
    t = json.loads(json.dumps(tx(0)))
    t["meta"]["err"] = {"InstructionError": [4, {"Custom": 1}]}
    assert new_pools(t, DECODERS) == []


def test_amm_v4_initialize2_account_order_is_the_documented_one() -> None:
    doc = SRC["amm_initialize2_accounts_doc"]
    for idx, words in [(4, "New AMM Account"), (7, "lp mint"), (8, "coin mint"), (9, "pc mint"),
                       (10, "coin vault"), (11, "pc vault"), (17, "User wallet")]:  # fmt: skip
        assert doc[idx].startswith(f"{idx}.") and words in doc[idx]


def _amm_layout() -> dict[str, tuple[int, str]]:
    nested = {"Fees": SRC["amm_fees_fields"], "StateData": SRC["amm_state_data_fields"]}
    return offsets(SRC["amm_info_fields"], nested)


def test_amm_info_is_read_at_the_source_layouts_offsets() -> None:
    lay = _amm_layout()
    assert lay["<size>"][0] == 752
    (p,) = new_pools(tx(0), DECODERS)
    data = pack(lay, {
        "coin_vault": p.vault_a, "pc_vault": p.vault_b, "coin_vault_mint": p.mint_a,
        "pc_vault_mint": p.mint_b, "lp_mint": p.lp_mint, "lp_amount": 1_378_767_964_563,
        "need_take_pnl_coin": 7, "need_take_pnl_pc": 11,
    })  # fmt: skip
    st = amm_v4_state(p.pool, data)
    assert (st.mint_a, st.mint_b, st.vault_a, st.vault_b, st.lp_mint) == (
        p.mint_a, p.mint_b, p.vault_a, p.vault_b, p.lp_mint,
    )  # fmt: skip
    assert (st.lp_supply, st.fees_a, st.fees_b) == (1_378_767_964_563, 7, 11)
    with pytest.raises(PoolLayoutError, match="752"):
        amm_v4_state(p.pool, data[:700])


def test_cpmm_pool_state_is_read_at_the_source_layouts_offsets() -> None:
    lay = offsets(SRC["cpmm_pool_state_fields"], {}, start=8)
    assert lay["<size>"][0] == 637
    keys = {
        "token_0_vault": "4ECdmvNnYV69mz2znBmzLUGueaKsSbJL3a7svwtiGJbB",
        "token_1_vault": "7apsA8t7nqLFJi5uMQtoijt4x1FxY85s4jjyj4zcQwDY",
        "lp_mint": "HPk8g4SRRdBBFuuNim7yad51z9NMuhhLhJEQUBJwEVT3",
        "token_0_mint": SOL_MINT,
        "token_1_mint": "B4qKiQd97nBgME2c6GwRwYWRCCuw7WzqmxzCHaQMpump",
    }
    amounts = {"lp_supply": 5_000_000, "protocol_fees_token_0": 1, "fund_fees_token_0": 2,
               "creator_fees_token_0": 4, "protocol_fees_token_1": 10, "fund_fees_token_1": 20,
               "creator_fees_token_1": 40}  # fmt: skip
    data = pack(lay, {**keys, **amounts}, prefix=account_discriminator("PoolState"))
    st = cpmm_state("pool", data)
    assert (st.vault_a, st.vault_b, st.lp_mint, st.mint_a, st.mint_b) == tuple(keys.values())
    assert (st.lp_supply, st.fees_a, st.fees_b) == (5_000_000, 7, 70)
    with pytest.raises(PoolLayoutError, match="discriminator"):
        cpmm_state("pool", b"\0" * 8 + data[8:])


@pytest.mark.parametrize("name", sorted(CPMM_INITS))
def test_cpmm_initialize_accounts_follow_the_source_account_structs(name: str) -> None:
    names = SRC[f"cpmm_{name}_accounts"]
    p, m0, m1, lp, v0, v1, creator = CPMM_INITS[name]
    assert [names[i] for i in (p, m0, m1, lp, v0, v1, creator)] == [
        "pool_state", "token_0_mint", "token_1_mint", "lp_mint", "token_0_vault", "token_1_vault", "creator",
    ]  # fmt: skip
    accounts = tuple(f"acct_{n}" for n in names)
    data = instruction_discriminator(name) + (5).to_bytes(8, "little") + (9).to_bytes(8, "little") + bytes(9)
    pool = cpmm_new_pool(Instruction(CPMM_PROGRAM, accounts, data, 0, False))
    assert pool is not None
    assert (pool.pool, pool.mint_a, pool.mint_b, pool.creator) == (
        "acct_pool_state", "acct_token_0_mint", "acct_token_1_mint", "acct_creator",
    )  # fmt: skip
    assert (pool.amount_a, pool.amount_b) == (5, 9)
    swap = instruction_discriminator("swap_base_input") + data[8:]
    assert cpmm_new_pool(Instruction(CPMM_PROGRAM, accounts, swap, 0, False)) is None


def test_cpmm_creation_is_recognised_in_its_own_logs_only() -> None:
    framed = [f"Program {CPMM_PROGRAM} invoke [1]", "Program log: Instruction: Initialize",
              f"Program {CPMM_PROGRAM} success"]  # fmt: skip
    assert cpmm_init_in_logs(framed) and creations_in_logs(framed) == [CPMM_PROGRAM]
    assert not cpmm_init_in_logs([framed[0], "Program log: Instruction: SwapBaseInput", framed[2]])
    assert not cpmm_init_in_logs(["Program Other111 invoke [1]", framed[1], "Program Other111 success"])


def test_cpmm_lp_in_raydiums_burn_and_earn_locker_counts_as_locked() -> None:
    from solders.pubkey import Pubkey

    from memesnipe.connectors.pools.reserves import accounts_to_read, pool_event, reading
    from memesnipe.connectors.pools.state import associated_token_account
    from memesnipe.connectors.raydium.pools import LOCK_CPMM_AUTH
    from memesnipe.connectors.solana_rpc.schemas import MultipleAccountsResult
    from tests.connectors.pools.rpc_shapes import mint_account, multiple, token_account

    # the locker's authority is the PDA the SDK names, and our ATA derivation is the chain's:
    # the real initialize2 sent the creator's LP to exactly this address (its account 20)
    locker = Pubkey.from_string("LockrWmn6K5twhz3y9w1dQERbmgSaRkfnTeTKbpofwE")
    assert str(Pubkey.find_program_address([b"lock_cp_authority_seed"], locker)[0]) == LOCK_CPMM_AUTH
    ix = next(
        i for i in tx(0)["transaction"]["message"]["instructions"] if i.get("programId") == AMM_V4_PROGRAM
    )
    assert associated_token_account(ix["accounts"][17], ix["accounts"][7]) == ix["accounts"][20]

    lay = offsets(SRC["cpmm_pool_state_fields"], {}, start=8)
    lp_mint, token = (
        "HPk8g4SRRdBBFuuNim7yad51z9NMuhhLhJEQUBJwEVT3",
        "B4qKiQd97nBgME2c6GwRwYWRCCuw7WzqmxzCHaQMpump",
    )
    values = {
        "token_0_mint": SOL_MINT,
        "token_1_mint": token,
        "lp_mint": lp_mint,
        "lp_supply": 1_000_000,
        "token_0_vault": "4ECdmvNnYV69mz2znBmzLUGueaKsSbJL3a7svwtiGJbB",
        "token_1_vault": "7apsA8t7nqLFJi5uMQtoijt4x1FxY85s4jjyj4zcQwDY",
    }
    data = pack(lay, values, prefix=account_discriminator("PoolState"))
    st = cpmm_state("pool", data)
    vault = associated_token_account(LOCK_CPMM_AUTH, lp_mint)
    assert st.lp_lockers == (vault,) and accounts_to_read(st)[2:] == [lp_mint, vault]

    def fact(locker_account: dict | None) -> float | None:
        accts = multiple(token_account(SOL_MINT, 10**9, 9), token_account(token, 10**12, 6),
                         mint_account(600_000, 9), locker_account)  # fmt: skip
        ev = pool_event(reading(st, MultipleAccountsResult.model_validate(accts)), NOW, 200.0)
        assert ev is not None
        return ev.lp_locked_pct

    assert fact(None) == 40.0  # 400k of 1M burned, no locker account
    assert fact(token_account(lp_mint, 500_000, 9)) == 90.0  # + 500k in Burn & Earn
    with pytest.raises(ValueError, match="holds"):
        fact(token_account(token, 500_000, 6))  # a "locker" of another mint is not our locker
