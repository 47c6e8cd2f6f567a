"""Build a cockpit :class:`~memesnipe.web.view.Snapshot` from the query layer.

The cockpit needs the small set of reads in :class:`CockpitQueries`; ``memesnipe.sinks.queries``
provides them (adapted in :mod:`memesnipe.web.sink_queries`). Each panel is read on its own: a
failing query blanks that panel and names the error instead of taking the page down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, TypeVar

import msgspec

from memesnipe.web import view
from memesnipe.web.landing import landing
from memesnipe.web.perp_status import perp_venues
from memesnipe.web.trades import recent_trades

log = logging.getLogger(__name__)

Row = Mapping[str, Any]
T = TypeVar("T")

MAX_EQUITY_POINTS = 600
"""The curve is thinned to this many points; the page draws nothing finer on a wide screen."""


class CockpitQueries(Protocol):
    """The reads the cockpit makes: a subset of :class:`memesnipe.sinks.queries.Queries`."""

    store: Any
    run_id: str
    capital_lamports: int

    def performance(self) -> Mapping[str, Any]: ...  # strategies, totals, equity_curve, trade_pnl
    def open_positions(self) -> Sequence[Row]: ...
    def allocations(self) -> Sequence[Row]: ...
    def daily_costs(self) -> Sequence[Row]: ...
    def killswitch(self) -> Mapping[str, Any]: ...  # {"active", "latest", "history"}
    def health(self) -> Mapping[str, Any]: ...  # {"tables", "dead_letters", "sink"?}


def _plain(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    return v


def _convert(rows: Sequence[Row], tp: type[T]) -> list[T]:
    return [msgspec.convert({k: _plain(v) for k, v in r.items()}, tp, strict=False) for r in rows]


def _epoch_ms(ts: Any) -> int:
    if isinstance(ts, datetime):
        return int(ts.timestamp() * 1000)
    if isinstance(ts, int | float):
        return int(ts * 1000) if ts < 1e11 else int(ts)
    return int(datetime.fromisoformat(str(ts)).timestamp() * 1000)


def equity_points(rows: Sequence[Row], limit: int = MAX_EQUITY_POINTS) -> list[view.EquityPoint]:
    """Curve with drawdown from the running peak, thinned to ``limit`` points.

    Thinning keeps each bucket's last point and its deepest-drawdown point, so the worst
    drawdown always survives on the chart.
    """
    pts: list[view.EquityPoint] = []
    peak = None
    for r in rows:
        eq = int(r["equity_lamports"])
        peak = eq if peak is None else max(peak, eq)
        dd = r.get("drawdown")
        if dd is None:
            dd = (peak - eq) / peak if peak > 0 else 0.0
        pts.append(view.EquityPoint(_epoch_ms(r["ts"]), eq, float(dd)))
    if len(pts) <= limit:
        return pts
    per = -(-len(pts) // (limit // 2))
    out: list[view.EquityPoint] = []
    for i in range(0, len(pts), per):
        bucket = pts[i : i + per]
        worst = max(bucket, key=lambda p: p.drawdown)
        last = bucket[-1]
        out.extend(sorted({id(worst): worst, id(last): last}.values(), key=lambda p: p.t))
    if out[-1] is not pts[-1]:
        out.append(pts[-1])
    return out


def kill_state(row: Row | None, source: str) -> view.KillState:
    if not row:
        return view.KillState()
    return view.KillState(
        active=bool(row["active"]),
        by=str(row.get("by", "")),
        reason=str(row.get("reason", "")),
        ts=str(_plain(row.get("ts", ""))),
        flatten=bool(row.get("flatten", False)),
        known=True,
        source=source,
    )


MAX_POSITIONS = 200
"""Open positions sent to the page (the most at risk first); the totals count all of them."""


def most_at_risk(rows: list[view.PositionRow], limit: int) -> list[view.PositionRow]:
    """Closest to its stop first (no stop last), then the biggest unrealized loss."""

    def risk(p: view.PositionRow) -> tuple[float, int]:
        if p.stop_price_sol is None or not p.mark_price_sol:
            gap = float("inf")
        else:
            gap = abs(p.mark_price_sol - p.stop_price_sol) / p.mark_price_sol
        return gap, p.unrealized_pnl_lamports

    return sorted(rows, key=risk)[:limit]


def _num(v: Any, default: float = 0.0) -> float:
    return default if v is None else float(v)


def strategy_rows(perf: Mapping[str, Any]) -> list[view.StrategyRow]:
    return [
        view.StrategyRow(
            instance_id=s["instance_id"],
            family=s.get("family", ""),
            pnl_gross_lamports=int(s["gross_pnl_lamports"]),
            pnl_net_lamports=int(s["net_pnl_lamports"]),
            costs_lamports=int(s["costs_lamports"]),
            trades=int(s["trades"]),
            wins=int(s["wins"]),
            win_rate=s.get("win_rate"),
            sharpe=s.get("sharpe"),
        )
        for s in perf["strategies"]
    ]


def totals(perf: Mapping[str, Any], equity: list[view.EquityPoint], positions: int) -> view.Totals:
    t = perf["totals"]
    capital = int(perf["capital_lamports"])
    net = int(t["net_pnl_lamports"])
    return view.Totals(
        capital_lamports=capital,
        equity_lamports=capital + net,
        pnl_gross_lamports=int(t["gross_pnl_lamports"]),
        pnl_net_lamports=net,
        costs_lamports=int(t["costs_lamports"]),
        unrealized_lamports=int(t["unrealized_lamports"]),
        drawdown=equity[-1].drawdown if equity else 0.0,
        max_drawdown=max(_num(t.get("max_drawdown")), max((p.drawdown for p in equity), default=0.0)),
        trades=int(t["trades"]),
        win_rate=t.get("win_rate"),
        open_positions=positions,
    )


def cost_rows(rows: Sequence[Row], days: int) -> list[view.CostRow]:
    out = [
        view.CostRow(
            day=str(_plain(r["day"])),
            swap_fee_lamports=int(r["swap_fee_lamports"]),
            priority_fee_lamports=int(r["priority_fee_lamports"]),
            jito_tip_lamports=int(r["jito_tip_lamports"]),
            drift_fee_lamports=int(r["drift_fee_lamports"]),
            funding_lamports=int(r["funding_lamports"]),
            total_lamports=int(r["cost_lamports"]),
        )
        for r in rows
    ]
    return sorted(out, key=lambda c: c.day, reverse=True)[:days]


class HealthRates:
    """Turns row counts per table into rows per second between two reads (wall clock)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._prev: dict[str, tuple[float, int]] = {}

    def rows(self, health: Mapping[str, Any]) -> list[view.HealthRow]:
        now = self._clock()
        out: list[view.HealthRow] = []
        for r in health.get("tables", []):
            name, n = str(r["table"]), int(r["rows"])
            prev = self._prev.get(name)
            rate = (n - prev[1]) / (now - prev[0]) if prev and now > prev[0] else 0.0
            self._prev[name] = (now, n)
            last = r.get("last_ts") if n else None
            out.append(
                view.HealthRow(
                    name=name,
                    rows=n,
                    rate_per_s=max(rate, 0.0),
                    last_ts=str(_plain(last)) if last is not None else "",
                    status="stale" if name == "dead_letters" and n else "ok",
                )
            )
        sink = health.get("sink")
        if isinstance(sink, Mapping):
            lag = sink.get("lag_seconds", sink.get("lag_s"))
            out.append(
                view.HealthRow(
                    name="sink",
                    rows=int(sink.get("rows_inserted", 0) or 0),
                    lag_s=None if lag is None else float(lag),
                    status="stale" if lag is not None and float(lag) > 30 else "ok",
                )
            )
        return out


