"""Dead letters: a message we could not use, where it came from and why."""

from __future__ import annotations

from memesnipe.streams.base import Message, UtcDatetime


class DeadLetter(Message, frozen=True, kw_only=True):
    topic: str
    partition: int
    offset: int
    key: str | None
    reason: str
    payload: str
    ts: UtcDatetime
    consumer: str = ""
