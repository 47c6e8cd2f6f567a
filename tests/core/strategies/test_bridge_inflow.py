"""bridge_inflow: a large bridged inflow fires; small ones, or ones like the usual flow, do not."""

from __future__ import annotations

import pytest

from memesnipe.streams.trading import Intent, Side
from tests.core.strategies.scenario import bridge, run


def test_first_large_inflow_buys():
    sigs = run("bridge_inflow", [bridge(0, 150_000.0)])
    assert len(sigs) == 1 and (sigs[0].side, sigs[0].intent) == (Side.BUY, Intent.ENTRY)
    assert sigs[0].strength == pytest.approx(0.5 + 0.5 * 50_000.0 / 300_001.0)
    assert "no prior bridge flow" in sigs[0].reason


def test_inflows_add_up_within_the_window():
    assert run("bridge_inflow", [bridge(0, 60_000.0), bridge(300, 30_000.0)]) == []
    sigs = run("bridge_inflow", [bridge(0, 60_000.0), bridge(300, 30_000.0), bridge(900, 20_000.0)])
    assert len(sigs) == 1 and sigs[0].meta["inflow_usd"] == pytest.approx(110_000.0)


def test_an_inflow_like_the_usual_flow_is_not_large():
    # 60k every 30 minutes for six hours (60k per window), then 150k: 2.5x the baseline, not 3x
    evs = [bridge(1_800 * i, 60_000.0) for i in range(12)]
    assert run("bridge_inflow", [*evs, bridge(1_800 * 12 + 60, 150_000.0)]) == []
    sigs = run("bridge_inflow", [*evs, bridge(1_800 * 12 + 60, 150_000.0)], baseline_mult=2.0)
    assert len(sigs) == 1  # the same inflow passes a lower multiple: the baseline held it back
    assert sigs[0].meta["baseline_usd"] == pytest.approx(60_000.0)
