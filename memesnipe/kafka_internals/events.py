"""Faust's view of one event: which event a table write belongs to, what its consumer committed,
and an event that must never be committed.

Each of these reads or writes Faust state with no public API (re-check on a Faust upgrade:
:mod:`memesnipe.kafka_internals.pins`).
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from faust.streams import _current_event
from faust.types import TP, EventT, Message


@contextmanager
def as_current_event(event: EventT) -> Iterator[None]:
    """Make ``event`` Faust's current event: a table write inside goes to the changelog
    partition (and store shard) of ``event``'s partition, not of the event being processed."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def committed_offset(consumer: Any, topic: str, partition: int) -> int | None:
    """The offset Faust's consumer last committed or read as committed for a partition it is
    assigned (None: none yet, or a committed 0, which Faust stores as None)."""
    committed: dict[TP, int | None] = getattr(consumer, "_committed_offset", {})
    return committed.get(TP(topic, partition))


def leave_uncommitted(message: Message) -> None:
    """Mark ``message`` acknowledged without recording its offset for the next commit.

    Faust's ``Consumer.ack`` records an offset only for a message not yet ``acked``; a stage
    that drops an event of a partition a rebalance took away must not move that partition's
    committed offset (Kafka's coordinator accepts a commit from a former owner), so the new
    owner re-reads it. ``take_events`` then acknowledges the batch without it."""
    message.acked = True
