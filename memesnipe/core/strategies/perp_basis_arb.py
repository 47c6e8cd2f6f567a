"""perp_basis_arb: when a token's Drift perp trades rich to spot and longs pay funding, buy spot
and short the perp in equal size (delta-neutral); unwind both legs when the basis closes.

Thesis: the perp premium and the funding it earns mean-revert; with the legs matched the
trade earns convergence plus funding and carries little price risk. Both legs share a
``pair`` id in their meta and the same strength (same notional); the risk gate must size them
together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import Field, model_validator

from memesnipe.core.strategies.base import (
    NO_EMITS,
    Emit,
    State,
    Strategy,
    StrategyParams,
    clip01,
    register_strategy,
)
from memesnipe.streams.market import PriceEvent
from memesnipe.streams.trading import Intent, Side


class PerpBasisArbParams(StrategyParams):
    entry_basis: float = Field(0.02, gt=0, le=1, description="mark / spot - 1 to enter")
    exit_basis: float = Field(0.003, ge=-1, le=1, description="unwind when the basis is at or below")
    min_funding_hourly: float = Field(0.0005, ge=0, description="hourly funding longs pay, to enter")
    confirmations: int = Field(2, ge=1, le=20, description="consecutive funding prints meeting entry")
    max_spot_age_s: int = Field(120, ge=1, description="spot price older than this is not used")
    max_hold_s: int = Field(24 * 3600, ge=60)
    cooldown_s: int = Field(600, ge=0)

    @model_validator(mode="after")
    def _check(self) -> PerpBasisArbParams:
        if self.exit_basis >= self.entry_basis:
            raise ValueError("exit_basis must be below entry_basis")
        return self


@register_strategy
class PerpBasisArb(Strategy[PerpBasisArbParams]):
    family = "perp_basis_arb"
    subscriptions = frozenset({"price", "funding"})
    Params = PerpBasisArbParams
    description = "perp-vs-spot basis and funding; two-leg delta-neutral entry and unwind"

    def setup(self, p: PerpBasisArbParams) -> None:
        self.entry = p.entry_basis
        self.exit = p.exit_basis
        self.min_f = p.min_funding_hourly
        self.conf = p.confirmations
        self.max_age = float(p.max_spot_age_s)
        self.max_hold = float(p.max_hold_s)
        self.cooldown = float(p.cooldown_s)

    def initial_state(self) -> State:
        return {
            "spot": 0.0,
            "st": 0.0,
            "ok": 0,
            "pos": 0,
            "pm": -1,
            "tin": 0.0,
            "cd": 0.0,
            "pair": "",
            "n": 0,
        }

    def step(self, s: State, ev: Any, t: float) -> tuple[State, Sequence[Emit]]:
        if type(ev) is PriceEvent:
            px = ev.price_usd
            if px > 0.0 and t >= s["st"]:
                s["spot"] = px
                s["st"] = t
            return s, NO_EMITS
        spot = s["spot"]
        mark = ev.mark_price_usd
        if not spot > 0.0 or not mark > 0.0 or t - s["st"] > self.max_age or ev.market_index < 0:
            return s, NO_EMITS
        basis = mark / spot - 1.0
        funding = ev.funding_rate_hourly
        meta = {"basis": basis, "funding_hourly": funding}
        if s["pos"]:
            held = t - s["tin"]
            if basis > self.exit and funding >= 0.0 and held < self.max_hold:
                return s, NO_EMITS
            why = (
                f"basis {basis:+.2%}"
                if basis <= self.exit
                else f"funding {funding:+.4%}/h"
                if funding < 0.0
                else f"held {held / 3600:.1f} h"
            )
            s["pos"] = 0
            s["ok"] = 0
            s["cd"] = t + self.cooldown
            pm = s["pm"]
            pair = s["pair"]
            return s, (
                Emit(
                    Side.SELL,
                    Intent.EXIT,
                    1.0,
                    f"basis arb unwind (spot leg): {why}",
                    meta={**meta, "leg": "spot", "pair": pair},
                ),
                Emit(
                    Side.COVER,
                    Intent.EXIT,
                    1.0,
                    f"basis arb unwind (perp leg): {why}",
                    perp_market_index=pm,
                    meta={**meta, "leg": "perp", "pair": pair},
                ),
            )
        if basis < self.entry or funding < self.min_f or t < s["cd"]:
            s["ok"] = 0
            return s, NO_EMITS
        s["ok"] += 1
        if s["ok"] < self.conf:
            return s, NO_EMITS
        pm = ev.market_index
        s["n"] += 1
        pair = f"{self.instance_id}|{ev.mint}|{s['n']}"  # the n-th pair on this mint
        s["pos"] = 1
        s["pm"] = pm
        s["tin"] = t
        s["pair"] = pair
        strength = clip01(0.5 + 0.5 * (basis - self.entry) / self.entry)
        reason = f"perp {basis:+.2%} over spot, funding {funding:+.4%}/h"
        return s, (
            Emit(
                Side.BUY,
                Intent.ENTRY,
                strength,
                f"basis arb entry (spot leg): {reason}",
                meta={**meta, "leg": "spot", "pair": pair, "hedge_ratio": 1.0},
            ),
            Emit(
                Side.SHORT,
                Intent.ENTRY,
                strength,
                f"basis arb entry (perp leg): {reason}",
                perp_market_index=pm,
                meta={**meta, "leg": "perp", "pair": pair, "hedge_ratio": 1.0},
            ),
        )
