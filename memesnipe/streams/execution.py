"""Messages between the router and the isolated signer worker."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from memesnipe.streams.base import Lamports, Message, UtcDatetime
from memesnipe.streams.trading import Intent, Side, Venue


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

    The declared intent, which the signer holds the transaction's decoded effect to:
    ``side``/``venue`` (what the order is), ``amount_in`` (buy: lamports of SOL in; sell: base
    units of the mint out; short/cover: Drift base amount, BASE_PRECISION 1e9), ``min_out`` (buy:
    base units of the mint; sell: lamports; derived by the router from its quote and slippage),
    ``perp_market_index`` and ``oracle_price`` (Drift PRICE_PRECISION 1e6, the price the limit is
    banded around). ``spend_lamports``: the most SOL the transaction may take in total.
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
    side: Side | None = None
    venue: Venue | None = None
    amount_in: Lamports = 0
    min_out: Lamports = 0
    perp_market_index: int | None = None
    oracle_price: Lamports = 0
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
