"""``memesnipe analytics``: the JSON API over the query layer, /metrics, and the whole process
(sink + API) against the real broker."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client import REGISTRY

from memesnipe.cli.analytics import build_web_app, update_gauges
from memesnipe.settings import load_settings
from memesnipe.sinks.client import Store
from memesnipe.sinks.migrate import migrate
from memesnipe.sinks.queries import Queries
from memesnipe.streams import Side, encode
from tests.sinks.factories import SOL, fill, ingest
from tests.sinks.test_consumer_integration import delete_topics
from tests.sinks.test_queries import CAPITAL, FILL_COST, scenario
from tests.support.kafka import REPO, IsolatedEnv, create_topics, free_port, produce


async def api_client(tmp_path: Path) -> tuple[TestClient, Store]:  # type: ignore[type-arg]
    store = Store.open(f"chdb://{tmp_path / 'ch'}", "memesnipe")
    migrate(store)
    await ingest(store, scenario())
    app = build_web_app(Queries(store, "test", CAPITAL), load_settings(data_dir=tmp_path), cockpit=False)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client, store


async def test_api_serves_the_report_and_each_panel_as_json(tmp_path: Path) -> None:
    client, store = await api_client(tmp_path)
    try:
        rep = await (await client.get("/api/report")).json()
        assert {s["instance_id"] for s in rep["strategies"]} == {"A", "B", "C"}
        assert rep["totals"]["costs_lamports"] == 5 * FILL_COST
        other = await (await client.get("/api/report", params={"run_id": "nope"})).json()
        assert other["totals"]["fills"] == 0 and other["run_id"] == "nope"
        costs = await (await client.get("/api/costs")).json()
        assert [c["day"] for c in costs] == ["2026-11-03", "2026-11-02"]
        pos = await (await client.get("/api/positions")).json()
        assert [p["instance_id"] for p in pos] == ["C"]
        ks = await (await client.get("/api/killswitch")).json()
        assert ks["active"] is False and ks["latest"]["ts"].startswith("2026-11-02T13:00:00")
        health = await (await client.get("/api/health")).json()
        assert {t["table"]: t["rows"] for t in health["tables"]}["fills"] == 5
        runs = await (await client.get("/api/runs")).json()
        assert runs[0]["run_id"] == "test"
        metrics = await (await client.get("/metrics")).text()
        assert "memesnipe_sink_rows_total" in metrics
    finally:
        await client.close()
        store.close()


async def test_a_failing_query_is_a_500_that_names_the_error(tmp_path: Path) -> None:
    client, store = await api_client(tmp_path)
    try:
        store.command("DROP TABLE memesnipe.fills")
        resp = await client.get("/api/report")
        assert resp.status == 500
        assert "fills" in (await resp.json())["error"]
    finally:
        await client.close()
        store.close()


async def test_pnl_gauges_carry_each_strategys_gross_net_and_costs(tmp_path: Path) -> None:
    store = Store.open(f"chdb://{tmp_path / 'ch'}", "memesnipe")
    migrate(store)
    try:
        await ingest(store, scenario())
        update_gauges(Queries(store, "test", CAPITAL))
    finally:
        store.close()

    def value(name: str, **labels: str) -> float | None:
        return REGISTRY.get_sample_value(name, labels)

    assert value("memesnipe_strategy_pnl_lamports", strategy="A", basis="gross") == int(0.2 * SOL)
    assert (
        value("memesnipe_strategy_pnl_lamports", strategy="A", basis="net") == int(0.2 * SOL) - 2 * FILL_COST
    )
    assert value("memesnipe_strategy_costs_lamports", strategy="B") == 2 * FILL_COST


@pytest.mark.integration
async def test_the_analytics_process_sinks_fills_serves_them_and_stops_cleanly(
    isolated_env: IsolatedEnv,
) -> None:
    await create_topics(isolated_env)
    fills = [
        fill(
            i,
            Side.BUY if i % 2 == 0 else Side.SELL,
            instance="A",
            mint=f"M{i // 2}",
            notional=SOL + i * 1000,
            minutes=i,
        )
        for i in range(60)
    ]
    await produce(
        isolated_env.bootstrap, isolated_env.topic("fills"), [(f.mint.encode(), encode(f)) for f in fills]
    )
    port = free_port()
    env = {
        **isolated_env.env,
        "MEMESNIPE_ANALYTICS__PORT": str(port),
        "MEMESNIPE_CLICKHOUSE__FLUSH_INTERVAL_S": "0.2",
    }
    log = (isolated_env.data_dir / "analytics.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "memesnipe", "analytics", "--no-cockpit"],
        env=env,
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/report?run_id=live"
        deadline = time.monotonic() + 90
        data = None
        async with httpx.AsyncClient(trust_env=False) as http:
            while time.monotonic() < deadline:
                assert proc.poll() is None, (isolated_env.data_dir / "analytics.log").read_text()[-3000:]
                try:
                    data = (await http.get(url, timeout=5)).json()
                    if data["totals"]["fills"] == 60:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.3)
        assert data is not None and data["totals"]["fills"] == 60
        assert data["strategies"][0]["trades"] == 30
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        rc = proc.wait(60)
        log.close()
        await delete_topics(isolated_env)
    assert rc == 0, (isolated_env.data_dir / "analytics.log").read_text()[-3000:]


def test_a_bad_database_setting_stops_start_up_naming_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMESNIPE_")}
    env.update(
        {
            "MEMESNIPE_DATA_DIR": str(tmp_path),
            "MEMESNIPE_CLICKHOUSE__DATABASE": "bad-name; DROP",
            "MEMESNIPE_ANALYTICS__PORT": str(free_port()),
        }
    )
    res = subprocess.run(
        [sys.executable, "-m", "memesnipe", "analytics"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode != 0
    assert "MEMESNIPE_CLICKHOUSE__DATABASE" in res.stderr and "Traceback" not in res.stderr


def test_a_bad_dsn_stops_start_up_naming_it(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMESNIPE_")}
    env.update({"MEMESNIPE_DATA_DIR": str(tmp_path), "MEMESNIPE_CLICKHOUSE__DSN": "mysql://x"})
    res = subprocess.run(
        [sys.executable, "-m", "memesnipe", "analytics"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode != 0 and "MEMESNIPE_CLICKHOUSE__DSN" in res.stderr


def test_an_unreachable_broker_stops_start_up_naming_the_setting(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMESNIPE_")}
    env.update(
        {
            "MEMESNIPE_DATA_DIR": str(tmp_path),
            "MEMESNIPE_KAFKA__BROKER": f"kafka://127.0.0.1:{free_port()}",
            "MEMESNIPE_ANALYTICS__PORT": str(free_port()),
        }
    )
    res = subprocess.run(
        [sys.executable, "-m", "memesnipe", "analytics"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode != 0 and "MEMESNIPE_KAFKA__BROKER" in res.stderr
