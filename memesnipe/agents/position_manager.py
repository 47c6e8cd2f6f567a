"""Position manager: fills open and close positions, price marks move their stops, and exits
leave as signals through the same risk gate / router / signer path as entries.

This module holds the agents (positions, exit params) and the flatten sweep; what an input does
to a book is the processor's, :mod:`memesnipe.processors.positions` (no Faust, no I/O).

One agent reads ``fills``, ``price``, ``depth``, ``signals`` and ``rejections`` (all keyed by
mint, co-partitioned) so a mint's book is only ever touched by one coroutine. Per batch: decode, apply
each input to its mint's book in order (skipping inputs at or below the book's applied offset for
that topic), send the outputs and wait for the broker to take them, then write each changed book
once.
Output ids derive from inputs (``exit|instance|direction|topic/partition/offset`` of a market
event, ``exit|instance|direction|topic/<id>`` of our own fills, signals and rejections, which a
restarted stage may re-emit at new offsets: ``input_id``), so a crash anywhere, here or upstream,
replays into the same ids.

Marks of tokens without positions are recorded too (a book per priced mint, holding a bounded
history of its recent marks): in a fast replay the price topic runs ahead of the fills topic, and
a fill at event time ``t`` that opens a position re-applies the marks with ``ts > t`` it missed
(``MintBook.apply_fill``), sending the exits and updates those marks would have sent. A fill
older than the history falls back to no re-application and counts
``memesnipe_asof_fallbacks_total{stage="position_manager.marks"}``.

Every exit signal carries the market of its moment (``MintBook``'s ``MarketStamp``): a stop
decided on a mark at ``t`` has that price and the depth snapshot before ``t`` from the book's
depth history; a rug exit the rug signal's own stamp; an exit at a fill the price as of the fill
and the order's depth stamp; a strategy exit sent in place of a refused one the refused signal's
moment and stamp. The router fills it on that market, as the backtester does, however late it
reads it.

Outputs: a ``PositionUpdate`` on ``positions`` after every fill (the risk gate sizes exits from
it) and, throttled, on marks; an exit ``Signal`` (intent EXIT, SELL or COVER, strength 1.0,
``meta.exit_reason``) when a stop, take-profit, max hold or rug fires. A strategy's spec may
override the default exits with ``params["exits"]``.

Exits before fills: the risk gate sizes exits from a lagging view of the positions, so a
strategy's exit sent soon after its entry can reach it before the entry's fill. The gate refuses
it with rule ``exit_before_fill`` and the pending entry order ids (``OrderRejection
.awaiting_order_ids``); every other rejection is skipped before a book is loaded. If one of those
orders has filled here, the exit is sent now; otherwise the fill of one of them sends it
(``MintBook.request_exit``). The exit signal has reason ``strategy`` and the id
``exit|instance|direction|<source>`` of the rejection or fill that triggered it; an exit already
in flight is not doubled. An exit of ours refused that way (the gate had not seen the position we
opened yet) is sent again, at most ``MAX_EXIT_RESENDS`` times per position.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from collections.abc import Sequence
from typing import Any

from faust.types import EventT

from memesnipe.agents.batching import dead_letter
from memesnipe.agents.channels import names, topic
from memesnipe.agents.reordered import run_reordered
from memesnipe.agents.stage import Effects, Stage, send_all
from memesnipe.app import app, settings
from memesnipe.core.position_book import decode_book
from memesnipe.core.position_messages import CONSUMER, book_policy, default_rules
from memesnipe.metrics import EVENTS_IN, PNL_REALIZED, SIGNALS
from memesnipe.processors.positions import (
    INPUTS,
    SHORT_NAME,
    SOURCES,
    BatchResult,
    FlattenLookup,
    PositionProcessor,
    RulesLookup,
    flatten_reason,
    flatten_signals,
)
from memesnipe.streams.codec import encode
from memesnipe.streams.control import StrategySpec
from memesnipe.tables.control import shared_kill_view
from memesnipe.tables.positions import position_books, position_exit_params

__all__ = [
    "SOURCES",
    "FlattenLookup",
    "PositionProcessor",
    "RulesLookup",
    "book_policy",
    "default_rules",
    "flatten_signals",
]

log = logging.getLogger(__name__)
kill_view = shared_kill_view(settings)

source = app.topic(
    *(names(t) for t in SOURCES),
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
    partitions=settings.kafka.partitions,
    internal=False,
)
stage = Stage(CONSUMER, INPUTS)
specs_stage = Stage(f"{CONSUMER}.specs", {"specs": StrategySpec}, latency=False)

processor = PositionProcessor(
    load=position_books.get,
    rules_for=RulesLookup(default_rules(settings.exits), position_exit_params),
    policy=dataclasses.replace(book_policy(settings.exits), wall_clock=time.time),
    flatten=FlattenLookup(kill_view),
)


async def finish(res: BatchResult, events: Sequence[EventT]) -> None:
    """Dead letters, then the outputs (acknowledged by the broker), then the books the worker
    still owns (``agents.stage``)."""
    await stage.commit(Effects(dead=res.dead, sends=res.sends, writes=[(position_books, res.changes)]))
    for name in SOURCES:
        n = sum(1 for ev in events if SHORT_NAME.get(ev.message.topic) == name)
        if n:
            EVENTS_IN.labels(topic=name).inc(n)
    for inst, delta in res.realized.items():
        PNL_REALIZED.labels(strategy=inst).inc(delta)


@app.agent(source, name="memesnipe.agents.position_manager.manage_positions")
async def manage_positions(stream: Any) -> None:
    await topic("killswitch").maybe_declare()
    await kill_view.ensure_started()  # a flatten asked before this start is applied from the first mark
    if settings.kafka.reorder_window_s > 0:
        await _run_reordered(stream)
        return
    async for events in stage.batches(stream):
        await finish(processor.process(events), events)


async def _run_reordered(stream: Any) -> None:
    """With the event-time reorder window on (replays), inputs are applied in event-time order
    across the five topics (``agents.reordered``, window 0): an input is held only while another
    topic-partition of its partition still has unread input and has delivered nothing later
    than it. A replay reads its topics at different paces; without this, a refused strategy
    exit read hours of event time ahead of the prices would be claimed before the stops those
    prices trip, and a fill read before a rug that precedes it would miss it. Fills the
    pipeline has not produced yet cannot be waited for: those arrive late and re-apply the
    marks they missed (``MintBook.apply_fill``)."""

    async def decode_one(ev: Any) -> tuple[float, Any] | None:
        item = processor.decode_input(ev)
        if isinstance(item, str):
            await dead_letter(ev, item, CONSUMER)
            return None
        if item is None:
            return None  # not for us: acknowledged at once
        return item.ts.timestamp(), item

    async def apply(items: list[Any]) -> None:
        events = [it[5] for it in items]
        await finish(processor.process_decoded([(it[5], it[4]) for it in items]), events)

    await run_reordered(
        stream,
        stage=CONSUMER,
        topics=[names(t) for t in SOURCES],
        window_s=0.0,
        decode=decode_one,
        apply=apply,
    )


@app.agent(topic("specs"), name="memesnipe.agents.position_manager.track_exit_params")
async def track_exit_params(stream: Any) -> None:
    """Each spec's ``params["exits"]`` into a GlobalTable every worker reads; bad ones are
    dead-lettered with the reason and the defaults stay in force for that strategy."""
    default = default_rules(settings.exits)
    async for events in specs_stage.batches(stream):
        for ev, _short, spec in await specs_stage.decode(events):
            params = spec.params.get("exits") or {}
            try:
                if not isinstance(params, dict):
                    raise ValueError(f"params['exits'] must be an object, got {type(params).__name__}")
                default.with_overrides(params)
            except Exception as exc:  # a failing validator of any kind: defaults, dead letter
                await dead_letter(
                    ev, f"spec {spec.instance_id}: {exc}; default exits apply", specs_stage.name
                )
                params = {}
            value = json.dumps(params, sort_keys=True).encode()
            key = spec.instance_id.encode()
            if position_exit_params.get(key) != value:
                await specs_stage.write(position_exit_params, {key: (ev, value)})


@app.on_before_shutdown.connect  # type: ignore[arg-type]
async def _stop_kill_view(sender: Any, **kwargs: Any) -> None:
    """Close the kill-switch view's consumer with the worker."""
    await kill_view.stop()


_swept: set[str] = set()


@app.timer(interval=1.0, name="memesnipe.agents.position_manager.flatten_sweep")
async def flatten_sweep() -> None:
    """Every worker, once per flatten request: exit all positions in the books it owns now,
    without waiting for their next mark (a token whose price feed stopped still gets closed).
    Positions that arrive later (rebalance, fills in flight) are flattened by their marks."""
    kill = kill_view.status.message  # the latest readable record, when it is the answer
    if kill is None or not flatten_reason(kill) or kill.ts.isoformat() in _swept:
        return
    books = [decode_book(v) for v in list(position_books.values()) if v]
    sigs = flatten_signals(books, kill)
    await send_all([("signals", s.mint.encode(), encode(s)) for s in sigs])
    for s in sigs:
        SIGNALS.labels(strategy=s.instance_id, intent="exit").inc()
    _swept.add(kill.ts.isoformat())
    log.warning("flatten sweep: %d exit signal(s) for %s", len(sigs), flatten_reason(kill))
