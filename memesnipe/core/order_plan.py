"""What an order is expected to give, and the Fill it becomes once its transaction is signed
(paper) or has landed (live). Pure: the router computes the plan, ships it in the
ExecutionRequest's ``meta`` and keeps it in the lifecycle table; the fills agent turns it into
exactly one Fill without any further lookup.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import TYPE_CHECKING, Any

from memesnipe.core.paper_fill import (
    MarketView,
    PaperFillError,
    SimulatedSwap,
    cu_price_for_budget,
    network_fee_lamports,
    simulate_buy,
    simulate_perp,
    simulate_sell,
)
from memesnipe.core.tip import dynamic_tip
from memesnipe.streams.trading import DepthStamp, Fill, Intent, Order, Side, Venue

if TYPE_CHECKING:
    from memesnipe.settings import Settings

VENUE_SIDES = {Venue.JUPITER: {Side.BUY, Side.SELL}, Venue.DRIFT: {Side.SHORT, Side.COVER}}
ENTRY_SIDES = {Side.BUY, Side.SHORT}


class OrderInvalid(ValueError):
    """The order cannot be routed as given (venue/side/intent mismatch, zero size)."""


def validate(order: Order, max_spend_lamports: int) -> None:
    """Refuse orders no venue could execute, before any work is done."""
    if order.side not in VENUE_SIDES[order.venue]:
        raise OrderInvalid(f"side {order.side.value} cannot trade on {order.venue.value}")
    if (order.side in ENTRY_SIDES) != (order.intent is Intent.ENTRY):
        raise OrderInvalid(f"side {order.side.value} does not match intent {order.intent.value}")
    if order.amount_in <= 0:
        raise OrderInvalid("amount_in must be positive")
    if order.side in {Side.BUY, Side.SHORT} and order.amount_in > max_spend_lamports:
        raise OrderInvalid(f"order spends {order.amount_in} lamports, above the cap of {max_spend_lamports}")
    if order.venue is Venue.DRIFT and order.perp_market_index is None:
        raise OrderInvalid("a Drift order needs perp_market_index")


@dataclass(frozen=True)
class Plan:
    """Expected execution of one order: amounts, effective price, every cost, and how modelled."""

    model: str
    qty_tokens: int
    notional_lamports: int
    price_sol: float
    price_usd: float
    impact_bps: float
    swap_fee_lamports: int
    priority_fee_lamports: int
    jito_tip_lamports: int
    drift_fee_lamports: int
    cu_limit: int
    cu_price_micro_lamports: int
    spend_lamports: int  # SOL leaving the wallet at most (buys: amount in + costs)
    decimals: int = 6

    def to_meta(self) -> dict[str, Any]:
        # flat fields only: a comprehension is ~10x cheaper than dataclasses.asdict's deep copy
        return {name: getattr(self, name) for name in _PLAN_FIELDS}

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> Plan:
        fields = cls.__dataclass_fields__
        return cls(**{k: meta[k] for k in fields if k in meta})


_PLAN_FIELDS = tuple(f.name for f in fields(Plan))


@dataclass(frozen=True, slots=True)
class Budget:
    """The compute budget and tip a transaction pays: the plan's costs."""

    cu_limit: int
    cu_price_micro_lamports: int
    tip_lamports: int


@dataclass(frozen=True, slots=True)
class PlanSettings:
    """The settings an order plan reads, mapped from :class:`~memesnipe.settings.Settings` in one
    place (:meth:`of`) for the paper router, the live router and the backtester alike: a
    difference between them here is a parity bug."""

    fee_bps: int
    flat_slippage_bps: float
    taker_fee_bps: int
    cu_limit_default: int
    paper_priority_fee_lamports: int
    paper_tip_lamports: int
    tip_min_lamports: int
    tip_max_lamports: int

    @classmethod
    def of(cls, s: Settings) -> PlanSettings:
        return cls(
            fee_bps=s.paper.fee_bps,
            flat_slippage_bps=s.paper.slippage_bps,
            taker_fee_bps=s.drift.taker_fee_bps,
            cu_limit_default=s.execution.cu_limit_default,
            paper_priority_fee_lamports=s.execution.priority_fee_lamports,
            paper_tip_lamports=s.paper.jito_tip_lamports,
            tip_min_lamports=s.jito.tip_min_lamports,
            tip_max_lamports=s.jito.tip_max_lamports,
        )

    def paper_budget(self) -> Budget:
        """The budget of a paper order (no fee or tip market to ask): the configured ones."""
        cu_limit = self.cu_limit_default
        tip = dynamic_tip(
            None,
            fallback_lamports=self.paper_tip_lamports,
            min_lamports=self.tip_min_lamports,
            max_lamports=self.tip_max_lamports,
        )
        return Budget(cu_limit, cu_price_for_budget(self.paper_priority_fee_lamports, cu_limit), tip)


