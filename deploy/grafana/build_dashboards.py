"""Write the provisioned Grafana dashboards (deploy/grafana/dashboards/*.json).

    python deploy/grafana/build_dashboards.py

The JSON is generated so the SQL lives in one reviewed, tested place (``sql.py``) and the
Prometheus queries name only metrics that exist (checked by tests/deploy/test_grafana.py,
which also fails when the committed JSON is out of date).
"""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1]))

import sql  # noqa: E402

CH = {"type": "grafana-clickhouse-datasource", "uid": "memesnipe-clickhouse"}
PROM = {"type": "prometheus", "uid": "memesnipe-prometheus"}
TIMESERIES, TABLE = 0, 1  # the ClickHouse plugin's query formats


def ch_target(raw_sql: str, fmt: int = TABLE, ref: str = "A") -> dict[str, Any]:
    return {
        "refId": ref,
        "datasource": CH,
        "editorType": "sql",
        "format": fmt,
        "queryType": "timeseries" if fmt == TIMESERIES else "table",
        "rawSql": raw_sql,
    }


def prom_target(expr: str, legend: str, ref: str = "A") -> dict[str, Any]:
    return {"refId": ref, "datasource": PROM, "expr": expr, "legendFormat": legend, "range": True}


class Layout:
    """Places panels left to right on Grafana's 24-column grid."""

    def __init__(self) -> None:
        self.x = self.y = self.row_h = 0
        self.ids = itertools.count(1)

    def place(self, w: int, h: int) -> dict[str, int]:
        if self.x + w > 24:
            self.x, self.y, self.row_h = 0, self.y + self.row_h, 0
        pos = {"x": self.x, "y": self.y, "w": w, "h": h}
        self.x += w
        self.row_h = max(self.row_h, h)
        return pos


