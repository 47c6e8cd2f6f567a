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


class RawTokenAmount(_Raw):
    tokenAmount: str
    decimals: int


class TokenBalanceChange(_Raw):
    userAccount: str | None = None
    tokenAccount: str | None = None
    mint: str
    rawTokenAmount: RawTokenAmount | None = None


class AccountData(_Raw):
    """Per account of the transaction: its lamport change (fees, rent and transfers included)
    and, for token accounts, the owner (``userAccount``) and mint of each token change."""

    account: str
    nativeBalanceChange: int = 0
    tokenBalanceChanges: list[TokenBalanceChange] | None = None


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
    accountData: list[AccountData] | None = None
    transactionError: Any = None


class EnhancedTransactions(RootModel[list[EnhancedTransaction]]):
    pass
