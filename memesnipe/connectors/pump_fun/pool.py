"""The PumpSwap ``Pool`` account (a graduated pump.fun token's pool), from the published IDL
``idl/pump_amm.json`` of github.com/pump-fun/pump-public-docs @ 1b822158 (2026-05-19; program
pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA): discriminator [241,154,109,4,17,177,109,188], then
Borsh pool_bump u8, index u16, creator, base_mint, quote_mint, lp_mint, pool_base_token_account,
pool_quote_token_account (pubkeys), lp_supply u64, then later-appended fields we do not read.
PumpSwap pays its protocol and creator fees out of the swap, so the vaults hold only liquidity."""

from __future__ import annotations

from memesnipe.connectors.pools.state import PoolState, key, need, u64

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
