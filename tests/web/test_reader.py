"""SnapshotReader: re-reads only when a table changed, survives a failing panel."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from memesnipe.web.source import SnapshotReader
from memesnipe.web.view import Landing

T0 = datetime(2026, 1, 1, tzinfo=UTC)


class FakeStore:
    database = "memesnipe"

    def __init__(self) -> None:
        self.version = 1

    def rows(self, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        assert "count()" in sql  # only the version query goes to the store in these tests
        return [{"t": "fills", "n": self.version, "v": self.version}]


class FakeQueries:
    """The query layer's shape, with counters; ``broken`` names panels that raise."""

    run_id = "r"
    capital_lamports = 10**11

    def __init__(self) -> None:
        self.store = FakeStore()
        self.reads = 0
        self.cache_s = 0.0
        self.broken: set[str] = set()
        self.net = 5

    def _maybe_fail(self, name: str) -> None:
        if name in self.broken:
            raise RuntimeError(f"{name} exploded")

    def performance(self) -> dict[str, Any]:
        self.reads += 1
        self._maybe_fail("performance")
        strategy = {
            "instance_id": "s1",
            "family": "f",
            "gross_pnl_lamports": self.net + 1,
            "net_pnl_lamports": self.net,
            "costs_lamports": 1,
            "trades": 1,
            "wins": 1,
            "win_rate": 1.0,
            "sharpe": None,
        }
        totals = {
            "net_pnl_lamports": self.net,
            "gross_pnl_lamports": self.net + 1,
            "costs_lamports": 1,
            "unrealized_lamports": 0,
            "trades": 1,
            "win_rate": 1.0,
            "max_drawdown": 0.0,
        }
        return {
            "capital_lamports": self.capital_lamports,
            "strategies": [strategy],
            "totals": totals,
            "equity_curve": [{"ts": T0, "equity_lamports": self.capital_lamports + self.net}],
            "trade_pnl": {},
        }

    def open_positions(self) -> list[dict[str, Any]]:
        self._maybe_fail("positions")
        return []

    def allocations(self) -> list[dict[str, Any]]:
        self._maybe_fail("allocations")
        return [{"instance_id": "s1", "weight": 1.0, "capital_lamports": 10**11, "ts": T0}]

    def daily_costs(self) -> list[dict[str, Any]]:
        return []

    def killswitch(self) -> dict[str, Any]:
        return {"latest": None}

    def health(self) -> dict[str, Any]:
        return {"tables": []}


def reader(q: FakeQueries, now: list[float]) -> SnapshotReader:
    return SnapshotReader(q, mode="paper", refresh_s=10.0, clock=lambda: now[0])


def test_panels_are_read_again_only_when_a_table_changed_or_the_refresh_is_due(monkeypatch: Any) -> None:
    monkeypatch.setattr("memesnipe.web.source.recent_trades", lambda q, limit, pnl: [])
    q, now = FakeQueries(), [0.0]
    r = reader(q, now)
    assert r().totals.pnl_net_lamports == 5 and q.reads == 1
    now[0] = 1.0
    q.net = 99  # would show if it were read: it is not, no table changed
    assert r().totals.pnl_net_lamports == 5 and q.reads == 1
    q.store.version = 2
    assert r().totals.pnl_net_lamports == 99 and q.reads == 2
    now[0] = 12.0
    r()
    assert q.reads == 3  # refresh_s passed


def test_a_query_layer_cache_gets_a_second_read_after_it_expires(monkeypatch: Any) -> None:
    monkeypatch.setattr("memesnipe.web.source.recent_trades", lambda q, limit, pnl: [])
    q, now = FakeQueries(), [0.0]
    q.cache_s = 1.0
    r = reader(q, now)
    r()
    q.store.version = 2
    now[0] = 0.5
    r()
    assert q.reads == 2
    now[0] = 1.0
    r()
    assert q.reads == 2  # still inside the cache window
    now[0] = 1.6
    r()
    assert q.reads == 3  # once more after the cache expired, though no table changed again
    now[0] = 3.0
    r()
    assert q.reads == 3


def test_a_failing_panel_is_reported_and_the_others_still_render(monkeypatch: Any) -> None:
    monkeypatch.setattr("memesnipe.web.source.recent_trades", lambda q, limit, pnl: [])
    monkeypatch.setattr("memesnipe.web.source.landing", lambda q, mode: Landing(note=mode))
    monkeypatch.setattr("memesnipe.web.source.perp_venues", lambda q: [])
    q = FakeQueries()
    q.broken = {"positions"}
    snap = reader(q, [0.0])()
    assert snap.errors == ["positions: RuntimeError: positions exploded"]
    assert [a.instance_id for a in snap.allocations] == ["s1"]
    assert snap.strategies[0].pnl_net_lamports == 5 and snap.strategies[0].sharpe is None
    assert snap.landing.note == "paper" and snap.perp_venues == []
