"""PnL from fills, pure (no I/O): average-cost books per (strategy instance, mint, book).

Method (documented for the report, the cockpit and Grafana):
- A *book* is long (buy opens, sell closes: Jupiter spot) or short (short opens, cover
  closes: Drift perps). Each book keeps its open quantity, its cost basis (lamports paid for
  a long, received for a short) and the entry costs not yet assigned to a closed trade.
- A closing fill is a *trade*. It closes ``q = min(fill qty, open qty)`` at the average cost
  (``core.positions.reduce_at_average_cost``, integer lamports as the position manager's):
  gross = proceeds of q - basis of q (long) or basis of q - price paid for q (short); the
  trade's costs = its own costs + the closed share of the entry costs; net = gross - costs.
  A close larger than the open quantity realizes only the matched part (the excess is
  counted in ``unmatched_qty``: it indicates a fill we never saw the opening of).
- Costs of a fill = swap fee + priority fee + Jito tip + Drift fees - funding received.
- Per strategy: gross PnL = realized gross + unrealized (marks from the position manager's
  latest update per open position); costs = every fill's costs (also those of positions still
  open); net PnL = gross - costs. Win rate = trades with net > 0 / trades.
- Sharpe: per strategy, of per-trade net returns (net / (basis + entry costs) of the closed
  part), not annualized; for the whole account, of daily equity changes, annualized x sqrt(365)
  (crypto trades every day). None when fewer than two samples or no variance.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from memesnipe.core.positions import reduce_at_average_cost

LONG_OPEN, LONG_CLOSE, SHORT_OPEN, SHORT_CLOSE = "buy", "sell", "short", "cover"


@dataclass
class Book:
    """An open quantity with its basis and entry costs, in integer lamports (as a position)."""

    qty: int = 0
    basis: int = 0
    entry_costs: int = 0


@dataclass
class Trade:
    instance_id: str
    mint: str
    ts: Any  # as given: a datetime, or epoch microseconds on the fast path
    gross: float
    costs: float
    net: float
    ret: float


@dataclass
class StrategyStats:
    instance_id: str
    family: str = ""
    fills: int = 0
    trades: int = 0
    wins: int = 0
    realized_gross: float = 0.0
    costs: float = 0.0
    trade_returns: list[float] = field(default_factory=list)
    unmatched_qty: int = 0
    unrealized: float = 0.0
    open_positions: int = 0

    @property
    def gross_pnl(self) -> float:
        return self.realized_gross + self.unrealized

    @property
    def net_pnl(self) -> float:
        return self.gross_pnl - self.costs

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.trades if self.trades else None

    @property
    def sharpe(self) -> float | None:
        return sharpe(self.trade_returns)

    def as_dict(self) -> dict[str, Any]:
        return {
            "instance_id": self.instance_id,
            "family": self.family,
            "fills": self.fills,
            "trades": self.trades,
            "wins": self.wins,
            "win_rate": self.win_rate,
            "realized_gross_lamports": round(self.realized_gross),
            "unrealized_lamports": round(self.unrealized),
            "gross_pnl_lamports": round(self.gross_pnl),
            "costs_lamports": round(self.costs),
            "net_pnl_lamports": round(self.net_pnl),
            "sharpe": self.sharpe,
            "open_positions": self.open_positions,
            "unmatched_qty": self.unmatched_qty,
        }


def sharpe(samples: list[float], periods_per_year: float | None = None) -> float | None:
    """Mean over sample standard deviation, optionally annualized; None if undefined."""
    n = len(samples)
    if n < 2:
        return None
    mean = sum(samples) / n
    var = sum((x - mean) ** 2 for x in samples) / (n - 1)
    if var <= 0:
        return None
    s = mean / math.sqrt(var)
    return s * math.sqrt(periods_per_year) if periods_per_year else s


class Ledger:
    """Replays fills in time order into average-cost books and per-strategy statistics."""

    def __init__(self) -> None:
        self.books: dict[tuple[str, str, str], Book] = {}
        self.stats: dict[str, StrategyStats] = {}
        self.trades: list[Trade] = []
        self.realized_gross = 0.0
        self.costs = 0.0

    def apply(self, fill: Mapping[str, Any]) -> Trade | None:
        """Apply one fill (a row of the fills table); return the trade it closed, if any."""
        f = fill
        return self.apply_fill(
            f.get("fill_id", ""), f["instance_id"], f.get("family") or "", f["mint"], f["ts"], f["side"],
            int(f["qty_tokens"]), float(f["notional_lamports"]), float(f["cost_lamports"]),
        )  # fmt: skip

    def apply_fill(
        self, fill_id: str, inst: str, family: str, mint: str, ts: Any, side: str, qty: int, notional: float,
        cost: float,
    ) -> Trade | None:  # fmt: skip
        """The same, from plain values (the query layer's fast path)."""
        st = self.stats.get(inst)
        if st is None:
            st = self.stats[inst] = StrategyStats(inst)
        if family:
            st.family = family
        st.fills += 1
        st.costs += cost
        self.costs += cost
        book_name = "long" if side in (LONG_OPEN, LONG_CLOSE) else "short"
        book = self.books.get((inst, mint, book_name))
        if book is None:
            book = self.books[(inst, mint, book_name)] = Book()
        if side in (LONG_OPEN, SHORT_OPEN):
            book.qty += qty
            book.basis += round(notional)
            book.entry_costs += round(cost)
            return None
        if side not in (LONG_CLOSE, SHORT_CLOSE):
            raise ValueError(f"fill {fill_id!r}: unknown side {side!r}")
        r = reduce_at_average_cost(
            book.qty, book.basis, book.entry_costs, qty, round(notional), long=side == LONG_CLOSE
        )
        st.unmatched_qty += r.excess
        if r.qty <= 0:
            return None
        gross = r.gross
        trade_costs = r.costs + cost
        net = gross - trade_costs
        book.qty -= r.qty
        book.basis -= r.basis
        book.entry_costs -= r.costs
        invested = r.basis + r.costs
        trade = Trade(inst, mint, ts, gross, trade_costs, net, net / invested if invested > 0 else 0.0)
        st.trades += 1
        st.wins += net > 0
        st.realized_gross += gross
        st.trade_returns.append(trade.ret)
        self.realized_gross += gross
        self.trades.append(trade)
        return trade


def daily_sharpe(points: Iterable[tuple[datetime, float]], start_equity: float) -> float | None:
    """Annualized Sharpe of daily equity changes (last equity of each UTC day vs the previous)."""
    last_by_day: dict[date, float] = {}
    for ts, equity in points:
        last_by_day[ts.date()] = equity
    prev, returns = start_equity, []
    for day in sorted(last_by_day):
        eq = last_by_day[day]
        returns.append((eq - prev) / prev if prev else 0.0)
        prev = eq
    return sharpe(returns, 365)


def max_drawdown(equity: Iterable[float]) -> float:
    """Largest peak-to-trough fall as a fraction of the peak (0 when it never fell)."""
    peak, worst = -math.inf, 0.0
    for e in equity:
        peak = max(peak, e)
        if peak > 0:
            worst = max(worst, (peak - e) / peak)
    return worst
