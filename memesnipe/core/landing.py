"""Latency and landing failures for paper and backtest fills (pure, event time).

A real order is sent at its event time ``t`` and, if it lands, executes ``latency`` later against
the market of *that* moment; some never land. Paper and the backtester share this model so paper
PnL forecasts live PnL instead of assuming an instant, always-landing fill at the signal's price:

- **Latency**: the fill is planned on the market as of ``t + latency_ms`` (the latest price and
  depth snapshot with ``ts <= t + latency``, from the as-of histories the router and the
  backtester keep); the fill's time stays the order's event time (its identity), its price is
  the later market's.
- **Landing failure by chance**: with probability ``fail_probability``, drawn from
  ``sha256(seed|order_id)`` so the router and the backtester (and a re-run) draw the same.
- **Landing failure on slippage**: the order's bound (``Order.slippage_bps``) applies to the
  move between the price the order was sized on (its stamp, time ``t``) and the effective price
  it would fill at (time ``t + latency``, with impact): beyond it, the swap's minimum-out check
  (or the perp order's limit price) fails on chain.

A failed landing is no fill and no cost (Jito bundles are atomic: a bundle that does not land
pays nothing), the order FAILED with the reason. Everything off (the defaults) is the old model.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from memesnipe.streams.trading import Side

DROPPED = "landing_dropped"
SLIPPAGE = "landing_slippage"
LANDED = "landed"


@dataclass(frozen=True, slots=True)
class LandingModel:
    latency_ms: int = 0
    fail_probability: float = 0.0
    slippage_failures: bool = False
    seed: str = "memesnipe"

    @property
    def on(self) -> bool:
        return self.latency_ms > 0 or self.fail_probability > 0 or self.slippage_failures

    @property
    def latency_s(self) -> float:
        return self.latency_ms / 1000.0

    def fill_time(self, order_ts: float) -> float:
        """Event time of the market a fill of an order sent at ``order_ts`` executes against."""
        return order_ts + self.latency_s

    @classmethod
    def from_settings(cls, paper: object) -> LandingModel:
        return cls(
            latency_ms=int(getattr(paper, "latency_ms", 0)),
            fail_probability=float(getattr(paper, "landing_fail_probability", 0.0)),
            slippage_failures=bool(getattr(paper, "landing_slippage_failures", False)),
            seed=str(getattr(paper, "landing_seed", "memesnipe")),
        )


@dataclass(frozen=True, slots=True)
class Landing:
    outcome: str  # LANDED | DROPPED | SLIPPAGE
    reason: str = ""

    @property
    def landed(self) -> bool:
        return self.outcome == LANDED


def draw(order_id: str, seed: str) -> float:
    """A uniform number in [0, 1) fixed by the order id and the seed."""
    digest = hashlib.sha256(f"{seed}|{order_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def adverse_bps(side: Side, sized_price: float, fill_price: float) -> float:
    """How far ``fill_price`` is against the order from ``sized_price``, in bps (<= 0: in favour).
    Paying sides (BUY, COVER) lose when the price rises, receiving sides (SELL, SHORT) when it falls."""
    if sized_price <= 0 or fill_price <= 0:
        return 0.0
    move = fill_price / sized_price - 1.0
    return 10_000 * (move if side in (Side.BUY, Side.COVER) else -move)


def judge(
    model: LandingModel,
    order_id: str,
    side: Side,
    *,
    slippage_bps: int,
    sized_price: float,
    fill_price: float,
) -> Landing:
    """Whether the order lands: the chance draw first, then the slippage bound."""
    if model.fail_probability > 0:
        u = draw(order_id, model.seed)
        if u < model.fail_probability:
            return Landing(
                DROPPED, f"{DROPPED}: not landed (model p={model.fail_probability:g}, draw {u:.4f})"
            )
    if model.slippage_failures:
        bps = adverse_bps(side, sized_price, fill_price)
        if bps > slippage_bps:
            return Landing(
                SLIPPAGE,
                f"{SLIPPAGE}: price moved {bps:.0f} bps against the order within "
                f"{model.latency_ms} ms, beyond its {slippage_bps} bps bound",
            )
    return Landing(LANDED)


def land(
    model: LandingModel, order_id: str, side: Side, slippage_bps: int, sized: float, filled: float
) -> Landing:
    """``judge`` for an order sized at effective price ``sized`` and filled at ``filled``."""
    return judge(model, order_id, side, slippage_bps=slippage_bps, sized_price=sized, fill_price=filled)
