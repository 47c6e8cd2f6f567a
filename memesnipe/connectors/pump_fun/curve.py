"""pump.fun bonding-curve account: its address and state, from the published IDL.

Layout (pump-fun/pump-public-docs idl/pump.json, account ``BondingCurve``, discriminator
``[23, 183, 248, 55, 96, 216, 172, 96]``): ``virtual_token_reserves``, ``virtual_quote_reserves``,
``real_token_reserves``, ``real_quote_reserves``, ``token_total_supply`` (u64 little-endian each),
``complete`` (bool), then fields appended over time (creator, flags, quote mint) that are not read
here. The address is the PDA of ``["bonding-curve", mint]`` under the pump program
(docs/PUMP_PROGRAM_README.md, "Bonding curve").

Progress: the share of the curve's initial real token reserves sold,
``(initial - real_token_reserves) / initial``; ``initial`` is ``Global.initial_real_token_reserves``
= 793,100,000,000,000 base units (the documented Global account; also every real CreateEvent's
``real_token_reserves``). ``complete`` is set when ``real_token_reserves`` reaches 0 (100%).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from solders.pubkey import Pubkey

from memesnipe.connectors.pump_fun.events import PUMP_PROGRAM

BONDING_CURVE_DISCRIMINATOR = bytes([23, 183, 248, 55, 96, 216, 172, 96])
INITIAL_REAL_TOKEN_RESERVES = 793_100_000_000_000
_LAYOUT = struct.Struct("<8s5Q?")


class CurveDecodeError(ValueError):
    """The bytes are not a pump.fun BondingCurve account."""


@dataclass(frozen=True)
class BondingCurve:
    virtual_token_reserves: int
    virtual_quote_reserves: int
    real_token_reserves: int
    real_quote_reserves: int
    token_total_supply: int
    complete: bool

    @property
    def progress_pct(self) -> float:
        if self.complete:
            return 100.0
        sold = INITIAL_REAL_TOKEN_RESERVES - self.real_token_reserves
        return min(max(100.0 * sold / INITIAL_REAL_TOKEN_RESERVES, 0.0), 100.0)


def bonding_curve_address(mint: str) -> str:
    """The mint's bonding-curve PDA: ``find_program_address([b"bonding-curve", mint], pump)``."""
    pda, _ = Pubkey.find_program_address(
        [b"bonding-curve", bytes(Pubkey.from_string(mint))], Pubkey.from_string(PUMP_PROGRAM)
    )
    return str(pda)


def decode_bonding_curve(data: bytes) -> BondingCurve:
    if len(data) < _LAYOUT.size:
        raise CurveDecodeError(f"bonding curve account is {len(data)} bytes, needs at least {_LAYOUT.size}")
    disc, vt, vq, rt, rq, supply, complete = _LAYOUT.unpack_from(data)
    if disc != BONDING_CURVE_DISCRIMINATOR:
        raise CurveDecodeError(f"not a BondingCurve account (discriminator {disc.hex()})")
    return BondingCurve(vt, vq, rt, rq, supply, complete)
