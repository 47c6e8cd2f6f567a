"""Raydium pools: the instructions that create them and the pool accounts' layouts.

Sources (read at these commits; the tests check against excerpts in tests/fixtures/raydium/):
- AMM v4 (``675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8``), github.com/raydium-io/raydium-amm
  @ 27f461dd (2026-07-23): ``program/src/instruction.rs`` (``Initialize2`` = tag 1, then nonce u8,
  open_time, init_pc_amount, init_coin_amount as u64; its 21 accounts: 4 pool, 7 LP mint, 8 coin
  mint, 9 pc mint, 10 coin vault, 11 pc vault, 17 user wallet), ``program/src/log.rs`` (the
  ``ray_log:`` line: bincode ``InitLog`` = log_type 0 u8, time u64, pc/coin decimals u8, pc/coin
  lot size u64, pc/coin amount u64, market pubkey; 75 bytes) and ``program/src/state.rs``
  (``AmmInfo``, 752 bytes, repr(C, packed): need_take_pnl_coin/pc at 192/200, coin/pc vault at
  336/368, their mints at 400/432, LP mint at 464, ``lp_amount`` at 720; ``process_initialize2``
  sets lp_amount = sqrt(pc x coin) and mints lp_amount - 10^lp_decimals to the creator).
- CPMM (``CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C``), github.com/raydium-io/raydium-cp-swap
  @ 609780f1 (2025-12-29): ``initialize`` / ``initialize_with_permission`` (Anchor; args
  init_amount_0, init_amount_1, open_time) and their account orders, and ``PoolState`` (637 bytes,
  zero-copy packed: vaults at 72/104, LP mint 136, mints 168/200, ``lp_supply`` at 333, protocol/
  fund fees at 341..373, creator fees at 397/405; ``lp_supply`` counts the 100 LP locked at
  creation, and a holder's SPL burn lowers the mint's supply but not ``lp_supply``).
- CPMM LP locked with Raydium's Burn & Earn (LockrWmn6K5twhz3y9w1dQERbmgSaRkfnTeTKbpofwE): the
  locked LP sits in the associated token account of its authority ``LOCK_CPMM_AUTH``
  (3f7GcQFG397GAaEnv51zR6tsTVihYRydnydDD1cXekxH = PDA of "lock_cp_authority_seed"), per
  github.com/raydium-io/raydium-sdk-V2 @ 124c625e (2026-07-02), ``src/common/programId.ts`` and
  ``src/raydium/cpmm/instruction.ts`` (``lockLpVault = getATAAddress(lockAuthProgram, lpMint)``).
"""

from __future__ import annotations

import base64
import binascii
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from solders.pubkey import Pubkey

from memesnipe.connectors.pools.anchor import instruction_discriminator, log_name
from memesnipe.connectors.pools.logs import program_logs
from memesnipe.connectors.pools.new_pool import NewPool
from memesnipe.connectors.pools.state import (
    PoolState,
    account_discriminator,
    associated_token_account,
    key,
    need,
    u64,
)
from memesnipe.connectors.pools.transaction import Instruction

AMM_V4_PROGRAM = "675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8"
CPMM_PROGRAM = "CPMMoo8L3F4NbTegBCKVNunggL7H1ZpdTHKxQB5qKP1C"
AMM_V4 = "raydium_amm_v4"
CPMM = "raydium_cpmm"

# --- AMM v4 -------------------------------------------------------------------------------

INITIALIZE2_TAG = 1
RAY_LOG = "ray_log: "
AMM_INFO_SIZE = 752


@dataclass(frozen=True)
class InitLog:
    time: int
    pc_decimals: int
    coin_decimals: int
    pc_amount: int
    coin_amount: int
    market: str


def decode_ray_log(b64: str) -> InitLog | None:
    """A ``ray_log:`` payload -> the InitLog it carries (None: another log type or not decodable)."""
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 75 or raw[0] != 0:
        return None
    _, time, pc_dec, coin_dec, _pc_lot, _coin_lot, pc_amt, coin_amt = struct.unpack_from("<BQBBQQQQ", raw)
    return InitLog(time, pc_dec, coin_dec, pc_amt, coin_amt, str(Pubkey.from_bytes(raw[43:75])))


