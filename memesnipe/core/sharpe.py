"""Rolling Sharpe ratio of per-period strategy returns, shrunk toward zero for short histories.

Definitions (what the allocator and the cockpit show):

- A *period* is ``period_s`` seconds of event time (default 1 h); a strategy's return for a
  period is its PnL change over the period (realized + unrealized, net of costs) divided by
  the portfolio's base capital (see :mod:`memesnipe.core.ledger`).
- ``sharpe = mean(r) / std(r, ddof=1) * sqrt(periods_per_year)`` over the last ``window``
  returns, risk-free rate 0 (a memecoin book's horizon makes it immaterial), with
  ``periods_per_year = 365 * 86400 / period_s`` (crypto trades every day).
- Fewer than 2 returns, or zero dispersion, gives 0: no evidence either way.
- Shrinkage: ``shrunk = sharpe * min(1, n / min_samples)``: a Sharpe counts fully once the
  strategy has ``min_samples`` periods; before that it is scaled linearly toward zero, so a
  lucky first hour cannot win the book.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

SECONDS_PER_YEAR = 365 * 86_400


@dataclass(frozen=True, slots=True)
class SharpeEstimate:
    sharpe: float  # annualized, on the window, unshrunk
    shrunk: float  # what the allocator uses
    samples: int  # returns in the window
    mean: float
    std: float


def periods_per_year(period_s: float) -> float:
    return SECONDS_PER_YEAR / period_s


def mean_std(returns: Sequence[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1), two-pass for accuracy."""
    n = len(returns)
    if n == 0:
        return 0.0, 0.0
    mean = math.fsum(returns) / n
    if n < 2:
        return mean, 0.0
    var = math.fsum((r - mean) ** 2 for r in returns) / (n - 1)
    return mean, math.sqrt(var)


def rolling_sharpe(
    returns: Sequence[float], *, period_s: float, window: int, min_samples: int
) -> SharpeEstimate:
    """Annualized Sharpe of the last ``window`` returns and its shrunk value."""
    tail = list(returns[-window:]) if window > 0 else list(returns)
    n = len(tail)
    mean, std = mean_std(tail)
    # relative threshold: float noise on a constant series must not read as dispersion
    if n < 2 or std <= 1e-12 * max(1.0, abs(mean)):
        return SharpeEstimate(0.0, 0.0, n, mean, std)
    sharpe = mean / std * math.sqrt(periods_per_year(period_s))
    return SharpeEstimate(sharpe, sharpe * min(1.0, n / min_samples), n, mean, std)
