"""One stage mechanism: the plumbing every stateful agent shares, written once.

A stage reads batches of raw events, decodes them (refused ones go to the dead-letter topic with
the reason and offset), hands the decoded inputs to its processor, and then, in this order: sends
the outputs and waits until the broker has them, writes the changed table keys and waits until
their changelog records are durable, and only then lets the batch be acknowledged. A crash
anywhere in between re-reads the batch, whose outputs carry the same ids (deduplicated
downstream) and whose inputs the processor skips by offset or id. A stage whose output can be
answered into this same worker before the broker acknowledges it (the router's requests, signed
and read back by the fills stage) sets its keys first (``Effects.state_first``).

The revoked-partition filter: the worker's ``stream_wait_empty`` is off, so a rebalance does not
wait for a batch in flight; a batch may hold events of partitions another worker owns by the time
they are applied. Applying them would write state to a changelog partition the new owner also
writes (split brain); acknowledging them could commit an offset past events nobody applied
(Kafka's group coordinator accepts a commit of a partition the member no longer owns). So:

- on intake, events of partitions not assigned are dropped (the new owner re-reads them);
- at the table write, keys whose event's partition was revoked while the batch ran are not
  written (checked and written without an await between, so no rebalance falls in between);
- at the end of the batch, events of partitions revoked meanwhile are marked acknowledged
  without being recorded, so their offsets are never committed here.

Each drop is counted in ``memesnipe_stage_revoked_total{stage,where}``; batch time in
``memesnipe_agent_batch_seconds{stage}``; inputs in ``memesnipe_events_in_total{topic}``.
The event-time reorder window (``agents.reordered``) applies the same intake filter to what it
holds and writes through :meth:`Stage.commit`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import faust
from faust.types import EventT
from prometheus_client import Counter

from memesnipe.agents.batching import dead_letter, decode_event, short_topic
from memesnipe.agents.channels import topic
from memesnipe.app import app, settings
from memesnipe.kafka_internals.events import as_current_event, leave_uncommitted
from memesnipe.metrics import BATCH_SECONDS, EVENTS_IN
from memesnipe.streams.codec import DecodeError
from memesnipe.streams.topics import COMPACTED

log = logging.getLogger(__name__)

STAGE_REVOKED = Counter(
    "memesnipe_stage_revoked_total",
    "Inputs (where=input), state writes (where=write) and acknowledgements (where=ack) of "
    "partitions a rebalance took away, dropped by a stage",
    ["stage", "where"],
)

Decoded = tuple[EventT, str, Any]
"""(event, short topic name, decoded message)."""
Send = tuple[str, bytes | None, bytes]
"""(short topic name, key, value)."""


@dataclass
class Effects:
    """What a processor's batch produced, for the mechanism to carry out in order."""

    dead: list[tuple[EventT, str]] = field(default_factory=list)
    sends: list[Send] = field(default_factory=list)
    writes: list[tuple[Any, dict[Any, tuple[EventT, Any]]]] = field(default_factory=list)
    """(table, {key: (the event that last changed it, value)})."""
    state_first: bool = False
    """Set the table keys before the outputs leave (both still durable before the batch is
    acknowledged): for a stage whose output can be answered, into this worker, before the
    broker's acknowledgement of it reaches us (the router: a signed result read by the fills
    stage must find its order's record)."""


def assigned_now() -> Collection[Any]:
    """The topic-partitions this worker's consumer owns right now (empty before it started)."""
    try:
        return app.consumer.assignment()  # type: ignore[no-any-return]
    except Exception:  # consumer not started yet
        return frozenset()


def owned(events: Iterable[EventT], assigned: Collection[Any]) -> tuple[list[EventT], list[EventT]]:
    """(events of partitions in ``assigned``, events of the others), each in input order."""
    live: list[EventT] = []
    stale: list[EventT] = []
    for ev in events:
        (live if ev.message.tp in assigned else stale).append(ev)
    return live, stale


def owned_changes(
    changes: Mapping[Any, tuple[EventT, Any]], assigned: Collection[Any]
) -> tuple[dict[Any, tuple[EventT, Any]], int]:
    """(the changes whose event's partition is in ``assigned``, how many were dropped)."""
    keep = {k: c for k, c in changes.items() if c[0].message.tp in assigned}
    return keep, len(changes) - len(keep)


def forget(events: Iterable[EventT]) -> None:
    """Mark events acknowledged without recording their offsets: the batch's acknowledgement
    then commits nothing for them (their partition's new owner re-reads them)."""
    for ev in events:
        leave_uncommitted(ev.message)


