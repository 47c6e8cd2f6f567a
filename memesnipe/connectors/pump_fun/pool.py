"""The PumpSwap ``Pool`` account (a graduated pump.fun token's pool), from the published IDL
``idl/pump_amm.json`` of github.com/pump-fun/pump-public-docs @ 1b822158 (2026-05-19; program
pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA): discriminator [241,154,109,4,17,177,109,188], then
Borsh pool_bump u8, index u16, creator, base_mint, quote_mint, lp_mint, pool_base_token_account,
pool_quote_token_account (pubkeys), lp_supply u64, then later-appended fields we do not read.
PumpSwap pays its protocol and creator fees out of the swap, so the vaults hold only liquidity.
``lp_supply`` is "the total supply of the lp_mint without burns and lock-ups" (docs/PUMP_SWAP_README.md),
so LP burned = lp_supply - the mint's supply; pump.fun burns the LP it gets on migration
(docs/PUMP_PROGRAM_README.md): a migrated pool reads 100 %.

``create_pool`` (same IDL: discriminator [233,146,209,142,207,104,64,188]; accounts 0 pool,
2 creator, 3 base mint, 4 quote mint, 5 LP mint, 9/10 pool base/quote token accounts; args index
u16, base_amount_in, quote_amount_in u64, ...) opens a pool: pump.fun's migration does it by CPI,
and anyone can call it directly."""

from __future__ import annotations

import struct
from collections.abc import Sequence

from memesnipe.connectors.pools.anchor import instruction_discriminator, log_name
from memesnipe.connectors.pools.logs import program_logs
from memesnipe.connectors.pools.new_pool import NewPool
from memesnipe.connectors.pools.state import PoolState, key, need, u64
from memesnipe.connectors.pools.transaction import Instruction
from memesnipe.connectors.pump_fun.events import PUMP_AMM_PROGRAM

PUMPSWAP = "pumpswap"
POOL_DISCRIMINATOR = bytes([241, 154, 109, 4, 17, 177, 109, 188])
_MIN_SIZE = 8 + 1 + 2 + 6 * 32 + 8


def pumpswap_state(pool: str, data: bytes) -> PoolState:
    need(data, _MIN_SIZE, f"{PUMPSWAP} Pool {pool}", POOL_DISCRIMINATOR)
    return PoolState(
        PUMPSWAP, pool,
        mint_a=key(data, 43), mint_b=key(data, 75), vault_a=key(data, 139), vault_b=key(data, 171),
        lp_mint=key(data, 107), lp_supply=u64(data, 203),
    )  # fmt: skip


CREATE_POOL = "create_pool"
_CREATE_POOL_DISC = instruction_discriminator(CREATE_POOL)
_CREATE_POOL_LOG = f"Instruction: {log_name(CREATE_POOL)}"


def pumpswap_new_pool(ix: Instruction) -> NewPool | None:
    if ix.data[:8] != _CREATE_POOL_DISC or len(ix.data) < 26 or len(ix.accounts) < 11:
        return None
    base_in, quote_in = struct.unpack_from("<QQ", ix.data, 10)
    a = ix.accounts
    return NewPool(
        f"{PUMPSWAP}:{CREATE_POOL}", a[0], a[3], a[4], a[9], a[10], a[5], a[2],
        amount_a=base_in, amount_b=quote_in,
    )  # fmt: skip


def pumpswap_created_in_logs(logs: Sequence[str]) -> bool:
    return _CREATE_POOL_LOG in program_logs(logs, PUMP_AMM_PROGRAM)
