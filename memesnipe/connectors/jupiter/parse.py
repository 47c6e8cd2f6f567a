"""Raw Jupiter payloads -> our types: a Quote (integers), solders instructions, lookup tables."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.pubkey import Pubkey

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.jupiter.schemas import RawBuild, RawInstruction, RawQuote
from memesnipe.streams.base import SOL_MINT

PROVIDER = "jupiter"


@dataclass(frozen=True)
class Quote:
    """A route's amounts in base units. ``price_impact_bps`` is positive for an adverse move."""

    input_mint: str
    output_mint: str
    in_amount: int
    out_amount: int
    min_out_amount: int
    slippage_bps: int
    price_impact_bps: float
    fee_lamports: int  # pool fees paid in SOL along the route (0 when charged in the token)
    labels: tuple[str, ...] = ()
    context_slot: int | None = None


@dataclass(frozen=True)
class SwapPlan:
    """A quote plus the instructions and lookup tables to build its transaction ourselves."""

    quote: Quote
    setup: list[Instruction]
    swap: Instruction
    cleanup: list[Instruction]
    other: list[Instruction]
    lookup_tables: list[AddressLookupTableAccount] = field(default_factory=list)
    lookup_table_addresses: list[str] = field(default_factory=list)
    blockhash: Hash | None = None
    last_valid_block_height: int | None = None
    cu_limit_hint: int | None = None

    @property
    def venue_instructions(self) -> list[Instruction]:
        """Jupiter's documented order: setup, swap, cleanup, other (compute budget is ours)."""
        return [*self.setup, self.swap, *self.cleanup, *self.other]


def _int(value: str, what: str) -> int:
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise ParseError(PROVIDER, f"{what} is not an integer amount: {value!r}") from None
    if n < 0:
        raise ParseError(PROVIDER, f"{what} is negative: {n}")
    return n


def _pubkey(value: str, what: str) -> Pubkey:
    try:
        return Pubkey.from_string(value)
    except ValueError:
        raise ParseError(PROVIDER, f"{what} is not a base-58 public key: {value!r}") from None


def quote_from_raw(raw: RawQuote) -> Quote:
    if raw.swapMode != "ExactIn":
        raise ParseError(PROVIDER, f"only ExactIn routes are used, got {raw.swapMode}")
    if raw.priceImpact is not None:  # /order: percentage points, negative = adverse
        impact_bps = abs(raw.priceImpact) * 100
    else:
        try:  # /quote, /build: decimal ratio as a string
            impact_bps = abs(float(raw.priceImpactPct or 0)) * 10_000
        except ValueError:
            raise ParseError(PROVIDER, f"priceImpactPct is not a number: {raw.priceImpactPct!r}") from None
    fee = 0
    for step in raw.routePlan:
        info = step.swapInfo
        if info and info.feeMint == SOL_MINT and info.feeAmount:
            fee += _int(info.feeAmount, "routePlan.swapInfo.feeAmount")
    return Quote(
        input_mint=raw.inputMint,
        output_mint=raw.outputMint,
        in_amount=_int(raw.inAmount, "inAmount"),
        out_amount=_int(raw.outAmount, "outAmount"),
        min_out_amount=_int(raw.otherAmountThreshold, "otherAmountThreshold"),
        slippage_bps=int(raw.slippageBps),
        price_impact_bps=impact_bps,
        fee_lamports=fee,
        labels=tuple(s.swapInfo.label for s in raw.routePlan if s.swapInfo and s.swapInfo.label),
        context_slot=raw.contextSlot,
    )


def instruction(raw: RawInstruction) -> Instruction:
    try:
        data = base64.b64decode(raw.data, validate=True)
    except (binascii.Error, ValueError):
        raise ParseError(PROVIDER, f"instruction data for {raw.programId} is not base64") from None
    metas = [AccountMeta(_pubkey(a.pubkey, "account"), a.isSigner, a.isWritable) for a in raw.accounts]
    return Instruction(_pubkey(raw.programId, "programId"), data, metas)


def lookup_tables(raw: dict[str, list[str]] | None) -> list[AddressLookupTableAccount]:
    """Lookup tables given inline by /build (no RPC fetch needed); stable order by key."""
    if not raw:
        return []
    return [
        AddressLookupTableAccount(_pubkey(k, "lookup table"), [_pubkey(a, "lookup address") for a in v])
        for k, v in sorted(raw.items())
    ]


def swap_plan_from_build(raw: RawBuild) -> SwapPlan:
    quote = quote_from_raw(raw)
    bh = raw.blockhashWithMetadata
    return SwapPlan(
        quote=quote,
        setup=[instruction(i) for i in raw.setupInstructions],
        swap=instruction(raw.swapInstruction),
        cleanup=[instruction(raw.cleanupInstruction)] if raw.cleanupInstruction else [],
        other=[instruction(i) for i in raw.otherInstructions],
        lookup_tables=lookup_tables(raw.addressesByLookupTableAddress),
        blockhash=Hash(bytes(bh.blockhash)) if bh else None,
        last_valid_block_height=bh.lastValidBlockHeight if bh else None,
    )
