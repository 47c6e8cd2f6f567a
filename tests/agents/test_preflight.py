"""Live preflight checks that need no network: key file safety (stat only), caps, risk summary,
and the CLI's exit status."""

from __future__ import annotations

import os

import pytest

from memesnipe.agents.preflight import caps_check, key_file_check, risk_summary
from memesnipe.settings import load_settings


def test_key_file_must_exist_be_regular_and_private(tmp_path):
    assert not key_file_check(None).ok
    missing = key_file_check(tmp_path / "nope.json")
    assert not missing.ok and "does not exist" in missing.detail
    key = tmp_path / "wallet.json"
    key.write_text("[]")
    os.chmod(key, 0o644)
    loose = key_file_check(key)
    assert not loose.ok and "chmod 600" in loose.detail
    os.chmod(key, 0o600)
    assert key_file_check(key).ok
    assert not key_file_check(tmp_path).ok  # a directory


def test_caps_must_be_consistent():
    assert caps_check(load_settings()).ok
    bad = caps_check(load_settings(risk={"max_order_lamports": 3 * 10**9}))
    assert not bad.ok and "per_tx_cap_lamports" in bad.detail


def test_risk_summary_states_the_limits():
    text = "\n".join(risk_summary(load_settings(risk={"capital_lamports": 7 * 10**9})))
    assert "7.0000 SOL" in text and "max per order" in text and "Jito tip" in text


def test_cli_preflight_fails_in_paper_mode_without_network(monkeypatch, capsys):
    import asyncio

    from memesnipe.cli.preflight import preflight

    s = load_settings(
        execution={"rpc_url": "http://127.0.0.1:9"},
        jito={"endpoints": {"mainnet": "http://127.0.0.1:9"}},
        kafka={"broker": "kafka://127.0.0.1:9"},
    )
    rc = asyncio.run(preflight(s))
    out = capsys.readouterr().out
    assert rc == 1
    assert "[FAIL] live mode" in out and "[FAIL] RPC reachable" in out and "preflight FAILED" in out
    assert "Live mode will risk:" in out


@pytest.mark.integration
async def test_cli_reads_the_latest_kill_switch_from_kafka(isolated_env):
    from datetime import UTC, datetime, timedelta

    from memesnipe.cli.preflight import _kill_switch
    from memesnipe.streams.codec import encode
    from memesnipe.streams.control import KillSwitch
    from tests.support.kafka import create_topics, produce

    await create_topics(isolated_env)
    s = isolated_env.settings()
    assert await _kill_switch(s) == (False, "")
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    on = KillSwitch(active=True, ts=t0 + timedelta(seconds=5), by="monitor", reason="drawdown 21%")
    off_older = KillSwitch(active=False, ts=t0, by="operator", reason="resume")
    await produce(
        isolated_env.bootstrap,
        isolated_env.topic("killswitch"),
        [(b"global", encode(on)), (b"other", encode(off_older)), (b"x", b"not json")],
    )
    assert await _kill_switch(s) == (True, "drawdown 21%")
