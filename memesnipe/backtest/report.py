"""Backtest figures: PnL gross/net, Sharpe, max drawdown, win rate and trades per strategy,
an equity-curve PNG, and the run's messages into ClickHouse under its run id."""

from __future__ import annotations

import itertools
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from memesnipe.backtest.engine import BacktestResult
from memesnipe.core.portfolio import max_drawdown
from memesnipe.core.sharpe import periods_per_year
from memesnipe.streams.base import LAMPORTS_PER_SOL


@dataclass(frozen=True)
class StrategyFigures:
    instance_id: str
    trades: int  # closed round trips
    wins: int
    win_rate: float
    realized_net_sol: float
    unrealized_net_sol: float
    costs_sol: float
    sharpe: float  # annualized, per-period returns on capital
    fills: int


@dataclass(frozen=True)
class Figures:
    events: int
    signals: int
    orders: int
    rejections: int
    fills: int
    pnl_net_sol: float
    pnl_gross_sol: float
    costs_sol: float
    max_drawdown: float
    sharpe: float
    win_rate: float
    kill_switch_tripped: bool
    strategies: list[StrategyFigures]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def sharpe_of(returns: list[float], period_s: float) -> float:
    n = len(returns)
    if n < 2:
        return 0.0
    mean = math.fsum(returns) / n
    var = math.fsum((r - mean) ** 2 for r in returns) / (n - 1)
    sd = math.sqrt(var)
    return 0.0 if sd <= 1e-15 else mean / sd * math.sqrt(periods_per_year(period_s))


def figures(res: BacktestResult, period_s: float) -> Figures:
    sol = float(LAMPORTS_PER_SOL)
    costs: dict[str, int] = {}
    fills: dict[str, int] = {}
    for f in res.fills:
        costs[f.instance_id] = costs.get(f.instance_id, 0) + f.cost_lamports
        fills[f.instance_id] = fills.get(f.instance_id, 0) + 1
    names = sorted(set(res.realized) | set(res.unrealized) | set(res.period_returns) | set(fills))
    rows = []
    for k in names:
        trades = res.closed_trades.get(k, [])
        wins = sum(1 for t in trades if t > 0)
        rows.append(
            StrategyFigures(
                instance_id=k,
                trades=len(trades),
                wins=wins,
                win_rate=wins / len(trades) if trades else 0.0,
                realized_net_sol=res.realized.get(k, 0) / sol,
                unrealized_net_sol=res.unrealized.get(k, 0) / sol,
                costs_sol=costs.get(k, 0) / sol,
                sharpe=sharpe_of(res.period_returns.get(k, []), period_s),
                fills=fills.get(k, 0),
            )
        )
    net = sum(r.realized_net_sol + r.unrealized_net_sol for r in rows)
    total_costs = sum(costs.values()) / sol
    all_trades = [t for ts in res.closed_trades.values() for t in ts]
    equity = [e for _, e in res.equity]
    port_returns = [(b - a) / a for a, b in itertools.pairwise(equity) if a]
    return Figures(
        events=res.events,
        signals=len(res.signals),
        orders=len(res.orders),
        rejections=len(res.rejections),
        fills=len(res.fills),
        pnl_net_sol=net,
        pnl_gross_sol=net + total_costs,
        costs_sol=total_costs,
        max_drawdown=max_drawdown(equity) if equity else 0.0,
        sharpe=sharpe_of(port_returns, period_s),
        win_rate=sum(1 for t in all_trades if t > 0) / len(all_trades) if all_trades else 0.0,
        kill_switch_tripped=bool(res.kill_switches),
        strategies=rows,
    )


def render(fig: Figures) -> str:
    lines = [
        f"events {fig.events}  signals {fig.signals}  orders {fig.orders}  rejections {fig.rejections}  "
        f"fills {fig.fills}",
        f"PnL net {fig.pnl_net_sol:+.4f} SOL  gross {fig.pnl_gross_sol:+.4f} SOL  "
        f"costs {fig.costs_sol:.4f} SOL  Sharpe {fig.sharpe:.2f}  max drawdown {fig.max_drawdown:.2%}  "
        f"win rate {fig.win_rate:.1%}" + ("  KILL SWITCH TRIPPED" if fig.kill_switch_tripped else ""),
        "",
        f"{'strategy':<28} {'trades':>6} {'win%':>6} {'realized':>10} {'unrealized':>10} {'costs':>8} "
        f"{'sharpe':>7} {'fills':>5}",
    ]
    for s in fig.strategies:
        lines.append(
            f"{s.instance_id:<28} {s.trades:>6} {s.win_rate:>6.1%} {s.realized_net_sol:>+10.4f} "
            f"{s.unrealized_net_sol:>+10.4f} {s.costs_sol:>8.4f} {s.sharpe:>7.2f} {s.fills:>5}"
        )
    return "\n".join(lines)


def equity_png(res: BacktestResult, path: Path, title: str = "MemeSnipe backtest") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from datetime import UTC, datetime

    import matplotlib.pyplot as plt

    ts = [datetime.fromtimestamp(t, UTC) for t, _ in res.equity]
    eq = [e / LAMPORTS_PER_SOL for _, e in res.equity]
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax.plot(ts, eq, color="#2e86de")
    ax.set_ylabel("equity (SOL)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    hwm, dd = 0.0, []
    for e in eq:
        hwm = max(hwm, e)
        dd.append(-(hwm - e) / hwm * 100 if hwm else 0.0)
    ax2.fill_between(ts, dd, 0, color="#e74c3c", alpha=0.5)
    ax2.set_ylabel("drawdown %")
    ax2.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def to_clickhouse(res: BacktestResult, dsn: str, database: str, run_id: str) -> int:
    """Insert the run's signals, orders, rejections, fills, allocations and kill switches under
    ``run_id`` (the sink's own row mapping and schema; ReplacingMergeTree makes a rerun idempotent)."""
    from memesnipe.sinks.client import Store
    from memesnipe.sinks.migrate import migrate
    from memesnipe.sinks.rows import TABLES, RowMapper, Source
    from memesnipe.streams.codec import encode

    mapper = RowMapper(run_id)
    batches: dict[str, list[Any]] = {}
    groups: list[tuple[str, list[Any]]] = [
        ("signals", res.signals),
        ("orders", res.orders),
        ("rejections", res.rejections),
        ("fills", res.fills),
        ("allocations", res.allocations),
        ("killswitch", res.kill_switches),
    ]
    for short, msgs in groups:
        for i, m in enumerate(msgs):
            src = Source(
                f"backtest.{short}",
                0,
                i,
                getattr(m, "mint", "").encode() or None,
                int(m.ts.timestamp() * 1000),
            )
            mapped = mapper.map(short, encode(m), src)
            if mapped is not None:
                batches.setdefault(mapped[0], []).append(mapped[1])
    store = Store.open(dsn, database)
    try:
        migrate(store)
        n = 0
        for table, rows in batches.items():
            store.insert(table, TABLES[table].columns, rows)
            n += len(rows)
        return n
    finally:
        store.close()
