"""Messages between the router and the isolated signer worker."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from memesnipe.streams.base import Lamports, Message, UtcDatetime
from memesnipe.streams.trading import Intent


class ExecutionStatus(StrEnum):
    SIGNED = "signed"  # paper: signed, not sent
    SUBMITTED = "submitted"
    LANDED = "landed"
    FAILED = "failed"
    EXPIRED = "expired"
    REFUSED = "refused"  # the signer's policy said no


class ExecutionRequest(Message, frozen=True, kw_only=True):
    """An unsigned transaction for the signer, authenticated by an HMAC over its fields.

    ``request_id`` equals the order's idempotency key: the signer never signs an id twice.
    """

    request_id: str
    order_id: str
    mint: str
    intent: Intent
    tx_b64: str
    created_at: UtcDatetime
    spend_lamports: Lamports
    tip_lamports: Lamports = 0
    paper: bool = True
    meta: dict[str, Any] = {}
    hmac: str = ""


class ExecutionResult(Message, frozen=True, kw_only=True):
    """What the signer did with a request; ``reason`` says why when it refused or failed."""

    request_id: str
    order_id: str
    mint: str
    status: ExecutionStatus
    ts: UtcDatetime
    signature: str = ""
    reason: str = ""
    signed_tx_b64: str = ""
    slot: int | None = None
