"""Pre-trade risk: position sizing and one function per rule (pure).

Each rule returns a :class:`Rejection` (the rule's name and a readable reason) or ``None``.
:func:`evaluate_entry` sizes an entry and applies the entry rules in a fixed order;
:func:`evaluate_exit` sizes an exit. The first rule that refuses wins, so the rejection names
the most fundamental reason (kill switch before safety before caps before rate).

Caps refuse rather than shrink an order: a silently shrunk order would change the strategy's
intended risk, while a rejection tells the operator which limit binds.

Sizing: ``amount_in = capital x weight x entry_fraction x strength`` (lamports), where
``weight`` is the strategy's allocation (share of capital, see :mod:`memesnipe.core.allocator`)
and ``entry_fraction`` the share of a strategy's allocated capital one full-strength entry
uses. A strategy with no allocation yet gets ``exploration_weight``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from memesnipe.core.paper_fill import impact_bps
from memesnipe.streams.base import LAMPORTS_PER_SOL
from memesnipe.streams.market import SAFETY_FACTS
from memesnipe.streams.trading import Intent, SafetyValue, Side, Venue

ENTRY_SIDES = frozenset({Side.BUY, Side.SHORT})
EXIT_SIDES = frozenset({Side.SELL, Side.COVER})
EXIT_FOR_ENTRY = {Side.BUY: Side.SELL, Side.SHORT: Side.COVER}
ENTRY_FOR_EXIT = {Side.SELL: Side.BUY, Side.COVER: Side.SHORT}


@dataclass(frozen=True, slots=True)
class Rejection:
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """The limits the gate enforces (built from ``RiskSettings`` by the agent)."""

    capital_lamports: int
    entry_fraction: float
    exploration_weight: float
    min_order_lamports: int
    max_order_lamports: int
    max_token_lamports: int
    max_strategy_lamports: int
    max_open_positions: int
    max_orders_per_min: int
    max_top10_holder_pct: float
    min_lp_locked_pct: float
    require_safety: bool = True
    require_depth: bool = True
    max_data_age_s: float = 600.0
    max_safety_age_s: float = 1800.0
    max_impact_bps: float = 300.0
    max_rugcheck_score: float = 60.0
    refuse_rugcheck_danger: bool = True

    @classmethod
    def from_settings(cls, risk: object) -> RiskLimits:
        """From a ``RiskSettings`` (duck-typed so core stays free of the settings module)."""
        g = risk.__getattribute__
        return cls(
            capital_lamports=g("capital_lamports"),
            entry_fraction=g("default_entry_fraction"),
            exploration_weight=g("exploration_weight"),
            min_order_lamports=g("min_order_lamports"),
            max_order_lamports=g("max_order_lamports"),
            max_token_lamports=g("max_token_lamports"),
            max_strategy_lamports=g("max_strategy_lamports"),
            max_open_positions=g("max_open_positions"),
            max_orders_per_min=g("max_orders_per_min"),
            max_top10_holder_pct=g("max_top10_holder_pct"),
            min_lp_locked_pct=g("min_lp_locked_pct"),
            require_safety=g("require_safety_data"),
            require_depth=g("require_depth"),
            max_data_age_s=g("max_market_data_age_s"),
            max_safety_age_s=g("max_safety_age_s"),
            max_impact_bps=g("max_entry_impact_bps"),
            max_rugcheck_score=g("max_rugcheck_score"),
            refuse_rugcheck_danger=g("refuse_rugcheck_danger"),
        )


@dataclass(frozen=True, slots=True)
class SafetyFacts:
    """Latest token-safety facts for a mint; ``None`` fields are unknown.

    Each fact carries where it came from and when: ``fact_ts[name]`` (event time of the message
    that carried its value; missing: ``ts``) and ``fact_src[name]`` (that message's ``source``).
    ``rugcheck_danger``: RugCheck's danger-level risk names, ``"; "``-joined (``""``: none).
    ``bonding_curve_pct``: pump.fun bonding-curve progress (100 = complete)."""

    mint_authority_live: bool | None = None
    freeze_authority_live: bool | None = None
    lp_locked_pct: float | None = None
    top10_holder_pct: float | None = None
    ts: float = 0.0  # epoch seconds of the newest fact
    rugcheck_score: float | None = None
    rugcheck_danger: str | None = None
    bonding_curve_pct: float | None = None
    fact_ts: Mapping[str, float] = field(default_factory=dict)
    fact_src: Mapping[str, str] = field(default_factory=dict)

    def age(self, name: str, now: float) -> float:
        return now - self.fact_ts.get(name, self.ts)

    def origin(self, name: str, now: float) -> str:
        """``"(source, 12s old)"`` of one fact, for a rejection reason."""
        src = self.fact_src.get(name) or "unknown source"
        return f"({src}, {max(self.age(name, now), 0.0):.0f}s old)"


def carried_facts(ev: Any) -> dict[str, Any]:
    """The safety facts an on-chain message carries (``SAFETY_FACTS`` fields that are not None)."""
    return {n: v for n in SAFETY_FACTS if (v := getattr(ev, n)) is not None}


def fold_fact(vals: MutableMapping[str, Any], name: str, ts: float, value: SafetyValue, source: str) -> None:
    """Fold one message's value of one fact into ``vals`` (fact -> ``(event time, value,
    source)``): the newest event time wins, ties the later message. The one rule behind the risk
    gate's as-of history and the strategy runner's safety stamp, applied in event-time order by
    both, so a stamped signal carries exactly the gate's (and the backtester's) facts."""
    cur = vals.get(name)
    if cur is None or ts >= cur[0]:
        vals[name] = (ts, value, source)


def safety_facts_of(vals: Mapping[str, Sequence[Any]]) -> SafetyFacts | None:
    """:class:`SafetyFacts` from a fold (fact -> ``(event time, value, source)``, as
    :func:`fold_fact` keeps it or a ``SafetyStamp`` carries it); None when no fact is known."""
    known = {n: vals[n] for n in SAFETY_FACTS if n in vals}
    if not known:
        return None
    return SafetyFacts(
        **{n: v[1] for n, v in known.items()},
        ts=max(v[0] for v in known.values()),
        fact_ts={n: v[0] for n, v in known.items()},
        fact_src={n: v[2] for n, v in known.items()},
    )


REQUIRED_SAFETY_FACTS = {
    "mint_authority_live": "mint_authority",
    "freeze_authority_live": "freeze_authority",
    "lp_locked_pct": "lp_locked_pct",
    "top10_holder_pct": "top10_holder_pct",
}
"""The facts an entry needs (field -> name in reasons) when ``require_safety`` is on."""


@dataclass(frozen=True, slots=True)
class EntryContext:
    """Everything an entry decision needs, gathered by the agent from its state and views."""

    now: float  # the signal's event time, epoch seconds
    side: Side
    strength: float
    kill_switch_active: bool = False
    kill_switch_reason: str = ""
    mint_blocked: bool = False
    block_reason: str = ""
    perp_market_index: int | None = None
    weight: float | None = None  # None: no allocation yet -> exploration weight
    allocation_reason: str = ""
    token_exposure: int = 0  # lamports on this mint, all strategies, incl. pending orders
    strategy_exposure: int = 0  # lamports of this strategy, all mints, incl. pending orders
    open_positions: int = 0  # open (strategy, mint) positions, all strategies, incl. pending entries
    adds_position: bool = True  # False when the strategy already holds this mint
    orders_last_min: int = 0
    depth_usd: float | None = None  # pool liquidity (USD) or, without it, the largest quoted size
    depth_ts: float = 0.0
    depth_levels: Sequence[tuple[float, float]] = ()  # (size_usd, impact_bps) of buys
    sol_usd: float | None = None
    safety: SafetyFacts | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    amount_in: int = 0
    venue: Venue | None = None
    rejection: Rejection | None = None

    @property
    def approved(self) -> bool:
        return self.rejection is None


def sol(lamports: int | float) -> str:
    return f"{lamports / LAMPORTS_PER_SOL:.4f} SOL"


# ---------------------------------------------------------------- sizing


def effective_weight(weight: float | None, limits: RiskLimits) -> float:
    return limits.exploration_weight if weight is None else weight


def size_entry(weight: float, strength: float, limits: RiskLimits) -> int:
    """Lamports for an entry: capital x weight x entry_fraction x strength, floored."""
    w = min(max(weight, 0.0), 1.0)
    s = min(max(strength, 0.0), 1.0)
    return math.floor(limits.capital_lamports * w * limits.entry_fraction * s)


def venue_for(side: Side) -> Venue:
    return Venue.DRIFT if side in (Side.SHORT, Side.COVER) else Venue.JUPITER


# ---------------------------------------------------------------- rules (one each)


def check_signal_shape(side: Side, intent: Intent, perp_market_index: int | None) -> Rejection | None:
    if intent is Intent.ENTRY and side not in ENTRY_SIDES:
        return Rejection("bad_signal", f"entry signals must buy or short, got {side.value}")
    if intent is Intent.EXIT and side not in EXIT_SIDES:
        return Rejection("bad_signal", f"exit signals must sell or cover, got {side.value}")
    if side in (Side.SHORT, Side.COVER) and perp_market_index is None:
        return Rejection("no_perp_market", f"{side.value} goes to Drift and needs perp_market_index")
    return None


def check_kill_switch(active: bool, reason: str) -> Rejection | None:
    if active:
        return Rejection("kill_switch", f"kill switch active: {reason or 'no reason given'}; exits only")
    return None


def check_mint_blocked(blocked: bool, reason: str) -> Rejection | None:
    if blocked:
        return Rejection("mint_blocked", f"entries blocked on this mint: {reason or 'blocked by a signal'}")
    return None


def check_token_safety(facts: SafetyFacts | None, now: float, limits: RiskLimits) -> Rejection | None:
    """Bad facts first (mint/freeze authority, LP lock, top-holder concentration, RugCheck), then,
    with ``require_safety``, missing and stale required facts. Every reason names the fact, its
    source and its age."""
    if facts is None:
        if limits.require_safety:
            return Rejection(
                "safety_unknown",
                "no safety facts for this mint yet (missing: "
                + ", ".join(REQUIRED_SAFETY_FACTS.values())
                + ")",
            )
        return None
    o = facts.origin
    if facts.mint_authority_live:
        return Rejection(
            "mint_authority",
            f"mint authority is live: supply can be inflated {o('mint_authority_live', now)}",
        )
    if facts.freeze_authority_live:
        return Rejection(
            "freeze_authority",
            f"freeze authority is live: our tokens can be frozen {o('freeze_authority_live', now)}",
        )
    if facts.lp_locked_pct is not None and facts.lp_locked_pct < limits.min_lp_locked_pct:
        return Rejection(
            "lp_unlocked",
            f"only {facts.lp_locked_pct:.1f}% of LP burned/locked (< {limits.min_lp_locked_pct:.1f}%)"
            f" {o('lp_locked_pct', now)}",
        )
    if facts.top10_holder_pct is not None and facts.top10_holder_pct > limits.max_top10_holder_pct:
        return Rejection(
            "holder_concentration",
            f"top-10 holders own {facts.top10_holder_pct:.1f}% (> {limits.max_top10_holder_pct:.1f}%)"
            f" {o('top10_holder_pct', now)}",
        )
    if limits.refuse_rugcheck_danger and facts.rugcheck_danger:
        return Rejection(
            "rugcheck_risk",
            f"RugCheck reports danger: {facts.rugcheck_danger} {o('rugcheck_danger', now)}",
        )
    if facts.rugcheck_score is not None and facts.rugcheck_score > limits.max_rugcheck_score:
        return Rejection(
            "rugcheck_risk",
            f"RugCheck score {facts.rugcheck_score:.0f} (> {limits.max_rugcheck_score:.0f})"
            f" {o('rugcheck_score', now)}",
        )
    if limits.require_safety:
        missing = [label for name, label in REQUIRED_SAFETY_FACTS.items() if getattr(facts, name) is None]
        if missing:
            return Rejection("safety_unknown", f"safety facts missing: {', '.join(missing)}")
        stale = [
            f"{label} {o(name, now)}"
            for name, label in REQUIRED_SAFETY_FACTS.items()
            if facts.age(name, now) > limits.max_safety_age_s
        ]
        if stale:
            return Rejection(
                "safety_stale",
                f"safety facts older than {limits.max_safety_age_s:.0f}s: {', '.join(stale)}",
            )
    return None


def check_allocation(weight: float, reason: str) -> Rejection | None:
    if weight <= 0.0:
        return Rejection("no_allocation", f"strategy has no capital allocated ({reason or 'weight 0'})")
    return None


def check_min_order(amount: int, limits: RiskLimits) -> Rejection | None:
    if amount < limits.min_order_lamports:
        return Rejection("min_order", f"sized {sol(amount)} < minimum order {sol(limits.min_order_lamports)}")
    return None


def check_order_cap(amount: int, limits: RiskLimits) -> Rejection | None:
    if amount > limits.max_order_lamports:
        return Rejection("order_cap", f"order {sol(amount)} > per-order cap {sol(limits.max_order_lamports)}")
    return None


def check_token_cap(amount: int, token_exposure: int, limits: RiskLimits) -> Rejection | None:
    if token_exposure + amount > limits.max_token_lamports:
        return Rejection(
            "token_cap",
            f"token exposure {sol(token_exposure)} + order {sol(amount)}"
            f" > cap {sol(limits.max_token_lamports)}",
        )
    return None


def check_strategy_cap(
    amount: int, strategy_exposure: int, weight: float, limits: RiskLimits
) -> Rejection | None:
    """The strategy may not hold more than its allocated capital nor the absolute per-strategy cap."""
    budget = math.floor(limits.capital_lamports * weight)
    cap = min(limits.max_strategy_lamports, budget)
    if strategy_exposure + amount > cap:
        which = "allocated capital" if budget < limits.max_strategy_lamports else "per-strategy cap"
        return Rejection(
            "strategy_cap",
            f"strategy exposure {sol(strategy_exposure)} + order {sol(amount)} > {which} {sol(cap)}",
        )
    return None


def check_open_positions(open_positions: int, adds_position: bool, limits: RiskLimits) -> Rejection | None:
    if adds_position and open_positions >= limits.max_open_positions:
        return Rejection(
            "max_open_positions", f"{open_positions} positions open (max {limits.max_open_positions})"
        )
    return None


def order_impact_bps(
    amount: int, sol_usd: float, levels: Sequence[tuple[float, float]], liquidity_usd: float
) -> float:
    """Price impact (bps) of a buy of ``amount`` lamports, on the paper fill's impact curve
    (:func:`memesnipe.core.paper_fill.impact_bps`: interpolated through the quoted sizes, else
    constant product on the pool liquidity). The fill prices the input net of the swap fee, so its
    impact is at most this."""
    return impact_bps(amount / LAMPORTS_PER_SOL * sol_usd, levels, liquidity_usd)[0]


def check_liquidity(
    amount: int,
    depth_usd: float | None,
    depth_ts: float,
    sol_usd: float | None,
    now: float,
    limits: RiskLimits,
    levels: Sequence[tuple[float, float]] = (),
) -> Rejection | None:
    """The order's own price impact, interpolated at its size on the depth curve (quotes at
    several sizes), at most ``max_impact_bps``; without quoted sizes, the pool liquidity's
    constant-product impact."""
    if not levels and (depth_usd is None or depth_usd <= 0.0):
        if limits.require_depth:
            return Rejection("no_depth", "no depth known for this mint: cannot bound market impact")
        return None
    if now - depth_ts > limits.max_data_age_s:
        return Rejection(
            "stale_depth", f"latest depth is {now - depth_ts:.0f}s old (> {limits.max_data_age_s:.0f}s)"
        )
    if sol_usd is None or sol_usd <= 0.0:
        return Rejection("no_depth", "no SOL/USD price on the signal to convert the order into USD")
    imp = order_impact_bps(amount, sol_usd, levels, depth_usd or 0.0)
    if imp > limits.max_impact_bps:
        size_usd = amount / LAMPORTS_PER_SOL * sol_usd
        how = (
            f"{len(levels)} quoted sizes up to ${max(s for s, _ in levels):,.0f}"
            if levels
            else (f"pool liquidity ${depth_usd:,.0f}")
        )
        return Rejection(
            "liquidity_cap",
            f"order {sol(amount)} (${size_usd:,.0f}) moves the price {imp:.0f} bps"
            f" (> {limits.max_impact_bps:.0f} bps) on {how}",
        )
    return None


def check_order_rate(orders_last_min: int, limits: RiskLimits) -> Rejection | None:
    if orders_last_min >= limits.max_orders_per_min:
        return Rejection(
            "order_rate", f"{orders_last_min} orders in the last minute (max {limits.max_orders_per_min})"
        )
    return None


EXIT_BEFORE_FILL = "exit_before_fill"
"""Rule of an exit refused because its position is not open *yet*: an entry order of that
(instance, mint) is pending. The rejection carries the pending order ids, and the position
manager, which owns the position, sends the exit itself once the entry has filled."""


def check_no_position(position_qty: int, pending_entries: Sequence[str] = ()) -> Rejection | None:
    if position_qty <= 0:
        if pending_entries:
            return Rejection(
                EXIT_BEFORE_FILL,
                "exit signal before the fill of its entry order(s) "
                f"{', '.join(pending_entries)}: the position manager exits once one has filled",
            )
        return Rejection("no_position", "exit signal but the strategy holds no position on this mint")
    return None


def check_exit_pending(pending: bool) -> Rejection | None:
    if pending:
        return Rejection("exit_pending", "an exit order for this position is already in flight")
    return None


def check_exit_side(exit_side: Side, position_side: Side | None) -> Rejection | None:
    if position_side is not None and ENTRY_FOR_EXIT[exit_side] is not position_side:
        return Rejection("wrong_side", f"{exit_side.value} cannot close a {position_side.value} position")
    return None


# ---------------------------------------------------------------- decisions


def evaluate_entry(ctx: EntryContext, limits: RiskLimits) -> Decision:
    """Size an entry and apply every entry rule; the first refusal wins."""
    weight = effective_weight(ctx.weight, limits)
    amount = size_entry(weight, ctx.strength, limits)
    rej = (
        check_signal_shape(ctx.side, Intent.ENTRY, ctx.perp_market_index)
        or check_kill_switch(ctx.kill_switch_active, ctx.kill_switch_reason)
        or check_mint_blocked(ctx.mint_blocked, ctx.block_reason)
        or check_token_safety(ctx.safety, ctx.now, limits)
        or check_allocation(weight, ctx.allocation_reason)
        or check_min_order(amount, limits)
        or check_order_cap(amount, limits)
        or check_token_cap(amount, ctx.token_exposure, limits)
        or check_strategy_cap(amount, ctx.strategy_exposure, weight, limits)
        or check_open_positions(ctx.open_positions, ctx.adds_position, limits)
        or check_liquidity(
            amount, ctx.depth_usd, ctx.depth_ts, ctx.sol_usd, ctx.now, limits, ctx.depth_levels
        )
        or check_order_rate(ctx.orders_last_min, limits)
    )
    if rej is not None:
        return Decision(rejection=rej)
    return Decision(amount_in=amount, venue=venue_for(ctx.side))


def evaluate_exit(
    side: Side,
    perp_market_index: int | None,
    position_qty: int,
    position_side: Side | None,
    exit_pending: bool,
    pending_entries: Sequence[str] = (),
) -> Decision:
    """Exits are never blocked by the kill switch or caps: they close the whole open position.

    ``pending_entries``: ids of this position's entry orders not yet reflected in a position
    (same side); without a position they turn ``no_position`` into ``exit_before_fill``."""
    rej = (
        check_signal_shape(side, Intent.EXIT, perp_market_index)
        or check_no_position(position_qty, pending_entries)
        or check_exit_side(side, position_side)
        or check_exit_pending(exit_pending)
    )
    if rej is not None:
        return Decision(rejection=rej)
    return Decision(amount_in=position_qty, venue=venue_for(side))
