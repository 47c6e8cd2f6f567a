"""liquidity_migration: net liquidity rotating into a token's pools (LP adds minus removals,
plus part of bridged inflows) over a window, relative to the pool's size.

Thesis: LPs move capital to where they expect volume; a window in which several LPs add a
large share of a pool's liquidity (and little is pulled) precedes price discovery there. Net
outflow of the same size closes the trade.
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
from memesnipe.core.windows import sum2_add, sum2_advance, sum2_ring
from memesnipe.streams.market import BridgeEvent, OnChainKind
from memesnipe.streams.trading import Intent, Side

LP_ADD = OnChainKind.LP_ADD
LP_REMOVE = OnChainKind.LP_REMOVE


class LiquidityMigrationParams(StrategyParams):
    window_s: int = Field(1800, ge=300, le=24 * 3600, description="window of net liquidity flow")
    bucket_s: int = Field(60, ge=10, le=3600)
    min_net_share: float = Field(0.35, gt=0, le=10, description="net inflow / pool liquidity to enter")
    min_net_usd: float = Field(20_000.0, ge=0)
    min_adds: int = Field(3, ge=1, description="LP-add transactions in the window")
    bridge_weight: float = Field(0.5, ge=0, le=1, description="share of bridged inflow counted as rotation")
    exit_net_share: float = Field(-0.1, lt=0, description="net outflow share that closes the long")
    max_hold_s: int = Field(7200, ge=60)
    cooldown_s: int = Field(1800, ge=0)

    @model_validator(mode="after")
    def _check(self) -> LiquidityMigrationParams:
        if self.window_s % self.bucket_s:
            raise ValueError("window_s must be a multiple of bucket_s")
        return self


@register_strategy
class LiquidityMigration(Strategy[LiquidityMigrationParams]):
    family = "liquidity_migration"
    subscriptions = frozenset({"onchain", "bridge"})
    Params = LiquidityMigrationParams
    state_params = ("window_s", "bucket_s")
    description = "net liquidity rotating into a token's pools"

    def setup(self, p: LiquidityMigrationParams) -> None:
        self.n = p.window_s // p.bucket_s
        self.w = float(p.bucket_s)
        self.min_share = p.min_net_share
        self.min_usd = p.min_net_usd
        self.min_adds = float(p.min_adds)
        self.bw = p.bridge_weight
        self.exit_share = p.exit_net_share
        self.max_hold = float(p.max_hold_s)
        self.cooldown = float(p.cooldown_s)

    def initial_state(self) -> State:
        return {"f": sum2_ring(self.n), "liq": 0.0, "pos": 0, "tin": 0.0, "cd": 0.0}

    def step(self, s: State, ev: Any, t: float) -> tuple[State, Sequence[Emit]]:
        f = s["f"]
        inflow = False
        if type(ev) is BridgeEvent:
            if ev.amount_usd > 0.0:
                sum2_add(f, self.w, t, ev.amount_usd * self.bw, 0.0)
                inflow = True
        else:
            if ev.pool_liquidity_usd is not None:
                s["liq"] = ev.pool_liquidity_usd
            kind = ev.kind
            if kind is LP_ADD:
                sum2_add(f, self.w, t, ev.amount_usd, 1.0)
                inflow = True
            elif kind is LP_REMOVE:
                sum2_add(f, self.w, t, -ev.amount_usd, 0.0)
            elif not s["pos"]:
                return s, NO_EMITS
            elif t // self.w > f[0]:  # sum2_advance inlined: evict only when the head moves
                sum2_advance(f, self.w, t)
        liq = s["liq"]
        if not liq > 0.0:
            return s, NO_EMITS
        net = f[1]
        share = net / liq
        if s["pos"]:
            held = t - s["tin"]
            if share <= self.exit_share or held >= self.max_hold:
                s["pos"] = 0
                s["cd"] = t + self.cooldown
                why = (
                    f"net flow {share:+.0%} of the pool"
                    if share <= self.exit_share
                    else f"held {held / 60:.0f} min"
                )
                return s, (
                    Emit(Side.SELL, Intent.EXIT, 1.0, f"liquidity leaving: {why}", meta={"net_share": share}),
                )
            return s, NO_EMITS
        if not inflow or share < self.min_share or net < self.min_usd or f[2] < self.min_adds or t < s["cd"]:
            return s, NO_EMITS
        s["pos"] = 1
        s["tin"] = t
        strength = clip01(0.5 + 0.5 * (share - self.min_share) / self.min_share)
        return s, (
            Emit(
                Side.BUY,
                Intent.ENTRY,
                strength,
                f"net ${net:,.0f} ({share:.0%} of pool) rotated in by {int(f[2])} LP adds",
                meta={"net_usd": net, "net_share": share, "adds": f[2]},
            ),
        )
