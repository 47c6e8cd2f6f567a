"""Raw Solana JSON-RPC websocket and history payloads, as documented at
https://solana.com/docs/rpc/websocket/logssubscribe, .../programsubscribe and
https://solana.com/docs/rpc/http/getsignaturesforaddress, .../gettransaction."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Context(_Raw):
    slot: int


class LogsValue(_Raw):
    signature: str
    err: Any = None
    logs: list[str] | None = None


class LogsResult(_Raw):
    context: Context
    value: LogsValue


class Account(_Raw):
    lamports: int
    data: Any
    owner: str
    executable: bool = False
    rentEpoch: int | None = None
    space: int | None = None


class KeyedAccount(_Raw):
    pubkey: str
    account: Account


class ProgramResult(_Raw):
    context: Context
    value: KeyedAccount


class SignatureInfo(_Raw):
    """One entry of getSignaturesForAddress (newest first)."""

    signature: str
    slot: int
    err: Any = None
    memo: str | None = None
    blockTime: int | None = None
    confirmationStatus: str | None = None


class TransactionMeta(_Raw):
    err: Any = None
    logMessages: list[str] | None = None


class Transaction(_Raw):
    """getTransaction (json encoding); only what backfill needs."""

    slot: int
    blockTime: int | None = None
    meta: TransactionMeta | None = None