def plan_for(
    order: Order,
    market: MarketView,
    s: Settings | PlanSettings,
    budget: Budget | None = None,
    swap: SimulatedSwap | None = None,
) -> Plan:
    """The one settings-to-plan mapping: ``budget`` None is the paper budget, ``swap`` None the
    paper model (a live route passes its quote and the budget it pays)."""
    ps = s if isinstance(s, PlanSettings) else PlanSettings.of(s)
    b = ps.paper_budget() if budget is None else budget
    return plan_order(
        order,
        market,
        fee_bps=ps.fee_bps,
        flat_slippage_bps=ps.flat_slippage_bps,
        taker_fee_bps=ps.taker_fee_bps,
        cu_limit=b.cu_limit,
        cu_price_micro_lamports=b.cu_price_micro_lamports,
        tip_lamports=b.tip_lamports,
        swap=swap,
    )


def plan_order(
    order: Order,
    market: MarketView,
    *,
    fee_bps: int,
    flat_slippage_bps: float,
    taker_fee_bps: int,
    cu_limit: int,
    cu_price_micro_lamports: int,
    tip_lamports: int,
    swap: SimulatedSwap | None = None,
) -> Plan:
    """The plan from a quote (``swap``) when given, else from the paper model."""
    if swap is None:
        if order.side is Side.BUY:
            swap = simulate_buy(
                order.amount_in,
                market,
                fee_bps=fee_bps,
                flat_slippage_bps=flat_slippage_bps,
                slippage_limit_bps=None,
            )
        elif order.side is Side.SELL:
            swap = simulate_sell(
                order.amount_in,
                market,
                fee_bps=fee_bps,
                flat_slippage_bps=flat_slippage_bps,
                slippage_limit_bps=None,
            )
        else:
            swap = simulate_perp(
                order.amount_in,
                market,
                opening=order.side is Side.SHORT,
                taker_fee_bps=taker_fee_bps,
                flat_slippage_bps=flat_slippage_bps,
            )
    network = network_fee_lamports(cu_limit, cu_price_micro_lamports)
    drift = order.venue is Venue.DRIFT
    costs = network + tip_lamports + swap.swap_fee_lamports
    spend = (order.amount_in if order.side is Side.BUY else 0) + costs
    if order.side is Side.SHORT:
        spend += order.amount_in  # collateral at risk is bounded by the notional at 1x
    usd = swap.price_sol * market.sol_usd if market.sol_usd else 0.0
    return Plan(
        model=swap.model,
        qty_tokens=swap.qty_tokens,
        notional_lamports=swap.notional_lamports,
        price_sol=swap.price_sol,
        price_usd=usd,
        impact_bps=round(swap.impact_bps, 3),
        swap_fee_lamports=0 if drift else swap.swap_fee_lamports,
        priority_fee_lamports=network,
        jito_tip_lamports=tip_lamports,
        drift_fee_lamports=swap.swap_fee_lamports if drift else 0,
        cu_limit=cu_limit,
        cu_price_micro_lamports=cu_price_micro_lamports,
        spend_lamports=spend,
        decimals=market.decimals,
    )


def fill_from_plan(
    *,
    order_id: str,
    instance_id: str,
    family: str,
    mint: str,
    side: Side,
    intent: Intent,
    plan: Plan,
    ts: datetime,
    paper: bool,
    signature: str = "",
    reason: str = "",
    depth: DepthStamp | None = None,
) -> Fill:
    """The one Fill of an order: ``fill_id = order_id`` so every consumer can deduplicate.
    ``depth``: the order's depth stamp, carried into ``Fill.depth``."""
    if plan.qty_tokens <= 0:
        raise PaperFillError(f"order {order_id}: planned quantity is {plan.qty_tokens}")
    return Fill(
        fill_id=order_id,
        order_id=order_id,
        instance_id=instance_id,
        family=family,
        mint=mint,
        ts=ts,
        side=side,
        intent=intent,
        qty_tokens=plan.qty_tokens,
        notional_lamports=plan.notional_lamports,
        price_sol=plan.price_sol,
        price_usd=plan.price_usd,
        swap_fee_lamports=plan.swap_fee_lamports,
        priority_fee_lamports=plan.priority_fee_lamports,
        jito_tip_lamports=plan.jito_tip_lamports,
        drift_fee_lamports=plan.drift_fee_lamports,
        paper=paper,
        signature=signature,
        reason=reason,
        depth=depth,
    )
