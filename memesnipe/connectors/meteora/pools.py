"""Meteora pools: the instructions that create DLMM pairs and DAMM v2 pools.

Both programs emit their creation events with Anchor's ``emit_cpi!`` (instruction data of a
self-CPI, not a ``Program data:`` log line), so the pool is read from the creating
instruction's accounts in the confirmed transaction; the websocket logs only tell which
transactions to fetch (Anchor logs ``Instruction: <Name>`` for each instruction it runs).

Sources:
- DLMM (``LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo``): the published IDL ``idls/dlmm.json`` of
  github.com/MeteoraAg/dlmm-sdk @ fb02e51a (2026-07-23; ``lb_clmm`` 0.12.0): the five
  pair-creating instructions, their discriminators and account orders (excerpt checked by the
  tests: tests/fixtures/meteora/dlmm_idl_init.json).
- DAMM v2 (``cpamdpZCGKUy5JxQXB4dcpGPiikHawvSWAd6mEn1sGG``): github.com/MeteoraAg/damm-v2
  @ a3d3827f (2026-06-03), ``programs/cp-amm/src/instructions/initialize_pool/*.rs``: the account
  structs of ``initialize_pool``, ``initialize_customizable_pool`` and
  ``initialize_pool_with_dynamic_config`` (the repository publishes no IDL file; discriminators
  follow Anchor's rule, sha256("global:<name>")[:8]). Its ``Pool`` account (``state/pool.rs``,
  zero-copy, 8 + 1104 bytes; ``PoolFeesStruct`` is 160): mints at 168/200, vaults at 232/264,
  ``liquidity`` u128 at 360, protocol fees owed at 392/400, ``sqrt_price`` (Q64.64) at 456,
  ``permanent_lock_liquidity`` u128 at 552, ``token_a_amount``/``token_b_amount`` at 680/688 and
  ``layout_version`` at 696 (version 0 does not track those two amounts).
- DLMM ``LbPair`` (IDL type, bytemuck repr(C); discriminator [33,11,49,98,181,101,177,13]):
  ``active_id`` i32 at 76, ``bin_step`` u16 at 80, token x/y mints at 88/120, reserves x/y at
  152/184, protocol fees owed x/y at 216/224; the active bin's price of x in y (raw units) is
  (1 + bin_step / 10 000) ^ active_id. Liquidity sits in bins (positions, no LP mint, no locked
  share in the pair's state): the pair gives liquidity only.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence

from memesnipe.connectors.pools.anchor import instruction_discriminator, log_name
from memesnipe.connectors.pools.logs import program_logs
from memesnipe.connectors.pools.new_pool import NewPool
from memesnipe.connectors.pools.state import PoolState, account_discriminator, key, need, u64, u128
from memesnipe.connectors.pools.transaction import Instruction

DLMM_PROGRAM = "LBUZKhRxPF3XUpBCjp4YzTKgLccjZhTSDM9YuVaPwxo"
DAMM_V2_PROGRAM = "cpamdpZCGKUy5JxQXB4dcpGPiikHawvSWAd6mEn1sGG"
DLMM = "meteora_dlmm"
DAMM_V2 = "meteora_damm_v2"

Accounts = tuple[int, int, int, int, int, int]
"""Indexes of (pool, mint a, mint b, vault a, vault b, creator) in the instruction's accounts."""

DLMM_INITS: dict[str, Accounts] = {
    "initialize_lb_pair": (0, 2, 3, 4, 5, 8),
    "initialize_lb_pair2": (0, 2, 3, 4, 5, 8),
    "initialize_customizable_permissionless_lb_pair": (0, 2, 3, 4, 5, 8),
    "initialize_customizable_permissionless_lb_pair2": (0, 2, 3, 4, 5, 8),
    "initialize_permission_lb_pair": (1, 3, 4, 5, 6, 8),
}
DAMM_V2_INITS: dict[str, Accounts] = {
    "initialize_pool": (6, 8, 9, 10, 11, 0),
    "initialize_customizable_pool": (5, 7, 8, 9, 10, 0),
    "initialize_pool_with_dynamic_config": (7, 9, 10, 11, 12, 0),
}


class _AnchorPools:
    """One program's pool-creating instructions: recognised in logs and decoded from accounts."""

    def __init__(self, program: str, dex: str, inits: Mapping[str, Accounts]) -> None:
        self.program = program
        self.dex = dex
        self.by_disc = {instruction_discriminator(n): (n, idx) for n, idx in inits.items()}
        self.log_lines = frozenset(f"Instruction: {log_name(n)}" for n in inits)

    def in_logs(self, logs: Sequence[str]) -> bool:
        return any(m in self.log_lines for m in program_logs(logs, self.program))

    def new_pool(self, ix: Instruction) -> NewPool | None:
        found = self.by_disc.get(ix.data[:8])
        if found is None:
            return None
        name, idx = found
        if len(ix.accounts) <= max(idx):
            return None
        pool, ma, mb, va, vb, creator = (ix.accounts[i] for i in idx)
        return NewPool(f"{self.dex}:{name}", pool, ma, mb, va, vb, "", creator)


DLMM_POOLS = _AnchorPools(DLMM_PROGRAM, DLMM, DLMM_INITS)
DAMM_V2_POOLS = _AnchorPools(DAMM_V2_PROGRAM, DAMM_V2, DAMM_V2_INITS)


DAMM_V2_POOL_SIZE = 8 + 1104


def damm_v2_state(pool: str, data: bytes) -> PoolState:
    need(data, DAMM_V2_POOL_SIZE, f"{DAMM_V2} Pool {pool}", account_discriminator("Pool"))
    liquidity, locked = u128(data, 360), u128(data, 552)
    tracked = data[696] >= 1
    return PoolState(
        DAMM_V2, pool,
        mint_a=key(data, 168), mint_b=key(data, 200), vault_a=key(data, 232), vault_b=key(data, 264),
        fees_a=u64(data, 392), fees_b=u64(data, 400),
        reserve_a=u64(data, 680) if tracked else None, reserve_b=u64(data, 688) if tracked else None,
        price_b_per_a=(u128(data, 456) / 2**64) ** 2,  # sqrt_price is Q64.64
        locked_liquidity_pct=round(min(100.0, 100.0 * locked / liquidity), 4) if liquidity > 0 else None,
    )  # fmt: skip


LB_PAIR_DISCRIMINATOR = bytes([33, 11, 49, 98, 181, 101, 177, 13])
_LB_PAIR_MIN = 232


def dlmm_state(pool: str, data: bytes) -> PoolState:
    need(data, _LB_PAIR_MIN, f"{DLMM} LbPair {pool}", LB_PAIR_DISCRIMINATOR)
    (active_id,) = struct.unpack_from("<i", data, 76)
    (bin_step,) = struct.unpack_from("<H", data, 80)
    return PoolState(
        DLMM, pool,
        mint_a=key(data, 88), mint_b=key(data, 120), vault_a=key(data, 152), vault_b=key(data, 184),
        fees_a=u64(data, 216), fees_b=u64(data, 224),
        price_b_per_a=(1 + bin_step / 10_000) ** active_id,
    )  # fmt: skip
