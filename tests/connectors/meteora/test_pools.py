"""Meteora pool creation: DLMM against its published IDL, DAMM v2 against its account structs
(tests/fixtures/meteora/SOURCE.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from memesnipe.connectors.meteora.pools import (
    DAMM_V2_INITS,
    DAMM_V2_POOLS,
    DLMM_INITS,
    DLMM_POOLS,
    DLMM_PROGRAM,
)
from memesnipe.connectors.pools.anchor import instruction_discriminator
from memesnipe.connectors.pools.new_pool import new_pools
from memesnipe.connectors.pools.programs import DECODERS, creations_in_logs
from memesnipe.connectors.pools.transaction import Instruction
from memesnipe.streams.base import SOL_MINT
from tests.connectors.pools.encoding import b58encode as _b58

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
    assert DLMM_POOLS.new_pool(Instruction(DLMM_PROGRAM, ("a",) * 3, bytes(ix_disc()), 0, False)) is None


def ix_disc() -> bytes:
    return instruction_discriminator("initialize_lb_pair")  # valid tag, too few accounts
