"""Snapshot building: the equity curve's drawdown and thinning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from memesnipe.web import view
from memesnipe.web.source import HealthRates, equity_points, most_at_risk

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def test_drawdown_is_measured_from_the_running_peak() -> None:
    rows = [
        {"ts": T0 + timedelta(minutes=i), "equity_lamports": e} for i, e in enumerate([100, 120, 90, 130])
    ]
    pts = equity_points(rows)
    assert [p.drawdown for p in pts] == [0.0, 0.0, 0.25, 0.0]
    assert pts[1].t == int((T0 + timedelta(minutes=1)).timestamp() * 1000)


def test_thinning_keeps_the_worst_drawdown_and_the_last_point() -> None:
    equity = [1000 + (i % 7) for i in range(5000)]
    equity[2345] = 500  # one deep, brief drawdown
    stamps = [T0 + timedelta(seconds=i) for i in range(len(equity))]
    rows = [{"ts": ts, "equity_lamports": e} for ts, e in zip(stamps, equity, strict=True)]
    pts = equity_points(rows, limit=200)
    assert len(pts) <= 202
    worst = max(p.drawdown for p in equity_points(rows, limit=10_000))
    assert worst > 0.5 and max(p.drawdown for p in pts) == worst
    assert pts[-1].equity == equity[-1] and pts[-1].t == int(stamps[-1].timestamp() * 1000)
    assert [p.t for p in pts] == sorted(p.t for p in pts)


def test_pipeline_rates_are_rows_per_second_between_reads() -> None:
    now = [0.0]
    rates = HealthRates(lambda: now[0])
    health = {"tables": [{"table": "fills", "rows": 10, "last_ts": T0}, {"table": "dead_letters", "rows": 0}]}
    assert rates.rows(health)[0].rate_per_s == 0.0
    now[0] = 2.0
    health["tables"][0]["rows"] = 30
    health["tables"][1]["rows"] = 1
    fills, dead = rates.rows(health)
    assert fills.rate_per_s == 10.0 and fills.last_ts == T0.isoformat()
    assert dead.status == "stale"


def test_the_positions_closest_to_their_stops_come_first_and_the_list_is_capped() -> None:
    def pos(mint: str, mark: float, stop: float | None, upnl: int = 0) -> view.PositionRow:
        return view.PositionRow(
            instance_id="s",
            mint=mint,
            side="buy",
            qty_tokens=1,
            entry_price_sol=1.0,
            mark_price_sol=mark,
            stop_price_sol=stop,
            unrealized_pnl_lamports=upnl,
        )

    rows = [pos("far", 1.0, 0.5), pos("nostop", 1.0, None), pos("near", 1.0, 0.95), pos("mid", 1.0, 0.8)]
    assert [p.mint for p in most_at_risk(rows, 10)] == ["near", "mid", "far", "nostop"]
    assert [p.mint for p in most_at_risk(rows, 2)] == ["near", "mid"]
