"""Faust's own CLI works on the app (the design card: agents run with the faust worker CLI)."""

from __future__ import annotations

import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def faust_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "faust", "-A", "memesnipe.app", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )


def test_agents_lists_every_stage_with_its_topics() -> None:
    out = faust_cli("agents")
    assert out.returncode == 0, out.stderr[-2000:]
    for stage in ("strategy_runner", "risk_gate", "position_manager", "router", "ledger"):
        assert stage in out.stdout, stage
    assert "memesnipe.price" in out.stdout  # a multi-topic stage names its topics


def test_tables_and_models_commands_work() -> None:
    tables = faust_cli("tables")
    assert tables.returncode == 0 and "order_lifecycle" in tables.stdout, tables.stderr[-2000:]
    models = faust_cli("models")
    assert models.returncode == 0, models.stderr[-2000:]


async def test_send_puts_a_record_on_a_topic(isolated_env) -> None:
    from tests.support.kafka import consume

    topic = isolated_env.topic("deadletter")
    env = {k: v for k, v in isolated_env.env.items() if isinstance(v, str)}
    out = faust_cli("send", topic, '{"hello": 1}', "--key", "k1", env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    (rec,) = await consume(isolated_env.bootstrap, topic, min_count=1)
    assert rec.key == b"k1" and b"hello" in rec.value
