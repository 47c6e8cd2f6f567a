"""bench/backtest.py and bench/compare_library.py run end to end on a small recording and end
with their ``name: value`` line."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _run(script: str, tmp_path: Path, *args: str) -> list[str]:
    env = {**os.environ, "MEMESNIPE_DATA_DIR": str(tmp_path / "data")}
    cmd = [sys.executable, str(BENCH / script), "--count", "4000", "--repeat", "1", "--cache", str(tmp_path)]
    out = subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=300, env=env, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    return out.stdout.strip().splitlines()


def test_backtest_bench_prints_its_figures_and_ends_with_the_events_per_second(tmp_path) -> None:
    lines = _run("backtest.py", tmp_path)
    assert lines[0].startswith("reproduce: python bench/backtest.py --count 4000")
    assert any(line.startswith("peak RSS:") for line in lines)
    for name in ("(a) backtester", "(b) end to end", "(read) load+decode", "(c) strategies"):
        assert any(line.startswith(name) for line in lines), name
    m = re.fullmatch(r"backtest_events_per_s: (\d+)", lines[-1])
    assert m and int(m.group(1)) > 0
    again = _run("backtest.py", tmp_path)  # the recording is reused, keyed by seed/mints/count
    assert "(reused;" in next(line for line in again if line.startswith("recording:"))


def test_library_comparison_gets_the_same_rule_signals_from_backtrader(tmp_path) -> None:
    pytest.importorskip("backtrader")
    lines = _run("compare_library.py", tmp_path)
    assert any("identical" in line for line in lines if line.startswith("rule signals"))
    m = re.fullmatch(r"ours_vs_backtrader_ratio: (\d+\.\d+)", lines[-1])
    assert m and float(m.group(1)) > 0


@pytest.mark.integration
def test_pipeline_bench_drives_the_real_worker_and_ends_with_the_events_per_second(
    kafka_bootstrap, tmp_path
) -> None:
    """bench/pipeline.py at a tiny size on the test broker: one worker, a short drain and one rate."""
    cmd = [
        sys.executable,
        str(BENCH / "pipeline.py"),
        "--bootstrap",
        kafka_bootstrap,
        "--events",
        "1500",
        "--rates",
        "100",
        "--seconds",
        "3",
        "--workers",
        "1",
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("reproduce: python bench/pipeline.py --events 1500 --rates 100")
    assert any(line.startswith("[1 worker] drain:") for line in lines)
    assert any(line.strip().startswith("rate") and "signal p50" in line for line in lines)
    assert any(line.startswith("peak RSS (workers):") for line in lines)
    m = re.fullmatch(r"pipeline_market_events_per_s_per_worker: (\d+)", lines[-1])
    assert m and int(m.group(1)) > 0


@pytest.mark.integration
def test_soak_bench_samples_the_real_workers_rss_and_ends_with_the_slope(kafka_bootstrap) -> None:
    """bench/soak.py at a tiny size on the test broker: ~18 s at a steady rate, then a flood."""
    base = [sys.executable, str(BENCH / "soak.py"), "--bootstrap", kafka_bootstrap, "--rate", "50"]
    base += ["--sample-s", "1", "--minutes", "0.3"]
    out = subprocess.run(base, capture_output=True, text=True, timeout=600, check=False)
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("reproduce: python bench/soak.py --minutes 0.3 --rate 50")
    assert any(line.startswith("worker RSS: start") and "peak" in line for line in lines)
    assert re.fullmatch(r"rss_slope_mb_per_h: -?\d+\.\d", lines[-1])
    cmd = [*base, "--flood-x", "2"]
    flood = subprocess.run(cmd, capture_output=True, text=True, timeout=600, check=False)
    assert flood.returncode == 0, flood.stderr[-3000:]
    m = re.fullmatch(r"flood_peak_rss_mb: (\d+\.\d)", flood.stdout.strip().splitlines()[-1])
    assert m and float(m.group(1)) > 0
