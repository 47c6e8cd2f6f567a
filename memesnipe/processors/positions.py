"""The position manager's processor: inputs applied to the mints' books, outputs as data.

No Faust and no I/O here (``agents.position_manager`` reads and writes the tables and topics):
:class:`PositionProcessor` takes Kafka-shaped events (anything with ``message.topic``,
``.partition``, ``.offset``, ``.key`` and ``value``) and a function that loads a stored book, and
returns what the batch produced (:class:`BatchResult`): messages to send, books to write,
inputs to dead-letter. The lookups turn what the agents keep (exit params per strategy, the kill
switch) into the processor's rules and flatten reason; :func:`flatten_signals` is the kill
switch's sweep over the books.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
    FLATTEN_PREFIX,
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
from memesnipe.metrics import ASOF_FALLBACKS, SIGNALS
from memesnipe.settings import get_settings
from memesnipe.streams.codec import DecodeError, decode_record, encode
from memesnipe.streams.control import KillSwitch
from memesnipe.streams.market import DepthEvent, PriceEvent
from memesnipe.streams.topics import topic_names
from memesnipe.streams.trading import Fill, Intent, OrderRejection, Side, Signal

log = logging.getLogger("memesnipe.agents.position_manager")  # exits log under their stage's name

Send = tuple[str, bytes | None, bytes]
"""(short topic name, key, value)."""
EventT = Any
"""A Kafka-shaped event: ``message.topic/partition/offset/key`` and ``value``."""

SOURCES = ("fills", "price", "depth", "signals", "rejections")
INPUTS: dict[str, type] = {
    "fills": Fill,
    "price": PriceEvent,
    "depth": DepthEvent,
    "signals": Signal,
    "rejections": OrderRejection,
}
_names = topic_names(get_settings())
SHORT_NAME: Mapping[str, str] = {_names(t): t for t in SOURCES}
"""Full topic name -> short name, for the five inputs."""


def source_id(event: EventT) -> str:
    """A stable id for the input message: ``topic/partition/offset``. Outputs derive their ids
    from it, so reprocessing the same input after a crash yields the same output ids."""
    m = event.message
    return f"{m.topic}/{m.partition}/{m.offset}"


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
