"""Shared agent plumbing: decode a batch of raw events fast, dead-letter the bad ones.

Agents read ``stream.take_events`` batches (per-event overhead is what limits Faust), decode
each value with msgspec, and send anything undecodable to the dead-letter topic with the
reason, never dropping it silently and never stopping the worker.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, TypeVar

import faust
from faust.types import EventT

from memesnipe.agents.channels import topic
from memesnipe.streams.base import utcnow
from memesnipe.streams.codec import DecodeError, decode, encode
from memesnipe.streams.deadletter import DeadLetter

T = TypeVar("T")
log = logging.getLogger(__name__)


def _payload_text(value: Any) -> str:
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(value).decode()
    return str(value)


async def dead_letter(event: EventT, reason: str, consumer: str) -> None:
    """Publish one unusable message to the dead-letter topic with where it came from and why."""
    msg = event.message
    key = msg.key.decode("utf-8", "replace") if isinstance(msg.key, bytes) else msg.key
    letter = DeadLetter(
        topic=msg.topic,
        partition=msg.partition,
        offset=msg.offset,
        key=key,
        reason=reason,
        payload=_payload_text(event.value),
        ts=utcnow(),
        consumer=consumer,
    )
    log.warning("dead-letter from %s[%s]@%s: %s", msg.topic, msg.partition, msg.offset, reason)
    await topic("deadletter").send(key=msg.key, value=encode(letter))


async def decode_batch(events: Sequence[EventT], tp: type[T] | Any, consumer: str) -> list[tuple[EventT, T]]:
    """Decode each event's value as ``tp``; bad ones go to the dead-letter topic."""
    out: list[tuple[EventT, T]] = []
    for ev in events:
        try:
            out.append((ev, decode(ev.value, tp)))
        except DecodeError as exc:
            await dead_letter(
                ev, f"{type(tp).__name__ if not isinstance(tp, type) else tp.__name__}: {exc}", consumer
            )
    return out


async def batches(stream: faust.StreamT, batch_size: int, within_s: float) -> AsyncIterator[Sequence[EventT]]:
    """``stream.take_events`` with the configured size and time bound."""
    async for events in stream.take_events(batch_size, within=within_s):  # type: ignore[attr-defined]
        yield events


def source_id(event: EventT) -> str:
    """A stable id for the input message: ``topic/partition/offset``. Outputs derive their ids
    from it, so reprocessing the same input after a crash yields the same output ids."""
    m = event.message
    return f"{m.topic}/{m.partition}/{m.offset}"
