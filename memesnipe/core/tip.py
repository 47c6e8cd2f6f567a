"""The Jito tip for one transaction, from the block engine's landed-tip percentiles.

Jito publishes the tips that landed over the last minutes as percentiles (in SOL). We pay the
configured percentile (50 = median: lands about half the time at the auction's current price),
scaled by an urgency multiplier, never below Jito's minimum of 1000 lamports and never above our
hard cap. With no tip-floor data (paper mode, or the endpoint is down) the fallback applies, with
the same floor and cap, so a broken feed cannot make us overpay.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

from memesnipe.streams.base import LAMPORTS_PER_SOL

JITO_MIN_TIP_LAMPORTS = 1_000
"""Jito's documented minimum tip for a bundle."""

PERCENTILES = (25, 50, 75, 95, 99)


@dataclass(frozen=True)
class TipFloor:
    """Landed-tip percentiles in lamports, keyed 25/50/75/95/99; ``ema50`` is the EMA of the median."""

    percentiles: dict[int, int] = field(default_factory=dict)
    ema50: int | None = None

    @classmethod
    def from_sol(cls, percentiles_sol: dict[int, float], ema50_sol: float | None = None) -> TipFloor:
        """From the block engine's figures, which are in SOL."""
        return cls(
            {p: sol_to_lamports(v) for p, v in percentiles_sol.items()},
            None if ema50_sol is None else sol_to_lamports(ema50_sol),
        )

    def at(self, percentile: float) -> int:
        """Lamports at ``percentile`` (25..99), linear between the published points."""
        if not self.percentiles:
            raise ValueError("tip floor has no percentiles")
        pts = sorted(self.percentiles.items())
        if percentile <= pts[0][0]:
            return pts[0][1]
        for (p0, v0), (p1, v1) in itertools.pairwise(pts):
            if percentile <= p1:
                return round(v0 + (v1 - v0) * (percentile - p0) / (p1 - p0))
        return pts[-1][1]


def sol_to_lamports(sol: float) -> int:
    if not math.isfinite(sol) or sol < 0:
        raise ValueError(f"tip amount must be a finite, non-negative SOL figure, got {sol!r}")
    return round(sol * LAMPORTS_PER_SOL)


def dynamic_tip(
    floor: TipFloor | None,
    *,
    percentile: float = 50,
    multiplier: float = 1.0,
    min_lamports: int = JITO_MIN_TIP_LAMPORTS,
    max_lamports: int = 1_000_000,
    fallback_lamports: int = JITO_MIN_TIP_LAMPORTS,
    use_ema: bool = False,
) -> int:
    """The tip in lamports: percentile x multiplier, clamped to [max(min, 1000), max_lamports].

    ``use_ema`` takes the smoothed median instead when the percentile is 50, which damps spikes.
    """
    if max_lamports < JITO_MIN_TIP_LAMPORTS:
        raise ValueError(
            f"tip cap {max_lamports} is below Jito's minimum of {JITO_MIN_TIP_LAMPORTS} lamports"
        )
    lo = max(min_lamports, JITO_MIN_TIP_LAMPORTS)
    if floor is None or not floor.percentiles:
        raw = fallback_lamports
    elif use_ema and percentile == 50 and floor.ema50 is not None:
        raw = floor.ema50
    else:
        raw = floor.at(percentile)
    tip = math.ceil(raw * multiplier)
    return max(lo, min(tip, max_lamports))
