"""The analytics process's probes over real HTTP: alive at once, ready once its sink consumes
from the real broker and its (embedded) ClickHouse answers."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest

from tests.support.kafka import REPO, IsolatedEnv, create_topics, free_port


@pytest.mark.integration
async def test_analytics_healthz_and_readyz_over_http(isolated_env: IsolatedEnv) -> None:
    await create_topics(isolated_env)
    port = free_port()
    env = {**isolated_env.env, "MEMESNIPE_ANALYTICS__PORT": str(port)}
    log_path = isolated_env.data_dir / "analytics.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "memesnipe", "analytics", "--no-cockpit"],
            env=env,
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=log,
            start_new_session=True,
        )
    statuses: list[int] = []
    ready = None
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", trust_env=False) as http:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                assert proc.poll() is None, log_path.read_text()[-3000:]
                try:
                    resp = await http.get("/readyz", timeout=5)
                except httpx.HTTPError:
                    await asyncio.sleep(0.3)
                    continue
                statuses.append(resp.status_code)
                if resp.status_code == 200:
                    ready = resp.json()
                    break
                assert resp.status_code == 503 and resp.json()["ready"] is False
                await asyncio.sleep(0.3)
            assert ready == {
                "ready": True,
                "process": "analytics",
                "checks": {"sink_consuming": "ok", "clickhouse_reachable": "ok"},
            }, statuses
            assert (await http.get("/healthz")).text == "ok\n"
            assert 'memesnipe_ready{process="analytics"} 1.0' in (await http.get("/metrics")).text
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
        rc = proc.wait(60)
    assert rc == 0, log_path.read_text()[-3000:]
    lines = [ln for ln in log_path.read_text().splitlines() if ln.strip()]
    assert lines and all(ln.startswith("{") for ln in lines), lines[:5]  # JSON lines
