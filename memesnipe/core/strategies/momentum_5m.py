"""momentum_5m: a 5-minute price breakout confirmed by volume against a trailing baseline.

Thesis: memecoin pumps that start with a sharp 5-minute rise *and* a traded volume several
times the token's recent normal tend to continue for a while; either alone is noise.
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
from memesnipe.core.windows import (
    last_ago,
    last_ring,
    last_set,
    ring_slots,
    sum2_add,
    sum2_head,
    sum2_ring,
)
from memesnipe.streams.trading import Intent, Side


class Momentum5mParams(StrategyParams):
    lookback_s: int = Field(300, ge=60, le=3600, description="return horizon (5 minutes)")
    bucket_s: int = Field(60, ge=5, le=600, description="price sampling bucket")
    baseline_s: int = Field(3600, ge=600, le=6 * 3600, description="trailing volume baseline window")
    baseline_bucket_s: int = Field(300, ge=60, le=3600)
    min_return: float = Field(0.05, gt=0, le=5, description="5m return to enter (0.05 = +5%)")
    volume_mult: float = Field(2.5, ge=1, le=100, description="volume_usd_5m / baseline mean to enter")
    min_volume_usd: float = Field(1_000.0, ge=0, description="absolute 5m volume floor")
    min_baseline_samples: int = Field(6, ge=1, description="price events in the baseline before trading")
    exit_return: float = Field(-0.05, lt=0, ge=-1, description="5m return that closes the long")
    max_hold_s: int = Field(3600, ge=60, description="close the long after this long")
    cooldown_s: int = Field(600, ge=0, description="no re-entry for this long after an exit")

    @model_validator(mode="after")
    def _shapes(self) -> Momentum5mParams:
        if self.lookback_s % self.bucket_s or self.baseline_s % self.baseline_bucket_s:
            raise ValueError("lookback_s must be a multiple of bucket_s, baseline_s of baseline_bucket_s")
        return self


@register_strategy
class Momentum5m(Strategy[Momentum5mParams]):
    family = "momentum_5m"
    subscriptions = frozenset({"price"})
    Params = Momentum5mParams
    state_params = ("lookback_s", "bucket_s", "baseline_s", "baseline_bucket_s")
    description = "5-minute return and volume breakout against a trailing baseline"

    def setup(self, p: Momentum5mParams) -> None:
        self.k = p.lookback_s // p.bucket_s
        self.n_px = self.k + 2
        self.n_vol = p.baseline_s // p.baseline_bucket_s + 1
        self.bw = float(p.bucket_s)
        self.vw = float(p.baseline_bucket_s)
        self.n_pxf = float(self.n_px)
        self.n_volf = float(self.n_vol)
        self.px_slot = ring_slots(self.n_px, 1)
        self.vol_slot = ring_slots(self.n_vol, 3, 2)
        # Both rings see the same events, so their heads are the buckets of the same newest time;
        # when a baseline bucket is whole price buckets, an event in the price head bucket is in
        # the volume head bucket too (floor division of integral widths is exact).
        self.nested = p.baseline_bucket_s % p.bucket_s == 0
        self.min_ret = p.min_return
        self.mult = p.volume_mult
        self.min_vol = p.min_volume_usd
        self.min_n = float(p.min_baseline_samples)
        self.exit_ret = p.exit_return
        self.max_hold = float(p.max_hold_s)
        self.cooldown = float(p.cooldown_s)

    def initial_state(self) -> State:
        return {
            "p": last_ring(self.n_px),
            "past": 0.0,  # price k buckets before the head bucket, refreshed when the head moves
            "v": sum2_ring(self.n_vol),
            "pos": 0,
            "tin": 0.0,
            "cd": 0.0,
        }

    def step(self, s: State, ev: Any, t: float) -> tuple[State, Sequence[Emit]]:
        px = ev.price_usd
        if not px > 0.0:
            return s, NO_EMITS
        pr = s["p"]
        vr = s["v"]
        vol = ev.volume_usd_5m
        h = pr[0]
        lo = h * self.bw
        if lo <= t < lo + self.bw:  # t // bw == h, the same bucket as the last event (most events):
            pr[self.px_slot[h % self.n_pxf]] = px  # the price k buckets ago holds
            past = s["past"]
            same_vb = self.nested  # nested buckets: then the same baseline bucket too
        else:
            last_set(pr, self.bw, t, px)
            past = s["past"] = last_ago(pr, self.k)
            same_vb = t // self.vw == vr[0]
        # an event without volume (a price-only source) is no sample of the baseline, not a zero
        if same_vb:  # sum2_add inlined
            if vol > 0.0:
                i = self.vol_slot[vr[0] % self.n_volf]
                vr[i] += vol
                vr[i + 1] += 1.0
                vr[1] += vol
                vr[2] += 1.0
        else:
            sum2_add(vr, self.vw, t, vol, 1.0 if vol > 0.0 else 0.0)  # the head moves either way
        if past == 0.0:
            return s, NO_EMITS
        ret = px / past - 1.0
        if s["pos"]:
            held = t - s["tin"]
            if ret <= self.exit_ret or held >= self.max_hold:
                s["pos"] = 0
                s["cd"] = t + self.cooldown
                why = f"5m return {ret:+.1%}" if ret <= self.exit_ret else f"held {held / 60:.0f} min"
                return s, (Emit(Side.SELL, Intent.EXIT, 1.0, f"momentum faded: {why}", meta={"ret_5m": ret}),)
            return s, NO_EMITS
        if ret < self.min_ret or vol < self.min_vol or t < s["cd"]:
            return s, NO_EMITS
        ha, hc = sum2_head(vr)
        n = vr[2] - hc
        if n < self.min_n:
            return s, NO_EMITS
        base = (vr[1] - ha) / n
        ratio = vol / (base if base > 1.0 else 1.0)
        if ratio < self.mult:
            return s, NO_EMITS
        s["pos"] = 1
        s["tin"] = t
        strength = clip01(0.5 * ret / (2.0 * self.min_ret) + 0.5 * ratio / (2.0 * self.mult))
        return s, (
            Emit(
                Side.BUY,
                Intent.ENTRY,
                strength,
                f"5m return {ret:+.1%} on volume {ratio:.1f}x its {self.n_vol - 1}-bucket baseline",
                meta={"ret_5m": ret, "volume_ratio": ratio},
            ),
        )