def panel(
    layout: Layout,
    kind: str,
    title: str,
    targets: list[dict[str, Any]],
    *,
    w: int,
    h: int,
    unit: str = "",
    decimals: int | None = None,
    description: str = "",
    options: dict[str, Any] | None = None,
    custom: dict[str, Any] | None = None,
    overrides: list[dict[str, Any]] | None = None,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    defaults: dict[str, Any] = {"unit": unit} if unit else {}
    if decimals is not None:
        defaults["decimals"] = decimals
    if custom:
        defaults["custom"] = custom
    return {
        "id": next(layout.ids),
        "type": kind,
        "title": title,
        "description": description,
        "datasource": targets[0]["datasource"],
        "gridPos": layout.place(w, h),
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": options or {},
        **(extra or {}),
    }


def unit_override(name: str, unit: str, decimals: int | None = None) -> dict[str, Any]:
    props: list[dict[str, Any]] = [{"id": "unit", "value": unit}]
    if decimals is not None:
        props.append({"id": "decimals", "value": decimals})
    return {"matcher": {"id": "byName", "options": name}, "properties": props}


def dashboard(
    uid: str,
    title: str,
    panels: list[dict[str, Any]],
    variables: list[dict[str, Any]],
    tags: list[str],
    refresh: str,
    time_from: str,
) -> dict[str, Any]:
    return {
        "uid": uid,
        "title": title,
        "tags": tags,
        "timezone": "utc",
        "editable": False,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "refresh": refresh,
        "time": {"from": time_from, "to": "now"},
        "templating": {"list": variables},
        "annotations": {"list": []},
        "links": [],
        "panels": panels,
    }


STAT_OPTS = {
    "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
    "colorMode": "value",
    "graphMode": "none",
    "textMode": "value_and_name",
    "justifyMode": "auto",
}
SOL = "SOL"


def trading() -> dict[str, Any]:
    lay = Layout()
    panels = [
        panel(
            lay,
            "stat",
            "Totals",
            [ch_target(sql.TOTALS)],
            w=24,
            h=4,
            decimals=4,
            description="Gross PnL = realized + unrealized; net = gross - every fill's costs "
            "(swap fee, priority fee, Jito tip, Drift fees, minus funding received).",
            options=STAT_OPTS,
            overrides=[
                unit_override("gross_sol", SOL, 4),
                unit_override("costs_sol", SOL, 4),
                unit_override("net_sol", SOL, 4),
                unit_override("trades", "none", 0),
                unit_override("win_rate", "percentunit", 1),
                unit_override("open_positions", "none", 0),
            ],
        ),
        panel(
            lay,
            "timeseries",
            "Equity",
            [ch_target(sql.EQUITY, TIMESERIES)],
            w=16,
            h=9,
            unit=SOL,
            decimals=3,
            custom={"fillOpacity": 15, "lineWidth": 2, "gradientMode": "opacity"},
            description="Capital + realized gross PnL - costs at each fill + unrealized PnL per minute.",
        ),
        panel(
            lay,
            "timeseries",
            "Drawdown",
            [ch_target(sql.DRAWDOWN, TIMESERIES)],
            w=8,
            h=9,
            unit="percentunit",
            decimals=2,
            custom={"fillOpacity": 40, "lineWidth": 1, "drawStyle": "line"},
            overrides=[
                {
                    "matcher": {"id": "byName", "options": "drawdown"},
                    "properties": [{"id": "color", "value": {"mode": "fixed", "fixedColor": "red"}}],
                }
            ],
            description="Fall from the high-water mark (which starts at the capital).",
        ),
        panel(
            lay,
            "table",
            "PnL per strategy",
            [ch_target(sql.STRATEGIES)],
            w=24,
            h=8,
            overrides=[
                unit_override("gross_sol", SOL, 4),
                unit_override("costs_sol", SOL, 4),
                unit_override("net_sol", SOL, 4),
                unit_override("unrealized_sol", SOL, 4),
                unit_override("win_rate", "percentunit", 1),
            ],
            description="Per strategy instance: closed trades, win rate (net > 0), PnL gross and net of "
            "costs.",
        ),
        panel(
            lay,
            "timeseries",
            "Realized net PnL per strategy",
            [ch_target(sql.STRATEGY_PNL_OVER_TIME, TIMESERIES)],
            w=12,
            h=9,
            unit=SOL,
            decimals=3,
            custom={"lineInterpolation": "stepAfter", "lineWidth": 2},
        ),
        panel(
            lay,
            "timeseries",
            "Allocations",
            [ch_target(sql.ALLOCATIONS_OVER_TIME, TIMESERIES)],
            w=12,
            h=9,
            unit="percentunit",
            decimals=1,
            custom={"lineInterpolation": "stepAfter", "stacking": {"mode": "normal"}, "fillOpacity": 30},
            description="Capital share per strategy from the meta-allocator.",
        ),
        panel(
            lay,
            "table",
            "Trades",
            [ch_target(sql.TRADES)],
            w=16,
            h=10,
            overrides=[
                unit_override("sol", SOL, 4),
                unit_override("costs_sol", SOL, 5),
                unit_override("pnl_sol", SOL, 4),
            ],
            description="Newest fills; exits carry their exit reason and the closed trade's net PnL.",
        ),
        panel(
            lay,
            "table",
            "Allocations now",
            [ch_target(sql.ALLOCATIONS_NOW)],
            w=8,
            h=10,
            overrides=[unit_override("weight", "percentunit", 1), unit_override("capital_sol", SOL, 2)],
        ),
        panel(
            lay,
            "table",
            "Open positions",
            [ch_target(sql.OPEN_POSITIONS_TABLE)],
            w=16,
            h=8,
            overrides=[unit_override("to_stop", "percentunit", 1), unit_override("unrealized_sol", SOL, 4)],
        ),
        panel(
            lay,
            "stat",
            "Kill switch",
            [ch_target(sql.KILL_SWITCH_NOW)],
            w=8,
            h=8,
            options={**STAT_OPTS, "colorMode": "background", "textMode": "value"},
            extra={
                "fieldConfig": {
                    "defaults": {
                        "mappings": [
                            {
                                "type": "value",
                                "options": {
                                    "0": {"text": "TRADING", "color": "green"},
                                    "1": {"text": "PAUSED", "color": "red"},
                                },
                            }
                        ],
                        "noValue": "never paused",
                    },
                    "overrides": [],
                }
            },
        ),
        panel(
            lay,
            "barchart",
            "Daily costs",
            [ch_target(sql.DAILY_COSTS)],
            w=16,
            h=8,
            unit=SOL,
            decimals=4,
            options={
                "stacking": "normal",
                "xTickLabelRotation": 0,
                "legend": {"displayMode": "list", "placement": "bottom"},
            },
        ),
        panel(lay, "table", "Kill switch history", [ch_target(sql.KILL_SWITCH_HISTORY)], w=8, h=8),
    ]
    variables = [
        {"name": "db", "type": "constant", "query": "memesnipe", "hide": 2},
        {
            "name": "run",
            "label": "Run",
            "type": "query",
            "datasource": CH,
            "query": sql.RUNS,
            "definition": sql.RUNS,
            "refresh": 2,
            "current": {"text": "live", "value": "live"},
        },
        {
            "name": "capital",
            "label": "Capital (lamports)",
            "type": "textbox",
            "query": "100000000000",
            "current": {"text": "100000000000", "value": "100000000000"},
        },
    ]
    return dashboard(
        "memesnipe-trading", "MemeSnipe · Trading", panels, variables, ["memesnipe"], "30s", "now-24h"
    )


def pipeline() -> dict[str, Any]:
    lay = Layout()
    ts = {"lineWidth": 1, "fillOpacity": 10}

    def prom(
        title: str, targets: list[dict[str, Any]], unit: str, w: int = 12, desc: str = ""
    ) -> dict[str, Any]:
        return panel(lay, "timeseries", title, targets, w=w, h=8, unit=unit, custom=ts, description=desc)

    panels = [
        prom(
            "Throughput by topic",
            [prom_target("sum by (topic) (rate(memesnipe_events_in_total[1m]))", "{{topic}}")],
            "reqps",
            desc="Messages consumed per second, all processes.",
        ),
        prom(
            "Batch latency p50 / p99 by stage",
            [
                prom_target(
                    "histogram_quantile(0.99, sum by (le, stage) "
                    "(rate(memesnipe_agent_batch_seconds_bucket[5m])))",
                    "p99 {{stage}}",
                ),
                prom_target(
                    "histogram_quantile(0.5, sum by (le, stage) "
                    "(rate(memesnipe_agent_batch_seconds_bucket[5m])))",
                    "p50 {{stage}}",
                    "B",
                ),
            ],
            "s",
        ),
        prom(
            "Kafka -> ClickHouse delay p50 / p99",
            [
                prom_target(
                    "histogram_quantile(0.99, sum by (le) (rate(memesnipe_sink_delay_seconds_bucket[5m])))",
                    "p99",
                ),
                prom_target(
                    "histogram_quantile(0.5, sum by (le) (rate(memesnipe_sink_delay_seconds_bucket[5m])))",
                    "p50",
                    "B",
                ),
                prom_target("max(memesnipe_sink_lag_seconds)", "oldest unwritten row", "C"),
            ],
            "s",
            desc="End-to-end: a message's Kafka timestamp to its row landing in ClickHouse.",
        ),
        prom(
            "Consumer lag",
            [prom_target("max by (stage) (memesnipe_consumer_lag_messages)", "{{stage}}")],
            "short",
        ),
        prom(
            "Orders by state",
            [prom_target("sum by (state) (rate(memesnipe_orders_total[5m]))", "{{state}}")],
            "reqps",
        ),
        prom(
            "Risk rejections by rule",
            [prom_target("sum by (rule) (rate(memesnipe_risk_rejections_total[5m]))", "{{rule}}")],
            "reqps",
        ),
        prom(
            "Signals and fills",
            [
                prom_target(
                    "sum by (strategy, intent) (rate(memesnipe_signals_total[5m]))",
                    "signal {{strategy}} {{intent}}",
                ),
                prom_target(
                    "sum by (strategy, side) (rate(memesnipe_fills_total[5m]))",
                    "fill {{strategy}} {{side}}",
                    "B",
                ),
            ],
            "reqps",
        ),
        prom(
            "Dead letters",
            [prom_target("sum by (topic) (rate(memesnipe_dead_letters_total[5m]))", "{{topic}}")],
            "reqps",
            desc="Messages no consumer could use; each is kept with its reason.",
        ),
        prom(
            "ClickHouse inserts",
            [
                prom_target("sum by (table) (rate(memesnipe_sink_rows_total[1m]))", "rows/s {{table}}"),
                prom_target(
                    "sum by (table) (rate(memesnipe_sink_insert_retries_total[5m]))", "retries {{table}}", "B"
                ),
                prom_target(
                    "histogram_quantile(0.99, sum by (le) (rate(memesnipe_sink_insert_seconds_bucket[5m])))",
                    "insert p99 (s)",
                    "C",
                ),
            ],
            "short",
        ),
        prom(
            "Connectors",
            [
                prom_target(
                    "sum by (source) (rate(memesnipe_connector_events_total[1m]))", "events/s {{source}}"
                ),
                prom_target(
                    "sum by (source, kind) (rate(memesnipe_connector_errors_total[5m]))",
                    "errors {{source}} {{kind}}",
                    "B",
                ),
            ],
            "short",
        ),
        prom(
            "Connector fetch p99 and staleness",
            [
                prom_target(
                    "histogram_quantile(0.99, sum by (le, source) "
                    "(rate(memesnipe_connector_fetch_seconds_bucket[5m])))",
                    "fetch p99 {{source}}",
                ),
                prom_target(
                    "time() - max by (source) (memesnipe_connector_last_success_timestamp_seconds)",
                    "since last success {{source}}",
                    "B",
                ),
            ],
            "s",
        ),
        prom(
            "Equity and drawdown (live)",
            [
                prom_target("max(memesnipe_portfolio_equity_lamports) / 1e9", "equity SOL"),
                prom_target("max(memesnipe_portfolio_drawdown_ratio)", "drawdown", "B"),
                prom_target("max(memesnipe_kill_switch_active)", "kill switch", "C"),
            ],
            "short",
        ),
        prom(
            "Allocation and Sharpe by strategy",
            [
                prom_target("max by (strategy) (memesnipe_allocation_ratio)", "alloc {{strategy}}"),
                prom_target("max by (strategy) (memesnipe_strategy_sharpe)", "sharpe {{strategy}}", "B"),
            ],
            "short",
        ),
        prom(
            "Processes up",
            [prom_target("up", "{{job}} {{instance}}")],
            "short",
            desc="1 when Prometheus could scrape the process's /metrics.",
        ),
    ]
    return dashboard("memesnipe-pipeline", "MemeSnipe · Pipeline", panels, [], ["memesnipe"], "10s", "now-1h")


DASHBOARDS = {"memesnipe-trading.json": trading, "memesnipe-pipeline.json": pipeline}


def render(build: Any) -> str:
    return json.dumps(build(), indent=2, sort_keys=False) + "\n"


def main() -> None:
    out = HERE / "dashboards"
    out.mkdir(exist_ok=True)
    for name, build in DASHBOARDS.items():
        (out / name).write_text(render(build))
        print(f"wrote {out / name}")


if __name__ == "__main__":
    main()
