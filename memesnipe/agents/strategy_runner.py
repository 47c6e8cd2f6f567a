"""The strategy runner: market events in, signals out, state in a Faust table.

One agent reads all seven market topics (co-partitioned by mint) in ``take_events`` batches,
decodes each value with the decoder of its topic (bad ones go to the dead-letter topic),
orders the batch by event time and hands it to the pure ``StrategyEngine``. Signals are sent
first and their delivery awaited, then the changed states are written (once per key per batch):
a crash in between re-applies the batch, which re-emits the same signal ids (deduplicated
downstream) instead of losing a signal.

Across batches, a topic consumed ahead of another could reorder inputs. With
``kafka.reorder_window_s`` > 0 the runner holds inputs in an event-time reorder window
(``core.strategies.reorder``) and applies them in event-time order once their partition has moved
past them, acknowledging (committing) only offsets of inputs already applied; see
docs/EVENT_TIME.md. The default 0 applies each batch as it comes (lowest latency).

The running set of strategies comes from the ``specs`` topic, read in full by EVERY worker
through a group-less ``GlobalView`` (a spec must reach the worker that owns each mint, and
Faust gives each specs partition to one worker only). The runner does not touch market events
until that view has caught up with the topic, so a restarted worker runs the same strategies
as before the crash. A separate ``strategy_specs`` agent (one consumer per partition) checks
each spec once and dead-letters bad ones with the reason; the view ignores them, leaving the
running set untouched.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import faust
import msgspec
from faust.types import TP
from prometheus_client import Counter, Gauge

from memesnipe.agents.batching import dead_letter
from memesnipe.agents.channels import names, topic
from memesnipe.app import app, settings
from memesnipe.core.strategies import SpecError, StrategyEngine
from memesnipe.core.strategies.engine import Item, order_batch
from memesnipe.core.strategies.reorder import AckGate, ReorderBuffer
from memesnipe.core.strategies.specs import parse_spec
from memesnipe.metrics import BATCH_SECONDS, DEAD_LETTERS, EVENTS_IN, SIGNALS
from memesnipe.streams.codec import encode
from memesnipe.streams.market import MARKET_EVENT_TYPES
from memesnipe.streams.topics import MARKET_TOPICS
from memesnipe.tables.partitioned import write_keys
from memesnipe.tables.strategy_state import dump_state, load_state, market_context, strategy_state
from memesnipe.tables.views import GlobalView, bootstrap_servers

log = logging.getLogger(__name__)

REORDER_HELD = Gauge("memesnipe_reorder_held", "Inputs held in the runner's event-time reorder window")
REORDER_EVENTS = Counter(
    "memesnipe_reorder_events_total",
    "Reorder window exceptions: late (applied after a later input), forced (buffer full), rewound",
    ["kind"],
)

engine = StrategyEngine()
"""This worker's running strategies (process-local, fed by the specs view)."""

market_events = app.topic(
    *(names(t) for t in MARKET_TOPICS),
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
)
_decoders: dict[str, tuple[str, msgspec.json.Decoder[Any]]] = {
    names(t): (t, msgspec.json.Decoder(MARKET_EVENT_TYPES[t])) for t in MARKET_TOPICS
}
_view: GlobalView | None = None
_view_ready = asyncio.Event()


def apply_spec_record(
    key: bytes | None, value: bytes | None, partition: int, offset: int, ts_ms: int
) -> None:
    """Fold one specs record into this worker's engine; a bad spec changes nothing."""
    iid = (key or b"").decode("utf-8", "replace")
    if value is None:
        if engine.remove(iid):
            log.info("strategy %s removed (tombstone)", iid)
        return
    try:
        spec = parse_spec(key, value)
        result = engine.apply_spec(spec)
    except SpecError as exc:
        log.warning("strategy spec %s@%s:%s refused, running set unchanged: %s", iid, partition, offset, exc)
        return
    if result != "unchanged":
        log.info("strategy %s %s (family %s, revision %s)", iid, result, spec.family, spec.revision)


@app.task
async def _start_spec_view() -> None:
    global _view
    _view = GlobalView(bootstrap_servers(settings.kafka.broker), {names("specs"): apply_spec_record})
    await _view.start()
    await _view.wait_ready()
    log.info(
        "strategy registry ready: %d instances (%s)",
        len(engine.instances),
        ", ".join(sorted(engine.instances)),
    )
    _view_ready.set()


