"""Builders for signer tests: unsigned transactions and HMAC'd ExecutionRequests."""

from __future__ import annotations

import base64
import hashlib
from datetime import UTC, datetime
from typing import Any

import msgspec
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import Instruction
from solders.message import Message, MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import transfer
from solders.transaction import VersionedTransaction

from memesnipe.signer.programs import MEMO_V2
from memesnipe.streams.auth import sign_request
from memesnipe.streams.base import utcnow
from memesnipe.streams.execution import ExecutionRequest
from memesnipe.streams.trading import Intent

SECRET = "test-hmac-secret-0123456789"
TIP = Pubkey.from_string("96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5")
MINT = "7GCihgDB8fe6KNjn2MYtkzZcRjQy3t9GHdC8uHYmW2hr"
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def paper_ixs(
    payer: Pubkey,
    *,
    tip: int = 1_000,
    cu_limit: int = 200_000,
    cu_price: int = 50_000,
    tip_to: Pubkey = TIP,
    memo: bytes = b"order",
) -> list[Instruction]:
    """The router's paper transaction: CU limit + CU price + Jito tip + memo with the order id."""
    return [
        set_compute_unit_limit(cu_limit),
        set_compute_unit_price(cu_price),
        transfer({"from_pubkey": payer, "to_pubkey": tip_to, "lamports": tip}),
        Instruction(MEMO_V2, memo, []),
    ]


def unsigned_tx(
    payer: Pubkey, ixs: list[Instruction], *, blockhash: Hash | None = None, legacy: bool = False
) -> bytes:
    bh = blockhash or Hash.new_unique()
    msg: Message | MessageV0
    msg = Message.new_with_blockhash(ixs, payer, bh) if legacy else MessageV0.try_compile(payer, ixs, [], bh)
    n = msg.header.num_required_signatures
    return bytes(VersionedTransaction.populate(msg, [Signature.default()] * n))


def priority_fee(cu_limit: int, cu_price: int) -> int:
    return -(-cu_limit * cu_price // 1_000_000)


def request(
    tx: bytes | str,
    *,
    order_id: str | None = None,
    intent: Intent = Intent.ENTRY,
    spend: int | None = None,
    tip: int = 1_000,
    paper: bool = True,
    secret: str = SECRET,
    sign: bool = True,
    **over: Any,
) -> ExecutionRequest:
    tx_b64 = tx if isinstance(tx, str) else base64.b64encode(tx).decode()
    oid = order_id or hashlib.sha256(tx_b64.encode()).hexdigest()[:32]
    fields: dict[str, Any] = dict(
        request_id=oid,
        order_id=oid,
        mint=MINT,
        intent=intent,
        tx_b64=tx_b64,
        created_at=utcnow(),
        spend_lamports=spend if spend is not None else 100_000_000,
        tip_lamports=tip,
        paper=paper,
    )
    fields.update(over)
    req = ExecutionRequest(**fields)
    if sign:
        req = msgspec.structs.replace(req, hmac=sign_request(req, secret))
    return req


def wire(req: ExecutionRequest) -> bytes:
    return msgspec.json.encode(req)
