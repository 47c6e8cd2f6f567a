"""Raw Helius enhanced transaction (https://www.helius.dev/docs/api-reference/enhanced-transactions/gettransactions),
as returned by ``/v0/addresses/{address}/transactions`` and delivered by enhanced webhooks.
``tokenAmount`` in ``tokenTransfers`` is already decimal-adjusted by Helius."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, RootModel


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class NativeTransfer(_Raw):
    fromUserAccount: str | None = None
    toUserAccount: str | None = None
    amount: int


class TokenTransfer(_Raw):
    fromUserAccount: str | None = None
    toUserAccount: str | None = None
    fromTokenAccount: str | None = None
    toTokenAccount: str | None = None
    tokenAmount: float
    mint: str


class EnhancedTransaction(_Raw):
    type: str
    source: str = ""
    signature: str
    slot: int
    timestamp: int
    fee: int | None = None
    feePayer: str = ""
    description: str = ""
    nativeTransfers: list[NativeTransfer] | None = None
    tokenTransfers: list[TokenTransfer] | None = None
    transactionError: Any = None


class EnhancedTransactions(RootModel[list[EnhancedTransaction]]):
    pass
