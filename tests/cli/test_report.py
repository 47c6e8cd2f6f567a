"""``memesnipe report``: figures from chDB directly, or from the analytics API while chDB is
held by the analytics process; a PNG equity chart; a clear error when neither is available."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from memesnipe.cli.analytics import build_web_app
from memesnipe.cli.report import render, sol, table, write_png
from memesnipe.settings import load_settings
from memesnipe.sinks.client import Store
from memesnipe.sinks.migrate import migrate
from memesnipe.sinks.queries import Queries
from tests.sinks.factories import SOL, ingest
from tests.sinks.test_queries import CAPITAL, FILL_COST, scenario
from tests.support.kafka import REPO, free_port

NET_A = int(0.2 * SOL) - 2 * FILL_COST


def env_for(data_dir: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEMESNIPE_")}
    env.update(
        {
            "MEMESNIPE_DATA_DIR": str(data_dir),
            "MEMESNIPE_ANALYTICS__PORT": str(port),
            "MEMESNIPE_CLICKHOUSE__RUN_ID": "test",
        }
    )
    return env


async def seeded_store(data_dir: Path) -> Store:
    store = Store.open(f"chdb://{(data_dir / 'clickhouse').resolve()}", "memesnipe")
    migrate(store)
    await ingest(store, scenario())
    return store


def run_report(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memesnipe", "report", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_render_prints_each_strategy_gross_and_net_in_sol(tmp_path: Path) -> None:
    store = await seeded_store(tmp_path)
    try:
        text = render(Queries(store, "test", CAPITAL).report(), "chdb")
    finally:
        store.close()
    a_line = next(line for line in text.splitlines() if line.startswith("A "))
    assert sol(NET_A) in a_line and sol(int(0.2 * SOL)) in a_line and "100.0%" in a_line
    b_line = next(line for line in text.splitlines() if line.startswith("B "))
    assert sol(-int(0.5 * SOL)) in b_line and "0.0%" in b_line
    assert "2026-11-02" in text and sol(4 * FILL_COST, 6) in text  # day 1's total costs
    assert "Kill switch: off" in text
    assert "Open positions (1)" in text


def test_table_aligns_columns() -> None:
    out = table(["name", "n"], [["a", 1], ["bbb", 22]]).splitlines()
    assert out == ["name   n", "----  --", "a      1", "bbb   22"]


async def test_cli_reads_chdb_directly_when_no_analytics_process_runs(tmp_path: Path) -> None:
    (await seeded_store(tmp_path)).close()  # release chDB's directory lock for the CLI process
    png = tmp_path / "out" / "equity.png"
    res = await asyncio.to_thread(run_report, ["--png", str(png)], env_for(tmp_path, free_port()))
    assert res.returncode == 0, res.stderr
    assert "(from chdb://" in res.stdout
    assert any(line.startswith("A ") and sol(NET_A) in line for line in res.stdout.splitlines())
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000


async def test_cli_asks_the_analytics_api_while_chdb_is_locked(tmp_path: Path) -> None:
    store = await seeded_store(tmp_path)  # held open here, as the analytics process would
    port = free_port()
    settings = load_settings(data_dir=tmp_path)
    runner = web.AppRunner(build_web_app(Queries(store, "test", CAPITAL), settings, cockpit=False))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        res = await asyncio.to_thread(run_report, ["--json"], env_for(tmp_path, port))
        text = await asyncio.to_thread(run_report, [], env_for(tmp_path, port))
    finally:
        await runner.cleanup()
        store.close()
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    strategies = {s["instance_id"]: s for s in data["strategies"]}
    assert strategies["A"]["net_pnl_lamports"] == NET_A
    assert data["totals"]["fills"] == 5
    assert f"(from http://127.0.0.1:{port})" in text.stdout


async def test_cli_explains_when_chdb_is_locked_and_no_api_answers(tmp_path: Path) -> None:
    store = await seeded_store(tmp_path)
    try:
        res = await asyncio.to_thread(run_report, [], env_for(tmp_path, free_port()))
    finally:
        store.close()
    assert res.returncode == 2
    assert "another memesnipe process" in res.stderr


async def test_png_of_an_empty_run_is_still_written(tmp_path: Path) -> None:
    store = Store.open(f"chdb://{tmp_path / 'ch'}", "memesnipe")
    migrate(store)
    try:
        data = Queries(store, "nothing", CAPITAL).report()
    finally:
        store.close()
    path = write_png(data, tmp_path / "empty.png")
    assert path.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("bad", ["--run-id"])
def test_report_argument_errors_are_usage_errors(bad: str, tmp_path: Path) -> None:
    res = run_report([bad], env_for(tmp_path, free_port()))
    assert res.returncode == 2 and "expected one argument" in res.stderr
