"""airdrop_rotation: holder-count growth driven by airdrop transfers.

Thesis: a campaign that airdrops to many new wallets widens the holder base; recipients who
keep the token and the attention it brings lift demand for a while. Growth that airdrops do
not explain (organic, or a holders-count glitch) is not this signal.
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
from memesnipe.core.windows import last_oldest, last_ring, last_set, sum_add, sum_advance, sum_ring
from memesnipe.streams.market import OnChainKind
from memesnipe.streams.trading import Intent, Side

AIRDROP = OnChainKind.AIRDROP


class AirdropRotationParams(StrategyParams):
    window_s: int = Field(3600, ge=300, le=7 * 24 * 3600, description="window of holder growth")
    bucket_s: int = Field(300, ge=30, le=3600)
    min_holder_growth: float = Field(0.05, gt=0, le=100, description="holders now / at window start - 1")
    min_recipients: int = Field(200, ge=1, description="airdrop recipients in the window")
    min_airdrop_share: float = Field(0.5, ge=0, le=10, description="recipients / new holders")
    exit_holder_drop: float = Field(0.03, gt=0, le=1, description="exit when holders fall this far from peak")
    max_hold_s: int = Field(7200, ge=60)
    cooldown_s: int = Field(3600, ge=0)

    @model_validator(mode="after")
    def _check(self) -> AirdropRotationParams:
        if self.window_s % self.bucket_s:
            raise ValueError("window_s must be a multiple of bucket_s")
        return self


@register_strategy
class AirdropRotation(Strategy[AirdropRotationParams]):
    family = "airdrop_rotation"
    subscriptions = frozenset({"onchain"})
    Params = AirdropRotationParams
    state_params = ("window_s", "bucket_s")
    description = "holder-count growth from airdrop transfers"

    def setup(self, p: AirdropRotationParams) -> None:
        self.n = p.window_s // p.bucket_s
        self.w = float(p.bucket_s)
        self.min_growth = p.min_holder_growth
        self.min_rcpt = float(p.min_recipients)
        self.share = p.min_airdrop_share
        self.drop = p.exit_holder_drop
        self.max_hold = float(p.max_hold_s)
        self.cooldown = float(p.cooldown_s)

    def initial_state(self) -> State:
        return {
            "h": last_ring(self.n + 1),
            "a": sum_ring(self.n),
            "peak": 0.0,
            "pos": 0,
            "tin": 0.0,
            "cd": 0.0,
        }

    def step(self, s: State, ev: Any, t: float) -> tuple[State, Sequence[Emit]]:
        holders = ev.holders
        is_drop = ev.kind is AIRDROP
        if holders is None and not is_drop:
            return s, NO_EMITS
        a = s["a"]
        if is_drop and ev.recipients:
            sum_add(a, self.w, t, float(ev.recipients))
        elif t // self.w > a[0]:  # sum_advance inlined: evict only when the head moves
            sum_advance(a, self.w, t)
        if holders is None or holders <= 0:
            return s, NO_EMITS
        h = float(holders)
        hr = s["h"]
        last_set(hr, self.w, t, h)
        if s["pos"]:
            if h > s["peak"]:
                s["peak"] = h
            held = t - s["tin"]
            fell = h <= s["peak"] * (1.0 - self.drop)
            if fell or held >= self.max_hold:
                s["pos"] = 0
                s["cd"] = t + self.cooldown
                why = f"holders {h:.0f} vs peak {s['peak']:.0f}" if fell else f"held {held / 60:.0f} min"
                return s, (Emit(Side.SELL, Intent.EXIT, 1.0, f"airdrop rotation over: {why}"),)
            return s, NO_EMITS
        then = last_oldest(hr)
        if not then > 0.0 or t < s["cd"]:
            return s, NO_EMITS
        new = h - then
        growth = new / then
        rcpt = a[1]
        if growth < self.min_growth or rcpt < self.min_rcpt or rcpt < self.share * new:
            return s, NO_EMITS
        s["pos"] = 1
        s["tin"] = t
        s["peak"] = h
        strength = clip01(0.5 + 0.5 * (growth - self.min_growth) / (2.0 * self.min_growth))
        return s, (
            Emit(
                Side.BUY,
                Intent.ENTRY,
                strength,
                f"holders +{growth:.1%} ({then:.0f} -> {h:.0f}) with {rcpt:.0f} airdrop recipients",
                meta={"holder_growth": growth, "recipients": rcpt, "holders": h},
            ),
        )
