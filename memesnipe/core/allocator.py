"""SharpeAllocator: capital weights per strategy instance from their shrunk Sharpe (pure).

Rules, in order:

1. A disabled strategy gets 0.
2. A *new* strategy (fewer than ``min_samples`` return periods) gets ``exploration_weight``:
   enough to learn whether it works, too little to hurt. If the exploration budgets alone
   would exceed ``max_total``, they are scaled down together.
3. An *established* strategy whose shrunk Sharpe is <= 0 is starved (weight 0).
4. The rest of ``max_total`` goes to established strategies with positive shrunk Sharpe, in
   proportion to it, each capped at ``max_weight``; what a capped strategy cannot take is
   re-shared among the uncapped ones (water-filling). What nobody can take stays in cash.

Weights are floored to 1e-9 so that their float sum can never exceed ``max_total``; they are
never negative and never above ``max_weight``.

Revival: a strategy at zero has no orders, so its own returns cannot recover. It is judged on its
shadow returns instead (own + hypothetical PnL of the signals refused for zero allocation,
``core.shadow``): ``pick_returns`` chooses the series, and a recovered shadow Sharpe gives it
weight again.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

QUANTUM = 1e-9
SCALE = 1_000_000_000  # 1 / QUANTUM


@dataclass(frozen=True, slots=True)
class StrategyStats:
    shrunk_sharpe: float
    samples: int
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Weight:
    weight: float
    reason: str


def _floor(w: float) -> float:
    # Count whole quanta, forgiving division noise (0.5 / 1e-9 = 499999999.99999994), and
    # divide once (k * QUANTUM can land an ulp above the value: 0.3 -> 0.30000000000000004);
    # never return more than ``w`` itself, so no cap or total can be exceeded.
    w = max(w, 0.0)
    k = math.floor(w / QUANTUM + 1e-6)
    out = k / SCALE
    return out if out <= w else max(0.0, (k - 1) / SCALE)


@dataclass(frozen=True, slots=True)
class SharpeAllocator:
    max_weight: float = 0.25
    max_total: float = 1.0
    exploration_weight: float = 0.02
    min_samples: int = 24

    def allocate(self, stats: Mapping[str, StrategyStats]) -> dict[str, Weight]:
        out: dict[str, Weight] = {}
        explore = [k for k, s in stats.items() if s.enabled and s.samples < self.min_samples]
        scored = {
            k: s.shrunk_sharpe
            for k, s in stats.items()
            if s.enabled
            and s.samples >= self.min_samples
            and s.shrunk_sharpe > 0
            and math.isfinite(s.shrunk_sharpe)
        }
        for k, s in stats.items():
            if not s.enabled:
                out[k] = Weight(0.0, "disabled")
            elif s.samples >= self.min_samples and k not in scored:
                out[k] = Weight(0.0, f"starved: sharpe {s.shrunk_sharpe:.2f} <= 0 over {s.samples} periods")

        per_explore = min(self.exploration_weight, self.max_weight)
        if explore and per_explore * len(explore) > self.max_total:
            per_explore = self.max_total / len(explore)
        for k in explore:
            out[k] = Weight(_floor(per_explore), f"exploring: {stats[k].samples}/{self.min_samples} periods")
        budget = self.max_total - sum(out[k].weight for k in explore)

        weights = self._water_fill(scored, budget)
        for k, w in weights.items():
            capped = " (capped)" if w >= self.max_weight - QUANTUM else ""
            out[k] = Weight(_floor(w), f"sharpe {scored[k]:.2f}{capped}")
        return out

    def _water_fill(self, scores: Mapping[str, float], budget: float) -> dict[str, float]:
        """Share ``budget`` in proportion to ``scores``, each at most ``max_weight``."""
        weights: dict[str, float] = {}
        free = dict(scores)
        while free and budget > QUANTUM:
            total = sum(free.values())
            # s / total first: budget * s can underflow for tiny scores (a share of 1.0 must stay 1.0)
            over = sorted(k for k, s in free.items() if budget * (s / total) >= self.max_weight)
            if not over:
                for k, s in free.items():
                    weights[k] = budget * (s / total)
                return weights
            for k in over:  # sorted: the same weights whatever the hash seed
                weights[k] = min(self.max_weight, budget)
                budget -= weights[k]
                del free[k]
        for k in free:
            weights.setdefault(k, 0.0)
        return weights


def starved(shrunk_sharpe: float, samples: int, min_samples: int) -> bool:
    """An established strategy whose shrunk Sharpe is not positive: rule 3 gives it 0."""
    return samples >= min_samples and not (shrunk_sharpe > 0 and math.isfinite(shrunk_sharpe))


def pick_returns(
    own: list[float],
    shadow: list[float],
    estimate: Callable[[list[float]], tuple[float, int]],
    min_samples: int,
) -> tuple[list[float], bool]:
    """The return series a strategy is judged on, and whether it is the shadow one: its own,
    unless they starve it (its allocation is zero, so its own returns can no longer recover) and
    it has shadow returns. ``estimate`` gives (shrunk Sharpe, samples) of a series."""
    if shadow and starved(*estimate(own), min_samples):
        return shadow, True
    return own, False
