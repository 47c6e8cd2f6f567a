"""THE query layer: every figure the report, the cockpit, the JSON API and Grafana show.

All reads go through deduplicated views of the ReplacingMergeTree tables (``FINAL``, plus
``LIMIT 1 BY <id>`` where a duplicate could sit in another partition), so replayed or retried
inserts never change a result. Every query is scoped to one ``run_id``. Money is returned in
lamports (ints); front-ends convert to SOL. PnL method: see :mod:`memesnipe.sinks.ledger`.

For Grafana (ClickHouse data source), the SQL constants below are the reference queries;
replace ``{run:String}`` with a dashboard variable.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from memesnipe.sinks.client import Store
from memesnipe.sinks.ledger import Ledger, daily_sharpe, max_drawdown

FILLS_SQL = """
SELECT fill_id, instance_id, family, mint, ts, side, qty_tokens, notional_lamports, price_sol,
       swap_fee_lamports, priority_fee_lamports, jito_tip_lamports, drift_fee_lamports,
       funding_lamports, cost_lamports
FROM {db}.fills FINAL
WHERE run_id = {run:String}
ORDER BY ts, fill_id
LIMIT 1 BY fill_id
"""

OPEN_POSITIONS_SQL = """
SELECT instance_id, mint, status, side, qty_tokens, entry_price_sol, mark_price_sol,
       unrealized_pnl_lamports, realized_pnl_lamports, cost_lamports, stop_price_sol, ts
FROM (SELECT * FROM {db}.positions FINAL WHERE run_id = {run:String}
      ORDER BY ts DESC, ver DESC LIMIT 1 BY instance_id, mint)
WHERE status = 'open'
ORDER BY instance_id, mint
"""

PNL_SNAPSHOTS_SQL = """
SELECT instance_id, mint, minute, status, unrealized_pnl_lamports
FROM {db}.pnl_snapshots
WHERE run_id = {run:String}
ORDER BY minute
"""

DAILY_COSTS_SQL = """
SELECT toDate(ts) AS day, count() AS fills,
       sum(swap_fee_lamports) AS swap_fee_lamports, sum(priority_fee_lamports) AS priority_fee_lamports,
       sum(jito_tip_lamports) AS jito_tip_lamports, sum(drift_fee_lamports) AS drift_fee_lamports,
       sum(funding_lamports) AS funding_lamports, sum(cost_lamports) AS cost_lamports
FROM (SELECT * FROM {db}.fills FINAL WHERE run_id = {run:String} ORDER BY ts LIMIT 1 BY fill_id)
GROUP BY day
ORDER BY day
"""

ALLOCATIONS_SQL = """
SELECT instance_id, weight, capital_lamports, sharpe, samples, reason, ts
FROM {db}.allocations FINAL
WHERE run_id = {run:String}
ORDER BY ts DESC
LIMIT 1 BY instance_id
"""

KILLSWITCH_SQL = """
SELECT ts, by, active, reason, flatten, drawdown
FROM {db}.killswitch FINAL
WHERE run_id = {run:String}
ORDER BY ts DESC
LIMIT {limit:UInt32}
"""

ORDER_STATES_SQL = """
SELECT last_state AS state, count() AS orders
FROM (SELECT order_id, argMax(state, ts) AS last_state FROM {db}.order_updates FINAL
      WHERE run_id = {run:String} GROUP BY order_id)
GROUP BY last_state
ORDER BY last_state
"""

SIGNALS_SQL = """
SELECT instance_id, intent, count() AS signals
FROM {db}.signals FINAL
WHERE run_id = {run:String}
GROUP BY instance_id, intent
ORDER BY instance_id, intent
"""

REJECTIONS_SQL = """
SELECT rule, count() AS rejections
FROM {db}.rejections FINAL
WHERE run_id = {run:String}
GROUP BY rule
ORDER BY rejections DESC
"""

RECENT_FILLS_SQL = """
SELECT fill_id, instance_id, mint, ts, side, intent, qty_tokens, notional_lamports, price_sol, cost_lamports,
       reason
