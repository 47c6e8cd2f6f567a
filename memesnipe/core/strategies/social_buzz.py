"""social_buzz: mention velocity against the token's own baseline, from enough distinct authors.

Thesis: a jump in how fast a token is mentioned, by many different accounts, precedes retail
buying; a burst from a handful of accounts is shilling and is ignored.
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
from memesnipe.core.windows import ring_slots, sum2_add, sum2_head, sum2_ring
from memesnipe.streams.trading import Intent, Side


class SocialBuzzParams(StrategyParams):
    baseline_s: int = Field(3600, ge=600, le=24 * 3600, description="baseline window of mention velocity")
    bucket_s: int = Field(300, ge=30, le=3600)
    velocity_mult: float = Field(4.0, ge=1, le=100, description="velocity / baseline to enter")
    min_mentions: int = Field(20, ge=1, description="mentions in the event's own window")
    min_unique_authors: int = Field(10, ge=1)
    min_author_ratio: float = Field(0.3, ge=0, le=1, description="unique authors / mentions (bot filter)")
    min_baseline_s: int = Field(1800, ge=0, description="seconds of history before trading")
    baseline_floor_per_min: float = Field(1.0, gt=0, description="baseline velocity floor (mentions/min)")
    exit_mult: float = Field(1.5, ge=0, description="exit when velocity falls below this x baseline")
    max_hold_s: int = Field(3600, ge=60)
    cooldown_s: int = Field(1800, ge=0)

    @model_validator(mode="after")
    def _check(self) -> SocialBuzzParams:
        if self.baseline_s % self.bucket_s:
            raise ValueError("baseline_s must be a multiple of bucket_s")
        if self.exit_mult >= self.velocity_mult:
            raise ValueError("exit_mult must be below velocity_mult")
        return self


@register_strategy
class SocialBuzz(Strategy[SocialBuzzParams]):
    family = "social_buzz"
    subscriptions = frozenset({"social"})
    Params = SocialBuzzParams
    state_params = ("baseline_s", "bucket_s")
    description = "mention velocity against its baseline, with minimum unique authors"

    def setup(self, p: SocialBuzzParams) -> None:
        self.n = p.baseline_s // p.bucket_s + 1
        self.w = float(p.bucket_s)
        self.nf = float(self.n)
        self.slot = ring_slots(self.n, 3, 2)
        self.mult = p.velocity_mult
        self.min_m = p.min_mentions
        self.min_a = p.min_unique_authors
        self.ratio = p.min_author_ratio
        self.min_cov = max(float(p.min_baseline_s), 1e-9)  # some history, always: cov divides
        self.floor = p.baseline_floor_per_min
        self.exit_mult = p.exit_mult
        self.max_hold = float(p.max_hold_s)
        self.cooldown = float(p.cooldown_s)

    def initial_state(self) -> State:
        return {"m": sum2_ring(self.n), "pos": 0, "tin": 0.0, "cd": 0.0}

    def step(self, s: State, ev: Any, t: float) -> tuple[State, Sequence[Emit]]:
        win = ev.window_s
        if win <= 0:
            return s, NO_EMITS
        mentions = ev.mentions
        vel = mentions * 60.0 / win
        r = s["m"]
        fm = float(mentions)
        fw = float(win)
        h = r[0]
        lo = h * self.w
        if lo <= t < lo + self.w:  # t // w == h, the head bucket: sum2_add + sum2_head inlined
            i = self.slot[h % self.nf]
            hm = r[i] = r[i] + fm
            hs = r[i + 1] = r[i + 1] + fw
            r[1] += fm
            r[2] += fw
        else:
            sum2_add(r, self.w, t, fm, fw)
            hm, hs = sum2_head(r)
        cov = r[2] - hs
        if cov < self.min_cov:
            return s, NO_EMITS
        base = (r[1] - hm) * 60.0 / cov
        if base < self.floor:
            base = self.floor
        ratio = vel / base
        if s["pos"]:
            held = t - s["tin"]
            if ratio < self.exit_mult or held >= self.max_hold:
                s["pos"] = 0
                s["cd"] = t + self.cooldown
                why = (
                    f"velocity {ratio:.1f}x baseline"
                    if ratio < self.exit_mult
                    else f"held {held / 60:.0f} min"
                )
                return s, (
                    Emit(Side.SELL, Intent.EXIT, 1.0, f"buzz faded: {why}", meta={"velocity_ratio": ratio}),
                )
            return s, NO_EMITS
        authors = ev.unique_authors
        if (
            ratio < self.mult
            or mentions < self.min_m
            or authors < self.min_a
            or authors < self.ratio * mentions
            or t < s["cd"]
        ):
            return s, NO_EMITS
        s["pos"] = 1
        s["tin"] = t
        strength = clip01(0.5 + 0.5 * (ratio - self.mult) / self.mult)
        return s, (
            Emit(
                Side.BUY,
                Intent.ENTRY,
                strength,
                f"{vel:.1f} mentions/min = {ratio:.1f}x baseline from {authors} unique authors",
                meta={"velocity_per_min": vel, "velocity_ratio": ratio, "unique_authors": authors},
            ),
        )
