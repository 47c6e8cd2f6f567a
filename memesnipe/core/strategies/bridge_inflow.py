"""bridge_inflow: a large bridged inflow of a token to Solana within a window.

Thesis: holders on other chains bridging a token in size bring buyers (and liquidity) to its
Solana markets. The inflow must be large in dollars and against the token's own recent bridge
flow. Entry only: bridge events are sparse, so exits belong to the position manager's stops
and maximum hold; ``cooldown_s`` stops one inflow wave from re-entering.
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
from memesnipe.core.windows import sum2_add, sum2_ring, sum_add, sum_ring
from memesnipe.streams.trading import Intent, Side


class BridgeInflowParams(StrategyParams):
    window_s: int = Field(1800, ge=60, le=24 * 3600, description="window the inflow adds up over")
    bucket_s: int = Field(300, ge=10, le=3600)
    baseline_s: int = Field(6 * 3600, ge=3600, le=7 * 24 * 3600, description="trailing baseline window")
    min_inflow_usd: float = Field(100_000.0, ge=0)
    baseline_mult: float = Field(3.0, ge=1, description="window inflow / baseline inflow per window")
    min_transfers: int = Field(1, ge=1)
    cooldown_s: int = Field(3600, ge=0)

    @model_validator(mode="after")
    def _check(self) -> BridgeInflowParams:
        if self.window_s % self.bucket_s or self.baseline_s % 3600:
            raise ValueError("window_s must be a multiple of bucket_s and baseline_s of 3600")
        if self.baseline_s <= self.window_s:
            raise ValueError("baseline_s must be longer than window_s")
        return self


@register_strategy
class BridgeInflow(Strategy[BridgeInflowParams]):
    family = "bridge_inflow"
    subscriptions = frozenset({"bridge"})
    Params = BridgeInflowParams
    state_params = ("window_s", "bucket_s", "baseline_s")
    description = "large bridged inflow of a token to Solana in a window"

    def setup(self, p: BridgeInflowParams) -> None:
        self.n = p.window_s // p.bucket_s
        self.w = float(p.bucket_s)
        self.nb = p.baseline_s // 3600
        self.per_window = p.window_s / p.baseline_s
        self.min_usd = p.min_inflow_usd
        self.mult = p.baseline_mult
        self.min_n = float(p.min_transfers)
        self.cooldown = float(p.cooldown_s)

    def initial_state(self) -> State:
        return {"w": sum2_ring(self.n), "b": sum_ring(self.nb + 1), "cd": 0.0}

    def step(self, s: State, ev: Any, t: float) -> tuple[State, Sequence[Emit]]:
        amt = ev.amount_usd
        if not amt > 0.0:
            return s, NO_EMITS
        w = s["w"]
        b = s["b"]
        sum2_add(w, self.w, t, amt, 1.0)
        # baseline per window, from the trailing hours before this window's inflow
        base = (b[1] * self.per_window) if b[1] > 0.0 else 0.0
        sum_add(b, 3600.0, t, amt)
        inflow = w[1]
        if inflow < self.min_usd or w[2] < self.min_n or t < s["cd"]:
            return s, NO_EMITS
        ratio = inflow / base if base > 0.0 else float("inf")
        if ratio < self.mult:
            return s, NO_EMITS
        s["cd"] = t + self.cooldown
        strength = clip01(0.5 + 0.5 * (inflow - self.min_usd) / (3.0 * self.min_usd + 1.0))
        rtxt = "no prior bridge flow" if base == 0.0 else f"{ratio:.1f}x its baseline"
        return s, (
            Emit(
                Side.BUY,
                Intent.ENTRY,
                strength,
                f"${inflow:,.0f} bridged in within {self.n} buckets ({int(w[2])} transfers, {rtxt})",
                meta={
                    "inflow_usd": inflow,
                    "transfers": w[2],
                    "baseline_usd": base,
                    "source_chain": ev.source_chain,
                },
            ),
        )
