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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from memesnipe.sinks.client import Store
from memesnipe.sinks.ledger import Ledger, daily_sharpe

FILLS_SQL = """
SELECT fill_id, instance_id, family, mint, ts, side, qty_tokens, notional_lamports, cost_lamports
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

FILLS_FAST_SQL = """
SELECT fill_id, instance_id, family, mint, toUnixTimestamp64Micro(ts) AS ts_us, side, qty_tokens,
       notional_lamports, cost_lamports
FROM {db}.fills FINAL
WHERE run_id = {run:String}
ORDER BY ts, fill_id
LIMIT 1 BY fill_id
"""

PNL_MARKS_SQL = """
SELECT instance_id, mint, toInt64(toUnixTimestamp(minute)) * 1000000 AS ts_us, status, unrealized_pnl_lamports
FROM {db}.pnl_snapshots
WHERE run_id = {run:String}
ORDER BY minute
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
_PHYSICAL_COUNT = frozenset({"market_events"})
"""Counted without FINAL (deduplicating the largest table on every health poll costs seconds):
its count may include a replay's duplicates until ClickHouse merges them."""
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


@dataclass
class _Cached:
    result: dict[str, Any]
    fingerprint: tuple[Any, ...]
    fresh_until: float


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
        self._cache: dict[str, _Cached] = {}
        self._cache_lock = threading.Lock()

    def _rows(self, sql: str, run_id: str | None = None, **params: Any) -> list[dict[str, Any]]:
        rows = self.store.rows(
            sql.replace("{db}", self.store.database), {"run": run_id or self.run_id, **params}
        )
        if not rows:
            return rows
        naive = [k for k, v in rows[0].items() if isinstance(v, datetime) and v.tzinfo is None]
        for r in rows if naive else ():
            for k in naive:
                v = r[k]
                if v is not None:
                    r[k] = v.replace(tzinfo=UTC)
        return rows

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
            now = time.monotonic()
            if hit is not None and now < hit.fresh_until:
                return hit.result
            mark = self._fingerprint(run)
            if hit is not None and mark == hit.fingerprint:
                hit.fresh_until = now + self.cache_s
                return hit.result
            t0 = time.monotonic()
            result = self._performance(run)
            spent = time.monotonic() - t0
            # Never spend more than ~1/5 of the time recomputing while fills keep arriving.
            self._cache[run] = _Cached(result, mark, time.monotonic() + max(self.cache_s, 4 * spent))
            return result

    def _fingerprint(self, run: str) -> tuple[Any, ...]:
        """Changes whenever fills or positions of the run change (physical counts: cheap)."""
        db = self.store.database
        row = self.store.rows(
            f"SELECT (SELECT (count(), max(ts)) FROM {db}.fills WHERE run_id = {{run:String}}) AS f, "
            f"(SELECT (count(), max(ts)) FROM {db}.positions WHERE run_id = {{run:String}}) AS p",
            {"run": run},
        )[0]
        return (row["f"], row["p"])

    def _performance(self, run_id: str) -> dict[str, Any]:
        db = self.store.database
        params = {"run": run_id}
        # Tuples with integer microsecond times: no per-row dicts or datetimes (200k fills ~1 s).
        fills = self.store.tuples(FILLS_FAST_SQL.replace("{db}", db), params)
        marks = self.store.tuples(PNL_MARKS_SQL.replace("{db}", db), params)
        # Equity moves at each fill (realized, costs) and each minute's marks (unrealized).
        # At equal times marks go first: a position closed by a fill must not count its gain
        # twice (realized by the fill and still unrealized in the older mark).
        events: list[tuple[int, int, tuple[Any, ...]]] = [(f[4], 1, f) for f in fills]
        events += [(m[2], 0, m) for m in marks]
        events.sort(key=lambda e: (e[0], e[1]))
        ledger = Ledger()
        apply = ledger.apply_fill
        unrealized: dict[tuple[str, str], int] = {}
        unrealized_total = 0
        capital = float(self.capital_lamports)
        minute_curve: dict[int, float] = {}  # last equity of each minute (what is shown)
        peak, max_dd = capital, 0.0  # drawdown at full resolution
        pnl_by_fill: dict[str, int] = {}
        for ts_us, kind, r in events:
            if kind == 1:
                trade = apply(r[0], r[1], r[2], r[3], ts_us, r[5], r[6], float(r[7]), float(r[8]))
                if trade is not None:
                    pnl_by_fill[r[0]] = round(trade.net)
            else:
                key = (r[0], r[1])
                new = r[4] if r[3] == "open" else 0
                unrealized_total += new - unrealized.get(key, 0)
                unrealized[key] = new
            equity = capital + ledger.realized_gross - ledger.costs + unrealized_total
            minute_curve[ts_us // 60_000_000] = equity
            if equity > peak:
                peak = equity
            elif peak > 0 and (peak - equity) / peak > max_dd:
                max_dd = (peak - equity) / peak
        curve = [(datetime.fromtimestamp(m * 60, UTC), e) for m, e in minute_curve.items()]
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
        totals["max_drawdown"] = max_dd
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
            f"FROM {db}.{t} {'' if t in _PHYSICAL_COUNT else 'FINAL'} WHERE run_id = {{run:String}}"
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
