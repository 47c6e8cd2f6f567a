"""Dead letters: a message we could not use, where it came from and why."""

from __future__ import annotations

import base64

from memesnipe.streams.base import Message, UtcDatetime, utcnow

PAYLOAD_MAX_CHARS = 8_192
"""Most characters of the refused value a dead letter carries (the rest is cut, ``payload_bytes``
keeps the full size): a dead letter of an oversized record must itself stay a small record, far
below ``wire.max_message_bytes`` even when every character is JSON-escaped to six bytes."""
KEY_MAX_CHARS = 256
REASON_MAX_CHARS = 2_000


class DeadLetter(Message, frozen=True, kw_only=True):
    topic: str
    partition: int
    offset: int
    key: str | None
    reason: str
    payload: str
    ts: UtcDatetime
    consumer: str = ""
    payload_bytes: int = 0
    """Size of the refused value in bytes (``payload`` holds at most PAYLOAD_MAX_CHARS of it)."""


def payload_text(value: object) -> str:
    """The refused value as text: UTF-8 as is, other bytes as ``base64:...``; cut to size."""
    if value is None:
        return ""
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(raw[: PAYLOAD_MAX_CHARS * 3 // 4]).decode()
    else:
        text = str(value)
    return text[:PAYLOAD_MAX_CHARS]


def key_text(key: object) -> str | None:
    if key is None:
        return None
    text = bytes(key).decode("utf-8", "replace") if isinstance(key, bytes | bytearray) else str(key)
    return text[:KEY_MAX_CHARS]


def dead_letter_for(
    *, topic: str, partition: int, offset: int, key: object, value: object, reason: str, consumer: str
) -> DeadLetter:
    """The dead letter of one record, bounded in size whatever the record was."""
    size = len(value) if isinstance(value, bytes | bytearray | memoryview | str) else 0
    return DeadLetter(
        topic=topic,
        partition=partition,
        offset=offset,
        key=key_text(key),
        reason=reason[:REASON_MAX_CHARS],
        payload=payload_text(value),
        ts=utcnow(),
        consumer=consumer,
        payload_bytes=size,
    )