def amm_v4_init_logs(logs: Sequence[str]) -> list[InitLog]:
    """The pool initialisations AMM v4 itself logged in a transaction (usually 0 or 1)."""
    out = []
    for msg in program_logs(logs, AMM_V4_PROGRAM):
        if msg.startswith(RAY_LOG):
            init = decode_ray_log(msg[len(RAY_LOG) :])
            if init is not None:
                out.append(init)
    return out


def amm_v4_new_pool(ix: Instruction) -> NewPool | None:
    """An ``Initialize2`` instruction -> its pool (accounts by the documented order)."""
    if not ix.data or ix.data[0] != INITIALIZE2_TAG or len(ix.data) < 26 or len(ix.accounts) < 18:
        return None
    _nonce, _open, pc_amount, coin_amount = struct.unpack_from("<BQQQ", ix.data, 1)
    a = ix.accounts
    return NewPool(
        f"{AMM_V4}:initialize2", a[4], a[8], a[9], a[10], a[11], a[7], a[17],
        amount_a=coin_amount, amount_b=pc_amount,
    )  # fmt: skip


def amm_v4_state(pool: str, data: bytes) -> PoolState:
    need(data, AMM_INFO_SIZE, f"{AMM_V4} AmmInfo {pool}")
    return PoolState(
        AMM_V4, pool,
        mint_a=key(data, 400), mint_b=key(data, 432), vault_a=key(data, 336), vault_b=key(data, 368),
        lp_mint=key(data, 464), lp_supply=u64(data, 720), fees_a=u64(data, 192), fees_b=u64(data, 200),
    )  # fmt: skip


# --- CPMM ----------------------------------------------------------------------------------

CPMM_INITS = {
    # instruction -> (pool, token_0 mint, token_1 mint, lp mint, token_0 vault, token_1 vault, creator)
    "initialize": (3, 4, 5, 6, 10, 11, 0),
    "initialize_with_permission": (4, 5, 6, 7, 11, 12, 1),
}
_CPMM_BY_DISC = {instruction_discriminator(n): (n, idx) for n, idx in CPMM_INITS.items()}
CPMM_INIT_LOGS = frozenset(f"Instruction: {log_name(n)}" for n in CPMM_INITS)
POOL_STATE_SIZE = 637
LOCK_CPMM_AUTH = "3f7GcQFG397GAaEnv51zR6tsTVihYRydnydDD1cXekxH"


def cpmm_new_pool(ix: Instruction) -> NewPool | None:
    found = _CPMM_BY_DISC.get(ix.data[:8])
    if found is None or len(ix.data) < 32:
        return None
    name, (p, m0, m1, lp, v0, v1, creator) = found
    if len(ix.accounts) <= max(p, m0, m1, lp, v0, v1, creator):
        return None
    amount_0, amount_1 = struct.unpack_from("<QQ", ix.data, 8)
    a = ix.accounts
    return NewPool(
        f"{CPMM}:{name}", a[p], a[m0], a[m1], a[v0], a[v1], a[lp], a[creator],
        amount_a=amount_0, amount_b=amount_1,
    )  # fmt: skip


def cpmm_init_in_logs(logs: Sequence[str]) -> bool:
    return any(m in CPMM_INIT_LOGS for m in program_logs(logs, CPMM_PROGRAM))


def cpmm_state(pool: str, data: bytes) -> PoolState:
    need(data, POOL_STATE_SIZE, f"{CPMM} PoolState {pool}", account_discriminator("PoolState"))
    lp_mint = key(data, 136)
    return PoolState(
        CPMM, pool,
        mint_a=key(data, 168), mint_b=key(data, 200), vault_a=key(data, 72), vault_b=key(data, 104),
        lp_mint=lp_mint, lp_supply=u64(data, 333),
        lp_lockers=(associated_token_account(LOCK_CPMM_AUTH, lp_mint),),
        fees_a=u64(data, 341) + u64(data, 357) + u64(data, 397),
        fees_b=u64(data, 349) + u64(data, 365) + u64(data, 405),
    )  # fmt: skip