FROM {db}.fills FINAL
WHERE run_id = {run:String}
ORDER BY ts DESC
LIMIT 1 BY fill_id
LIMIT {limit:UInt32}
"""

RUNS_SQL = """
SELECT run_id, count() AS fills, min(ts) AS first_ts, max(ts) AS last_ts
FROM (SELECT run_id, fill_id, ts FROM {db}.fills FINAL)
GROUP BY run_id
ORDER BY last_ts DESC
"""

_TS_COLUMN = {"market_events": "sec"}
HEALTH_TABLES = (
    "signals",
    "orders",
    "rejections",
    "order_updates",
    "fills",
    "positions",
    "allocations",
    "killswitch",
    "market_events",
    "dead_letters",
)

DEAD_LETTERS_SQL = """
SELECT topic, count() AS messages, max(ts) AS last_ts, argMax(reason, ts) AS last_reason
FROM {db}.dead_letters FINAL
WHERE run_id = {run:String}
GROUP BY topic
ORDER BY messages DESC
"""


def _utc(v: Any) -> Any:
    """chDB returns naive datetimes for UTC columns; make them aware."""
    if isinstance(v, datetime) and v.tzinfo is None:
        return v.replace(tzinfo=UTC)
    return v


class Queries:
    """Read-only figures for one run. Methods are synchronous (run them in a thread)."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        capital_lamports: int,
        live_stats: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.capital_lamports = capital_lamports
        self.live_stats = live_stats
        self.cache_s = 1.0
        self._cache: dict[str, tuple[float, dict[str, Any]]] = {}
        self._cache_lock = threading.Lock()

    def _rows(self, sql: str, run_id: str | None = None, **params: Any) -> list[dict[str, Any]]:
        rows = self.store.rows(
            sql.replace("{db}", self.store.database), {"run": run_id or self.run_id, **params}
        )
        return [{k: _utc(v) for k, v in r.items()} for r in rows]

    # ---- building blocks -------------------------------------------------------------------

    def fills(self, run_id: str | None = None) -> list[dict[str, Any]]:
        return self._rows(FILLS_SQL, run_id)

    def open_positions(self, run_id: str | None = None) -> list[dict[str, Any]]:
        return self._rows(OPEN_POSITIONS_SQL, run_id)

    def daily_costs(self, days: int | None = None, run_id: str | None = None) -> list[dict[str, Any]]:
        """Costs per UTC day of event time, newest first (the last ``days`` days with fills)."""
        rows = self._rows(DAILY_COSTS_SQL, run_id)[::-1]
        for r in rows:
            r["total_lamports"] = r["cost_lamports"]
        return rows[:days] if days else rows

    def allocations(self, run_id: str | None = None) -> list[dict[str, Any]]:
        return self._rows(ALLOCATIONS_SQL, run_id)

    def killswitch(self, run_id: str | None = None, limit: int = 50) -> dict[str, Any]:
        history = self._rows(KILLSWITCH_SQL, run_id, limit=limit)
        return {
            "active": bool(history[0]["active"]) if history else False,
            "latest": history[0] if history else None,
            "history": history,
        }

    def order_states(self, run_id: str | None = None) -> list[dict[str, Any]]:
        return self._rows(ORDER_STATES_SQL, run_id)

    def signals(self, run_id: str | None = None) -> list[dict[str, Any]]:
        return self._rows(SIGNALS_SQL, run_id)

    def rejections(self, run_id: str | None = None) -> list[dict[str, Any]]:
        return self._rows(REJECTIONS_SQL, run_id)

    def recent_fills(self, run_id: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        return self._rows(RECENT_FILLS_SQL, run_id, limit=limit)

    def runs(self) -> list[dict[str, Any]]:
        return self._rows(RUNS_SQL)

    def dead_letters(self, run_id: str | None = None) -> list[dict[str, Any]]:
        return self._rows(DEAD_LETTERS_SQL, run_id)

    # ---- derived figures -------------------------------------------------------------------

    def performance(self, run_id: str | None = None) -> dict[str, Any]:
        """Per-strategy trades and PnL (gross/net), win rate, Sharpe; the equity curve and drawdown.

        Cached for ``cache_s`` seconds: the cockpit asks for several panels of it at once.
        """
        run = run_id or self.run_id
        with self._cache_lock:
            hit = self._cache.get(run)
            if hit is not None and time.monotonic() - hit[0] < self.cache_s:
                return hit[1]
            result = self._performance(run)
            self._cache[run] = (time.monotonic(), result)
            return result

    def _performance(self, run_id: str) -> dict[str, Any]:
        fills = self.fills(run_id)
        ledger = Ledger()
        # Equity moves at each fill (realized, costs) and each minute's marks (unrealized).
        events: list[tuple[datetime, int, dict[str, Any]]] = [(f["ts"], 0, f) for f in fills]
        events += [(s["minute"], 1, s) for s in self._rows(PNL_SNAPSHOTS_SQL, run_id)]
        events.sort(key=lambda e: (e[0], e[1]))
        unrealized: dict[tuple[str, str], int] = {}
        capital = float(self.capital_lamports)
        curve: list[tuple[datetime, float]] = []
        pnl_by_fill: dict[str, int] = {}
        for ts, kind, row in events:
            if kind == 0:
                trade = ledger.apply(row)
                if trade is not None:
                    pnl_by_fill[row["fill_id"]] = round(trade.net)
            else:
                key = (row["instance_id"], row["mint"])
                unrealized[key] = row["unrealized_pnl_lamports"] if row["status"] == "open" else 0
            equity = capital + ledger.realized_gross - ledger.costs + sum(unrealized.values())
            if curve and curve[-1][0] == ts:
                curve[-1] = (ts, equity)
            else:
                curve.append((ts, equity))
        positions = self.open_positions(run_id)
        for p in positions:
            st = ledger.stats.get(p["instance_id"])
            if st is not None:
                st.unrealized += p["unrealized_pnl_lamports"]
                st.open_positions += 1
        strategies = [ledger.stats[k].as_dict() for k in sorted(ledger.stats)]
        totals = {
            "fills": len(fills),
            "trades": sum(s["trades"] for s in strategies),
            "wins": sum(s["wins"] for s in strategies),
            "realized_gross_lamports": round(ledger.realized_gross),
            "unrealized_lamports": sum(s["unrealized_lamports"] for s in strategies),
            "costs_lamports": round(ledger.costs),
        }
        totals["gross_pnl_lamports"] = totals["realized_gross_lamports"] + totals["unrealized_lamports"]
        totals["net_pnl_lamports"] = totals["gross_pnl_lamports"] - totals["costs_lamports"]
        totals["win_rate"] = totals["wins"] / totals["trades"] if totals["trades"] else None
        totals["sharpe_daily"] = daily_sharpe(curve, capital)
        totals["max_drawdown"] = max_drawdown([capital] + [e for _, e in curve])
        return {
            "run_id": run_id or self.run_id,
            "capital_lamports": self.capital_lamports,
            "strategies": strategies,
            "totals": totals,
            "equity_curve": [{"ts": ts, "equity_lamports": round(e)} for ts, e in curve],
            "trade_pnl": pnl_by_fill,
        }

    def health(self, run_id: str | None = None) -> dict[str, Any]:
        """Rows and newest event time per table, dead letters, and the live sink's lag."""
        run = run_id or self.run_id
        db = self.store.database
        sql = " UNION ALL ".join(
            f"SELECT '{t}' AS table, count() AS rows, max({_TS_COLUMN.get(t, 'ts')}) AS last_ts "
            f"FROM {db}.{t} FINAL WHERE run_id = {{run:String}}"
            for t in HEALTH_TABLES
        )
        tables = sorted(self._rows(sql, run), key=lambda r: r["table"])
        for t in tables:
            if not t["rows"]:
                t["last_ts"] = None
        out: dict[str, Any] = {"run_id": run, "tables": tables, "dead_letters": self.dead_letters(run)}
        if self.live_stats is not None:
            out["sink"] = self.live_stats()
        return out

    def report(self, run_id: str | None = None) -> dict[str, Any]:
        """Everything `memesnipe report` prints, in one call."""
        run = run_id or self.run_id
        return {
            **self.performance(run),
            "daily_costs": self.daily_costs(run_id=run),
            "open_positions": self.open_positions(run),
            "allocations": self.allocations(run),
            "killswitch": self.killswitch(run, limit=10),
            "order_states": self.order_states(run),
            "rejections": self.rejections(run),
        }

    # ---- the cockpit's reads (memesnipe.web.source.CockpitQueries) -------------------------

    def strategy_pnl(self) -> list[dict[str, Any]]:
        return [
            {
                **s,
                "pnl_gross_lamports": s["gross_pnl_lamports"],
                "pnl_net_lamports": s["net_pnl_lamports"],
                "win_rate": s["win_rate"] or 0.0,
                "sharpe": s["sharpe"] or 0.0,
            }
            for s in self.performance()["strategies"]
        ]

    def equity_curve(self) -> list[dict[str, Any]]:
        return list(self.performance()["equity_curve"])

    def trades(self, limit: int = 200) -> list[dict[str, Any]]:
        """Newest fills first; closing fills carry their net PnL (``pnl_lamports``)."""
        pnl = self.performance()["trade_pnl"]
        return [{**f, "pnl_lamports": pnl.get(f["fill_id"])} for f in self.recent_fills(limit=limit)]

    def pipeline_health(self) -> list[dict[str, Any]]:
        h = self.health()
        rows: list[dict[str, Any]] = [
            {"name": t["table"], "rows": t["rows"], "last_ts": t["last_ts"] or "", "status": "ok"}
            for t in h["tables"]
        ]
        sink = h.get("sink")
        if sink is not None:
            rows.append(
                {
                    "name": "clickhouse sink",
                    "rows": sink.get("rows_inserted", 0),
                    "lag_s": sink.get("lag_s"),
                    "status": "ok" if sink.get("running") else "down",
                }
            )
        return rows

    def kill_switch(self) -> dict[str, Any] | None:
        latest = self.killswitch(limit=1)["latest"]
        return dict(latest) if latest else None
