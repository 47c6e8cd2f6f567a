"""The in-process backtester: the pipeline's own pure stages over a recording."""

from memesnipe.backtest.engine import Backtester, BacktestResult

__all__ = ["BacktestResult", "Backtester"]
