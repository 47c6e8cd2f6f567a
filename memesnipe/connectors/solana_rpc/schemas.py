"""Raw JSON-RPC results, as documented at https://solana.com/docs/rpc/http (amounts are integer
strings in base units; ``uiAmount`` floats are informative only and never used for money)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Context(_Raw):
    slot: int
    apiVersion: str | None = None


class RpcError(_Raw):
    code: int
    message: str
    data: Any = None


class Envelope(_Raw):
    jsonrpc: str
    id: int | str | None = None
    result: Any = None
    error: RpcError | None = None


class MintInfo(_Raw):
    decimals: int
    supply: int
    isInitialized: bool
    mintAuthority: str | None = None
    freezeAuthority: str | None = None


class ParsedAccount(_Raw):
    type: str
    info: dict[str, Any]


class ParsedData(_Raw):
    program: str
    parsed: ParsedAccount
    space: int | None = None


class AccountValue(_Raw):
    data: ParsedData | list[str]
    owner: str
    lamports: int
    executable: bool


class AccountInfoResult(_Raw):
    context: Context
    value: AccountValue | None


class MultipleAccountsResult(_Raw):
    """getMultipleAccounts: one entry per requested address, in request order (None: no account)."""

    context: Context
    value: list[AccountValue | None]


class TokenAmount(_Raw):
    amount: int
    decimals: int
    uiAmountString: str | None = None


class TokenAccountBalance(TokenAmount):
    address: str


class LargestAccountsResult(_Raw):
    context: Context
    value: list[TokenAccountBalance]


class TokenSupplyResult(_Raw):
    context: Context
    value: TokenAmount


class Blockhash(_Raw):
    blockhash: str
    lastValidBlockHeight: int


class BlockhashResult(_Raw):
    context: Context
    value: Blockhash


class BalanceResult(_Raw):
    context: Context
    value: int


class SignatureStatus(_Raw):
    slot: int
    confirmations: int | None = None
    err: Any = None
    confirmationStatus: str | None = None


class SignatureStatusesResult(_Raw):
    context: Context
    value: list[SignatureStatus | None]
