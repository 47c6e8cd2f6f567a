"""PumpSwap ``create_pool`` against the published IDL (tests/fixtures/pump_fun/pump_amm_pool_idl.json)."""

from __future__ import annotations

import json
import struct
from pathlib import Path

from memesnipe.connectors.pools.programs import creations_in_logs
from memesnipe.connectors.pools.transaction import Instruction
from memesnipe.connectors.pump_fun.events import PUMP_AMM_PROGRAM
from memesnipe.connectors.pump_fun.pool import pumpswap_new_pool
from memesnipe.streams.base import SOL_MINT

IDL = json.loads((Path(__file__).parents[2] / "fixtures" / "pump_fun" / "pump_amm_pool_idl.json").read_text())
(CREATE,) = IDL["instructions"]
TOKEN = "Gu2bpydt5bHVHtko5vvsWH5KQUT3Wxvt6hzYvKdND6ur"


def test_create_pool_reads_the_idls_accounts_and_amounts() -> None:
    assert IDL["address"] == PUMP_AMM_PROGRAM
    assert [a["name"] for a in CREATE["args"][:3]] == ["index", "base_amount_in", "quote_amount_in"]
    accounts = [f"{n}_key" for n in CREATE["accounts"]]
    accounts[3], accounts[4] = TOKEN, SOL_MINT
    data = (
        bytes(CREATE["discriminator"])
        + struct.pack("<HQQ", 0, 206_900_000_000_000, 84_990_000_000)
        + bytes(33)
    )
    p = pumpswap_new_pool(Instruction(PUMP_AMM_PROGRAM, tuple(accounts), data, 0, True))
    assert p is not None and p.source == "pumpswap:create_pool"
    assert (p.pool, p.creator, p.lp_mint, p.vault_a, p.vault_b) == (
        "pool_key",
        "creator_key",
        "lp_mint_key",
        "pool_base_token_account_key",
        "pool_quote_token_account_key",
    )
    assert p.token() == (TOKEN, SOL_MINT) and (p.amount_a, p.amount_b) == (
        206_900_000_000_000,
        84_990_000_000,
    )
    assert (
        pumpswap_new_pool(Instruction(PUMP_AMM_PROGRAM, tuple(accounts), bytes(8) + data[8:], 0, True))
        is None
    )


def test_a_pool_opened_on_pumpswap_is_seen_in_its_own_logs() -> None:
    logs = [f"Program {PUMP_AMM_PROGRAM} invoke [1]", "Program log: Instruction: CreatePool",
            f"Program {PUMP_AMM_PROGRAM} success"]  # fmt: skip
    assert creations_in_logs(logs) == [PUMP_AMM_PROGRAM]
    assert creations_in_logs([logs[0], "Program log: Instruction: Buy", logs[2]]) == []
