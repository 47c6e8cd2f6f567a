"""``memesnipe report``: trades and PnL per strategy (gross and net of costs), win rate, Sharpe,
drawdown, daily costs, open positions, allocations and the kill switch, from ClickHouse.

chDB allows one process per directory, so while ``memesnipe analytics`` runs the report asks
its HTTP API (``/api/report``); otherwise it opens ClickHouse itself. ``--png`` also writes the
equity curve (with drawdown) as a chart.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from memesnipe.settings import Settings, get_settings
from memesnipe.streams.base import LAMPORTS_PER_SOL


class ReportError(RuntimeError):
    """The report could not be produced; the message says why and what to do."""


# ---- fetching ---------------------------------------------------------------------------------


def api_url(settings: Settings) -> str:
    host = settings.analytics.host if settings.analytics.host not in ("0.0.0.0", "::") else "127.0.0.1"
    return f"http://{host}:{settings.analytics.port}"


def fetch_from_api(url: str, run_id: str, timeout_s: float = 30.0) -> dict[str, Any] | None:
    """The report from a running analytics process, or None when none is listening."""
    try:
        resp = httpx.get(f"{url}/api/report", params={"run_id": run_id}, timeout=timeout_s, trust_env=False)
    except httpx.ConnectError:
        return None
    except httpx.HTTPError as exc:
        raise ReportError(f"the analytics process at {url} did not answer: {exc}") from exc
    if resp.status_code != 200:
        raise ReportError(f"the analytics process at {url} answered {resp.status_code}: {resp.text[:300]}")
    data: dict[str, Any] = resp.json()
    return data


def fetch_direct(settings: Settings, run_id: str) -> dict[str, Any]:
    """Open ClickHouse (chDB or server) and build the report in this process."""
    from memesnipe.sinks.client import Store, StoreError
    from memesnipe.sinks.migrate import migrate
    from memesnipe.sinks.queries import Queries

    try:
        store = Store.open(settings.clickhouse_dsn, settings.clickhouse.database)
        try:
            migrate(store)
            return Queries(store, run_id, settings.risk.capital_lamports).report(run_id)
        finally:
            store.close()
    except StoreError as exc:
        raise ReportError(str(exc)) from exc


def load_report(settings: Settings, run_id: str, url: str | None = None) -> tuple[dict[str, Any], str]:
    """The report and where it came from (the API or ClickHouse directly)."""
    url = url or api_url(settings)
    data = fetch_from_api(url, run_id)
    if data is not None:
        return data, url
    return fetch_direct(settings, run_id), settings.clickhouse_dsn


# ---- formatting -------------------------------------------------------------------------------


def sol(lamports: float | int | None, places: int = 4) -> str:
    if lamports is None:
        return "-"
    return f"{lamports / LAMPORTS_PER_SOL:,.{places}f}"


def pct(x: float | None) -> str:
    return "-" if x is None else f"{x * 100:.1f}%"


def num(x: float | None, places: int = 2) -> str:
    return "-" if x is None else f"{x:.{places}f}"


def _when(v: Any) -> str:
    if isinstance(v, datetime):
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    return str(v or "-").replace("T", " ")[:19]


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[bool] | None = None) -> str:
    """A plain aligned text table."""
    cells = [[str(c) for c in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    right = right or [i > 0 for i in range(len(headers))]

    def line(vals: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w) for v, w, r in zip(vals, widths, right, strict=True))

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    return "\n".join(out)


def render(data: dict[str, Any], source: str) -> str:
    t = data["totals"]
    capital = data["capital_lamports"]
    curve = data.get("equity_curve") or []
    equity = curve[-1]["equity_lamports"] if curve else capital + t["net_pnl_lamports"]
    parts = [
        f"MemeSnipe report - run {data['run_id']!r} (from {source})",
        "",
        f"capital {sol(capital, 2)} SOL   equity {sol(equity)} SOL   "
        f"PnL gross {sol(t['gross_pnl_lamports'])} / net {sol(t['net_pnl_lamports'])} SOL   "
        f"costs {sol(t['costs_lamports'])} SOL",
        f"fills {t['fills']}   trades {t['trades']}   win rate {pct(t['win_rate'])}   "
        f"Sharpe (daily, annualized) {num(t['sharpe_daily'])}   max drawdown {pct(t['max_drawdown'])}",
        "",
        "Per strategy (SOL; PnL gross = realized + unrealized; net = gross - costs; Sharpe per trade)",
    ]
    strat_rows = [
        [
            s["instance_id"],
            s["family"],
            s["fills"],
            s["trades"],
            pct(s["win_rate"]),
            sol(s["realized_gross_lamports"]),
            sol(s["unrealized_lamports"]),
            sol(s["gross_pnl_lamports"]),
            sol(s["costs_lamports"]),
            sol(s["net_pnl_lamports"]),
            num(s["sharpe"]),
            s["open_positions"],
        ]
        for s in data["strategies"]
    ]
    parts.append(
        table(
            [
                "strategy",
                "family",
                "fills",
                "trades",
                "win",
                "realized",
                "unrealized",
                "gross",
                "costs",
                "net",
                "sharpe",
                "open",
            ],
            strat_rows,
            [False, False] + [True] * 10,
        )
        if strat_rows
        else "  (no fills yet)"
    )
    costs = data.get("daily_costs") or []
    parts += ["", "Daily costs (SOL, UTC days of event time; funding received is subtracted)"]
    parts.append(
        table(
            ["day", "fills", "swap fee", "priority", "jito tip", "drift fee", "funding", "total"],
            [
                [
                    str(c["day"])[:10],
                    c["fills"],
                    sol(c["swap_fee_lamports"], 6),
                    sol(c["priority_fee_lamports"], 6),
                    sol(c["jito_tip_lamports"], 6),
                    sol(c["drift_fee_lamports"], 6),
                    sol(c["funding_lamports"], 6),
                    sol(c["cost_lamports"], 6),
                ]
                for c in costs
            ],
            [False] + [True] * 7,
        )
        if costs
        else "  (none)"
    )
    positions = data.get("open_positions") or []
    parts += ["", f"Open positions ({len(positions)})"]
    if positions:
        parts.append(
            table(
                ["strategy", "mint", "side", "qty", "entry", "mark", "unrealized SOL", "since"],
                [
                    [
                        p["instance_id"],
                        p["mint"][:12],
                        p["side"],
                        p["qty_tokens"],
                        f"{p['entry_price_sol']:.3g}",
                        f"{p['mark_price_sol']:.3g}",
                        sol(p["unrealized_pnl_lamports"]),
                        _when(p["ts"]),
                    ]
                    for p in positions
                ],
                [False, False, False] + [True] * 5,
            )
        )
    allocs = data.get("allocations") or []
    if allocs:
        parts += ["", "Allocations (latest)"]
        parts.append(
            table(
                ["strategy", "weight", "capital SOL", "sharpe", "as of"],
                [
                    [
                        a["instance_id"],
                        pct(a["weight"]),
                        sol(a["capital_lamports"], 2),
                        num(a["sharpe"]),
                        _when(a["ts"]),
                    ]
                    for a in allocs
                ],
                [False, True, True, True, True],
            )
        )
    ks = data.get("killswitch") or {}
    latest = ks.get("latest")
    if latest:
        state = "ACTIVE" if latest["active"] else "off"
        parts += [
            "",
            f"Kill switch: {state} (by {latest['by']} at {_when(latest['ts'])}: {latest['reason']})",
        ]
    else:
        parts += ["", "Kill switch: never used"]
    states = data.get("order_states") or []
    if states:
        parts.append("Orders by state: " + ", ".join(f"{s['state']} {s['orders']}" for s in states))
    rejections = data.get("rejections") or []
    if rejections:
        parts.append("Rejections by rule: " + ", ".join(f"{r['rule']} {r['rejections']}" for r in rejections))
    return "\n".join(parts)


def _parse_ts(v: Any) -> datetime:
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(v).replace("Z", "+00:00"))


def write_png(data: dict[str, Any], path: Path) -> Path:
    """Equity curve (SOL) with the drawdown underneath, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curve = data.get("equity_curve") or []
    capital = data["capital_lamports"]
    xs = [_parse_ts(p["ts"]) for p in curve]
    ys = [p["equity_lamports"] / LAMPORTS_PER_SOL for p in curve]
    peak, dd = capital / LAMPORTS_PER_SOL, []
    for y in ys:
        peak = max(peak, y)
        dd.append(-(peak - y) / peak * 100 if peak > 0 else 0.0)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(10, 6), sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax1.step(xs, ys, where="post", color="#1f77b4")
    ax1.axhline(capital / LAMPORTS_PER_SOL, color="grey", lw=0.8, ls="--")
    ax1.set_ylabel("equity (SOL)")
    ax1.set_title(f"MemeSnipe equity - run {data['run_id']}")
    ax2.fill_between(xs, dd, 0, step="post", color="#d62728", alpha=0.5)
    ax2.set_ylabel("drawdown (%)")
    fig.autofmt_xdate()
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _json_default(v: Any) -> Any:
    if isinstance(v, datetime):
        return v.isoformat()
    return str(v)


def report(args: argparse.Namespace) -> int:
    settings = get_settings()
    run_id = args.run_id or settings.clickhouse.run_id
    try:
        data, source = load_report(settings, run_id, args.url)
    except ReportError as exc:
        print(f"memesnipe report: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(data, default=_json_default, indent=1))
    else:
        print(render(data, source))
    if args.png:
        path = write_png(data, Path(args.png))
        print(f"\nequity chart written to {path}", file=sys.stderr if args.json else sys.stdout)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "report", help="trades and PnL per strategy (gross/net), costs, drawdown, from ClickHouse"
    )
    p.add_argument("--run-id", default=None, help="run to report (default MEMESNIPE_CLICKHOUSE__RUN_ID)")
    p.add_argument("--png", default=None, metavar="PATH", help="also write the equity curve chart to PATH")
    p.add_argument("--json", action="store_true", help="print the figures as JSON instead of tables")
    p.add_argument("--url", default=None, help="analytics API base URL (default from MEMESNIPE_ANALYTICS__*)")
    p.set_defaults(func=report)
