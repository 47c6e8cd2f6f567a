"""The full worker's operations surface on the real broker, with the real signer:

- ``/healthz`` answers as soon as the loop runs; ``/readyz`` is 503 (with the failing checks)
  until partitions are assigned and table recovery is done, then 200, on the metrics port and
  on Faust's web port; ``memesnipe_ready`` and the worker's consumer lag are exported;
- every line the worker logs on stderr is a JSON object, and a signal's way through the stages
  (risk gate -> router -> fills -> position manager exit -> risk gate) can be followed by the
  ids the lines carry (signal_id -> order_id -> request_id -> fill_id).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from memesnipe.core.ids import order_id
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.market import PriceEvent
from memesnipe.streams.trading import Fill
from tests.agents import riskmsgs as m
from tests.support.kafka import REPO, IsolatedEnv, Process, consume, create_topics, free_port, produce

pytestmark = pytest.mark.integration

MINT = "OpsMint1pump"


def json_lines(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(errors="replace").splitlines():
        if line.strip():
            out.append(json.loads(line))  # any non-JSON line fails the test here
    return out


async def wait_ready(
    http: httpx.AsyncClient, url: str, proc: subprocess.Popen[bytes], log: Path
) -> list[tuple[int, Any]]:
    seen: list[tuple[int, Any]] = []
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-4000:]
        try:
            resp = await http.get(url, timeout=5)
        except httpx.HTTPError:
            await asyncio.sleep(0.2)
            continue
        seen.append((resp.status_code, resp.json()))
        if resp.status_code == 200:
            return seen
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{url} never ready: {seen[-3:]}\n{log.read_text()[-4000:]}")


async def test_worker_probes_and_json_decision_logs(isolated_env: IsolatedEnv) -> None:
    env = isolated_env
    await create_topics(env)
    signer = Process(["memesnipe.signer"], env.env, env.data_dir / "signer.log")
    metrics_port, web_port = free_port(), free_port()
    wenv = {
        **env.env,
        "MEMESNIPE_METRICS_PORT": str(metrics_port),
        "MEMESNIPE_WEB_PORT": str(web_port),
        "MEMESNIPE_LOG_FORMAT": "json",
    }
    err, out = env.data_dir / "worker.err", env.data_dir / "worker.out"
    with err.open("wb") as ferr, out.open("wb") as fout:
        worker = subprocess.Popen(
            [sys.executable, "-m", "memesnipe", "worker", "-l", "info"],
            env=wenv,
            cwd=REPO,
            stdout=fout,
            stderr=ferr,
            start_new_session=True,
        )
    try:
        signer.wait_for("signer ready", timeout_s=90)
        async with httpx.AsyncClient(trust_env=False) as http:
            base, faust_web = f"http://127.0.0.1:{metrics_port}", f"http://127.0.0.1:{web_port}"
            seen = await wait_ready(http, base + "/readyz", worker, err)
            assert seen[-1] == (
                200,
                {
                    "ready": True,
                    "process": "worker",
                    "checks": {"partitions_assigned": "ok", "recovery_done": "ok", "not_rebalancing": "ok"},
                },
            )
            for status, body in seen[:-1]:  # before: not ready, and says why
                assert status == 503 and body["ready"] is False
                assert any(v != "ok" for v in body["checks"].values())
            assert (await http.get(base + "/healthz")).text == "ok\n"
            resp = await http.get(faust_web + "/readyz", timeout=5)
            assert resp.status_code == 200 and resp.json()["ready"] is True
            assert (await http.get(faust_web + "/healthz", timeout=5)).status_code == 200
            body = ""
            deadline = time.monotonic() + 30
            while 'memesnipe_consumer_lag_messages{stage="worker"}' not in body:
                assert time.monotonic() < deadline, body[-2000:]
                await asyncio.sleep(1)
                body = (await http.get(base + "/metrics")).text
            assert 'memesnipe_ready{process="worker"} 1.0' in body

        # a signal through the stages
        await produce(env.bootstrap, env.topic("onchain"), [(MINT.encode(), encode(m.safe(MINT)))])
        await produce(env.bootstrap, env.topic("depth"), [(MINT.encode(), encode(m.depth(MINT)))])
        await asyncio.sleep(2.0)
        await produce(
            env.bootstrap, env.topic("signals"), [(MINT.encode(), encode(m.signal("ops-s1", MINT, t=1)))]
        )
        entry = decode(
            (await consume(env.bootstrap, env.topic("fills"), min_count=1, timeout_s=120, idle_s=1))[0].value,
            Fill,
        )
        # the price halves: the position manager's stop sends an exit, which fills too
        drop = [
            PriceEvent(mint=MINT, ts=m.at(10 + i), price_sol=m.PRICE_SOL / 2, price_usd=m.PRICE_USD / 2)
            for i in range(3)
        ]
        await produce(env.bootstrap, env.topic("price"), [(MINT.encode(), encode(p)) for p in drop])
        await consume(env.bootstrap, env.topic("fills"), min_count=2, timeout_s=120, idle_s=1)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
        signer.stop()

    lines = json_lines(err)
    assert {"ts", "level", "logger", "msg"} <= set(lines[0])
    oid = order_id("inst-a", MINT, "ops-s1")
    assert entry.fill_id == oid

    def one(**match: Any) -> dict[str, Any]:
        hits = [ln for ln in lines if all(ln.get(k) == v for k, v in match.items())]
        assert hits, f"no log line with {match}; decisions: {[ln for ln in lines if 'decision' in ln]}"
        return hits[0]

    gate = one(decision="order", signal_id="ops-s1")
    assert gate["order_id"] == oid and gate["logger"] == "memesnipe.agents.risk_gate"
    routed = one(decision="route", order_id=oid)
    assert routed["request_id"] == oid and routed["signal_id"] == "ops-s1"
    filled = one(decision="fills", order_id=oid)
    assert filled["request_id"] == oid and filled["fill_id"] == oid and filled["mint"] == MINT
    exit_line = one(decision="exit", mint=MINT)
    assert exit_line["signal_id"].startswith("exit|inst-a|") and exit_line["exit_reason"]
    exit_order = one(decision="order", signal_id=exit_line["signal_id"])
    assert exit_order["order_id"] == order_id("inst-a", MINT, exit_line["signal_id"])
    one(decision="fills", order_id=exit_order["order_id"], fill_id=exit_order["order_id"])
