"""One request in, one decision out: decode, authenticate, deduplicate, kill switch, policy,
caps, sign. No I/O except the journal's in-memory booking (the worker makes it durable).

Order of checks, and what is journaled (one decision per request id, forever):
1. undecodable / wrong schema version / bad HMAC / request_id != order_id: refused, NOT
   journaled (an unauthenticated message must not burn a real order's id);
2. request id already journaled: the same request (same HMAC), or the same transaction bytes
   in a re-built request (a restarted router re-routing with a new created_at), gets the
   ORIGINAL result bytes again, nothing is signed again; a different transaction under that id
   is refused "duplicate request_id";
3. everything else (mode mismatch, stale request, kill switch, transaction policy, caps,
   signed) is journaled. A request older than ``max_age_s`` is refused: its blockhash is about
   to expire and its price is stale (this also stops a signer with a lost journal from
   re-signing an old topic).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from memesnipe.signer.effects import Effect
from memesnipe.signer.intake import (
    DEAD_LETTER_PAYLOAD_BYTES,
    DEFAULT_MAX_REQUEST_BYTES,
    IntakeError,
    decode_request,
    lenient_ids,
    safe_key,
)
from memesnipe.signer.journal import Journal, JournalLine
from memesnipe.signer.keystore import SealedKey
from memesnipe.signer.killswitch import KillState
from memesnipe.signer.policy import (
    Booking,
    DayLedger,
    Intended,
    PolicyConfig,
    Refusal,
    decode_effect,
    judge,
)
from memesnipe.signer.programs import wsol_ata
from memesnipe.signer.transaction import TransactionError, parse_transaction, sign_slot
from memesnipe.streams.auth import verify_request
from memesnipe.streams.base import utcnow
from memesnipe.streams.codec import encode
from memesnipe.streams.deadletter import DeadLetter
from memesnipe.streams.execution import ExecutionRequest, ExecutionResult, ExecutionStatus
from memesnipe.streams.trading import Intent

log = logging.getLogger("memesnipe.signer")

REQUEST_SCHEMA_VERSION = 1
MAX_ID_LEN = 128


def intended(req: ExecutionRequest) -> Intended:
    """The authenticated request's declared intent, as the policy reads it."""
    return Intended(
        intent=req.intent,
        mint=req.mint,
        side=req.side,
        venue=req.venue,
        amount_in=req.amount_in,
        min_out=req.min_out,
        spend_lamports=req.spend_lamports,
        tip_lamports=req.tip_lamports,
        perp_market_index=req.perp_market_index,
        oracle_price=req.oracle_price,
        paper=req.paper,
    )


CrossCheck = Callable[[str, Effect], "str | None"]
UNAVAILABLE = "simulation unavailable"
"""Live cross-check (simulation.py): the transaction and its decoded effect -> a reason or None."""


def tx_hash(req: ExecutionRequest) -> str:
    """Fingerprint of the transaction a request asks to sign."""
    return hashlib.sha256(req.tx_b64.encode()).hexdigest()[:32]


@dataclass(slots=True)
class Outcome:
    """What to publish for one request: ``value`` on exec_results under ``key`` (the mint)."""

    request_id: str
    status: ExecutionStatus
    reason: str
    key: bytes
    value: bytes
    replayed: bool = False
    deadletter: bytes | None = None


@dataclass(slots=True)
class Stats:
    signed: int = 0
    refused: int = 0
    replayed: int = 0
    unchecked_exits: int = 0  # exits signed while the simulation node was unavailable


