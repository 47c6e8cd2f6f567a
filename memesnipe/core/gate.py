"""The risk gate's decision for one signal, and the per-mint state it keeps (pure).

The agent (``memesnipe.agents.risk_gate``) loads a mint's :class:`MintRiskState` from its
table, feeds it depth, on-chain facts and signals in offset order through :class:`RiskGate`,
sends what comes out, and writes the state back once per batch.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from operator import attrgetter, itemgetter
from typing import Any

import msgspec

from memesnipe.core.asof import AsOfHistory, newest_lost
from memesnipe.core.bounded import remember
from memesnipe.core.exposure import ExposureBook
from memesnipe.core.ids import order_id
from memesnipe.core.perp_venue import PERP_VENUE_DOWN, VenueStatus, degrade_reason
from memesnipe.core.risk import (
    ENTRY_FOR_EXIT,
    ENTRY_SIDES,
    EXIT_BEFORE_FILL,
    Decision,
    EntryContext,
    Rejection,
    RiskLimits,
    SafetyFacts,
    carried_facts,
    evaluate_entry,
    evaluate_exit,
    fold_fact,
    safety_facts_of,
)
from memesnipe.streams.control import KillSwitch, StrategyAllocation
from memesnipe.streams.market import SAFETY_FACTS, DepthEvent, OnChainEvent
from memesnipe.streams.trading import Intent, Order, OrderRejection, SafetyStamp, SafetyValue, Side, Signal

ASSUMED_LIVE = VenueStatus("perp", True, "not checked (assumed live)")

DEPTH_HISTORY = 32
"""Depth snapshots kept per mint for the as-of join (newest by event time)."""
SAFETY_HISTORY = 16
"""Safety-fact changes kept per mint for the as-of join (newest by event time)."""
PERP_INDEX_KEEP = 64
"""Strategy instances whose Drift market is remembered per mint (``MintRiskState.perp_index``,
the least recently used forgotten). Only a fallback: a cover takes its market from the held
position first; an instance is forgotten only after 64 others shorted the same token since."""
SAFETY_FIELDS = SAFETY_FACTS
DEPTH: AsOfHistory[tuple[float, float]] = AsOfHistory("risk_gate.depth", itemgetter(0), DEPTH_HISTORY)
"""The gate's depth history (``MintRiskState.depth_hist``, with ``depth_curves`` alongside)."""
FactValue = SafetyValue


class SafetyChange(msgspec.Struct, array_like=True):
    """One on-chain message's safety facts (``None``: not carried by that message) and the
    message's ``source`` (fields after the first four were appended: older states decode)."""

    ts: float
    mint_authority_live: bool | None = None
    freeze_authority_live: bool | None = None
    lp_locked_pct: float | None = None
    top10_holder_pct: float | None = None
    rugcheck_score: float | None = None
    rugcheck_danger: str | None = None
    bonding_curve_pct: float | None = None
    source: str = ""


SAFETY: AsOfHistory[SafetyChange] = AsOfHistory("risk_gate.safety", attrgetter("ts"), SAFETY_HISTORY)
"""The gate's safety-fact history (``MintRiskState.safety_hist``; evicted changes fold into
``safety_base``)."""


