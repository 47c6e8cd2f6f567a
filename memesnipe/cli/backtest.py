"""``memesnipe backtest <recording>``: the pipeline's own stages in-process over a recording.

Prints PnL (gross and net), Sharpe, max drawdown, win rate and trades per strategy, writes an
equity-curve PNG and a JSON report, and stores the run's trades in ClickHouse under its run id.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from memesnipe.settings import get_settings


def _specs(path: str | None):  # type: ignore[no-untyped-def]
    from memesnipe.core.strategies.defaults import default_specs
    from memesnipe.streams.codec import decode
    from memesnipe.streams.control import StrategySpec

    if not path:
        return default_specs()
    return decode(Path(path).read_bytes(), list[StrategySpec])


def _ts(text: str | None) -> datetime | None:
    if not text:
        return None
    ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


def _run(args: argparse.Namespace) -> int:
    import gc

    from tqdm import tqdm

    from memesnipe.backtest import Backtester
    from memesnipe.backtest.recording import RecordingStats, read_events
    from memesnipe.backtest.report import equity_png, figures, render, to_clickhouse

    gc.freeze()  # the imported modules never form garbage: keep full collections off them
    settings = get_settings()
    rec = Path(args.recording)
    if not rec.exists():
        raise SystemExit(f"memesnipe: no recording at {rec}")
    run_id = args.run_id or "bt" + datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    out_dir = Path(args.out or settings.data_dir / "backtests" / run_id)
    bt = Backtester(_specs(args.specs), settings)
    stats = RecordingStats()
    bar = tqdm(unit="ev", unit_scale=True, disable=args.quiet or not sys.stderr.isatty(), desc="backtest")
    started = time.perf_counter()
    res = bt.run(read_events(rec, start=_ts(args.start), end=_ts(args.end), stats=stats), progress=bar.update)
    bar.close()
    wall = time.perf_counter() - started
    fig = figures(res, settings.risk.period_s)
    print(render(fig))
    print(
        f"\n{res.events} events in {wall:.1f} s ({res.events / wall:,.0f} events/s); "
        f"{stats.undecodable} undecodable, {stats.duplicates} duplicate rows skipped"
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps({"run_id": run_id, **fig.to_dict()}, indent=2))
    png = equity_png(res, out_dir / "equity.png", f"MemeSnipe backtest {run_id}")
    print(f"report: {out_dir / 'report.json'}\nequity curve: {png}")
    if not args.no_clickhouse:
        dsn = settings.clickhouse.dsn or f"chdb://{(out_dir / 'clickhouse').resolve()}"
        n = to_clickhouse(res, dsn, settings.clickhouse.database, run_id)
        print(f"clickhouse: {n} rows under run id {run_id!r} ({dsn})")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("backtest", help="run the strategies, risk, exits and paper fills over a recording")
    p.add_argument("recording", help="a recording directory (memesnipe record / simulate --record)")
    p.add_argument("--specs", help="JSON list of StrategySpec (default: one default spec per family)")
    p.add_argument("--run-id", help="ClickHouse run id (default bt<timestamp>)")
    p.add_argument("--out", help="where to write report.json and equity.png")
    p.add_argument("--from", dest="start", help="ISO-8601 start of event time")
    p.add_argument("--to", dest="end", help="ISO-8601 end of event time")
    p.add_argument("--no-clickhouse", action="store_true", help="do not write trades to ClickHouse")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_run)
