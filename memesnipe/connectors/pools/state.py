"""What a pool's own account says: its two mints and vaults, the LP mint and the LP supply the
program accounts for, and the amounts in the vaults that are owed as fees (not liquidity).
Each DEX's account layout decodes into this; :mod:`reserves` turns it into facts."""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey


class PoolLayoutError(ValueError):
    """Account bytes that are not the documented layout (wrong size or discriminator)."""


@dataclass(frozen=True)
class PoolState:
    dex: str
    pool: str
    mint_a: str
    mint_b: str
    vault_a: str
    vault_b: str
    lp_mint: str = ""
    lp_supply: int | None = None  # LP the program has issued (burns by holders do not lower it)
    lp_lockers: tuple[str, ...] = ()  # token accounts whose LP is locked for good (a locker's vault)
    fees_a: int = 0  # held in vault_a but owed as fees
    fees_b: int = 0
    # concentrated pools: the program's own reserve count (else vault - fees), the pool's price of
    # a in b in raw units (else the pool holds equal value on both sides), and the share of
    # liquidity locked for good (these pools have no LP mint to compare with)
    reserve_a: int | None = None
    reserve_b: int | None = None
    price_b_per_a: float | None = None
    locked_liquidity_pct: float | None = None


TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
ASSOCIATED_TOKEN_PROGRAM = "ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL"


def associated_token_account(owner: str, mint: str, token_program: str = TOKEN_PROGRAM) -> str:
    """The owner's associated token account of ``mint`` (the ATA program's PDA)."""
    seeds = [bytes(Pubkey.from_string(k)) for k in (owner, token_program, mint)]
    return str(Pubkey.find_program_address(seeds, Pubkey.from_string(ASSOCIATED_TOKEN_PROGRAM))[0])


def account_discriminator(name: str) -> bytes:
    """Anchor's account tag: the first 8 bytes of sha256("account:<Name>")."""
    return hashlib.sha256(f"account:{name}".encode()).digest()[:8]


def key(data: bytes, offset: int) -> str:
    return str(Pubkey.from_bytes(data[offset : offset + 32]))


def u64(data: bytes, offset: int) -> int:
    return int(struct.unpack_from("<Q", data, offset)[0])


def u128(data: bytes, offset: int) -> int:
    return int.from_bytes(data[offset : offset + 16], "little")


def need(data: bytes, size: int, what: str, disc: bytes | None = None) -> None:
    if len(data) < size:
        raise PoolLayoutError(f"{what}: {len(data)} bytes, the layout needs {size}")
    if disc is not None and data[:8] != disc:
        raise PoolLayoutError(f"{what}: discriminator {data[:8].hex()} is not {disc.hex()}")
