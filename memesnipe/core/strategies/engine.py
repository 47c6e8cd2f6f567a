"""The strategy engine: routes events to subscribed instances, applies steps to per-(instance,
mint) state, keeps each mint's market context and turns emits into wire ``Signal`` messages.

Pure (no Faust, no Kafka): the runner agent and the in-process backtest both drive it. State is
reached through two loader callables so the caller decides where it lives (a Faust table, a
dict); the engine caches what it loads for one batch and reports which keys changed, so the
caller writes each changed key once per batch.

Exact recovery: every state (and every market context) records the last applied offset per
input topic in ``_off``; an input at or below it is skipped, so re-delivery after a crash does
not apply an event twice. Signal ids derive from the input (``topic/partition/offset|instance``)
so re-emitted signals carry the same ids and downstream deduplicates them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from memesnipe.core.strategies.base import Emit, SpecError, State, Strategy, build_strategy, subscribed_types
from memesnipe.streams.control import StrategySpec
from memesnipe.streams.market import FundingEvent, MarketEvent, PriceEvent
from memesnipe.streams.trading import Intent, Side, Signal

NO_PERP_REASON = "no Drift perp market for this token: closing longs and blocking new entries"

Item = tuple[str, int, int, MarketEvent, Any]
"""One input: (topic, partition, offset, decoded event, caller's reference e.g. the Faust event)."""

Loader = Callable[[str], State | None]


def new_context() -> State:
    """A mint's market context: last spot price (USD, SOL), its time, and the Drift perp market."""
    return {"px": 0.0, "ps": 0.0, "pt": 0.0, "pm": -1, "_off": {}}


def order_key(item: Item) -> tuple[datetime, str, int]:
    """Event time first, then topic and offset: a deterministic order within a batch."""
    return (item[3].ts, item[0], item[2])


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
        items: Sequence[Item],
        load_state: Loader,
        load_context: Loader,
    ) -> BatchResult:
        """Apply a batch of inputs (already in the order to apply them)."""
        res = BatchResult()
        cache: dict[str, State] = {}
        ctxs: dict[str, State] = {}
        changed = res.states
        ctx_changed = res.contexts
        routes = self.routes
        price_t = PriceEvent
        funding_t = FundingEvent
        applied = skipped = 0

        for topic, part, off, ev, ref in items:
            cls = type(ev)
            subs = routes.get(cls)
            is_px = cls is price_t
            if not is_px and cls is not funding_t and subs is None:
                continue
            mint = ev.mint
            t = ev.ts.timestamp()
            ctx = ctxs.get(mint)
            if ctx is None:
                ctx = load_context(mint) or new_context()
                ctxs[mint] = ctx
            if is_px or cls is funding_t:
                coff = ctx["_off"]
                if coff.get(topic, -1) < off:
                    if is_px:
                        if ev.price_usd > 0.0:  # type: ignore[attr-defined]
                            ctx["px"] = ev.price_usd  # type: ignore[attr-defined]
                            ctx["ps"] = ev.price_sol  # type: ignore[attr-defined]
                            ctx["pt"] = t
                    elif ev.market_index >= 0:  # type: ignore[attr-defined]
                        ctx["pm"] = ev.market_index  # type: ignore[attr-defined]
                    coff[topic] = off
                    ctx_changed[mint] = (ref, ctx)
            if subs is None:
                continue
            for inst in subs:
                key = inst.key_prefix + mint
                st = cache.get(key)
                if st is None:
                    st = self._load(key, inst, load_state)
                    cache[key] = st
                offs = st["_off"]
                if offs.get(topic, -1) >= off:
                    skipped += 1
                    continue
                new, emits = inst.step(st, ev, t)
                if new is not st:
                    new["_off"] = offs
                    new["_fp"] = inst.fingerprint
                    cache[key] = st = new
                offs[topic] = off
                changed[key] = (ref, st)
                applied += 1
                if emits:
                    for i, e in enumerate(emits):
                        sig = self._signal(inst, ev, e, ctx, f"{topic}/{part}/{off}|{inst.instance_id}", i)
                        if sig is not None:
                            res.signals.append((ref, sig))
        res.applied = applied
        res.skipped = skipped
        return res

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
        )


class InProcessRunner:
    """The engine over in-memory state: for backtests, benchmarks and tests.

    Offsets are sequence numbers per topic unless the items carry their own.
    """

    def __init__(self, engine: StrategyEngine) -> None:
        self.engine = engine
        self.states: dict[str, State] = {}
        self.contexts: dict[str, State] = {}

    def run(self, items: Sequence[Item]) -> list[Signal]:
        res = self.engine.process(items, self.states.get, self.contexts.get)
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
            tp = type(ev).__struct_config__.tag  # e.g. "price"
            off = counters.get(tp, start_offset)
            counters[tp] = off + 1
            items.append((str(tp), 0, off, ev, None))
        items.sort(key=order_key)
        return self.run(items)


def engine_for(specs: Iterable[StrategySpec]) -> StrategyEngine:
    """An engine running ``specs``; raises SpecError on the first bad one."""
    eng = StrategyEngine()
    for spec in specs:
        eng.apply_spec(spec)
    return eng