class MintRiskState(msgspec.Struct, kw_only=True):
    """One mint's gate state (JSON bytes in the ``risk_mint`` table).

    ``depth_usd``/``depth_ts`` and the four safety fields are the *latest consumed* values (the
    pre-as-of behaviour, kept as the fallback). The as-of join reads the bounded histories:

    * ``depth_hist``: ``(ts, depth_usd)`` sorted by event time (equal times: arrival order), at most
      ``DEPTH_HISTORY``; ``depth_lost_ts``: the newest event time evicted from it (None: nothing
      ever evicted, so the history is complete). ``depth_curves[i]``: the ``(size_usd,
      impact_bps)`` levels of ``depth_hist[i]`` (a state from before them: no levels).
    * ``safety_hist``: the safety changes sorted by event time, at most ``SAFETY_HISTORY``;
      evicted changes are folded into ``safety_base`` (fact -> ``[ts, value]``, newest event time
      wins per fact), ``safety_lost_ts`` is the newest evicted event time. Every fact keeps the
      source of the message that carried it (``safety_base_src``, ``SafetyChange.source``,
      ``fact_src``) and its own event time (``fact_ts`` for the latest consumed values).

    Evictions always remove the oldest entry, so every kept entry is at or after every evicted one.
    A state stored before the histories existed decodes with empty histories and is migrated in
    ``__post_init__`` (its latest values become the first entry, older times count as lost).
    """

    offsets: dict[str, int] = {}  # topic -> last applied offset (exact recovery)
    seen: list[str] = []  # recent signal ids, oldest first (replay guard)
    blocked: bool = False
    block_reason: str = ""
    depth_usd: float | None = None
    depth_ts: float = 0.0
    mint_authority_live: bool | None = None
    freeze_authority_live: bool | None = None
    lp_locked_pct: float | None = None
    top10_holder_pct: float | None = None
    safety_ts: float = 0.0
    perp_index: dict[str, int] = {}  # instance_id -> Drift market of its short (PERP_INDEX_KEEP)
    depth_hist: list[tuple[float, float]] = []
    depth_lost_ts: float | None = None
    safety_hist: list[SafetyChange] = []
    safety_base: dict[str, tuple[float, FactValue]] = {}
    safety_lost_ts: float | None = None
    migrated: bool = False  # the histories exist (a state from before them is migrated once)
    depth_curves: list[list[tuple[float, float]]] = []
    depth_levels: list[tuple[float, float]] = []  # of the latest consumed snapshot
    rugcheck_score: float | None = None
    rugcheck_danger: str | None = None
    bonding_curve_pct: float | None = None
    fact_ts: dict[str, float] = {}
    fact_src: dict[str, str] = {}
    safety_base_src: dict[str, str] = {}

    def __post_init__(self) -> None:
        self._migrate()
        if len(self.depth_curves) != len(self.depth_hist):  # a state from before the curves
            self.depth_curves = [[] for _ in self.depth_hist]

    def _migrate(self) -> None:
        if self.migrated:
            return
        self.migrated = True
        if self.depth_usd is not None and not self.depth_hist:
            self.depth_hist = [(self.depth_ts, self.depth_usd)]
            self.depth_lost_ts = self.depth_ts  # what came before is unknown
        if not self.safety_hist and not self.safety_base:
            base = {
                n: (self.safety_ts, getattr(self, n)) for n in SAFETY_FIELDS if getattr(self, n) is not None
            }
            if base:
                self.safety_base = base
                self.safety_lost_ts = self.safety_ts

    def entries(self) -> int:
        """Entries of this mint's bounded collections (for the state-size metric)."""
        return (
            len(self.seen)
            + len(self.perp_index)
            + len(self.depth_hist)
            + len(self.safety_hist)
            + len(self.safety_base)
        )

    def already_applied(self, topic: str, offset: int) -> bool:
        return offset <= self.offsets.get(topic, -1)

    def mark_applied(self, topic: str, offset: int) -> None:
        self.offsets[topic] = offset

    def safety(self) -> SafetyFacts | None:
        facts: dict[str, Any] = {n: getattr(self, n) for n in SAFETY_FIELDS}
        if all(f is None for f in facts.values()):
            return None
        return SafetyFacts(
            **facts, ts=self.safety_ts, fact_ts=dict(self.fact_ts), fact_src=dict(self.fact_src)
        )

    def depth_asof(self, ts: float) -> tuple[float | None, float, list[tuple[float, float]]] | None:
        """``(depth_usd, depth_ts, levels)`` as of event time ``ts``: the latest snapshot with
        ``ts' <= ts`` (``(None, 0.0, [])`` if the complete history has none), or None when the
        answer was evicted (the caller falls back to the latest consumed)."""
        hist = self.depth_hist
        i = DEPTH.upto(hist, ts)
        if i > 0:
            t, usd = hist[i - 1]
            return usd, t, self.depth_curves[i - 1]
        if self.depth_lost_ts is None:
            return None, 0.0, []  # no depth with an event time <= ts was ever seen
        return None

    def safety_asof(self, ts: float) -> tuple[SafetyFacts | None] | None:
        """The safety facts as of event time ``ts`` (each fact: its newest value with ``ts' <= ts``),
        wrapped in a 1-tuple; None when changes at or before ``ts`` were evicted and their fold
        cannot be rebuilt (the caller falls back to the latest consumed)."""
        if self.safety_lost_ts is not None and ts < self.safety_lost_ts:
            return None
        src = self.safety_base_src
        vals: dict[str, tuple[float, FactValue, str]] = {
            n: (t, v, src.get(n, "")) for n, (t, v) in self.safety_base.items()
        }
        hist = self.safety_hist
        for ch in hist[: SAFETY.upto(hist, ts)]:  # sorted by event time (ties: arrival order)
            for n, v in carried_of(ch).items():
                fold_fact(vals, n, ch.ts, v, ch.source)
        return (safety_facts_of(vals),)


def depth_usd(ev: DepthEvent) -> float:
    """Pool liquidity if reported, else the largest quoted size."""
    if ev.liquidity_usd > 0:
        return ev.liquidity_usd
    return max((lvl.size_usd for lvl in ev.levels), default=0.0)


