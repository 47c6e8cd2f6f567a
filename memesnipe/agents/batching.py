"""Shared agent plumbing: decode a batch of raw events fast, dead-letter the bad ones.

Agents read ``stream.take_events`` batches (per-event overhead is what limits Faust), decode
each value with msgspec, and send anything undecodable to the dead-letter topic with the
reason, never dropping it silently and never stopping the worker.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Any, TypeVar

import faust
from faust.types import EventT

from memesnipe.agents.channels import names, topic
from memesnipe.metrics import DEAD_LETTERS
from memesnipe.streams.codec import DecodeError, decode_record, encode
from memesnipe.streams.deadletter import dead_letter_for
from memesnipe.streams.topics import COMPACTED

T = TypeVar("T")
log = logging.getLogger(__name__)
_prefix = names.prefix


def short_topic(full: str) -> str:
    """``memesnipe.price`` -> ``price`` (the name the wire checks are keyed by)."""
    return full[len(_prefix) :] if full.startswith(_prefix) else full


def decode_event(ev: EventT, tp: type[T] | Any) -> T:
    """The event's value as ``tp``, through every boundary check of ``streams.codec.decode_record``
    (size, nesting, schema, version, key, event time); raises DecodeError saying why not."""
    m = ev.message
    return decode_record(ev.value, tp, topic=short_topic(m.topic), key=m.key)  # type: ignore[no-any-return]


async def dead_letter(event: EventT, reason: str, consumer: str) -> None:
    """Publish one unusable message to the dead-letter topic with where it came from and why."""
    msg = event.message
    letter = dead_letter_for(
        topic=msg.topic,
        partition=msg.partition,
        offset=msg.offset,
        key=msg.key,
        value=event.value,
        reason=reason,
        consumer=consumer,
    )
    DEAD_LETTERS.labels(topic=short_topic(msg.topic)).inc()
    log.warning("dead-letter from %s[%s]@%s (%s): %s", msg.topic, msg.partition, msg.offset, consumer, reason)
    key = letter.key.encode() if letter.key is not None else None
    await topic("deadletter").send(key=key, value=encode(letter))


async def decode_batch(events: Sequence[EventT], tp: type[T] | Any, consumer: str) -> list[tuple[EventT, T]]:
    """Decode each event's value as ``tp`` (:func:`decode_event`); bad ones go to the dead-letter
    topic with the reason, and the rest of the batch goes on."""
    out: list[tuple[EventT, T]] = []
    name = tp.__name__ if isinstance(tp, type) else str(tp)
    for ev in events:
        if ev.value is None and short_topic(ev.message.topic) in COMPACTED:
            continue  # a deletion marker of a compacted control topic: nothing to decode
        try:
            out.append((ev, decode_event(ev, tp)))
        except DecodeError as exc:
            await dead_letter(ev, f"{name}: {exc}", consumer)
    return out


async def batches(stream: faust.StreamT, batch_size: int, within_s: float) -> AsyncIterator[Sequence[EventT]]:
    """``stream.take_events`` with the configured size and time bound."""
    async for events in stream.take_events(batch_size, within=within_s):  # type: ignore[attr-defined]
        yield events