class Stage:
    """One stage's declaration: its name (metrics, logs, dead letters), the types of its input
    topics, and whether it is on the latency path (smaller batch wait)."""

    def __init__(self, name: str, inputs: Mapping[str, type], *, latency: bool = True) -> None:
        self.name = name
        self.inputs = dict(inputs)
        self.latency = latency
        self.assignment: Callable[[], Collection[Any]] = assigned_now
        """Where the stage reads its partitions from (the worker's consumer)."""
        self._observe = BATCH_SECONDS.labels(stage=name).observe

    def _drop(self, where: str, n: int) -> None:
        if n:
            STAGE_REVOKED.labels(stage=self.name, where=where).inc(n)
            log.info("%s: dropped %d %s of partitions no longer assigned", self.name, n, where)

    async def batches(self, stream: faust.StreamT) -> AsyncIterator[list[EventT]]:
        """``take_events`` batches of the events of partitions this worker owns; after each
        batch's processing, events of partitions revoked meanwhile are not acknowledged."""
        k = settings.kafka
        within = k.latency_within_s if self.latency else k.batch_within_s
        async for events in stream.take_events(k.batch_size, within=within):  # type: ignore[attr-defined]
            t0 = time.perf_counter()
            live, stale = owned(events, self.assignment())
            forget(stale)
            self._drop("input", len(stale))
            if live:
                yield live
            self.forget_revoked(live)
            self._observe(time.perf_counter() - t0)

    def forget_revoked(self, events: Iterable[EventT]) -> None:
        """After a batch: its events of partitions revoked while it ran are not acknowledged."""
        _, revoked = owned(events, self.assignment())
        forget(revoked)
        self._drop("ack", len(revoked))

    def topic_of(self, ev: EventT) -> str:
        return short_topic(ev.message.topic)

    async def decode_one(self, ev: EventT) -> Any:
        """The event's message, or None when it is a tombstone of a compacted topic or was
        dead-lettered (with the reason)."""
        short = self.topic_of(ev)
        EVENTS_IN.labels(topic=short).inc()
        if ev.value is None and short in COMPACTED:
            return None
        tp = self.inputs[short]
        try:
            return decode_event(ev, tp)
        except DecodeError as exc:
            await dead_letter(ev, f"{tp.__name__}: {exc}", self.name)
            return None

    async def decode(self, events: Sequence[EventT]) -> list[Decoded]:
        """Each event decoded by its topic's type, in input order; refused ones dead-lettered."""
        out: list[Decoded] = []
        for ev in events:
            msg = await self.decode_one(ev)
            if msg is not None:
                out.append((ev, self.topic_of(ev), msg))
        return out

    async def commit(self, fx: Effects) -> None:
        """Dead letters, then the outputs (delivery awaited), then the owned table writes
        (changelog delivery awaited): the order that makes a crash replay into the same ids."""
        for ev, reason in fx.dead:
            await dead_letter(ev, reason, self.name)
        if fx.state_first:
            for table, changes in fx.writes:
                self._set(table, changes)
            await send_all(fx.sends)
            for table, _ in fx.writes:
                await _flush(table)
            return
        await send_all(fx.sends)
        for table, changes in fx.writes:
            await self.write(table, changes)

    async def write(self, table: Any, changes: Mapping[Any, tuple[EventT, Any]]) -> None:
        """Write the keys whose event's partition this worker still owns (dropping the others)
        and wait until the broker has their changelog records."""
        self._set(table, changes)
        await _flush(table)

    def _set(self, table: Any, changes: Mapping[Any, tuple[EventT, Any]]) -> None:
        """``table[key] = value`` under the event that last changed the key (Faust takes the
        changelog partition from the current event), for the partitions still owned: checked
        and set with no await in between, so no rebalance falls between the two."""
        keep, dropped = owned_changes(changes, self.assignment())
        self._drop("write", dropped)
        for key, (event, value) in keep.items():
            with as_current_event(event):
                table[key] = value

    async def run(self, stream: faust.StreamT, handle: Callable[[list[Decoded]], Awaitable[Effects]]) -> None:
        """The whole loop: owned batches, decoded, handled, committed."""
        async for events in self.batches(stream):
            decoded = await self.decode(events)
            if decoded:
                await self.commit(await handle(decoded))


async def _flush(table: Any) -> None:
    """Wait until the broker has the table's changelog records (``tables.durable``)."""
    flush = getattr(table, "flush_changelog", None)
    if flush is not None:
        await flush()


async def send_all(sends: Iterable[Send]) -> None:
    """Send every message and wait until the broker has all of them."""
    futs = [await topic(name).send(key=k, value=v) for name, k, v in sends]
    if futs:
        await asyncio.gather(*futs)
