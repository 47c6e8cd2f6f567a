"""The real commands end to end on the real broker: ``memesnipe connect dexscreener`` against
a local HTTP server serving the recorded DexScreener payload, ``memesnipe record`` stopped with
SIGTERM (it must flush and commit), and ``memesnipe publish-file --max-speed`` into fresh topics."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiohttp import web

from memesnipe.streams.codec import decode_market
from tests.support.kafka import REPO, consume, create_topics, free_port

FIX = REPO / "tests" / "fixtures" / "dexscreener" / "pairs_popdog.json"
POPDOG = "EATGZHJViJsk7nEKkrdJicwNbfpkJfAtmrEmrjXR8NBj"


async def _serve(port: int) -> web.AppRunner:
    body = json.loads(FIX.read_text())

    async def pairs(request: web.Request) -> web.Response:
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/latest/dex/tokens/{mints}", pairs)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def _run(args: list[str], env: dict[str, str], timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "memesnipe", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.mark.integration
async def test_connect_record_publish_file_commands(isolated_env, tmp_path: Path, env_factory) -> None:
    src = isolated_env
    await create_topics(src, ["price", "deadletter"])
    port = free_port()
    server = await _serve(port)
    env = src.env | {
        "MEMESNIPE_CONNECTORS__MINTS": POPDOG,
        "MEMESNIPE_CONNECTORS__DEXSCREENER_BASE_URL": f"http://127.0.0.1:{port}",
        "MEMESNIPE_CONNECTORS__DEXSCREENER_INTERVAL_S": "0.2",
    }
    try:
        proc = await asyncio.to_thread(_run, ["connect", "dexscreener", "--cycles", "3"], env)
    finally:
        await server.cleanup()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "3 cycles, 3 events, 0 dead letters" in proc.stderr

    out = tmp_path / "rec"
    log_path = tmp_path / "record.log"
    with log_path.open("w") as log_fh:
        rec = subprocess.Popen(
            [sys.executable, "-m", "memesnipe", "record", "--dir", str(out), "--types", "price"],
            env=env | {"MEMESNIPE_CONNECTORS__RECORD_FLUSH_S": "3600"},
            cwd=REPO,
            stdout=log_fh,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and "newly assigned partitions" not in log_path.read_text():
                await asyncio.sleep(0.2)
            await asyncio.sleep(3)  # fetch the 3 events; nothing is flushed before SIGTERM (flush_s 3600)
            assert not list(out.rglob("*.parquet"))
            rec.send_signal(signal.SIGTERM)
            await asyncio.to_thread(rec.wait, 60)
        finally:
            if rec.poll() is None:
                rec.kill()
    log = log_path.read_text()
    assert rec.returncode == 0, log
    assert "recorded 3 rows" in log
    assert len(list(out.rglob("*.parquet"))) == 1

    dst = env_factory()
    await create_topics(dst, ["price"])
    pub = await asyncio.to_thread(_run, ["publish-file", str(out), "--max-speed"], dst.env)
    assert pub.returncode == 0, pub.stderr[-2000:]
    back = await consume(dst.bootstrap, dst.topic("price"), min_count=3, idle_s=1.0)
    orig = await consume(src.bootstrap, src.topic("price"), min_count=3, idle_s=1.0)
    assert [r.value for r in sorted(back, key=lambda r: r.offset)] == [
        r.value for r in sorted(orig, key=lambda r: r.offset)
    ]
    assert {decode_market(r.value).mint for r in back} == {POPDOG}
