"""Consume a multi-topic stream in event-time order, per partition number, committing only what
was applied: the event-time reorder window of docs/EVENT_TIME.md, shared by the strategy runner
(market topics) and the risk gate (signals joined with depth and on-chain facts).

Decoded inputs go through a :class:`ReorderBuffer` (per partition number, released when the
partition's max event time seen is ``window_s`` past them and no topic-partition of it that still
has unread input, per Kafka's high watermark, could deliver an earlier one) and are handed to
``apply`` in ``order_batch`` order. Events are consumed with ``noack_take`` and acknowledged
through an :class:`AckGate`: per topic-partition only the offset-ordered prefix of applied (or
dead-lettered) events, so no offset is committed at or past an event still held, and a crash
re-reads every held event (consumers skip what they already applied by offset). A rebalance seeks
every partition to its committed offset: both structures drop what they held from the re-delivered
offsets on, and everything of partitions no longer assigned.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import faust
from faust.types import TP, EventT
from prometheus_client import Counter, Gauge

from memesnipe.app import app, settings
from memesnipe.core.strategies.engine import Item
from memesnipe.core.strategies.reorder import AckGate, ReorderBuffer
from memesnipe.kafka_internals.events import committed_offset
from memesnipe.metrics import BATCH_SECONDS

log = logging.getLogger(__name__)

REORDER_HELD = Gauge("memesnipe_reorder_held", "Inputs held in an event-time reorder window", ["stage"])
REORDER_EVENTS = Counter(
    "memesnipe_reorder_events_total",
    "Reorder window exceptions: late (applied after a later input), forced (buffer full), rewound",
    ["stage", "kind"],
)

REORDER_MAX_ITEMS = 100_000
"""Most inputs one worker holds in a reorder window; beyond it the oldest are released early."""
IDLE_FLUSH_BATCHES = 25
"""A partition number that received no input for this many ``batch_within_s`` (at least 1 s) of
wall time has its held inputs released (end of a finite replay, a quiet partition)."""

Decode = Callable[[EventT], Awaitable[tuple[float, Any] | None]]
"""(event time in s, decoded input), or None when the event was dead-lettered."""
Apply = Callable[[list[Item]], Awaitable[None]]


async def run_reordered(
    stream: faust.StreamT,
    *,
    stage: str,
    topics: Sequence[str],
    window_s: float,
    decode: Decode,
    apply: Apply,
) -> None:
    """Consume ``stream`` (all of ``topics``, co-partitioned) through the reorder window, in
    batches of ``kafka.batch_size`` / ``kafka.latency_within_s`` (every user is a latency-path
    stage), each batch's time observed in ``memesnipe_agent_batch_seconds{stage}``."""
    batch, within = settings.kafka.batch_size, settings.kafka.latency_within_s
    observe = BATCH_SECONDS.labels(stage=stage).observe
    idle_s = max(settings.kafka.batch_within_s * IDLE_FLUSH_BATCHES, 1.0)
    buf = ReorderBuffer(window_s, REORDER_MAX_ITEMS, topics=topics)
    gate = AckGate()
    received: dict[tuple[str, int], tuple[int, float]] = {}  # tp -> (last offset received, when)
    started = time.monotonic()
    held_gauge = REORDER_HELD.labels(stage=stage)

    def lagging(tp: tuple[str, int]) -> bool:
        """The consumer is behind this topic-partition's end (input exists that it has not
        delivered yet) and it delivered something within ``idle_s`` (a topic-partition that
        stopped delivering, e.g. whose data expired, never holds the others for longer)."""
        consumer = app.consumer
        try:
            hw = consumer.highwater(TP(*tp))
        except Exception:  # not assigned, consumer restarting: unknown
            return False
        got = received.get(tp)
        if hw is None:
            # no fetch response for it yet (just assigned): it may hold earlier input, so it
            # holds the others, for at most ``idle_s`` (then a silent one stops holding)
            return time.monotonic() - (got[1] if got is not None else started) < idle_s
        if got is not None:
            nxt, when = got[0] + 1, got[1]
        else:
            # where a partition not read yet starts: its committed offset (none yet: the beginning)
            c = committed_offset(consumer, *tp)
            nxt, when = (c if c is not None and c >= 0 else 0), started
        return hw > nxt and time.monotonic() - when < idle_s

    lock = asyncio.Lock()
    counters = {"late": 0, "forced": 0, "rewound": 0}
    log.info("%s: event-time reorder window %.3f s (idle flush after %.1f s)", stage, window_s, idle_s)

    async def apply_released(items: list[Item]) -> None:
        assigned = app.consumer.assignment()
        live = [it for it in items if (it[1], it[2]) in assigned]
        if len(live) < len(items):
            dropped = len(items) - len(live)
            log.info("%s: dropped %d held events of partitions no longer assigned", stage, dropped)
        if live:
            await apply(live)
            assigned = app.consumer.assignment()  # a partition revoked meanwhile is not acked here
            for it in live:
                if (it[1], it[2]) in assigned:
                    gate.done((it[1], it[2]), it[3])
        for ev in gate.ackable():
            await stream.ack(ev)
        held_gauge.set(len(buf))
        for name in counters:
            n = getattr(buf, name)
            if n != counters[name]:
                REORDER_EVENTS.labels(stage=stage, kind=name).inc(n - counters[name])
                log.info("%s: reorder window %s events: %d in total", stage, name, n)
                counters[name] = n

    async def flush_idle() -> None:
        try:
            while True:
                await asyncio.sleep(min(idle_s / 4.0, 1.0))
                async with lock:
                    items = buf.flush_idle(time.monotonic(), idle_s)
                    if items:
                        log.info("%s: idle %.1f s, flushing %d held events", stage, idle_s, len(items))
                        await apply_released(items)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("%s: idle flush failed", stage)
            await app.crash(exc)

    flusher = asyncio.ensure_future(flush_idle())
    try:
        async for events in stream.noack_take(batch, within=within):  # type: ignore[attr-defined]
            async with lock:
                t0 = time.perf_counter()
                now = time.monotonic()
                stale = 0
                assigned = app.consumer.assignment()
                buf.retain(assigned.__contains__)
                gate.retain(assigned.__contains__)
                for ev in events:
                    m = ev.message
                    if m.tp not in assigned:
                        stale += 1  # its new owner re-reads it; never acknowledged here
                        continue
                    tp = (m.topic, m.partition)
                    received[tp] = (m.offset, now)
                    gate.track(tp, m.offset, ev)
                    decoded = await decode(ev)
                    if decoded is None:  # dead-lettered: nothing to hold, its offset may be committed
                        gate.done(tp, m.offset)
                        continue
                    buf.add((decoded[0], m.topic, m.partition, m.offset, decoded[1], ev), now)
                for tp in [tp for tp in received if tp not in assigned]:
                    del received[tp]
                await apply_released(buf.release(lagging))
                if stale:
                    log.info("%s: skipped %d events of partitions no longer assigned", stage, stale)
                observe(time.perf_counter() - t0)
    finally:
        flusher.cancel()
