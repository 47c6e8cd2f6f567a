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
from typing import Any

import faust

from memesnipe.agents.batching import dead_letter
from memesnipe.agents.channels import names, topic
from memesnipe.agents.reordered import run_reordered
from memesnipe.agents.stage import Stage
from memesnipe.app import app, settings
from memesnipe.core.strategies import SpecError, StrategyEngine
from memesnipe.core.strategies.engine import Item, order_batch
from memesnipe.core.strategies.specs import parse_spec
from memesnipe.metrics import SIGNALS
from memesnipe.streams.codec import encode
from memesnipe.streams.market import MARKET_EVENT_TYPES
from memesnipe.streams.topics import MARKET_TOPICS
from memesnipe.tables.strategy_state import dump_state, load_state, market_context, strategy_state
from memesnipe.tables.views import GlobalView

log = logging.getLogger(__name__)

stage = Stage("strategy_runner", {t: MARKET_EVENT_TYPES[t] for t in MARKET_TOPICS})
engine = StrategyEngine()
"""This worker's running strategies (process-local, fed by the specs view)."""

market_events = app.topic(
    *(names(t) for t in MARKET_TOPICS),
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
)
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
    _view = GlobalView(settings.kafka.bootstrap_servers, {names("specs"): apply_spec_record})
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
        writes.append(stage.write(strategy_state, states))
    if res.contexts:
        contexts = {k.encode(): (ref, dump_state(c)) for k, (ref, c) in res.contexts.items()}
        writes.append(stage.write(market_context, contexts))
    await asyncio.gather(*writes)  # both changelogs durable before the batch is acknowledged


@app.agent(market_events)
async def strategy_runner(stream: faust.StreamT) -> None:
    await _view_ready.wait()
    if settings.kafka.reorder_window_s > 0:
        await _run_reordered(stream, settings.kafka.reorder_window_s)
        return
    signals_topic = topic("signals")
    async for events in stage.batches(stream):  # partitions still owned (``agents.stage``)
        items: list[Item] = []
        for ev in events:
            obj = await stage.decode_one(ev)
            if obj is not None:
                m = ev.message
                items.append((obj.ts.timestamp(), m.topic, m.partition, m.offset, obj, ev))
        await _apply(order_batch(items), signals_topic)


async def _run_reordered(stream: faust.StreamT, window_s: float) -> None:
    """The runner with an event-time reorder window (``kafka.reorder_window_s`` > 0): inputs are
    applied in event-time order across the market topics (``agents.reordered``)."""
    signals_topic = topic("signals")

    async def decode(ev: Any) -> tuple[float, Any] | None:
        obj = await stage.decode_one(ev)
        return (obj.ts.timestamp(), obj) if obj is not None else None

    async def apply(items: list[Item]) -> None:
        await _apply(items, signals_topic)

    await run_reordered(
        stream,
        stage="strategy_runner",
        topics=[names(t) for t in MARKET_TOPICS],
        window_s=window_s,
        decode=decode,
        apply=apply,
    )