def apply_depth(st: MintRiskState, ev: DepthEvent, keep: int = DEPTH_HISTORY) -> None:
    """Record the snapshot in the as-of history; the latest-consumed fields keep the newest."""
    ts = ev.ts.timestamp()
    usd = depth_usd(ev)
    levels = [(lv.size_usd, lv.impact_bps) for lv in ev.levels]
    if ts >= st.depth_ts:
        st.depth_usd = usd
        st.depth_ts = ts
        st.depth_levels = levels
    st.depth_curves.insert(DEPTH.insert(st.depth_hist, (ts, usd)), levels)
    lost = DEPTH.evict(st.depth_hist, keep)
    if lost:
        del st.depth_curves[: len(lost)]
        st.depth_lost_ts = newest_lost(st.depth_lost_ts, lost, DEPTH.ts_of)


def apply_onchain(st: MintRiskState, ev: OnChainEvent, keep: int = SAFETY_HISTORY) -> None:
    """Record the safety facts the message carries (other on-chain kinds carry none) in the as-of
    history; the latest-consumed fields keep the newest known value of each fact."""
    ts = ev.ts.timestamp()
    carried = carried_facts(ev)
    if not carried:
        return
    for lost in SAFETY.add(st.safety_hist, SafetyChange(ts, **carried, source=ev.source), keep):
        for n, v in carried_of(lost).items():  # the evicted change folds into the base
            cur = st.safety_base.get(n)
            if cur is None or lost.ts >= cur[0]:
                st.safety_base[n] = (lost.ts, v)
                st.safety_base_src[n] = lost.source
        st.safety_lost_ts = newest_lost(st.safety_lost_ts, [lost], SAFETY.ts_of)
    for name, val in carried.items():  # latest consumed, per fact (each fact keeps its own time)
        if ts >= st.fact_ts.get(name, st.safety_ts if getattr(st, name) is not None else -1e18):
            setattr(st, name, val)
            st.fact_ts[name] = ts
            st.fact_src[name] = ev.source
    st.safety_ts = max(st.safety_ts, ts)


def carried_of(ch: SafetyChange) -> dict[str, FactValue]:
    return {n: getattr(ch, n) for n in SAFETY_FIELDS if getattr(ch, n) is not None}


