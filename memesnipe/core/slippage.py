"""Slippage per order: how far the price may move between the quote and the landing before the
swap is allowed to fail, from the route's own price impact (a thin pool moves more for every
other trade) and the mint's recent volatility over the time an order takes to land, capped per
intent. Exits get a higher cap than entries: an exit that fails in a dump is retried a minute
later at a worse price, an entry that fails costs nothing but the fee.

The caps are validated against the signer's bounds (``signer.max_entry_slippage_bps`` /
``max_exit_slippage_bps``) in the settings, so a slippage chosen here is never one the signer
refuses.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from memesnipe.core.paper_fill import MarketView, impact_bps
from memesnipe.streams.trading import Intent, Order, Side

if TYPE_CHECKING:
    from memesnipe.settings import Settings

BPS = 10_000


@dataclass(frozen=True, slots=True)
class SlippagePolicy:
    floor_bps: int = 50  # never tighter: a quiet pool still moves with the next trade
    impact_mult: float = 1.0  # headroom per bps of the route's own price impact
    vol_mult: float = 2.0  # sigmas of the landing horizon's price move
    horizon_s: float = 10.0  # time from quote to landing the volatility is scaled to
    window_s: float = 300.0  # recent prices the volatility is measured on
    entry_cap_bps: int = 300
    exit_cap_bps: int = 1_500

    @classmethod
    def of(cls, s: Settings) -> SlippagePolicy:
        x = s.execution
        return cls(
            floor_bps=x.slippage_floor_bps,
            impact_mult=x.slippage_impact_mult,
            vol_mult=x.slippage_vol_mult,
            horizon_s=x.slippage_horizon_s,
            window_s=x.slippage_window_s,
            entry_cap_bps=x.max_entry_slippage_bps,
            exit_cap_bps=x.max_exit_slippage_bps,
        )


def volatility_bps(prices: Iterable[tuple[float, float]], *, until: float, policy: SlippagePolicy) -> float:
    """Standard deviation of the log price over ``policy.horizon_s``, in bps, from the
    ``(event time, price)`` points in ``(until - window_s, until]`` (sorted by time): the
    per-second variance of consecutive log returns times the horizon. Fewer than three usable
    points: 0 (unknown, the floor and the impact decide)."""
    pts = [(t, p) for t, p in prices if until - policy.window_s < t <= until and p > 0]
    var_sum = secs = 0.0
    n = 0
    for (t0, p0), (t1, p1) in itertools.pairwise(pts):
        dt = t1 - t0
        if dt <= 0:
            continue
        r = math.log(p1 / p0)
        var_sum += r * r
        secs += dt
        n += 1
    if n < 2 or secs <= 0:
        return 0.0
    return math.sqrt(var_sum / secs * policy.horizon_s) * BPS


def order_slippage_bps(
    intent: Intent, *, impact_bps: float, volatility_bps: float, policy: SlippagePolicy
) -> int:
    """The order's slippage tolerance: floor + impact headroom + volatility sigmas, rounded up and
    capped by its intent's cap (an exit's is the higher one)."""
    cap = policy.exit_cap_bps if intent is Intent.EXIT else policy.entry_cap_bps
    want = (
        policy.floor_bps
        + policy.impact_mult * max(impact_bps, 0.0)
        + policy.vol_mult * max(volatility_bps, 0.0)
    )
    if not math.isfinite(want):
        return cap
    return max(0, min(cap, math.ceil(want)))


def min_out(quoted_out: int, slippage_bps: int) -> int:
    """Jupiter's minimum out for an exact-in route, as the program computes it (and the signer)."""
    return quoted_out * (BPS - slippage_bps) // BPS


def expected_impact_bps(order: Order, market: MarketView) -> float:
    """The order's price impact on the mint's depth curve (or pool liquidity) before any quote:
    the first guess of the slippage, refined by the quote's own impact. No depth: 0."""
    if order.side is Side.BUY:
        size_usd = order.amount_in / 10**9 * market.sol_usd
    else:
        size_usd = order.amount_in / 10**market.decimals * market.price_usd
    if not market.levels and market.liquidity_usd <= 0:
        return 0.0
    return impact_bps(size_usd, market.levels, market.liquidity_usd, 0.0)[0]


def for_order(order: Order, market: MarketView, policy: SlippagePolicy, impact: float | None = None) -> int:
    """The order's slippage from its price impact (the quote's when given, else the depth's
    estimate) and the mint's volatility up to the order's event time."""
    vol = volatility_bps(market.prices, until=order.ts.timestamp(), policy=policy)
    imp = expected_impact_bps(order, market) if impact is None else impact
    return order_slippage_bps(order.intent, impact_bps=imp, volatility_bps=vol, policy=policy)
