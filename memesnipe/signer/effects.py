"""What a transaction does to the wallet, decoded instruction by instruction (no I/O).

The policy (policy.py) judges this effect against the request's declared intent; the live
cross-check (simulation.py) compares it with what a simulation of the transaction reports. The
decoders live next to their programs (system and token below, Jupiter in jupiter.py, Drift in
drift.py); each refuses what it cannot fully determine, so an Effect is complete or absent.

Amounts are integers in the account's own unit: lamports for SOL, base units for tokens, Drift's
precisions for perps (BASE_PRECISION 1e9, PRICE_PRECISION 1e6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class EffectError(ValueError):
    """The effect of an instruction cannot be determined (or is never allowed); the message is
    the refusal reason."""


@dataclass(frozen=True, slots=True)
class SwapEffect:
    """One Jupiter route: ``in_max`` base units of ``in_mint`` leave ``source`` (our account) at
    most, and at least ``out_min`` base units of ``out_mint`` reach ``destination`` (our account)
    or the swap fails on chain (Jupiter's own slippage check)."""

    instruction: str
    source: bytes
    destination: bytes
    in_mint: bytes | None  # None: the layout names no source mint (v1 route): derived from accounts
    out_mint: bytes | None
    in_max: int
    out_min: int
    quoted_out: int
    slippage_bps: int
    exact_out: bool = False


class PerpDirection(StrEnum):
    LONG = "long"
    SHORT = "short"


@dataclass(frozen=True, slots=True)
class PerpOrderEffect:
    """One Drift perp order as placed (``place_perp_order`` / ``place_and_take_perp_order``)."""

    instruction: str
    market_index: int
    direction: PerpDirection
    base_amount: int  # BASE_PRECISION (1e9)
    price: int  # PRICE_PRECISION (1e6); 0 = market order without a limit
    reduce_only: bool
    order_type: str
    auction_start_price: int | None = None
    auction_end_price: int | None = None
    oracle_price_offset: int | None = None
    trigger_price: int | None = None


@dataclass(slots=True)
class Effect:
    """Everything the transaction does that the wallet pays for or owns."""

    signer_slot: int = 0
    n_signers: int = 1
    tips: int = 0  # lamports to Jito tip accounts
    wrap: int = 0  # lamports moved into our wSOL account (becomes spendable wSOL)
    cu_limit: int = 0
    cu_price_micro_lamports: int = 0
    priority_fee: int = 0
    base_fee: int = 0  # 5,000 lamports per signature
    rent_accounts: int = 0  # accounts created at our expense (ATA create, rent refundable)
    closes: list[bytes] = field(default_factory=list)  # our token accounts closed back to us
    swaps: list[SwapEffect] = field(default_factory=list)
    perp_orders: list[PerpOrderEffect] = field(default_factory=list)
    perp_cancels: int = 0
    memos: int = 0

    @property
    def fees(self) -> int:
        """Lamports burnt on fees: the base fee and the priority fee."""
        return self.base_fee + self.priority_fee

    @property
    def sol_out(self) -> int:
        """Lamports that leave the wallet's system account for good (tips, fees) or into wSOL."""
        return self.tips + self.wrap + self.fees