class RiskGate:
    """Turns a signal into an :class:`Order` or an :class:`OrderRejection` (or nothing, for a
    replayed signal already decided)."""

    def __init__(
        self,
        limits: RiskLimits,
        seen_max: int = 1024,
        on_fallback: Callable[[str], None] | None = None,
    ) -> None:
        self.limits = limits
        self.seen_max = seen_max
        self.on_fallback = on_fallback  # called with "depth" / "safety" when the as-of join falls back
        self.perp_venue = ASSUMED_LIVE  # the shorts' venue status (core.perp_venue), set by the stage

    def on_signal(
        self,
        st: MintRiskState,
        sig: Signal,
        book: ExposureBook,
        kill: KillSwitch | None,
        allocations: Mapping[str, StrategyAllocation],
    ) -> Order | OrderRejection | None:
        oid = order_id(sig.instance_id, sig.mint, sig.signal_id)
        if sig.signal_id in st.seen or book.knows_order(oid):
            return None
        st.seen.append(sig.signal_id)
        if len(st.seen) > self.seen_max:
            del st.seen[: len(st.seen) - self.seen_max]
        if sig.block_entries and not st.blocked:
            st.blocked = True
            st.block_reason = f"{sig.instance_id}: {sig.reason}"
        now = sig.ts.timestamp()
        book.expire()
        awaiting: list[str] = []  # pending entries of an exit's position that is not open yet
        if sig.intent is Intent.ENTRY and sig.side is Side.SHORT and not (venue := self.perp_venue).live:
            # no live perp venue (core.perp_venue): exit longs (the position manager) and block entries
            reason = degrade_reason(venue)
            st.blocked, st.block_reason = True, f"{sig.instance_id}: {reason}"
            decision, perp = Decision(rejection=Rejection(PERP_VENUE_DOWN, reason)), sig.perp_market_index
        elif sig.intent is Intent.ENTRY:
            decision, perp = self._entry(st, sig, book, kill, allocations, now), sig.perp_market_index
        else:
            held = book.position(sig.instance_id, sig.mint)
            perp = sig.perp_market_index
            if perp is None and sig.side is Side.COVER:
                perp = held.perp_market_index if held and held.perp_market_index is not None else None
                perp = perp if perp is not None else st.perp_index.get(sig.instance_id)
            entry_side = ENTRY_FOR_EXIT.get(sig.side)
            if held is None and entry_side is not None:
                awaiting = book.pending_entry_ids(sig.instance_id, sig.mint, entry_side)
            decision = evaluate_exit(
                sig.side,
                perp,
                held.qty_tokens if held else 0,
                held.side if held else None,
                book.exit_pending(sig.instance_id, sig.mint),
                awaiting,
            )
        if decision.rejection is not None:
            rule = decision.rejection.rule
            return OrderRejection(
                signal_id=sig.signal_id,
                instance_id=sig.instance_id,
                mint=sig.mint,
                ts=sig.ts,
                side=sig.side,
                intent=sig.intent,
                rule=rule,
                reason=decision.rejection.reason,
                awaiting_order_ids=tuple(awaiting) if rule == EXIT_BEFORE_FILL else (),
                price_usd=sig.price_usd,
                price_sol=sig.price_sol,
                depth=sig.depth,
                strength=sig.strength,
            )
        assert decision.venue is not None
        if sig.side is Side.SHORT and perp is not None:
            remember(st.perp_index, sig.instance_id, perp, PERP_INDEX_KEEP)
        order = Order(
            order_id=oid,
            signal_id=sig.signal_id,
            instance_id=sig.instance_id,
            family=sig.family,
            mint=sig.mint,
            ts=sig.ts,
            side=sig.side,
            intent=sig.intent,
            venue=decision.venue,
            amount_in=decision.amount_in,
            price_usd=sig.price_usd,
            price_sol=sig.price_sol,
            perp_market_index=perp,
            reason=sig.reason,
            depth=sig.depth,
        )
        book.apply_order(order)
        return order

    def _asof(
        self, st: MintRiskState, now: float, stamp: SafetyStamp | None = None
    ) -> tuple[float | None, float, list[tuple[float, float]], SafetyFacts | None]:
        """Depth and safety facts as of the signal's event time ``now`` (see ``MintRiskState``).

        Safety facts: the signal's own ``SafetyStamp`` whenever it carries one (the strategy
        runner's fold as of ``now``, in the backtester's event-time order: exact however far
        ahead this stage has read the on-chain topic); unstamped, the as-of history.

        Fallback, when the as-of entry was evicted from the bounded history (or the state
        predates the histories and the signal is older than its latest value): the latest
        consumed value, as before the as-of join; reported through ``on_fallback``."""
        d = st.depth_asof(now)
        if d is None:
            if self.on_fallback is not None:
                self.on_fallback("depth")
            depth, depth_ts, levels = st.depth_usd, st.depth_ts, st.depth_levels
        else:
            depth, depth_ts, levels = d
        if stamp is not None:
            return depth, depth_ts, levels, safety_facts_of(stamp.facts)
        f = st.safety_asof(now)
        if f is None:
            if self.on_fallback is not None:
                self.on_fallback("safety")
            safety = st.safety()
        else:
            safety = f[0]
        return depth, depth_ts, levels, safety

    def _entry(
        self,
        st: MintRiskState,
        sig: Signal,
        book: ExposureBook,
        kill: KillSwitch | None,
        allocations: Mapping[str, StrategyAllocation],
        now: float,
    ):  # type: ignore[no-untyped-def]
        alloc = allocations.get(sig.instance_id)
        depth, depth_ts, levels, safety = self._asof(st, now, sig.safety)
        stamp = sig.depth  # the depth the paper fill will price on (routing.market_view): same curve
        if depth is not None and stamp is not None and (stamp.levels or stamp.liquidity_usd > 0):
            levels, depth = list(stamp.levels), stamp.liquidity_usd if stamp.liquidity_usd > 0 else depth
        sol_usd = sig.price_usd / sig.price_sol if sig.price_sol > 0 and sig.price_usd > 0 else None
        ctx = EntryContext(
            now=now,
            side=sig.side,
            strength=sig.strength,
            kill_switch_active=kill is not None and kill.active,
            kill_switch_reason=f"{kill.by}: {kill.reason}" if kill is not None else "",
            mint_blocked=st.blocked,
            block_reason=st.block_reason,
            perp_market_index=sig.perp_market_index,
            weight=alloc.weight if alloc is not None else None,
            allocation_reason=alloc.reason if alloc is not None else "",
            token_exposure=book.token_exposure(sig.mint),
            strategy_exposure=book.strategy_exposure(sig.instance_id),
            open_positions=book.open_positions(),
            adds_position=not book.holds(sig.instance_id, sig.mint),
            orders_last_min=book.orders_in_window(now),
            depth_usd=depth,
            depth_ts=depth_ts,
            depth_levels=levels,
            sol_usd=sol_usd,
            safety=safety,
        )
        return evaluate_entry(ctx, self.limits)


def is_entry_side(side: Side) -> bool:
    return side in ENTRY_SIDES