VERSION_TABLES = (
    "fills",
    "positions",
    "allocations",
    "killswitch",
    "order_updates",
    "orders",
    "perp_reconciliations",
    "dead_letters",
)
"""Every figure on the page derives from these tables: while none changed, it cannot change.
(Market events only move the pipeline-health rates, refreshed every ``refresh_s``.)"""


def data_version(q: CockpitQueries) -> tuple[Any, ...]:
    """Row count and newest version per table: one cheap query (no FINAL) run every poll."""
    db = q.store.database
    sql = " UNION ALL ".join(
        f"SELECT '{t}' AS t, count() AS n, max(ver) AS v FROM {db}.{t} WHERE run_id = {{run:String}}"
        for t in VERSION_TABLES
    )
    return tuple(sorted((r["t"], int(r["n"]), int(r["v"])) for r in q.store.rows(sql, {"run": q.run_id})))


class SnapshotReader:
    """Reads every panel; a failed read leaves its panel empty and adds a line to ``errors``.

    Each call first asks :func:`data_version`; the panels are re-read only when a table changed
    or ``refresh_s`` passed (the pipeline rates move with the clock), so an idle cockpit costs
    one small query per poll.
    """

    def __init__(
        self,
        q: CockpitQueries,
        *,
        mode: str,
        trade_rows: int = 200,
        cost_days: int = 14,
        refresh_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.q = q
        self.refresh_s = refresh_s
        self._clock = clock
        self._version: tuple[Any, ...] | None = None
        self._last: view.Snapshot | None = None
        self._last_at = 0.0
        self._recheck_at: float | None = None
        self.mode = mode
        self.trade_rows = trade_rows
        self.cost_days = cost_days
        self._rates = HealthRates(clock)

    def __call__(self) -> view.Snapshot:
        try:
            version: tuple[Any, ...] | None = data_version(self.q)
        except Exception:
            log.exception("cockpit: version query failed")
            version = None
        now = self._clock()
        changed = version is None or version != self._version
        due = self._last is None or now - self._last_at >= self.refresh_s
        due = due or (self._recheck_at is not None and now >= self._recheck_at)
        if not changed and not due:
            assert self._last is not None
            return self._last
        self._last = self.read()
        self._version, self._last_at = version, now
        # The query layer may serve figures cached up to ``cache_s`` before this change: read
        # once more after that, or the page could keep showing pre-change totals.
        cache_s = float(getattr(self.q, "cache_s", 0.0) or 0.0)
        self._recheck_at = now + cache_s if changed and cache_s > 0 else None
        return self._last

    def read(self) -> view.Snapshot:
        """Read every panel now."""
        q, snap = self.q, view.Snapshot(mode=self.mode)

        def panel(name: str, read: Callable[[], T], default: T) -> T:
            try:
                return read()
            except Exception as exc:
                log.exception("cockpit: %s query failed", name)
                snap.errors.append(f"{name}: {type(exc).__name__}: {exc}"[:300])
                return default

        perf = panel("performance", q.performance, None)
        if perf is not None:
            curve = list(perf["equity_curve"])
            if curve:  # the curve starts from the capital, so the first loss is a drawdown
                curve.insert(0, {"ts": curve[0]["ts"], "equity_lamports": int(perf["capital_lamports"])})
            snap.equity = equity_points(curve)
            snap.strategies = strategy_rows(perf)
        snap.allocations = panel("allocations", lambda: _convert(q.allocations(), view.AllocationRow), [])
        no_positions: list[view.PositionRow] = []
        positions = panel("positions", lambda: _convert(q.open_positions(), view.PositionRow), no_positions)
        snap.positions = most_at_risk(positions, MAX_POSITIONS)
        pnl = perf.get("trade_pnl", {}) if perf is not None else {}
        trades = lambda: _convert(recent_trades(q, self.trade_rows, pnl), view.TradeRow)  # noqa: E731
        snap.trades = panel("trades", trades, [])
        snap.costs = panel("costs", lambda: cost_rows(q.daily_costs(), self.cost_days), [])
        snap.health = panel("health", lambda: self._rates.rows(q.health()), [])
        kill = lambda: kill_state(q.killswitch().get("latest"), "clickhouse")  # noqa: E731
        snap.kill = panel("kill_switch", kill, view.KillState())
        snap.landing = panel("landing", lambda: landing(q, self.mode), view.Landing())
        snap.perp_venues = panel("perp_venues", lambda: perp_venues(q), [])
        if perf is not None:
            snap.totals = totals(perf, snap.equity, len(positions))
        stamps = [t.ts for t in snap.trades[:1]] + [p.ts for p in snap.positions]
        stamps += [h.last_ts for h in snap.health]
        snap.as_of = max((s for s in stamps if s), default="")
        return snap
