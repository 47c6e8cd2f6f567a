"""``memesnipe run --live-data`` as a user runs it, on the real broker: the plan is printed (the
keyless connectors start, the keyed ones are skipped naming their setting), the worker, signer,
analytics and one connectors process run for the duration and stop; no ERROR in any log. Every
provider endpoint points at a closed local port: no remote API is called (the connectors log
their failed fetches as warnings and keep going, as they would through an outage)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.support.kafka import REPO, IsolatedEnv, free_port

pytestmark = pytest.mark.integration
DEAD = "http://127.0.0.1:9"  # discard port: nothing listens


def test_run_live_data_starts_the_pipeline_and_the_connectors_it_can(isolated_env: IsolatedEnv) -> None:
    env = isolated_env
    e = {k: v for k, v in env.env.items() if not k.endswith(("_API_KEY", "_BEARER_TOKEN"))}
    e |= {
        "MEMESNIPE_METRICS_PORT": str(free_port()),
        "MEMESNIPE_SIGNER__METRICS_PORT": str(free_port()),
        "MEMESNIPE_ANALYTICS__PORT": str(free_port()),
        "MEMESNIPE_WEB_PORT": str(free_port()),
        "MEMESNIPE_DISCOVERY__WS_URL": "ws://127.0.0.1:9",
        "MEMESNIPE_DISCOVERY__DEXSCREENER": "false",
        "MEMESNIPE_CONNECTORS__SOLANA_RPC_URL": DEAD,
        "MEMESNIPE_CONNECTORS__DEXSCREENER_BASE_URL": DEAD,
        "MEMESNIPE_CONNECTORS__GECKOTERMINAL_BASE_URL": DEAD,
        "MEMESNIPE_CONNECTORS__PYTH_BASE_URL": DEAD,
        "MEMESNIPE_CONNECTORS__RUGCHECK_BASE_URL": DEAD,
        "MEMESNIPE_CONNECTORS__DRIFT_BASE_URL": DEAD,
        "MEMESNIPE_CONNECTORS__BRIDGE_BASE_URL": DEAD,
        "MEMESNIPE_CONNECTORS__DEBRIDGE_BASE_URL": DEAD,
    }
    proc = subprocess.run(
        [sys.executable, "-m", "memesnipe", "run", "--live-data", "--duration", "25"],
        env=e,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    out = proc.stdout
    assert proc.returncode == 0, (out[-3000:], proc.stderr[-3000:])
    [plan] = [line for line in out.splitlines() if line.startswith("run: live connectors starting: ")]
    started = plan.removeprefix("run: live connectors starting: ").split(", ")
    assert {"discovery", "volume", "holders", "pyth", "safety", "drift", "bridge"} <= set(started)
    assert "run: skipped helius: helius needs an API key: set MEMESNIPE_CONNECTORS__HELIUS_API_KEY" in out
    assert "run: skipped social: social needs an API key: set MEMESNIPE_CONNECTORS__X_BEARER_TOKEN" in out
    assert "MemeSnipe is running in PAPER mode on LIVE market data" in out
    logs = env.data_dir / "logs"
    connectors = (logs / "connectors.log").read_text()
    for name in started:
        assert f"connect: started {name}\n" in connectors
    for log in ("worker", "signer", "analytics", "connectors"):
        text = (logs / f"{log}.log").read_text()
        bad = [
            ln for ln in text.splitlines() if " ERROR " in ln or '"level": "ERROR"' in ln or "Traceback" in ln
        ]
        assert not bad, (log, bad[:5])
