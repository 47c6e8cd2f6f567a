"""The strategy engine: routes events to subscribed instances, applies steps to per-(instance,
mint) state, keeps each mint's market context and turns emits into wire ``Signal`` messages.

Pure (no Faust, no Kafka): the runner agent and the in-process backtest both drive it. State is
reached through two loader callables so the caller decides where it lives (a Faust table, a
dict); the engine caches what it loads for one batch and reports which keys changed, so the
caller writes each changed key once per batch.

Exact recovery: every strategy state records the last applied offset per input topic in
``_off``; an input at or below it is skipped, so re-delivery after a crash does not apply an
event twice. (The market context is last-value data guarded by event time instead: a replayed
older price or depth snapshot never overwrites a newer one.) Signal ids derive from the input
(``topic/partition/offset|instance``) so re-emitted signals carry the same ids and downstream
deduplicates them.

Ordering: within a batch, inputs are applied in event-time order (``order_batch``); across
batches, in arrival order. Single-topic families are therefore exactly reproducible however the
stream is batched; families reading two topics (``perp_basis_arb``, ``liquidity_migration``) and
the price and depth stamped on signals can differ when a batch boundary splits same-instant events
of two topics differently. Replays in one batch (the backtest) are fully deterministic.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from memesnipe.core.risk import carried_facts, fold_fact
from memesnipe.core.strategies.base import Emit, SpecError, State, Strategy, build_strategy, subscribed_types
from memesnipe.streams.control import StrategySpec
from memesnipe.streams.market import (
    BridgeEvent,
    DepthEvent,
    FundingEvent,
    MarketEvent,
    OnChainEvent,
    PriceEvent,
    SocialEvent,
    SolPriceEvent,
)
from memesnipe.streams.trading import DepthStamp, Intent, SafetyStamp, Side, Signal

NO_PERP_REASON = "no Drift perp market for this token: closing longs and blocking new entries"

Item = tuple[float, str, int, int, MarketEvent, Any]
"""One input: (event time as epoch seconds, topic, partition, offset, decoded event, caller's
reference e.g. the Faust event). The time is computed once, where the event is decoded."""

Loader = Callable[[str], State | None]


_UNSET: Any = object()
"""Marks a route or slot that applied no input in this batch (references may be None)."""


def new_context() -> State:
    """A mint's market context: last spot price (USD, SOL), its time, the Drift perp market, and
    the last depth snapshot: its levels (the event's own ``DepthLevel`` list; ``{size_usd,
    impact_bps}`` objects once stored and loaded again), liquidity and time. A context stored
    before depth was kept has no ``dl``: its signals carry no depth stamp until the next one.

    ``sf``: the token-safety facts, fact -> ``(event time, value, source)`` folded from the
    on-chain messages by ``core.risk.fold_fact`` (the risk gate's rule). A context stored before
    they were kept has no ``sf`` and never starts one (it has not seen the earlier facts): its
    signals carry no safety stamp and the gate uses its own as-of history, as before."""
    return {"px": 0.0, "ps": 0.0, "pt": 0.0, "pm": -1, "dl": [], "dq": 0.0, "dt": 0.0, "sf": {}}


def order_batch(items: list[Item]) -> list[Item]:
    """Event-time order across topics, never reordering one partition's own messages.

    A stable sort on (event time, type rank) is exact when each partition's timestamps are non-decreasing
    (the normal case, checked in one pass); otherwise the partitions' runs are merged by time,
    so the per-partition offset guard can never see a later offset before an earlier one.
    """
    items.sort(key=_order_key)
    last: dict[tuple[str, int], int] = {}
    for it in items:
        tp = (it[1], it[2])
        if last.get(tp, -1) > it[3]:
            break
        last[tp] = it[3]
    else:
        return items
    runs: dict[tuple[str, int], list[Item]] = {}
    for it in sorted(items, key=_offset_of):
        runs.setdefault((it[1], it[2]), []).append(it)
    return list(heapq.merge(*runs.values(), key=_order_key))


_RANK = {
    PriceEvent: 0,
    SolPriceEvent: 1,
    DepthEvent: 2,
    FundingEvent: 3,
    SocialEvent: 4,
    BridgeEvent: 5,
    Signal: 7,
}
"""Tie-break for inputs with the same event time: prices first (the rest then sees the price
of that instant), then a fixed order (on-chain and anything else 6), so equal times never depend
on arrival order. Signals (the risk gate's reordered inputs) come last: the facts of the same
instant are known when they are decided."""


def _order_key(item: Item) -> tuple[float, int]:
    return (item[0], _RANK.get(type(item[4]), 6))


def _offset_of(item: Item) -> tuple[str, int, int]:
    return (item[1], item[2], item[3])


@dataclass(slots=True)
class BatchResult:
    signals: list[tuple[Any, Signal]] = field(default_factory=list)
    """(reference of the input that caused it, signal), in processing order."""
    states: dict[str, tuple[Any, State]] = field(default_factory=dict)
    """Changed strategy states: key -> (reference of the last input applied, state)."""
    contexts: dict[str, tuple[Any, State]] = field(default_factory=dict)
    """Changed market contexts: mint -> (reference, context)."""
    applied: int = 0
    skipped: int = 0


class StrategyEngine:
    """Holds the running strategy instances and the routing table (event type -> instances)."""

    def __init__(self) -> None:
        self._instances: dict[str, Strategy[Any]] = {}
        self._specs: dict[str, StrategySpec] = {}
        self.routes: dict[type, tuple[Strategy[Any], ...]] = {}

    # --- registry -----------------------------------------------------------------------------

    @property
    def instances(self) -> dict[str, Strategy[Any]]:
        return dict(self._instances)

    def apply_spec(self, spec: StrategySpec) -> str:
        """Add, change or disable one instance; returns what happened.

        Raises SpecError (and leaves the running set untouched) when the spec cannot run.
        """
        iid = spec.instance_id
        if not spec.enabled:
            if iid in self._instances:
                del self._instances[iid]
                self._specs.pop(iid, None)
                self._rebuild()
                return "disabled"
            return "unchanged"
        inst = build_strategy(iid, spec.family, spec.params)
        old = self._instances.get(iid)
        if old is not None and old.family == inst.family and old.params == inst.params:
            return "unchanged"
        self._instances[iid] = inst
        self._specs[iid] = spec
        self._rebuild()
        return "updated" if old is not None else "added"

    def remove(self, instance_id: str) -> bool:
        """Stop an instance (its table state stays; re-enabling resumes it)."""
        if self._instances.pop(instance_id, None) is None:
            return False
        self._specs.pop(instance_id, None)
        self._rebuild()
        return True

    def sync(self, specs: Iterable[StrategySpec]) -> dict[str, str]:
        """Make the running set equal the enabled, valid specs (by instance id)."""
        seen: set[str] = set()
        out: dict[str, str] = {}
        for spec in specs:
            seen.add(spec.instance_id)
            try:
                out[spec.instance_id] = self.apply_spec(spec)
            except SpecError as exc:
                out[spec.instance_id] = f"refused: {exc}"
        for iid in list(self._instances):
            if iid not in seen:
                del self._instances[iid]
                self._specs.pop(iid, None)
                out[iid] = "removed"
        if any(v == "removed" for v in out.values()):
            self._rebuild()
        return out

    def _rebuild(self) -> None:
        routes: dict[type, list[Strategy[Any]]] = {}
        for iid in sorted(self._instances):
            inst = self._instances[iid]
            for tp in subscribed_types(type(inst)):
                routes.setdefault(tp, []).append(inst)
        self.routes = {tp: tuple(v) for tp, v in routes.items()}

    # --- processing ---------------------------------------------------------------------------

    def process(
        self,
        items: Iterable[Item],
        load_state: Loader,
        load_context: Loader,
    ) -> BatchResult:
        """Apply a batch of inputs in the given order (see :func:`order_batch`)."""
        res = BatchResult()
        routes = self.routes
        price_t = PriceEvent
        funding_t = FundingEvent
        depth_t = DepthEvent
        onchain_t = OnChainEvent
        # per event type and mint: a route [slots, topic, guard, last offset, last ref], where a slot
        # is [step, state, offsets, instance, key, ref-of-last-input-applied-by-the-slow-path].
        # ``guard`` is the highest offset any of the slots has already applied for ``topic``: an
        # input above it is new to all of them (the normal case) and skips the per-slot check.
        by_type: dict[type, dict[str, list[Any]]] = {tp: {} for tp in routes}
        slots_by_key: dict[str, list[Any]] = {}
        fast_routes: list[list[Any]] = []
        ctxs: dict[str, State] = {}
        ctx_ref: dict[str, Any] = {}
        signals = res.signals
        skipped = 0

        for t, topic, part, off, ev, ref in items:
            cls = type(ev)
            mint = ev.mint
            if cls is price_t:
                ctx = ctxs.get(mint)
                if ctx is None:
                    ctx = ctxs[mint] = load_context(mint) or new_context()
                if ev.price_usd > 0.0 and t >= ctx["pt"]:  # type: ignore[attr-defined]
                    ctx["px"] = ev.price_usd  # type: ignore[attr-defined]
                    ctx["ps"] = ev.price_sol  # type: ignore[attr-defined]
                    ctx["pt"] = t
                    ctx_ref[mint] = ref
            elif cls is depth_t:
                ctx = ctxs.get(mint)
                if ctx is None:
                    ctx = ctxs[mint] = load_context(mint) or new_context()
                if t >= ctx.get("dt", 0.0):  # as the price: event time wins, ties the later one
                    ctx["dl"] = ev.levels  # type: ignore[attr-defined]  # converted only when stamped
                    ctx["dq"] = ev.liquidity_usd  # type: ignore[attr-defined]
                    ctx["dt"] = t
                    ctx_ref[mint] = ref
            elif cls is funding_t and ev.market_index >= 0:  # type: ignore[attr-defined]
                ctx = ctxs.get(mint)
                if ctx is None:
                    ctx = ctxs[mint] = load_context(mint) or new_context()
                if ctx["pm"] != ev.market_index:  # type: ignore[attr-defined]
                    ctx["pm"] = ev.market_index  # type: ignore[attr-defined]
                    ctx_ref[mint] = ref
            elif cls is onchain_t:
                carried = carried_facts(ev)
                if carried:
                    ctx = ctxs.get(mint)
                    if ctx is None:
                        ctx = ctxs[mint] = load_context(mint) or new_context()
                    sf = ctx.get("sf")
                    if sf is not None:  # None: a context from before the facts were kept
                        src = ev.source
                        for n, v in carried.items():
                            fold_fact(sf, n, t, v, src)
                        ctx_ref[mint] = ref
            per_mint = by_type.get(cls)
            if per_mint is None:
                continue
            route = per_mint.get(mint)
            if route is None:
                slots = [self._slot(inst, mint, slots_by_key, load_state) for inst in routes[cls]]
                guard = max(s[2].get(topic, -1) for s in slots)
                route = per_mint[mint] = [slots, topic, guard, -1, _UNSET]
                fast_routes.append(route)
            if off > route[2] and topic == route[1]:
                route[3] = off
                route[4] = ref
                for slot in route[0]:
                    st = slot[1]
                    new, emits = slot[0](st, ev, t)
                    if new is not st:
                        self._replace(slot, new)
                    if emits:
                        self._emit(signals, slot[3], ev, emits, ctxs, load_context, topic, part, off, ref)
                continue
            for slot in route[0]:  # replayed input (or a second topic for this type): per-slot guard
                offs = slot[2]
                if offs.get(topic, -1) >= off:
                    skipped += 1
                    continue
                st = slot[1]
                new, emits = slot[0](st, ev, t)
                offs[topic] = off
                slot[5] = ref
                if new is not st:
                    self._replace(slot, new)
                if emits:
                    self._emit(signals, slot[3], ev, emits, ctxs, load_context, topic, part, off, ref)
        for route in fast_routes:
            if route[4] is _UNSET:
                continue
            topic, last = route[1], route[3]
            for slot in route[0]:
                offs = slot[2]
                if offs.get(topic, -1) < last:
                    offs[topic] = last
                slot[5] = route[4]
        for key, slot in slots_by_key.items():
            if slot[5] is not _UNSET:
                res.states[key] = (slot[5], slot[1])
                res.applied += 1
        for mint, ref in ctx_ref.items():
            res.contexts[mint] = (ref, ctxs[mint])
        res.skipped = skipped
        return res

    @staticmethod
    def _replace(slot: list[Any], new: State) -> None:
        """A step returned a new state object: carry the engine's bookkeeping over to it."""
        new["_off"] = slot[2]
        new["_fp"] = slot[3].fingerprint
        slot[1] = new

    def _emit(
        self,
        out: list[tuple[Any, Signal]],
        inst: Strategy[Any],
        ev: MarketEvent,
        emits: Sequence[Emit],
        ctxs: dict[str, State],
        load_context: Loader,
        topic: str,
        part: int,
        off: int,
        ref: Any,
    ) -> None:
        mint = ev.mint
        ctx = ctxs.get(mint)
        if ctx is None:
            ctx = ctxs[mint] = load_context(mint) or new_context()
        base = f"{topic}/{part}/{off}|{inst.instance_id}"
        for i, e in enumerate(emits):
            sig = self._signal(inst, ev, e, ctx, base, i)
            if sig is not None:
                out.append((ref, sig))

    def _slot(
        self, inst: Strategy[Any], mint: str, slots_by_key: dict[str, list[Any]], load_state: Loader
    ) -> list[Any]:
        key = inst.key_prefix + mint
        slot = slots_by_key.get(key)
        if slot is None:
            st = self._load(key, inst, load_state)
            slot = slots_by_key[key] = [inst.step, st, st["_off"], inst, key, _UNSET]
        return slot

    @staticmethod
    def _load(key: str, inst: Strategy[Any], load_state: Loader) -> State:
        st = load_state(key)
        if st is not None and st.get("_fp") == inst.fingerprint:
            return st
        fresh = inst.initial_state()
        fresh["_off"] = st["_off"] if st is not None else {}
        fresh["_fp"] = inst.fingerprint
        return fresh

    @staticmethod
    def _signal(
        inst: Strategy[Any], ev: MarketEvent, e: Emit, ctx: State, base_id: str, i: int
    ) -> Signal | None:
        side, intent, block, pm, reason = e.side, e.intent, e.block_entries, e.perp_market_index, e.reason
        if side is Side.SHORT and pm is None:
            pm = ctx["pm"] if ctx["pm"] >= 0 else None
            if pm is None:
                side, intent, block = Side.SELL, Intent.EXIT, True
                reason = f"{reason}; {NO_PERP_REASON}"
        elif side is Side.COVER and pm is None:
            pm = ctx["pm"] if ctx["pm"] >= 0 else None
            if pm is None:
                return None  # the short thesis was a long exit: there is no perp short to cover
        s = e.strength
        strength = 0.0 if not s > 0.0 else (1.0 if s > 1.0 else round(s, 6))
        return Signal(
            signal_id=base_id if i == 0 else f"{base_id}#{i}",
            instance_id=inst.instance_id,
            family=inst.family,
            mint=ev.mint,
            ts=ev.ts,
            side=side,
            intent=intent,
            strength=strength,
            reason=reason,
            price_usd=ctx["px"],
            price_sol=ctx["ps"],
            perp_market_index=pm,
            block_entries=block,
            meta=dict(e.meta),
            depth=depth_stamp(ctx),
            safety=safety_stamp(ctx),
        )


def depth_stamp(ctx: State) -> DepthStamp | None:
    """The context's depth as a signal's stamp: the last snapshot's levels and liquidity (none
    yet: empty, 0); None for a context stored before depth was kept (nothing known)."""
    levels = ctx.get("dl")
    if levels is None:
        return None
    return DepthStamp(
        levels=tuple(
            (lv["size_usd"], lv["impact_bps"]) if type(lv) is dict else (lv.size_usd, lv.impact_bps)
            for lv in levels
        ),
        liquidity_usd=ctx["dq"],
    )


def safety_stamp(ctx: State) -> SafetyStamp | None:
    """The context's safety facts as a signal's stamp (none yet: empty); None for a context
    stored before they were kept (the risk gate then uses its own as-of history)."""
    sf = ctx.get("sf")
    if sf is None:
        return None
    return SafetyStamp(facts={n: (v[0], v[1], v[2]) for n, v in sf.items()})


class InProcessRunner:
    """The engine over in-memory state: for backtests, benchmarks and tests.

    Offsets are sequence numbers per topic unless the items carry their own.
    """

    def __init__(self, engine: StrategyEngine) -> None:
        self.engine = engine
        self.states: dict[str, State] = {}
        self.contexts: dict[str, State] = {}

    def run(self, items: list[Item]) -> list[Signal]:
        """Apply items (put in event-time order first)."""
        res = self.engine.process(order_batch(items), self.states.get, self.contexts.get)
        for k, (_, st) in res.states.items():
            self.states[k] = st
        for k, (_, ctx) in res.contexts.items():
            self.contexts[k] = ctx
        return [s for _, s in res.signals]

    def run_events(self, events: Iterable[MarketEvent], start_offset: int = 0) -> list[Signal]:
        """Number the events per topic (by their ``type`` tag) and run them in event-time order."""
        counters: dict[str, int] = {}
        items: list[Item] = []
        for ev in events:
            tp = str(type(ev).__struct_config__.tag)  # e.g. "price"
            off = counters.get(tp, start_offset)
            counters[tp] = off + 1
            items.append((ev.ts.timestamp(), tp, 0, off, ev, None))
        return self.run(items)


def engine_for(specs: Iterable[StrategySpec]) -> StrategyEngine:
    """An engine running ``specs``; raises SpecError on the first bad one."""
    eng = StrategyEngine()
    for spec in specs:
        eng.apply_spec(spec)
    return eng
