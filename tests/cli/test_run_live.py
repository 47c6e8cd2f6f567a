"""``memesnipe run --live-data``: the plan printed before anything runs (each connector started,
each skipped one with the setting it misses, the ones left out on purpose with why), then one
child running them all, following discovery's watchlist on its own /metrics port."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from memesnipe.cli.main import build_parser
from memesnipe.cli.run_live import start_live_data
from memesnipe.settings import load_settings


@pytest.fixture(autouse=True)
def no_keys_from_the_machine(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Which sources start depends on the keys set: none from this shell or a .env file."""
    for k in list(os.environ):
        if k.startswith("MEMESNIPE_"):
            monkeypatch.delenv(k)
    monkeypatch.chdir(tmp_path)


class Recorder:
    """Stands in for run's Children: records what would be started (no process here)."""

    def __init__(self) -> None:
        self.started: list[tuple[str, list[str], dict[str, str] | None]] = []

    def start(self, name: str, args: list[str], env: dict[str, str] | None = None) -> None:
        self.started.append((name, args, env))


def test_the_plan_is_printed_and_one_child_runs_the_connectors(capsys: pytest.CaptureFixture[str]) -> None:
    kids = Recorder()
    started = start_live_data(kids, load_settings(connectors={"helius_api_key": "k"}, metrics_port=9464))
    out = capsys.readouterr().out
    assert {"discovery", "volume", "helius", "bridge", "pyth"} <= set(started)
    assert "depth" not in started and "social" not in started
    assert "run: skipped depth: depth needs an API key: set MEMESNIPE_" in out  # its Jupiter key
    assert "run: skipped social: social needs an API key: set MEMESNIPE_CONNECTORS__X_BEARER_TOKEN" in out
    assert "run: not started jupiter_price: " in out and "run: not started helius_webhook: " in out
    assert out.splitlines()[0] == f"run: live connectors starting: {', '.join(started)}"
    # discovery's programs: pump.fun alone by default, the pool programs listed with how to add them
    assert out.splitlines()[1] == "run: discovery programs on: pump.fun (creations, curve completions, " + (
        "migrations to PumpSwap)"
    )
    assert "append its id to MEMESNIPE_DISCOVERY__PROGRAMS" in out.splitlines()[2]
    assert "run:   Raydium AMM v4 pools: 675kPX9MHTjS2zt1qfr1NYHuzeLXfQM9H24wFSUt1Mp8" in out
    assert "run:   Meteora DAMM v2 pools: cpamdpZCGKUy5JxQXB4dcpGPiikHawvSWAd6mEn1sGG" in out
    [(name, args, env)] = kids.started
    assert (name, args) == ("connectors", ["memesnipe", "connect", "--live-data"])
    assert env is not None
    assert env["MEMESNIPE_CONNECTORS__FOLLOW_WATCHLIST"] == "true"
    assert env["MEMESNIPE_METRICS_PORT"] == "9466"  # the worker has 9464, the signer 9465


def test_run_accepts_live_data() -> None:
    args = build_parser().parse_args(["run", "--live-data", "--duration", "5"])
    assert args.live_data and args.duration == 5.0
    assert not build_parser().parse_args(["run"]).live_data


def test_paper_on_live_data_is_priced_from_live_quotes_when_a_jupiter_key_is_set() -> None:
    from memesnipe.cli.run_live import PAPER_QUOTES_ENV, paper_pricing

    extra, line = paper_pricing(load_settings(jupiter={"api_key": "k"}), {})
    assert extra == {PAPER_QUOTES_ENV: "true"} and "live Jupiter quotes" in line
    # the router the worker builds from that environment asks Jupiter (no model fall-back)
    quoted = load_settings(jupiter={"api_key": "k", "paper_quotes": extra[PAPER_QUOTES_ENV]})
    assert quoted.jupiter.paper_quotes
    # no key: the depth model, said so; the user's own choice is kept either way
    extra, line = paper_pricing(load_settings(), {})
    assert extra == {} and "depth model" in line and "MEMESNIPE_JUPITER__API_KEY" in line
    extra, line = paper_pricing(load_settings(jupiter={"api_key": "k"}), {PAPER_QUOTES_ENV: "false"})
    assert extra == {} and "depth model" in line
