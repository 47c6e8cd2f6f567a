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
