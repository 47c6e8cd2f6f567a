"""Parse an unsigned wire transaction strictly, and sign exactly the bytes that were checked.

The signer never re-serialises the message it signs: it signs the message bytes as received,
after checking that they decode to the transaction the policy inspected and re-encode to the
same bytes (no trailing data, no alternative encodings).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from solders.message import Message, MessageV0
from solders.signature import Signature
from solders.transaction import VersionedTransaction

from memesnipe.signer.keystore import SealedKey
from memesnipe.signer.programs import MAX_TRANSACTION_BYTES

SIGNATURE_LEN = 64


class TransactionError(ValueError):
    """The transaction bytes are unusable; the message is the refusal reason."""


def _compact_u16(buf: bytes, pos: int) -> tuple[int, int]:
    """Decode Solana's compact-u16 (shortvec) at ``pos``; returns (value, next position)."""
    value = 0
    for i in range(3):
        if pos + i >= len(buf):
            raise TransactionError("malformed transaction: truncated signature count")
        byte = buf[pos + i]
        value |= (byte & 0x7F) << (7 * i)
        if not byte & 0x80:
            return value, pos + i + 1
    raise TransactionError("malformed transaction: signature count too long")


@dataclass(frozen=True, slots=True)
class ParsedTransaction:
    raw: bytes
    sigs_at: int  # offset of the first signature
    sig_count: int
    tx: VersionedTransaction
    message: Message | MessageV0

    @property
    def message_bytes(self) -> bytes:
        return self.raw[self.sigs_at + SIGNATURE_LEN * self.sig_count :]


def parse_transaction(tx_b64: str) -> ParsedTransaction:
    """Decode base64 + bincode; legacy and v0 messages only; canonical bytes only."""
    if len(tx_b64) > 4 * ((MAX_TRANSACTION_BYTES + 2) // 3):
        raise TransactionError(f"transaction over the {MAX_TRANSACTION_BYTES}-byte packet limit")
    try:
        raw = base64.b64decode(tx_b64, validate=True)
    except (binascii.Error, ValueError):
        raise TransactionError("tx_b64 is not valid base64") from None
    if len(raw) > MAX_TRANSACTION_BYTES:
        raise TransactionError(
            f"transaction is {len(raw)} bytes, over the {MAX_TRANSACTION_BYTES}-byte limit"
        )
    count, at = _compact_u16(raw, 0)
    msg_at = at + SIGNATURE_LEN * count
    if count == 0:
        raise TransactionError("malformed transaction: no signature slots")
    if msg_at >= len(raw):
        raise TransactionError("malformed transaction: truncated before the message")
    prefix = raw[msg_at]
    if prefix & 0x80 and prefix & 0x7F != 0:
        raise TransactionError(f"unsupported message version {prefix & 0x7F} (only legacy and v0)")
    try:
        tx = VersionedTransaction.from_bytes(raw)
    except Exception as exc:  # solders raises its own error types for bad bincode
        raise TransactionError(f"malformed transaction: {exc}") from None
    if bytes(tx) != raw:
        raise TransactionError("non-canonical transaction encoding (trailing or re-encoded bytes)")
    try:
        tx.sanitize()
    except Exception as exc:
        raise TransactionError(f"transaction fails sanitize: {exc}") from None
    return ParsedTransaction(raw, at, count, tx, tx.message)


def sign_slot(parsed: ParsedTransaction, key: SealedKey, slot: int) -> tuple[bytes, Signature]:
    """Sign the received message bytes and put the signature in ``slot`` only."""
    sig = key.sign(parsed.message_bytes)
    start = parsed.sigs_at + SIGNATURE_LEN * slot
    raw = parsed.raw
    return raw[:start] + bytes(sig) + raw[start + SIGNATURE_LEN :], sig