@app.agent(topic("specs"))
async def strategy_specs(stream: faust.StreamT) -> None:
    """Check each spec once (one consumer per partition) and dead-letter the bad ones."""
    async for events in stream.take_events(100, within=0.5):  # type: ignore[attr-defined]
        for ev in events:
            try:
                if ev.value is not None:
                    parse_spec(ev.key, ev.value)
            except SpecError as exc:
                DEAD_LETTERS.labels(topic="specs").inc()
                await dead_letter(ev, f"strategy spec refused: {exc}", "strategy_specs")


def _load_state(key: str) -> dict[str, Any] | None:
    return load_state(strategy_state.get(key.encode()))


def _load_context(mint: str) -> dict[str, Any] | None:
    return load_state(market_context.get(mint.encode()))


async def _apply(items: list[Item], signals_topic: Any) -> None:
    """Apply inputs (already in ``order_batch`` order): signals first, delivery awaited, then the
    changed states, once per key, their changelog delivery awaited too (``tables.durable``)."""
    res = engine.process(items, _load_state, _load_context)
    if res.signals:
        futs = []
        for _ref, sig in res.signals:
            futs.append(await signals_topic.send(key=sig.mint.encode(), value=encode(sig), force=True))
            SIGNALS.labels(strategy=sig.instance_id, intent=sig.intent.value).inc()
        await asyncio.gather(*futs)
    writes = []
    if res.states:
        states = {k.encode(): (ref, dump_state(st)) for k, (ref, st) in res.states.items()}
        writes.append(write_keys(strategy_state, states))
    if res.contexts:
        contexts = {k.encode(): (ref, dump_state(c)) for k, (ref, c) in res.contexts.items()}
        writes.append(write_keys(market_context, contexts))
    await asyncio.gather(*writes)  # both changelogs durable before the batch is acknowledged


@app.agent(market_events)
async def strategy_runner(stream: faust.StreamT) -> None:
    await _view_ready.wait()
    if settings.kafka.reorder_window_s > 0:
        await _run_reordered(stream, settings.kafka.reorder_window_s)
        return
    signals_topic = topic("signals")
    observe = BATCH_SECONDS.labels(stage="strategy_runner").observe
    batch, within = settings.kafka.batch_size, settings.kafka.batch_within_s
    async for events in stream.take_events(batch, within=within):  # type: ignore[attr-defined]
        t0 = time.perf_counter()
        stale = 0
        items: list[Item] = []
        counts: dict[str, int] = {}
        assigned = app.consumer.assignment()
        for ev in events:
            m = ev.message
            if m.tp not in assigned:
                # buffered before a rebalance took the partition away: its new owner re-reads it,
                # and applying it here would write state this worker no longer owns. It must not
                # be committed either: take_events acks the whole batch afterwards, and Kafka's
                # group coordinator accepts an offset commit of a partition the member no longer
                # owns (it checks member and generation only), which could move the new owner
                # past events nobody applied. Marked acked, the consumer records nothing for it.
                m.acked = True
                stale += 1
                continue
            short, dec = _decoders[m.topic]
            counts[short] = counts.get(short, 0) + 1
            try:
                obj = dec.decode(ev.value)
            except (msgspec.DecodeError, TypeError) as exc:
                DEAD_LETTERS.labels(topic=short).inc()
                await dead_letter(ev, f"{short} event: {exc}", "strategy_runner")
                continue
            items.append((obj.ts.timestamp(), m.topic, m.partition, m.offset, obj, ev))
        for short, n in counts.items():
            EVENTS_IN.labels(topic=short).inc(n)
        await _apply(order_batch(items), signals_topic)
        if stale:
            log.info("strategy runner: skipped %d events of partitions no longer assigned", stale)
        observe(time.perf_counter() - t0)


REORDER_MAX_ITEMS = 100_000
"""Most inputs one worker holds in the reorder window; beyond it the oldest are released early."""
IDLE_FLUSH_BATCHES = 25
"""A partition number that received no input for this many ``batch_within_s`` (at least 1 s) of
wall time has its held inputs released (end of a finite replay, a quiet partition)."""


