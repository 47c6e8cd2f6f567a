"""korean_time_burst: a volume and price spike inside Korean trading hours (Asia/Seoul),
measured against the same hours' baseline from previous days.

Thesis: Korean retail flow concentrates in its own daytime and evening; a burst then, well
above what that hour usually trades, is local demand arriving and tends to run. Time of day is
taken from the event's own timestamp (KST = UTC+9, no daylight saving), so replays and
week-shifted replays see the same hours.

State is bounded: one baseline value and a day count per hour of the day (24 each), the
hour being accumulated, and a small price ring for the 5-minute return.
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
from memesnipe.core.windows import last_ago, last_ring, last_set, ring_slots
from memesnipe.streams.trading import Intent, Side

KST_OFFSET_S = 9 * 3600
"""Asia/Seoul is UTC+9 all year (no DST since 1988)."""


class KoreanTimeBurstParams(StrategyParams):
    kst_open_hour: int = Field(9, ge=0, le=23, description="session start, hour of day in KST")
    kst_close_hour: int = Field(24, ge=1, le=24, description="session end (exclusive); may wrap midnight")
    lookback_s: int = Field(300, ge=60, le=3600, description="return horizon")
    bucket_s: int = Field(60, ge=10, le=600)
    min_return: float = Field(0.04, gt=0, le=5)
    volume_mult: float = Field(2.5, ge=1, le=100, description="volume_usd_5m / same hour's baseline")
    min_volume_usd: float = Field(1_000.0, ge=0)
    min_days: int = Field(1, ge=1, le=30, description="previous days of that hour before trading")
    baseline_alpha: float = Field(0.3, gt=0, le=1, description="weight of each new day in the hour's EWMA")
    exit_return: float = Field(-0.04, lt=0, ge=-1)
    max_hold_s: int = Field(3600, ge=60)
    cooldown_s: int = Field(1800, ge=0)

    @model_validator(mode="after")
    def _check(self) -> KoreanTimeBurstParams:
        if self.lookback_s % self.bucket_s:
            raise ValueError("lookback_s must be a multiple of bucket_s")
        if 3600 % self.bucket_s:
            raise ValueError("bucket_s must divide an hour")
        if self.kst_open_hour == self.kst_close_hour % 24:
            raise ValueError("kst_open_hour and kst_close_hour must differ")
        return self


@register_strategy
class KoreanTimeBurst(Strategy[KoreanTimeBurstParams]):
    family = "korean_time_burst"
    subscriptions = frozenset({"price"})
    Params = KoreanTimeBurstParams
    state_params = ("lookback_s", "bucket_s")
    description = "volume and price spike inside Korean trading hours against the same hours' baseline"

    def setup(self, p: KoreanTimeBurstParams) -> None:
        o, c = p.kst_open_hour, p.kst_close_hour % 24
        self.session = tuple((h >= o or h < c) if c < o else (o <= h < c) for h in range(24))
        self.k = p.lookback_s // p.bucket_s
        self.n_px = self.k + 2
        self.n_pxf = float(self.n_px)
        self.px_slot = ring_slots(self.n_px, 1)
        self.bw = float(p.bucket_s)
        self.min_ret = p.min_return
        self.mult = p.volume_mult
        self.min_vol = p.min_volume_usd
        self.min_days = p.min_days
        self.alpha = p.baseline_alpha
        self.exit_ret = p.exit_return
        self.max_hold = float(p.max_hold_s)
        self.cooldown = float(p.cooldown_s)

    def initial_state(self) -> State:
        return {
            "p": last_ring(self.n_px),
            "past": 0.0,  # cached per head bucket: price k buckets ago,
            "hod": 0,  # its KST hour of day,
            "acc": False,  # and whether its events go into the hour's baseline
            "hb": [0.0] * 24,  # per KST hour: EWMA over days of that hour's mean volume_usd_5m
            "hd": [0] * 24,  # per KST hour: days folded in
            "cur": [-1.0, -1.0, 0.0, 0.0],  # (hour index since epoch, hour of day, volume sum, samples)
            "pos": 0,
            "tin": 0.0,
            "cd": 0.0,
        }

    def _fold(self, s: State, cur: list[float]) -> None:
        """Close the hour being accumulated into that hour-of-day's baseline (EWMA over days)."""
        if cur[3] > 0.0:
            h = int(cur[1])
            mean = cur[2] / cur[3]
            hb = s["hb"]
            hb[h] = mean if s["hd"][h] == 0 else hb[h] + self.alpha * (mean - hb[h])
            s["hd"][h] += 1

    def step(self, s: State, ev: Any, t: float) -> tuple[State, Sequence[Emit]]:
        px = ev.price_usd
        if not px > 0.0:
            return s, NO_EMITS
        pr = s["p"]
        h = pr[0]
        lo = h * self.bw
        if lo <= t < lo + self.bw:
            # t // bw == h, the same bucket as the last event (most events): same hour (buckets
            # divide the hour), so the cached price k buckets ago, hour of day and baseline flag hold
            pr[self.px_slot[h % self.n_pxf]] = px
            past = s["past"]
            hod = s["hod"]
            if s["acc"] and ev.volume_usd_5m > 0.0:  # none reported (price-only source): not a zero
                cur = s["cur"]
                cur[2] += ev.volume_usd_5m
                cur[3] += 1.0
            in_session = self.session[hod]
        else:
            vol = ev.volume_usd_5m
            cur = s["cur"]
            b = t // self.bw
            last_set(pr, self.bw, t, px)
            past = last_ago(pr, self.k)
            hour_idx = (t + KST_OFFSET_S) // 3600.0
            hod = int(hour_idx % 24)
            accumulate = in_session = self.session[hod]
            if hour_idx != cur[0]:
                if hour_idx < cur[0]:  # late event from an hour already folded: not in the baseline
                    accumulate = False
                else:
                    self._fold(s, cur)
                    cur[0], cur[1], cur[2], cur[3] = hour_idx, float(hod), 0.0, 0.0
            if accumulate and vol > 0.0:
                cur[2] += vol
                cur[3] += 1.0
            if pr[0] == b:  # the head moved to this bucket (not a late event): cache for its events
                s["past"], s["hod"], s["acc"] = past, hod, accumulate
        if s["pos"]:
            ret = px / past - 1.0 if past > 0.0 else 0.0
            held = t - s["tin"]
            if ret <= self.exit_ret or held >= self.max_hold or not in_session:
                s["pos"] = 0
                s["cd"] = t + self.cooldown
                why = (
                    "Korean session closed"
                    if not in_session
                    else f"5m return {ret:+.1%}"
                    if ret <= self.exit_ret
                    else f"held {held / 60:.0f} min"
                )
                return s, (Emit(Side.SELL, Intent.EXIT, 1.0, f"Korean-hours burst over: {why}"),)
            return s, NO_EMITS
        if not in_session or past == 0.0:
            return s, NO_EMITS
        ret = px / past - 1.0 if past > 0.0 else 0.0
        if ret < self.min_ret:
            return s, NO_EMITS
        vol = ev.volume_usd_5m
        if vol < self.min_vol or t < s["cd"]:
            return s, NO_EMITS
        if s["hd"][hod] < self.min_days:
            return s, NO_EMITS
        base = s["hb"][hod]
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
                f"{hod:02d}h KST: 5m return {ret:+.1%} on volume {ratio:.1f}x that hour's baseline",
                meta={"kst_hour": hod, "ret_5m": ret, "volume_ratio": ratio},
            ),
        )
