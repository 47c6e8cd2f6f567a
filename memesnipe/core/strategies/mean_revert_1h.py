"""mean_revert_1h: fade z-score extremes of (log) price against its rolling 1-hour mean/std.

Thesis: outside of real breakouts and rugs, memecoin prices overshoot on thin books and snap
back; a move of several standard deviations within the hour is bought (or, optionally, faded
short) and closed when price is back near its mean. A move beyond ``z_stop`` is not a stretch
but a regime change (a rug or a breakout), so it is never entered, and it stops an open trade.
"""

from __future__ import annotations

import math
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
from memesnipe.core.windows import ring_slots, welford_add, welford_ring, welford_stats
from memesnipe.streams.trading import Intent, Side

_log = math.log
_sqrt = math.sqrt


class MeanRevert1hParams(StrategyParams):
    window_s: int = Field(3600, ge=600, le=24 * 3600, description="rolling window of the mean/std")
    bucket_s: int = Field(300, ge=30, le=3600, description="window granularity (eviction step)")
    z_entry: float = Field(2.5, gt=0, le=10, description="|z| at which to enter")
    z_exit: float = Field(0.0, ge=-5, le=5, description="exit once z is back within this of the mean")
    z_stop: float = Field(5.0, gt=0, le=50, description="|z| beyond which to stay out / stop out")
    min_samples: int = Field(60, ge=5, description="price events in the window before trading")
    min_std: float = Field(0.002, ge=0, description="floor of the log-price std (flat tokens stay out)")
    allow_short: bool = Field(False, description="also fade upward extremes with a short thesis")
    max_hold_s: int = Field(3600, ge=60)
    cooldown_s: int = Field(900, ge=0)

    @model_validator(mode="after")
    def _check(self) -> MeanRevert1hParams:
        if self.window_s % self.bucket_s:
            raise ValueError("window_s must be a multiple of bucket_s")
        if not self.z_stop > self.z_entry > self.z_exit:
            raise ValueError("need z_stop > z_entry > z_exit")
        return self


@register_strategy
class MeanRevert1h(Strategy[MeanRevert1hParams]):
    family = "mean_revert_1h"
    subscriptions = frozenset({"price"})
    Params = MeanRevert1hParams
    state_params = ("window_s", "bucket_s")
    description = (
        "z-score of log price against a rolling 1-hour mean/std; enter at extremes, exit on reversion"
    )

    def setup(self, p: MeanRevert1hParams) -> None:
        self.n = p.window_s // p.bucket_s
        self.nf = float(self.n)
        self.slot = ring_slots(self.n, 4, 3)
        self.w = float(p.bucket_s)
        self.ze, self.zx, self.zs = p.z_entry, p.z_exit, p.z_stop
        self.min_n = float(p.min_samples)
        self.min_var = p.min_std * p.min_std
        # |z| < z_entry for sure when (x - mean)^2 < ze2_v * var: the 1e-9 margin is far wider than
        # the rounding of either side, so the flat case skips the square root with the same outcome.
        # Only with a variance floor and z_entry far from underflow (else 0.0: the test never holds).
        ok = self.min_var >= 1e-100 and p.z_entry >= 1e-10
        self.ze2_v = p.z_entry * p.z_entry * (1.0 - 1e-9) if ok else 0.0
        self.short = p.allow_short
        self.max_hold = float(p.max_hold_s)
        self.cooldown = float(p.cooldown_s)

    def initial_state(self) -> State:
        return {"w": welford_ring(self.n), "pos": 0, "tin": 0.0, "cd": 0.0}

    def step(self, s: State, ev: Any, t: float) -> tuple[State, Sequence[Emit]]:
        px = ev.price_usd
        if not px > 0.0:
            return s, NO_EMITS
        x = _log(px)
        w = s["w"]
        h = w[0]
        lo = h * self.w
        if lo <= t < lo + self.w:
            # hot path, t // w == h, the same bucket as the last event: welford_add + welford_stats
            # inlined
            i = self.slot[h % self.nf]
            bn = w[i] + 1.0
            bm = w[i + 1]
            d = x - bm
            w[i] = bn
            bm = w[i + 1] = bm + d / bn
            bm2 = w[i + 2] = w[i + 2] + d * (x - bm)
            cn = w[1]
            if cn == 0.0:
                n, var, mean = bn, bm2 / bn, bm
            else:
                n = cn + bn
                cm = w[2]
                d = bm - cm
                mean = cm + d * bn / n
                var = (w[3] + bm2 + d * d * cn * bn / n) / n
        else:
            welford_add(w, self.w, t, x)  # rolls the window to t first
            n, mean, var = welford_stats(w)
        if n < self.min_n:
            return s, NO_EMITS
        v = var if var > self.min_var else self.min_var
        if not v > 0.0:  # a perfectly flat window (and no floor): no z-score
            return s, NO_EMITS
        dx = x - mean
        pos = s["pos"]
        if not pos and dx * dx < self.ze2_v * v:  # flat, and |z| below z_entry: nothing to do
            return s, NO_EMITS
        z = dx / _sqrt(v)
        if pos:
            held = t - s["tin"]
            if pos > 0:
                why = "reverted" if z >= -self.zx else "stopped" if z <= -self.zs else ""
            else:
                why = "reverted" if z <= self.zx else "stopped" if z >= self.zs else ""
            if not why and held >= self.max_hold:
                why = f"held {held / 60:.0f} min"
            if not why:
                return s, NO_EMITS
            s["pos"] = 0
            s["cd"] = t + self.cooldown
            side = Side.SELL if pos > 0 else Side.COVER
            return s, (Emit(side, Intent.EXIT, 1.0, f"mean reversion {why}: z {z:+.2f}", meta={"z": z}),)
        if t < s["cd"]:
            return s, NO_EMITS
        az = -z if z < 0 else z
        if az < self.ze or az >= self.zs or (z > 0 and not self.short):
            return s, NO_EMITS
        s["pos"] = -1 if z > 0 else 1
        s["tin"] = t
        strength = clip01((az - self.ze) / (self.zs - self.ze) * 0.5 + 0.5)
        reason = f"log price {z:+.2f} sd from its {self.n}-bucket mean"
        if z > 0:
            return s, (Emit(Side.SHORT, Intent.ENTRY, strength, reason, meta={"z": z}),)
        return s, (Emit(Side.BUY, Intent.ENTRY, strength, reason, meta={"z": z}),)
