"""Position manager: fills open and close positions, price marks move their stops, and exits
leave as signals through the same risk gate / router / signer path as entries.

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
import hashlib
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from faust.types import EventT

from memesnipe.agents.batching import dead_letter, source_id
from memesnipe.agents.channels import names, topic
from memesnipe.agents.reordered import run_reordered
from memesnipe.agents.stage import Effects, Send, Stage, send_all
from memesnipe.app import app, settings
from memesnipe.core.exits import ExitDecision, ExitReason, ExitRules
from memesnipe.core.position_book import (
    BookError,
    BookPolicy,
    ExitOrder,
    MarketStamp,
    MintBook,
    decode_book,
    encode_book,
    position_key,
)
from memesnipe.core.position_messages import (
    CONSUMER,
    FLATTEN_PREFIX,
    book_policy,
    default_rules,
    exit_request_reason,
    exit_signal,
    is_rug,
    is_sweep_exit,
    is_venue_degrade,
    position_update,
    wants_rejection,
    wants_signal,
)
from memesnipe.core.positions import Position
from memesnipe.core.trailing_stop import Direction
from memesnipe.logs import ids
from memesnipe.metrics import ASOF_FALLBACKS, EVENTS_IN, PNL_REALIZED, SIGNALS
from memesnipe.streams.codec import DecodeError, decode_record, encode
from memesnipe.streams.control import KillSwitch, StrategySpec
from memesnipe.streams.market import DepthEvent, PriceEvent
from memesnipe.streams.trading import (
    Fill,
    Intent,
    OrderRejection,
    Side,
    Signal,
)
from memesnipe.tables.control import shared_kill_view
from memesnipe.tables.positions import position_books, position_exit_params

log = logging.getLogger(__name__)
kill_view = shared_kill_view(settings)

SOURCES = ("fills", "price", "depth", "signals", "rejections")

source = app.topic(
    *(names(t) for t in SOURCES),
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
    partitions=settings.kafka.partitions,
    internal=False,
)
SHORT_NAME = {names(t): t for t in SOURCES}
INPUTS: dict[str, type] = {
    "fills": Fill,
    "price": PriceEvent,
    "depth": DepthEvent,
    "signals": Signal,
    "rejections": OrderRejection,
}


stage = Stage(CONSUMER, INPUTS)
specs_stage = Stage(f"{CONSUMER}.specs", {"specs": StrategySpec}, latency=False)


class RulesLookup:
    """instance_id -> ExitRules: the defaults with the spec's ``params["exits"]`` applied.
    Parsed once per distinct stored value, so a mark costs one dict lookup."""

    def __init__(self, default: ExitRules, table: Any) -> None:
        self.default = default
        self.table = table
        self._cache: dict[str, tuple[bytes, ExitRules]] = {}

    def __call__(self, instance_id: str) -> ExitRules:
        raw = self.table.get(instance_id.encode()) if self.table is not None else None
        if not raw:
            return self.default
        hit = self._cache.get(instance_id)
        if hit is not None and hit[0] == raw:
            return hit[1]
        try:
            rules = self.default.with_overrides(json.loads(raw))
        except Exception as exc:  # validated on the way in; keep the defaults if not
            log.error("exit params of %s unusable (%s); using defaults", instance_id, exc)
            rules = self.default
        self._cache[instance_id] = (raw, rules)
        return rules


class FlattenLookup:
    """The reason to flatten everything now ("" = none): the kill switch's one answer
    (``core.control``; anything with a ``status``: the process's view, a fold) is a readable
    active record with ``flatten``. Not ready, unreadable or a tombstone: pause, never flatten."""

    def __init__(self, kill: Any) -> None:
        self.kill = kill

    def __call__(self) -> str:
        return self.kill.status.flatten_reason() if self.kill is not None else ""


def flatten_reason(kill: KillSwitch) -> str:
    if not (kill.active and kill.flatten):
        return ""
    return f"kill switch by {kill.by}: {kill.reason or 'no reason given'}"


# ------------------------------------------------------------------------ batch processing


@dataclass
class BatchResult:
    """What one batch produced: messages to send, books to write, inputs to dead-letter."""

    sends: list[Send] = field(default_factory=list)  # (topic short name, key, value)
    changes: dict[bytes, tuple[EventT, bytes]] = field(default_factory=dict)
    dead: list[tuple[EventT, str]] = field(default_factory=list)
    realized: dict[str, int] = field(default_factory=dict)  # instance -> realized net PnL change
    exits: int = 0
    applied: int = 0
    skipped: int = 0


def input_id(short: str, ev: EventT, item: Any) -> str:
    """The part of an exit's id naming the input that triggered it. A market event is named by
    ``topic/partition/offset``. Our own fills, signals and rejections by ``topic/<their own id>``:
    a stage restarted after a crash re-emits them at new offsets (every consumer deduplicates
    them by id), and an exit they trigger must keep its id however many copies came before
    (tests/faults: an exit named the offset of a fill after a re-emitted copy of an earlier fill,
    so its order and fill ids differed from a clean run's)."""
    if short == "fills":
        return f"{ev.message.topic}/{item.fill_id}"
    if short in ("signals", "rejections"):
        return f"{ev.message.topic}/{hashlib.sha256(item.signal_id.encode()).hexdigest()[:16]}"
    return source_id(ev)


class PositionProcessor:
    """Applies a batch of raw events to the mints' books. No I/O: ``load`` reads a stored book."""

    def __init__(
        self,
        load: Callable[[bytes], bytes | None],
        rules_for: Callable[[str], ExitRules],
        policy: BookPolicy,
        flatten: Callable[[], str] = lambda: "",
    ) -> None:
        self.load = load
        self.rules_for = rules_for
        self.policy = policy
        self.flatten = flatten

    @staticmethod
    def decode_input(ev: EventT) -> Any:
        """The event's message; a ``str`` (the reason) if it must be dead-lettered; None if it
        is not for the position manager (a signal or rejection it does not need)."""
        msg = ev.message
        short = SHORT_NAME.get(msg.topic)
        if short is None:
            return None
        try:
            item: Any = decode_record(ev.value, INPUTS[short], topic=short, key=msg.key)
        except DecodeError as exc:  # every wire check, the key = mint one included
            return f"{short}: {exc}"
        if short == "signals" and not wants_signal(item):
            return None  # not for us; no book to touch
        if short == "rejections" and not wants_rejection(item):
            return None  # only exits refused before their entry filled concern the book
        return item

    def process(self, events: Sequence[EventT]) -> BatchResult:
        """Decode and apply a batch in offset order (see :meth:`process_decoded`)."""
        dec = self.decode_input
        decoded = [(ev, dec(ev)) for ev in events]
        res = self.process_decoded([d for d in decoded if d[1] is not None and type(d[1]) is not str])
        res.dead[:0] = [d for d in decoded if type(d[1]) is str]
        return res

    def process_decoded(self, inputs: Sequence[tuple[EventT, Any]]) -> BatchResult:
        """Apply decoded inputs in the given order, each to its mint's book."""
        res = BatchResult()
        books: dict[bytes, MintBook | None] = {}
        touched: dict[bytes, EventT] = {}
        updates: dict[tuple[bytes, str], Position] = {}  # latest state to publish per position
        for ev, item in inputs:
            msg = ev.message
            short = SHORT_NAME[msg.topic]
            key = item.mint.encode()
            book = books[key] if key in books else self._load(key, books)
            if book is None:
                # a mark for a token we hold nothing in still gets a book: its recent marks are
                # what a fill consumed later, at an earlier event time, must still see. A new
                # book follows the token's depth from its start (exits are stamped from it).
                book = books[key] = MintBook(mint=item.mint, depth_complete=True)
            if book.is_applied(msg.topic, msg.offset):
                res.skipped += 1
                continue
            sid = input_id(short, ev, item)
            try:
                if short == "fills":
                    self._fill(book, item, sid, res, updates, key)
                elif short == "price":
                    self._mark(book, item, sid, res, updates, key)
                elif short == "depth":
                    levels = tuple((lv.size_usd, lv.impact_bps) for lv in item.levels)
                    book.note_depth(item.ts.timestamp(), levels, item.liquidity_usd, self.policy)
                elif short == "rejections":
                    self._rejection(book, item, sid, res, updates, key)
                else:
                    self._signal(book, item, sid, res, updates, key)
            except BookError as exc:
                res.dead.append((ev, str(exc)))
            except Exception as exc:  # a bug must not stop every other token's stops
                log.exception("position manager failed on %s", sid)
                res.dead.append((ev, f"{short}: internal error {type(exc).__name__}: {exc}"))
            book.record(msg.topic, msg.offset)
            touched[key] = ev
            res.applied += 1
        for (_key, _pid), pos in updates.items():
            res.sends.append(
                (
                    "positions",
                    pos.mint.encode(),
                    encode(position_update(pos, self.rules_for(pos.instance_id))),
                )
            )
        for key, ev in touched.items():
            book = books[key]
            assert book is not None
            res.changes[key] = (ev, encode_book(book))
        return res

    def _load(self, key: bytes, books: dict[bytes, MintBook | None]) -> MintBook | None:
        raw = self.load(key)
        book = books[key] = decode_book(raw) if raw is not None else None
        return book

    def _fill(
        self, book: MintBook, fill: Fill, sid: str, res: BatchResult, updates: dict, key: bytes
    ) -> None:
        flatten = self.flatten()
        out = book.apply_fill(fill, sid, self.policy, self.rules_for, flatten)
        if out is None:
            return
        if out.fallback:
            ASOF_FALLBACKS.labels(stage="position_manager.marks").inc()
        updates[(key, out.position.position_id)] = out.position
        if out.effect.realized_net_lamports:
            res.realized[fill.instance_id] = (
                res.realized.get(fill.instance_id, 0) + out.effect.realized_net_lamports
            )
        if out.effect.excess_qty:
            log.warning(
                "fill %s %s %d tokens more than %s held in %s",
                fill.fill_id,
                fill.side,
                out.effect.excess_qty,
                fill.instance_id,
                fill.mint,
            )
        if out.exit is not None:
            self._exit(out.exit, fill.ts, fill.price_usd, res)
        for o in out.marks:  # later marks consumed before this fill, re-applied to its position
            if o.publish:
                updates[(key, o.position.position_id)] = o.position
            if o.exit is not None:
                self._exit(o.exit, datetime.fromtimestamp(o.ts_s, UTC), o.price_usd, res)

    def _mark(
        self, book: MintBook, ev: PriceEvent, sid: str, res: BatchResult, updates: dict, key: bytes
    ) -> None:
        if not book.positions:
            book.note_mark(ev.price_sol, ev.decimals, ev.ts.timestamp(), sid, ev.price_usd, self.policy)
            return
        marks = book.apply_mark(
            ev.price_sol,
            ev.decimals,
            ev.ts.timestamp(),
            sid,
            self.rules_for,
            self.policy,
            self.flatten(),
            ev.price_usd,
        )
        for o in marks:
            if o.publish:
                updates[(key, o.position.position_id)] = o.position
            if o.exit is not None:
                self._exit(o.exit, ev.ts, ev.price_usd, res)

    def _signal(
        self, book: MintBook, sig: Signal, sid: str, res: BatchResult, updates: dict, key: bytes
    ) -> None:
        if sig.intent is Intent.ENTRY and sig.side is Side.SHORT and sig.perp_market_index is not None:
            book.note_perp_market(sig.instance_id, sig.perp_market_index)
        if is_sweep_exit(sig):
            direction = Direction.LONG if sig.side is Side.SELL else Direction.SHORT
            if book.note_exit(sig.instance_id, direction, sig.signal_id, ExitReason.FLATTEN.value):
                pos = book.positions[position_key(sig.instance_id, direction)]
                updates[(key, pos.position_id)] = pos
        if is_rug(sig):
            stamp = MarketStamp(sig.ts.timestamp(), sig.price_sol, sig.price_usd, sig.depth)
            for order in book.apply_rug(sig.reason, sig.ts.timestamp(), sid, self.policy):
                updates[(key, order.position.position_id)] = order.position
                # the rug's own market (the runner's stamp), as the backtester fills it
                self._exit(dataclasses.replace(order, stamp=stamp), sig.ts, sig.price_usd, res)

    def _rejection(
        self, book: MintBook, rej: OrderRejection, sid: str, res: BatchResult, updates: dict, key: bytes
    ) -> None:
        """An exit the gate refused because its entry had not filled yet: exit once it has. A
        short refused for want of a live perp venue: its thesis exits the mint's longs (as a rug)."""
        if is_venue_degrade(rej):
            stamp = MarketStamp(rej.ts.timestamp(), rej.price_sol, rej.price_usd, rej.depth)
            for out in book.apply_rug(rej.reason, rej.ts.timestamp(), sid, self.policy):
                updates[(key, out.position.position_id)] = out.position
                self._exit(dataclasses.replace(out, stamp=stamp), rej.ts, rej.price_usd, res)
            return
        if rej.side is Side.SELL:
            direction = Direction.LONG
        elif rej.side is Side.COVER:
            direction = Direction.SHORT
        else:
            raise BookError(f"rejection of {rej.signal_id}: {rej.rule} with side {rej.side}, not an exit")
        order = book.request_exit(
            rej.instance_id,
            direction,
            rej.awaiting_order_ids,
            exit_request_reason(rej),
            sid,
            rej.ts.timestamp(),
            self.policy,
            rejected_id=rej.signal_id,
            stamp=MarketStamp(rej.ts.timestamp(), rej.price_sol, rej.price_usd, rej.depth),
        )
        if order is not None:
            updates[(key, order.position.position_id)] = order.position
            self._exit(order, rej.ts, 0.0, res)

    def _exit(self, order: ExitOrder, ts: datetime, price_usd: float, res: BatchResult) -> None:
        sig = exit_signal(order, ts, price_usd)
        res.sends.append(("signals", sig.mint.encode(), encode(sig)))
        res.exits += 1
        SIGNALS.labels(strategy=sig.instance_id, intent="exit").inc()
        log.info(
            "exit %s %s on %s: %s",
            sig.instance_id,
            sig.side,
            sig.mint,
            sig.reason,
            extra=ids(
                decision="exit",
                signal_id=sig.signal_id,
                instance_id=sig.instance_id,
                mint=sig.mint,
                exit_reason=sig.meta.get("exit_reason"),
                position_id=sig.meta.get("position_id"),
            ),
        )


# ------------------------------------------------------------------------ the agents

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


def flatten_signals(books: Iterable[MintBook], kill: KillSwitch) -> list[Signal]:
    """Exit signals for every open position without an exit in flight, for a kill switch that
    asks to flatten. Ids derive from the kill switch (``flatten|<ts>|instance|direction``; the
    order id adds the mint), so every sweep, worker and restart produces the same ids and
    downstream keeps one each."""
    reason = flatten_reason(kill)
    if not reason:
        return []
    decision = ExitDecision(ExitReason.FLATTEN, f"flatten: {reason}")
    out = []
    for book in books:
        for pos in book.positions.values():
            if pos.is_open and not pos.pending_exit_id:
                sid = f"{FLATTEN_PREFIX}{kill.ts.isoformat()}|{pos.instance_id}|{pos.direction.value}"
                out.append(exit_signal(ExitOrder(pos, decision, sid), kill.ts))
    return out


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
