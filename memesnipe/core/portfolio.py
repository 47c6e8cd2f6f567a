"""Portfolio equity, high-water mark and drawdown (pure).

Equity = cash + marked positions = base capital + realized PnL (net of every cost) +
unrealized PnL of open positions at their latest marks, summed over strategies: cash is the
capital plus what closed trades returned, and an open position is worth its basis plus its
unrealized PnL. Drawdown = (HWM - equity) / HWM, where the high-water mark starts at the base
capital and only rises. Crossing ``max_drawdown`` trips once; it re-arms only after a resume,
measuring drawdown from the equity at resume (the operator has accepted that loss).

Live mode: equity is the wallet's value (SOL + wrapped SOL + tokens at the books' mark, read by the
reconciler, ``core.reconcile.wallet_value``), set with :meth:`Portfolio.set_equity`; the high-water
mark starts at the first reading (:meth:`Portfolio.start_from`). Paper keeps the configured capital.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def drawdowns(equity: Iterable[float], start_hwm: float | None = None) -> list[float]:
    """Drawdown after each equity point (running HWM, starting at ``start_hwm`` if given)."""
    out = []
    hwm = start_hwm if start_hwm is not None else float("-inf")
    for e in equity:
        hwm = max(hwm, e)
        out.append((hwm - e) / hwm if hwm > 0 else 0.0)
    return out


def max_drawdown(equity: Iterable[float], start_hwm: float | None = None) -> float:
    return max(drawdowns(equity, start_hwm), default=0.0)


@dataclass(slots=True)
class Portfolio:
    """Running equity / HWM / drawdown and the trip state of the drawdown kill switch."""

    capital: int
    max_drawdown: float
    hwm: float = 0.0
    equity: float = 0.0
    tripped: bool = False

    def __post_init__(self) -> None:
        if self.hwm <= 0:
            self.hwm = float(self.capital)
        if self.equity == 0.0:
            self.equity = float(self.capital)

    @property
    def drawdown(self) -> float:
        return (self.hwm - self.equity) / self.hwm if self.hwm > 0 else 0.0

    def update(self, pnl_total: float) -> bool:
        """Set equity = capital + PnL; return True exactly when this update trips the switch."""
        return self.set_equity(self.capital + pnl_total)

    def set_equity(self, equity: float) -> bool:
        """Set the equity itself (live: the wallet's value); True exactly when this trips."""
        self.equity = float(equity)
        self.hwm = max(self.hwm, self.equity)
        if not self.tripped and self.drawdown >= self.max_drawdown:
            self.tripped = True
            return True
        return False

    def start_from(self, equity: float) -> None:
        """Live: the wallet's first reading is the base drawdown is measured from (the configured
        capital says nothing about what the wallet holds)."""
        self.equity = self.hwm = float(equity)

    def rearm(self) -> None:
        """After a resume: measure drawdown from here, and allow the next trip."""
        self.tripped = False
        self.hwm = self.equity
