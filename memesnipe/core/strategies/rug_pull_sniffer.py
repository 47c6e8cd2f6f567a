"""rug_pull_sniffer: red flags that a token is about to be (or is being) rugged.

Flags, each with a weight: LP unlocks soon (or LP not locked at all), LP removal started
(a share of the pool pulled within a window), mint authority live, freeze authority live, top
10 holders owning too much. When the weighted score reaches ``threshold`` the signal is a short
thesis: a Drift perp short where a perp market exists, otherwise a long exit that blocks new
entries (decided by the engine). It re-fires only when the score rises by ``refire_delta``; the
short is covered after ``hold_s``.
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
from memesnipe.core.windows import sum_add, sum_advance, sum_ring
from memesnipe.streams.market import OnChainKind
from memesnipe.streams.trading import Intent, Side

LP_REMOVE = OnChainKind.LP_REMOVE


class RugPullSnifferParams(StrategyParams):
    unlock_horizon_s: int = Field(6 * 3600, ge=60, description="an LP unlock within this is a flag")
    lp_remove_window_s: int = Field(1800, ge=60, le=24 * 3600)
    bucket_s: int = Field(60, ge=10, le=3600)
    lp_remove_share: float = Field(0.25, gt=0, le=1, description="share of the pool removed in the window")
    max_top10_pct: float = Field(50.0, gt=0, le=100)
    w_lp_unlock: float = Field(0.35, ge=0, le=1)
    w_lp_remove: float = Field(0.6, ge=0, le=1)
    w_mint_authority: float = Field(0.2, ge=0, le=1)
    w_freeze_authority: float = Field(0.25, ge=0, le=1)
    w_concentration: float = Field(0.2, ge=0, le=1)
    threshold: float = Field(0.55, gt=0, le=3)
    refire_delta: float = Field(0.2, gt=0)
    hold_s: int = Field(6 * 3600, ge=60)

    @model_validator(mode="after")
    def _check(self) -> RugPullSnifferParams:
        if self.lp_remove_window_s % self.bucket_s:
            raise ValueError("lp_remove_window_s must be a multiple of bucket_s")
        return self


@register_strategy
class RugPullSniffer(Strategy[RugPullSnifferParams]):
    family = "rug_pull_sniffer"
    subscriptions = frozenset({"onchain"})
    Params = RugPullSnifferParams
    state_params = ("lp_remove_window_s", "bucket_s")
    description = "red flags: LP unlock soon, LP removal started, mint/freeze authority live, concentration"

    def setup(self, p: RugPullSnifferParams) -> None:
        self.n = p.lp_remove_window_s // p.bucket_s
        self.w = float(p.bucket_s)
        self.horizon = float(p.unlock_horizon_s)
        self.rm_share = p.lp_remove_share
        self.max_top10 = p.max_top10_pct
        self.weights = (
            p.w_lp_unlock,
            p.w_lp_remove,
            p.w_mint_authority,
            p.w_freeze_authority,
            p.w_concentration,
        )
        self.threshold = p.threshold
        self.refire = p.refire_delta
        self.hold = float(p.hold_s)

    def initial_state(self) -> State:
        # unlock: -1 unknown, 0 not locked at all, else epoch seconds of the unlock
        return {
            "rm": sum_ring(self.n),
            "liq": 0.0,
            "unlock": -1.0,
            "auth": [-1, -1],
            "top10": -1.0,
            "fired": 0.0,
            "tin": 0.0,
        }

    def step(self, s: State, ev: Any, t: float) -> tuple[State, Sequence[Emit]]:
        rm = s["rm"]
        if ev.kind is LP_REMOVE:
            sum_add(rm, self.w, t, ev.amount_usd)
        elif t // self.w > rm[0]:  # sum_advance inlined: evict only when the head moves
            sum_advance(rm, self.w, t)
        liq = ev.pool_liquidity_usd
        if liq is not None:
            s["liq"] = liq
        locked = ev.lp_locked_pct
        if locked is not None:
            if locked <= 0.0:
                s["unlock"] = 0.0
            elif ev.lp_unlock_ts is not None:
                s["unlock"] = ev.lp_unlock_ts.timestamp()
        auth = s["auth"]
        live = ev.mint_authority_live
        if live is not None:
            auth[0] = int(live)
        live = ev.freeze_authority_live
        if live is not None:
            auth[1] = int(live)
        top10 = ev.top10_holder_pct
        if top10 is not None:
            s["top10"] = top10
        fired = s["fired"]
        if fired and t - s["tin"] >= self.hold:
            s["fired"] = 0.0
            return s, (Emit(Side.COVER, Intent.EXIT, 1.0, "rug-pull short: horizon over"),)
        # the score first (same terms, same order); the reasons only when it fires
        w_unlock, w_remove, w_mint, w_freeze, w_conc = self.weights
        score = 0.0
        unlock = s["unlock"]
        if unlock == 0.0 or (unlock > 0.0 and unlock - t <= self.horizon):
            score += w_unlock
        removed = rm[1]
        share = 0.0
        if removed > 0.0:
            share = removed / (s["liq"] + removed)
            if share >= self.rm_share:
                score += w_remove
        if auth[0] == 1:
            score += w_mint
        if auth[1] == 1:
            score += w_freeze
        top10 = s["top10"]
        if top10 >= self.max_top10:
            score += w_conc
        if score < self.threshold or (fired and score < fired + self.refire):
            return s, NO_EMITS
        flags = []
        if unlock == 0.0:
            flags.append("LP not locked")
        elif unlock > 0.0 and unlock - t <= self.horizon:
            flags.append(f"LP unlocks in {max(0.0, unlock - t) / 3600:.1f} h")
        if removed > 0.0 and share >= self.rm_share:
            flags.append(f"{share:.0%} of LP removed")
        if auth[0] == 1:
            flags.append("mint authority live")
        if auth[1] == 1:
            flags.append("freeze authority live")
        if top10 >= self.max_top10:
            flags.append(f"top 10 hold {top10:.0f}%")
        s["fired"] = score
        s["tin"] = t
        return s, (
            Emit(
                Side.SHORT,
                Intent.ENTRY,
                clip01(score),
                "rug red flags: " + ", ".join(flags),
                meta={"score": score, "flags": flags, "block_s": self.hold},
            ),
        )