async def _run_reordered(stream: faust.StreamT, window_s: float) -> None:
    """The runner with an event-time reorder window (``kafka.reorder_window_s`` > 0).

    Decoded inputs go through a :class:`ReorderBuffer` (per partition number, released when the
    partition's max event time seen is ``window_s`` past them and no topic-partition of it that
    still has unread input, per Kafka's high watermark, could deliver an earlier one) and are
    applied in ``order_batch`` order. Events are consumed with ``noack_take`` and acknowledged
    through an :class:`AckGate`: per topic-partition only the offset-ordered prefix of applied
    (or dead-lettered) events, so no offset is committed at or past an event still held, and a
    crash re-reads every held event (already-applied ones are skipped by the states' offsets).
    A rebalance seeks every partition to its committed offset: both structures drop what they
    held from the re-delivered offsets on, and everything of partitions no longer assigned.
    """
    signals_topic = topic("signals")
    observe = BATCH_SECONDS.labels(stage="strategy_runner").observe
    batch, within = settings.kafka.batch_size, settings.kafka.batch_within_s
    idle_s = max(within * IDLE_FLUSH_BATCHES, 1.0)
    buf = ReorderBuffer(window_s, REORDER_MAX_ITEMS, topics=[names(t) for t in MARKET_TOPICS])
    gate = AckGate()
    received: dict[tuple[str, int], tuple[int, float]] = {}  # tp -> (last offset received, when)
    started = time.monotonic()

    def lagging(tp: tuple[str, int]) -> bool:
        """The consumer is behind this topic-partition's end (input exists that it has not
        delivered yet) and it delivered something within ``idle_s`` (a topic-partition that
        stopped delivering, e.g. whose data expired, never holds the others for longer)."""
        consumer = app.consumer
        try:
            hw = consumer.highwater(TP(*tp))
        except Exception:  # not assigned, consumer restarting: unknown
            return False
        if hw is None:
            return False
        got = received.get(tp)
        if got is not None:
            nxt, when = got[0] + 1, got[1]
        else:
            # where a partition not read yet starts: its committed offset (none yet: the beginning)
            c = getattr(consumer, "_committed_offset", {}).get(TP(*tp))
            nxt, when = (c if c is not None and c >= 0 else 0), started
        return hw > nxt and time.monotonic() - when < idle_s

    lock = asyncio.Lock()
    counters = {"late": 0, "forced": 0, "rewound": 0}
    log.info("strategy runner: event-time reorder window %.3f s (idle flush after %.1f s)", window_s, idle_s)

    async def apply_released(items: list[Item]) -> None:
        assigned = app.consumer.assignment()
        live = [it for it in items if (it[1], it[2]) in assigned]
        if len(live) < len(items):
            n = len(items) - len(live)
            log.info("strategy runner: dropped %d held events of partitions no longer assigned", n)
        if live:
            await _apply(live, signals_topic)
            for it in live:
                gate.done((it[1], it[2]), it[3])
        for ev in gate.ackable():
            await stream.ack(ev)
        REORDER_HELD.set(len(buf))
        for name in counters:
            n = getattr(buf, name)
            if n != counters[name]:
                REORDER_EVENTS.labels(kind=name).inc(n - counters[name])
                log.info("strategy runner: reorder window %s events: %d in total", name, n)
                counters[name] = n

    async def flush_idle() -> None:
        try:
            while True:
                await asyncio.sleep(min(idle_s / 4.0, 1.0))
                async with lock:
                    items = buf.flush_idle(time.monotonic(), idle_s)
                    if items:
                        log.info("strategy runner: idle %.1f s, flushing %d held events", idle_s, len(items))
                        await apply_released(items)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("strategy runner: idle flush failed")
            await app.crash(exc)

    flusher = asyncio.ensure_future(flush_idle())
    try:
        async for events in stream.noack_take(batch, within=within):  # type: ignore[attr-defined]
            async with lock:
                t0 = time.perf_counter()
                now = time.monotonic()
                stale = 0
                counts: dict[str, int] = {}
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
                    short, dec = _decoders[m.topic]
                    counts[short] = counts.get(short, 0) + 1
                    try:
                        obj = dec.decode(ev.value)
                    except (msgspec.DecodeError, TypeError) as exc:
                        DEAD_LETTERS.labels(topic=short).inc()
                        await dead_letter(ev, f"{short} event: {exc}", "strategy_runner")
                        gate.done(tp, m.offset)
                        continue
                    buf.add((obj.ts.timestamp(), m.topic, m.partition, m.offset, obj, ev), now)
                for short, n in counts.items():
                    EVENTS_IN.labels(topic=short).inc(n)
                for tp in [tp for tp in received if tp not in assigned]:
                    del received[tp]
                await apply_released(buf.release(lagging))
                if stale:
                    log.info("strategy runner: skipped %d events of partitions no longer assigned", stale)
                observe(time.perf_counter() - t0)
    finally:
        flusher.cancel()
