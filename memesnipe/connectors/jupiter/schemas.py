"""Raw Jupiter swap payloads, as documented (pydantic at the boundary; never leaves the adapter).

* Quote: ``GET /swap/v1/quote`` (dev.jup.ag/docs/swap/v1/get-quote; deprecated but documented).
* Build: ``GET /swap/v2/build`` (openapi-spec/swap/v2/swap.yaml, "Build Transaction").
* Order: ``GET /swap/v2/order`` without ``taker`` = a quote with no transaction.
* Swap instructions: ``POST /swap/v1/swap-instructions`` (deprecated; same instruction shape).
Amounts are decimal strings in the payloads.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RawAccount(_Raw):
    pubkey: str
    isSigner: bool
    isWritable: bool


class RawInstruction(_Raw):
    programId: str
    accounts: list[RawAccount] = []
    data: str  # base64


class RawSwapInfo(_Raw):
    ammKey: str = ""
    label: str = ""
    inputMint: str = ""
    outputMint: str = ""
    inAmount: str = "0"
    outAmount: str = "0"
    feeAmount: str | None = None
    feeMint: str | None = None


class RawRouteStep(_Raw):
    swapInfo: RawSwapInfo | None = None
    percent: float | None = None
    bps: float | None = None


class RawPlatformFee(_Raw):
    amount: str | None = None
    feeBps: float | None = None
    feeMint: str | None = None


class RawQuote(_Raw):
    inputMint: str
    inAmount: str
    outputMint: str
    outAmount: str
    otherAmountThreshold: str
    swapMode: str = "ExactIn"
    slippageBps: float = 0
    platformFee: RawPlatformFee | None = None
    priceImpactPct: str | None = None
    priceImpact: float | None = None  # /order: percentage points
    routePlan: list[RawRouteStep] = []
    contextSlot: int | None = None


class RawBlockhash(_Raw):
    blockhash: list[int] = Field(min_length=32, max_length=32)
    lastValidBlockHeight: int


class RawBuild(RawQuote):
    computeBudgetInstructions: list[RawInstruction] = []
    setupInstructions: list[RawInstruction] = []
    swapInstruction: RawInstruction
    cleanupInstruction: RawInstruction | None = None
    otherInstructions: list[RawInstruction] = []
    tipInstruction: RawInstruction | None = None
    addressesByLookupTableAddress: dict[str, list[str]] | None = None
    blockhashWithMetadata: RawBlockhash | None = None


class RawSwapInstructions(_Raw):
    tokenLedgerInstruction: RawInstruction | None = None
    computeBudgetInstructions: list[RawInstruction] = []
    setupInstructions: list[RawInstruction] = []
    swapInstruction: RawInstruction
    cleanupInstruction: RawInstruction | None = None
    otherInstructions: list[RawInstruction] = []
    addressLookupTableAddresses: list[str] = []
    computeUnitLimit: int | None = None
    prioritizationFeeLamports: int | None = None


class RawError(_Raw):
    error: Any = None
    errorCode: Any = None