class SigningService:
    def __init__(
        self,
        key: SealedKey,
        cfg: PolicyConfig,
        secret: str,
        journal: Journal,
        *,
        paper: bool,
        clock: Callable[[], datetime] = utcnow,
        max_age_s: float = 0.0,
        max_future_s: float = 30.0,
    ) -> None:
        if key.pubkey != cfg.wallet:
            raise ValueError("policy wallet differs from the signing key's public key")
        self._key = key
        self.cfg = cfg
        self._secret = secret
        self.journal = journal
        self.paper = paper
        self.clock = clock
        self.max_age_s = max_age_s  # 0: no age check
        self.max_future_s = max_future_s
        self.kill = KillState()
        self.stats = Stats()
        self._wsol = bytes(wsol_ata(cfg.wallet))
        self.cross_check: CrossCheck | None = None

    # ------------------------------------------------------------------------------------
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    """Intake size limit, checked before decoding (the worker sets ``signer.max_request_bytes``)."""

    def handle(
        self, raw: bytes, *, key: bytes | None = None, topic: str = "", partition: int = -1, offset: int = -1
    ) -> Outcome:
        now = self.clock()
        try:
            req = decode_request(raw, self.max_request_bytes)
        except IntakeError as exc:  # the intake raises nothing else, whatever the bytes
            return self._undecodable(raw, key, exc.reason, now, topic, partition, offset)
        if req.v != REQUEST_SCHEMA_VERSION:
            return self._refuse(req, f"unsupported request version {req.v}", now, journal=False)
        if not verify_request(req, self._secret):
            return self._refuse(req, "bad hmac", now, journal=False)
        if not req.request_id or len(req.request_id) > MAX_ID_LEN or req.request_id != req.order_id:
            return self._refuse(req, "request_id must equal order_id (1-128 chars)", now, journal=False)

        entry = self.journal.get(req.request_id)
        if entry is not None:
            if entry.hmac == req.hmac or entry.tx_hash == tx_hash(req):
                self.stats.replayed += 1
                log.info("replayed", extra={"request_id": req.request_id, "status": entry.status})
                return Outcome(
                    req.request_id,
                    ExecutionStatus(entry.status),
                    "",
                    req.mint.encode(),
                    self.journal.result_bytes(entry),
                    replayed=True,
                )
            return self._refuse(
                req, f"duplicate request_id (first decision: {entry.status})", now, journal=False
            )

        source = f"{topic}/{partition}/{offset}" if topic else ""
        try:
            booking, signed_tx, signature = self._decide(req, now)
        except Refusal as r:
            return self._refuse(req, r.reason, now, journal=True, source=source)
        result = ExecutionResult(
            request_id=req.request_id,
            order_id=req.order_id,
            mint=req.mint,
            status=ExecutionStatus.SIGNED,
            ts=now,
            signature=signature,
            signed_tx_b64=base64.b64encode(signed_tx).decode("ascii"),
        )
        value = encode(result)
        self.journal.record(
            JournalLine(
                request_id=req.request_id,
                hmac=req.hmac,
                tx_hash=tx_hash(req),
                day=now.date().isoformat(),
                spend=booking.spend,
                status=ExecutionStatus.SIGNED.value,
                result=value.decode(),
                source=source,
                tips=booking.tips,
                fees=booking.priority_fees,
                exit_fees=booking.exit_fees,
            )
        )
        self.stats.signed += 1
        log.debug(
            "signed",
            extra={"request_id": req.request_id, "spend_lamports": booking.spend, "signature": signature},
        )
        return Outcome(req.request_id, ExecutionStatus.SIGNED, "", req.mint.encode(), value)

    def _decide(self, req: ExecutionRequest, now: datetime) -> tuple[Booking, bytes, str]:
        if req.paper != self.paper:
            raise Refusal(
                "live request to a paper signer" if not req.paper else "paper request to a live signer"
            )
        if self.max_age_s:
            age = (now - req.created_at).total_seconds()
            if age > self.max_age_s:
                raise Refusal(f"stale request: created {age:.0f} s ago (max {self.max_age_s:g} s)")
            if age < -self.max_future_s:
                raise Refusal(f"request created {-age:.0f} s in the future (clock skew?)")
        if self.kill.active and req.intent is not Intent.EXIT:  # cheap early answer; judge re-checks
            raise Refusal(f"kill switch active: entries refused ({self.kill.reason})")
        try:
            parsed = parse_transaction(req.tx_b64)
        except TransactionError as exc:
            raise Refusal(str(exc)) from None
        effect = decode_effect(parsed.message, self.cfg, self._wsol)
        totals = self.journal.day(now.date().isoformat())
        booking = judge(
            effect,
            intended(req),
            DayLedger(totals.spend, totals.tips, totals.fees, totals.exit_fees),
            self.cfg,
            self._wsol,
            kill_active=self.kill.active,
        )
        if self.cross_check is not None and not req.paper:
            reason = self.cross_check(req.tx_b64, effect)
            if reason and reason.startswith(UNAVAILABLE) and req.intent is Intent.EXIT:
                # An outage of the node must not trap a position: an exit is signed on the
                # offline effect checks alone (counted, logged); entries fail closed.
                self.stats.unchecked_exits += 1
                log.warning(
                    "exit signed without simulation", extra={"request_id": req.request_id, "why": reason}
                )
            elif reason:
                raise Refusal(
                    reason
                    if reason.startswith(UNAVAILABLE)
                    else f"simulation disagrees with the effect: {reason}"
                )
        signed, sig = sign_slot(parsed, self._key, effect.signer_slot)
        return booking, signed, str(sig)

    # ------------------------------------------------------------------------------------
    def _refuse(
        self, req: ExecutionRequest, reason: str, now: datetime, *, journal: bool, source: str = ""
    ) -> Outcome:
        result = ExecutionResult(
            request_id=req.request_id,
            order_id=req.order_id,
            mint=req.mint,
            status=ExecutionStatus.REFUSED,
            ts=now,
            reason=reason,
        )
        value = encode(result)
        if journal:
            self.journal.record(
                JournalLine(
                    request_id=req.request_id,
                    hmac=req.hmac,
                    tx_hash=tx_hash(req),
                    day=now.date().isoformat(),
                    spend=0,
                    status=ExecutionStatus.REFUSED.value,
                    result=value.decode(),
                    source=source,
                )
            )
        self.stats.refused += 1
        log.warning("refused", extra={"request_id": req.request_id, "reason": reason})
        return Outcome(req.request_id, ExecutionStatus.REFUSED, reason, req.mint.encode(), value)

    def internal_error(self, raw: bytes, key: bytes | None, reason: str, tp: Any, offset: int) -> Outcome:
        """Refuse a request the service failed on (a bug), addressed as well as it can be; the
        request also goes to the dead-letter topic. Not journaled: nothing was decided."""
        return self._undecodable(raw, key, reason, self.clock(), tp.topic, tp.partition, offset)

    def _undecodable(
        self,
        raw: bytes,
        key: bytes | None,
        reason: str,
        now: datetime,
        topic: str,
        partition: int,
        offset: int,
    ) -> Outcome:
        ids = lenient_ids(raw, self.max_request_bytes)  # never raises: empty ids at worst
        mint = ids.mint
        short_key = safe_key(key)  # a huge key must not make the refusal itself unproducible
        result = ExecutionResult(
            request_id=ids.request_id,
            order_id=ids.order_id,
            mint=mint,
            status=ExecutionStatus.REFUSED,
            ts=now,
            reason=reason,
        )
        dead = DeadLetter(
            topic=topic,
            partition=partition,
            offset=offset,
            key=short_key.decode("utf-8", "replace") if key is not None else None,
            reason=reason,
            payload=raw[:DEAD_LETTER_PAYLOAD_BYTES].decode("utf-8", "replace"),
            ts=now,
            consumer="signer",
        )
        self.stats.refused += 1
        log.warning("refused", extra={"request_id": ids.request_id, "reason": reason})
        out_key = mint.encode() if mint else short_key
        return Outcome(
            ids.request_id, ExecutionStatus.REFUSED, reason, out_key, encode(result), deadletter=encode(dead)
        )
