"""Grafana and Prometheus provisioning: the files parse and point at each other, every panel's
SQL runs on the real schema and agrees with the query layer, and every PromQL names real metrics."""

from __future__ import annotations

import importlib.util
import json
import random
import re
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from prometheus_client import REGISTRY

import memesnipe.metrics  # noqa: F401  (registers every metric)
from memesnipe.sinks.client import Store
from memesnipe.streams import Fill, Intent, Side
from tests.support.kafka import REPO
from tests.web.seed import CAPITAL, RUN, T0, Seeder, open_store, queries, seed_session

GRAFANA = REPO / "deploy" / "grafana"


def load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


build = load("build_dashboards", GRAFANA / "build_dashboards.py")
sql = sys.modules["sql"]


def dashboards() -> dict[str, dict[str, Any]]:
    return {p.name: json.loads(p.read_text()) for p in sorted((GRAFANA / "dashboards").glob("*.json"))}


def targets(kind: str) -> list[tuple[str, dict[str, Any]]]:
    return [
        (p["title"], t)
        for d in dashboards().values()
        for p in d["panels"]
        for t in p["targets"]
        if t["datasource"]["type"] == kind
    ]


def for_chdb(text: str, run: str = RUN) -> str:
    """Substitute the dashboard variables and Grafana macros as Grafana would."""
    text = text.replace("${db}", "memesnipe").replace("${run}", run).replace("${capital}", str(CAPITAL))
    return re.sub(r"\$__timeFilter\(([^)]*)\)", "1 = 1", text)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One chDB for the module: a process can hold only one embedded chDB path at a time."""
    store = open_store(tmp_path_factory.mktemp("grafana") / "clickhouse")
    seed_session(store)
    yield store
    store.close()


def test_committed_dashboards_are_what_the_generator_writes() -> None:
    on_disk = {p.name: p.read_text() for p in (GRAFANA / "dashboards").glob("*.json")}
    assert on_disk == {name: build.render(fn) for name, fn in build.DASHBOARDS.items()}, (
        "run: python deploy/grafana/build_dashboards.py"
    )


def test_provisioning_points_at_the_dashboards_and_datasources() -> None:
    ds = yaml.safe_load((GRAFANA / "provisioning" / "datasources" / "memesnipe.yml").read_text())
    uids = {d["uid"]: d["type"] for d in ds["datasources"]}
    assert uids == {
        "memesnipe-clickhouse": "grafana-clickhouse-datasource",
        "memesnipe-prometheus": "prometheus",
    }
    used = {
        (t["datasource"]["uid"], t["datasource"]["type"])
        for d in dashboards().values()
        for p in d["panels"]
        for t in p["targets"]
    }
    assert used <= set(uids.items())
    providers = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "memesnipe.yml").read_text())
    path = providers["providers"][0]["options"]["path"]
    compose = (REPO / "docker-compose.yml").read_text()
    assert f"./deploy/grafana/dashboards:{path}" in compose
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning" in compose
    assert {d["uid"] for d in dashboards().values()} == {"memesnipe-trading", "memesnipe-pipeline"}


def test_prometheus_scrapes_every_process() -> None:
    cfg = yaml.safe_load((REPO / "deploy" / "prometheus" / "prometheus.yml").read_text())
    jobs = {j["job_name"] for j in cfg["scrape_configs"]}
    assert {"worker", "signer", "analytics", "connectors"} <= jobs
    assert (
        "./deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml"
        in (REPO / "docker-compose.yml").read_text()
    )


def test_every_promql_expression_names_a_real_metric() -> None:
    known: set[str] = {"up"}
    for family in REGISTRY.collect():
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_count", "_sum"]}.get(family.type, [""])
        known.update(family.name + suffix for suffix in suffixes)
    exprs = [t["expr"] for _, t in targets("prometheus")]
    assert len(exprs) >= 20
    for expr in exprs:
        names = set(re.findall(r"\b(memesnipe_[a-z0-9_]+|up)\b", expr))
        assert names, expr
        assert names <= known, f"unknown metric in {expr!r}: {names - known}"


def test_every_clickhouse_panel_runs_on_the_real_schema(store: Store) -> None:
    ran = 0
    for title, t in targets("grafana-clickhouse-datasource"):
        rows = store.rows(for_chdb(t["rawSql"]))
        assert rows, f"{title}: no rows on the seeded session"
        if t["format"] == build.TIMESERIES:
            assert "time" in rows[0], f"{title}: a time series needs a time column"
        ran += 1
    assert ran >= 12


def test_strategy_pnl_totals_and_equity_agree_with_the_query_layer(store: Store) -> None:
    perf = queries(store).performance()
    rows = {r["strategy"]: r for r in store.rows(for_chdb(sql.STRATEGIES))}
    assert set(rows) == {s["instance_id"] for s in perf["strategies"]}
    for s in perf["strategies"]:
        r = rows[s["instance_id"]]
        assert r["trades"] == s["trades"]
        assert r["net_sol"] * 1e9 == pytest.approx(s["net_pnl_lamports"], abs=2)
        assert r["gross_sol"] * 1e9 == pytest.approx(s["gross_pnl_lamports"], abs=2)
        assert r["costs_sol"] * 1e9 == pytest.approx(s["costs_lamports"], abs=1)
    [tot] = store.rows(for_chdb(sql.TOTALS))
    assert tot["net_sol"] * 1e9 == pytest.approx(perf["totals"]["net_pnl_lamports"], abs=2)
    assert tot["win_rate"] == pytest.approx(perf["totals"]["win_rate"])
    curve = store.rows(for_chdb(sql.EQUITY))
    assert [r["equity_sol"] * 1e9 for r in curve] == pytest.approx(
        [p["equity_lamports"] for p in perf["equity_curve"]], abs=2
    )
    worst = -min(r["drawdown"] for r in store.rows(for_chdb(sql.DRAWDOWN)))
    assert worst == pytest.approx(perf["totals"]["max_drawdown"], rel=1e-9)
    trades = sorted(r["pnl_sol"] for r in store.rows(for_chdb(sql.TRADES)) if r["pnl_sol"] is not None)
    assert trades == pytest.approx(sorted(v / 1e9 for v in perf["trade_pnl"].values()), abs=2e-9)


def test_the_sql_ledger_replays_random_fills_exactly_like_the_python_ledger(store: Store) -> None:
    """Partial closes, shorts, re-entries and closes larger than the position, at random."""
    run = "random-ledger"
    seeder, rng = Seeder(store, run), random.Random(7)
    held: dict[tuple[str, str, str], int] = {}
    for n in range(160):
        inst, mint = rng.choice(["a-1", "b-2"]), rng.choice(["MintX", "MintY", "MintZ"])
        book = rng.choice(["long", "short"])
        opening = rng.random() < 0.55 or (held.get((inst, mint, book), 0) == 0 and rng.random() < 0.8)
        side = {
            ("long", True): Side.BUY,
            ("long", False): Side.SELL,
            ("short", True): Side.SHORT,
            ("short", False): Side.COVER,
        }[(book, opening)]
        have = held.get((inst, mint, book), 0)
        qty = rng.randint(1, 10**9) if opening else rng.choice([have, max(1, have // 3), have + 5_000, 1])
        held[(inst, mint, book)] = have + qty if opening else max(0, have - qty)
        seeder.put(
            "fills",
            Fill(
                fill_id=f"r{n:04d}",
                order_id=f"r{n:04d}",
                instance_id=inst,
                family=inst[0],
                mint=mint,
                ts=T0 + timedelta(seconds=n * 7),
                side=side,
                intent=Intent.ENTRY if opening else Intent.EXIT,
                qty_tokens=qty,
                notional_lamports=rng.randint(10**6, 5 * 10**9),
                price_sol=1.0,
                swap_fee_lamports=rng.randint(0, 10**7),
                priority_fee_lamports=10_000,
                jito_tip_lamports=1_000,
                funding_lamports=rng.randint(-1000, 1000),
            ),
        )
    perf = queries(store, run).performance()
    ledger = store.rows(
        for_chdb(f"WITH {sql.LEDGER} SELECT fill_id, net FROM ledger WHERE is_trade = 1", run)
    )
    assert len(ledger) == len(perf["trade_pnl"]) > 40
    assert {r["fill_id"]: round(r["net"]) for r in ledger} == perf["trade_pnl"]
    rows = {r["strategy"]: r for r in store.rows(for_chdb(sql.STRATEGIES, run))}
    for s in perf["strategies"]:
        assert rows[s["instance_id"]]["trades"] == s["trades"]
        assert rows[s["instance_id"]]["net_sol"] * 1e9 == pytest.approx(s["net_pnl_lamports"], abs=2)


def test_panels_fit_the_grid_and_have_unique_ids() -> None:
    for name, d in dashboards().items():
        ids = [p["id"] for p in d["panels"]]
        assert len(ids) == len(set(ids)), name
        for p in d["panels"]:
            g = p["gridPos"]
            assert g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24, (name, p["title"])
            assert p["title"] and p["targets"], (name, p["title"])
