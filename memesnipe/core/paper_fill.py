"""Paper fills: what a swap would have given, from a quote or from a slippage model.

Accounting (shared with the position manager through ``streams.trading.Fill``):
``notional_lamports`` is the SOL value exchanged *before* costs, and every cost is reported once,
in its own field, never also inside the quantities. So a buy spends ``notional + costs`` SOL and a
sell receives ``notional - costs`` SOL, and PnL = sells' notional - buys' notional - all costs.

* Swap fee: the pools' fee (``fee_bps`` of the input's SOL value). For a buy the fee comes off
  the input before the swap, so ``notional = amount_in - fee`` buys the tokens; for a sell the
  gross SOL out is the notional and the fee is the cost.
* Network fee: ``5000`` lamports per signature plus compute-unit limit x price (micro-lamports per
  CU), which Solana charges on the *requested* limit; reported as ``priority_fee_lamports``.
* Jito tip: the tip transfer inside the transaction.

Slippage model (no quote available), for a trade of ``size_usd``:
1. With depth levels (price impact of a buy at several USD sizes, from quotes or pool reserves):
   piecewise-linear interpolation through (0, 0) and the levels; beyond the largest level the last
   segment's slope is extended. A constant-product pool's impact ``x / (L + x)`` is concave in
   ``x``, so a linear extension over-states impact: the paper result errs against us.
2. Without levels but with pool liquidity ``L`` (USD, both sides): constant-product impact
   ``x / (L/2 + x)``.
3. With neither: the configured flat slippage.
Impact moves the price against us: buys pay ``price x (1 + impact)``, sells get
``price x (1 - impact)``. The order's own slippage limit is a bound on the *model*: an impact
above it means the real swap would have failed its minimum-out check, so it is reported as such.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from memesnipe.streams.base import LAMPORTS_PER_SOL

BASE_FEE_LAMPORTS_PER_SIGNATURE = 5_000
MICRO_LAMPORTS_PER_LAMPORT = 1_000_000


class PaperFillError(ValueError):
    """The model cannot price this trade (no price, or impact above the order's slippage limit)."""


@dataclass(frozen=True)
class MarketView:
    """What the paper model knows about a token at routing time."""

    price_sol: float  # SOL per whole token
    price_usd: float = 0.0
    decimals: int = 6
    levels: Sequence[tuple[float, float]] = ()  # (size_usd, impact_bps) of buys
    liquidity_usd: float = 0.0
    prices: Sequence[tuple[float, float]] = ()  # (event time, SOL price) up to now: volatility

    @property
    def sol_usd(self) -> float:
        return self.price_usd / self.price_sol if self.price_sol > 0 and self.price_usd > 0 else 0.0


@dataclass(frozen=True)
class SimulatedSwap:
    """A modelled swap: ``qty_tokens`` bought or sold, SOL ``notional_lamports`` before costs."""

    qty_tokens: int
    notional_lamports: int
    price_sol: float  # effective SOL per whole token
    impact_bps: float
    swap_fee_lamports: int
    model: str  # "depth", "liquidity", "flat" or "quote"


def network_fee_lamports(cu_limit: int, cu_price_micro_lamports: int, signatures: int = 1) -> int:
    """Base fee per signature plus the priority fee charged on the requested CU limit."""
    if cu_limit < 0 or cu_price_micro_lamports < 0:
        raise ValueError("compute-unit limit and price must be non-negative")
    priority = math.ceil(cu_limit * cu_price_micro_lamports / MICRO_LAMPORTS_PER_LAMPORT)
    return BASE_FEE_LAMPORTS_PER_SIGNATURE * signatures + priority


def cu_price_for_budget(priority_fee_lamports: int, cu_limit: int) -> int:
    """The CU price (micro-lamports) whose priority fee on ``cu_limit`` stays within the budget."""
    if cu_limit <= 0:
        raise ValueError("compute-unit limit must be positive")
    return priority_fee_lamports * MICRO_LAMPORTS_PER_LAMPORT // cu_limit


def impact_bps(
    size_usd: float,
    levels: Sequence[tuple[float, float]] = (),
    liquidity_usd: float = 0.0,
    flat_bps: float = 50.0,
) -> tuple[float, str]:
    """Modelled price impact in bps of a trade of ``size_usd``, and which model gave it."""
    if size_usd <= 0:
        return 0.0, "flat"
    pts = sorted((s, i) for s, i in levels if s > 0 and i >= 0 and math.isfinite(s) and math.isfinite(i))
    if pts:
        prev_s, prev_i = 0.0, 0.0
        for s, i in pts:
            if size_usd <= s:
                return prev_i + (i - prev_i) * (size_usd - prev_s) / (s - prev_s), "depth"
            prev_s, prev_i = s, i
        if len(pts) >= 2:
            (s0, i0), (s1, i1) = pts[-2], pts[-1]
        else:
            (s0, i0), (s1, i1) = (0.0, 0.0), pts[-1]
        slope = max((i1 - i0) / (s1 - s0), i1 / s1)
        return i1 + slope * (size_usd - s1), "depth"
    if liquidity_usd > 0:
        side = liquidity_usd / 2
        return 10_000 * size_usd / (side + size_usd), "liquidity"
    return flat_bps, "flat"


def _check(m: MarketView) -> None:
    if not (m.price_sol > 0 and math.isfinite(m.price_sol)):
        raise PaperFillError(f"no usable SOL price for the token (got {m.price_sol!r})")


def _check_limit(imp: float, slippage_limit_bps: int | None) -> None:
    if slippage_limit_bps is not None and imp > slippage_limit_bps:
        raise PaperFillError(
            f"modelled price impact {imp:.1f} bps exceeds the order's slippage limit {slippage_limit_bps} bps"
        )


def simulate_buy(
    amount_in_lamports: int,
    m: MarketView,
    *,
    fee_bps: int,
    flat_slippage_bps: float,
    slippage_limit_bps: int | None = None,
) -> SimulatedSwap:
    """Spend ``amount_in_lamports`` SOL on the token."""
    _check(m)
    if amount_in_lamports <= 0:
        raise PaperFillError("buy amount must be positive")
    fee = amount_in_lamports * fee_bps // 10_000
    notional = amount_in_lamports - fee
    size_usd = notional / LAMPORTS_PER_SOL * m.sol_usd
    imp, model = impact_bps(size_usd, m.levels, m.liquidity_usd, flat_slippage_bps)
    _check_limit(imp, slippage_limit_bps)
    px = m.price_sol * (1 + imp / 10_000)
    qty = math.floor(notional / LAMPORTS_PER_SOL / px * 10**m.decimals)
    return SimulatedSwap(qty, notional, px, imp, fee, model)


def simulate_sell(
    qty_tokens: int,
    m: MarketView,
    *,
    fee_bps: int,
    flat_slippage_bps: float,
    slippage_limit_bps: int | None = None,
) -> SimulatedSwap:
    """Sell ``qty_tokens`` (base units) for SOL. Buy-side depth is used for sells too (pools are
    symmetric around the price for small trades)."""
    _check(m)
    if qty_tokens <= 0:
        raise PaperFillError("sell quantity must be positive")
    value_sol = qty_tokens / 10**m.decimals * m.price_sol
    imp, model = impact_bps(value_sol * m.sol_usd, m.levels, m.liquidity_usd, flat_slippage_bps)
    _check_limit(imp, slippage_limit_bps)
    imp = min(imp, 10_000.0)
    px = m.price_sol * (1 - imp / 10_000)
    gross = math.floor(qty_tokens / 10**m.decimals * px * LAMPORTS_PER_SOL)
    fee = gross * fee_bps // 10_000
    return SimulatedSwap(qty_tokens, gross, px, imp, fee, model)


def simulate_perp(
    qty_or_lamports: int,
    m: MarketView,
    *,
    opening: bool,
    taker_fee_bps: int,
    flat_slippage_bps: float,
) -> SimulatedSwap:
    """A Drift perp market order: opening a short sells ``qty_or_lamports`` lamports of notional,
    covering buys back ``qty_or_lamports`` token units. Slippage is the flat figure (perp books are
    not in our depth feed); fee is Drift's taker fee on the notional."""
    _check(m)
    if qty_or_lamports <= 0:
        raise PaperFillError("perp order size must be positive")
    imp = float(flat_slippage_bps)
    if opening:  # short: sell at a worse (lower) price
        px = m.price_sol * (1 - imp / 10_000)
        notional = qty_or_lamports
        qty = math.floor(notional / LAMPORTS_PER_SOL / px * 10**m.decimals)
    else:  # cover: buy back at a worse (higher) price
        px = m.price_sol * (1 + imp / 10_000)
        qty = qty_or_lamports
        notional = math.floor(qty / 10**m.decimals * px * LAMPORTS_PER_SOL)
    fee = notional * taker_fee_bps // 10_000
    return SimulatedSwap(qty, notional, px, imp, fee, "flat")


def from_quote(
    *,
    buy: bool,
    in_amount: int,
    out_amount: int,
    decimals: int,
    fee_lamports: int = 0,
    price_impact_pct: float = 0.0,
) -> SimulatedSwap:
    """A fill from a swap quote. The quote's out amount is already net of the pools' fees, so the
    fee is added back into the notional and reported once as the cost (see module doc)."""
    if in_amount <= 0 or out_amount <= 0:
        raise PaperFillError(f"quote amounts must be positive (in={in_amount}, out={out_amount})")
    if buy:
        notional = max(in_amount - fee_lamports, 0)
        qty = out_amount
    else:
        notional = out_amount + fee_lamports
        qty = in_amount
    px = (notional / LAMPORTS_PER_SOL) / (qty / 10**decimals)
    return SimulatedSwap(qty, notional, px, price_impact_pct * 100.0, fee_lamports, "quote")
