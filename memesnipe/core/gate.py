"""The risk gate's decision for one signal, and the per-mint state it keeps (pure).

The agent (``memesnipe.agents.risk_gate``) loads a mint's :class:`MintRiskState` from its
table, feeds it depth, on-chain facts and signals in offset order through :class:`RiskGate`,
sends what comes out, and writes the state back once per batch.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from memesnipe.core.exposure import ExposureBook
from memesnipe.core.ids import order_id
from memesnipe.core.risk import (
    ENTRY_SIDES,
    EntryContext,
    RiskLimits,
    SafetyFacts,
    evaluate_entry,
    evaluate_exit,
)
from memesnipe.streams.control import KillSwitch, StrategyAllocation
from memesnipe.streams.market import DepthEvent, OnChainEvent
from memesnipe.streams.trading import Intent, Order, OrderRejection, Side, Signal


class MintRiskState(msgspec.Struct, kw_only=True):
    """One mint's gate state (JSON bytes in the ``risk_mint`` table)."""

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
    perp_index: dict[str, int] = {}  # instance_id -> Drift market of its short on this mint

    def already_applied(self, topic: str, offset: int) -> bool:
        return offset <= self.offsets.get(topic, -1)

    def mark_applied(self, topic: str, offset: int) -> None:
        self.offsets[topic] = offset

    def safety(self) -> SafetyFacts | None:
        facts = (
            self.mint_authority_live,
            self.freeze_authority_live,
            self.lp_locked_pct,
            self.top10_holder_pct,
        )
        if all(f is None for f in facts):
            return None
        return SafetyFacts(*facts, ts=self.safety_ts)


def depth_usd(ev: DepthEvent) -> float:
    """Pool liquidity if reported, else the largest quoted size."""
    if ev.liquidity_usd > 0:
        return ev.liquidity_usd
    return max((lvl.size_usd for lvl in ev.levels), default=0.0)


def apply_depth(st: MintRiskState, ev: DepthEvent) -> None:
    ts = ev.ts.timestamp()
    if ts >= st.depth_ts:
        st.depth_usd = depth_usd(ev)
        st.depth_ts = ts


def apply_onchain(st: MintRiskState, ev: OnChainEvent) -> None:
    """Keep the newest known value of each safety fact; other on-chain kinds carry none."""
    ts = ev.ts.timestamp()
    if ts < st.safety_ts:
        return
    changed = False
    for name in ("mint_authority_live", "freeze_authority_live", "lp_locked_pct", "top10_holder_pct"):
        val = getattr(ev, name)
        if val is not None:
            setattr(st, name, val)
            changed = True
    if changed:
        st.safety_ts = ts


class RiskGate:
    """Turns a signal into an :class:`Order` or an :class:`OrderRejection` (or nothing, for a
    replayed signal already decided)."""

    def __init__(self, limits: RiskLimits, seen_max: int = 1024) -> None:
        self.limits = limits
        self.seen_max = seen_max

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
        if sig.intent is Intent.ENTRY:
            decision, perp = self._entry(st, sig, book, kill, allocations, now), sig.perp_market_index
        else:
            held = book.position(sig.instance_id, sig.mint)
            perp = sig.perp_market_index
            if perp is None and sig.side is Side.COVER:
                perp = held.perp_market_index if held and held.perp_market_index is not None else None
                perp = perp if perp is not None else st.perp_index.get(sig.instance_id)
            decision = evaluate_exit(
                sig.side,
                perp,
                held.qty_tokens if held else 0,
                held.side if held else None,
                book.exit_pending(sig.instance_id, sig.mint),
            )
        if decision.rejection is not None:
            return OrderRejection(
                signal_id=sig.signal_id,
                instance_id=sig.instance_id,
                mint=sig.mint,
                ts=sig.ts,
                side=sig.side,
                intent=sig.intent,
                rule=decision.rejection.rule,
                reason=decision.rejection.reason,
            )
        assert decision.venue is not None
        if sig.side is Side.SHORT and perp is not None:
            st.perp_index[sig.instance_id] = perp
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
        )
        book.apply_order(order)
        return order

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
            depth_usd=st.depth_usd,
            depth_ts=st.depth_ts,
            sol_usd=sol_usd,
            safety=st.safety(),
        )
        return evaluate_entry(ctx, self.limits)


def is_entry_side(side: Side) -> bool:
    return side in ENTRY_SIDES
