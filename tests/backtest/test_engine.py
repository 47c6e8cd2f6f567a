"""The backtester runs the pipeline's own stages: entries, trailing exits, risk, kill switch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import islice

import pytest

from memesnipe.backtest import Backtester
from memesnipe.backtest.report import figures
from memesnipe.connectors.simulator import MarketSimulator
from memesnipe.core.strategies.defaults import default_specs
from memesnipe.settings import load_settings
from memesnipe.streams.control import StrategySpec
from memesnipe.streams.market import DepthEvent, DepthLevel, OnChainEvent, OnChainKind, PriceEvent
from memesnipe.streams.trading import Intent, Side

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
MINT = "MintPUMP1111"
SOL_USD = 150.0


@pytest.fixture
def settings(monkeypatch, tmp_path):
    monkeypatch.setenv("MEMESNIPE_DATA_DIR", str(tmp_path))
    return load_settings()


def safe_token(mint: str, ts: datetime = T0) -> list:
    """Safety facts so the risk gate lets entries through (re-sent every 10 minutes, as the live
    connector re-reads them: the gate refuses facts older than risk.max_safety_age_s)."""
    return [
        OnChainEvent(
            mint=mint,
            ts=ts,
            kind=OnChainKind.SAFETY,
            mint_authority_live=False,
            freeze_authority_live=False,
            lp_locked_pct=100.0,
            top10_holder_pct=20.0,
        ),
    ]


def pump_and_dump(mint: str = MINT, peak_mult: float = 1.3) -> list:
    """Flat 100 price points, a pump to ``peak_mult`` on 5x volume, then a dump back to 0.9."""
    events: list = safe_token(mint)
    prices = [1.0] * 100
    prices += [1.0 + (peak_mult - 1.0) * min(1.0, (i + 1) / 8) for i in range(30)]
    prices += [peak_mult - (peak_mult - 0.9) * (i + 1) / 20 for i in range(20)]
    for i, px in enumerate(prices):
        ts = T0 + timedelta(seconds=30 * (i + 1))
        pumping = 100 <= i < 130
        events.append(
            PriceEvent(
                mint=mint,
                ts=ts,
                price_usd=px * 1e-6 * SOL_USD,
                price_sol=px * 1e-6,
                volume_usd_5m=5_000.0 * (5 if pumping else 1),
                liquidity_usd=500_000.0,
            )
        )
        if i % 20 == 19:
            events += safe_token(mint, ts)
        if i % 5 == 0:
            events.append(
                DepthEvent(
                    mint=mint,
                    ts=ts,
                    liquidity_usd=500_000.0,
                    levels=[DepthLevel(1_000.0, 20.0), DepthLevel(10_000.0, 200.0)],
                )
            )
    return events


MOMENTUM = StrategySpec(instance_id="mom.t", family="momentum_5m", params={"cooldown_s": 0})


def test_pump_gives_one_entry_and_a_trailing_stop_exit_with_pnl_from_the_fills(settings):
    res = Backtester([MOMENTUM], settings).run(pump_and_dump())
    buys = [f for f in res.fills if f.side is Side.BUY]
    sells = [f for f in res.fills if f.side is Side.SELL]
    assert len(buys) == 1 and len(sells) == 1, [(f.side, f.reason) for f in res.fills]
    exit_order = next(o for o in res.orders if o.intent is Intent.EXIT)
    assert exit_order.reason.startswith("trailing_stop"), exit_order.reason
    assert sells[0].qty_tokens == buys[0].qty_tokens
    buy, sell = buys[0], sells[0]
    # realized net PnL is exactly what the fills say: proceeds - paid - every cost
    expected = sell.notional_lamports - buy.notional_lamports - buy.cost_lamports - sell.cost_lamports
    assert res.realized["mom.t"] == expected
    assert res.unrealized.get("mom.t", 0) == 0
    assert sell.price_sol > buy.price_sol  # the trailing stop locked in part of the pump
    fig = figures(res, settings.risk.period_s)
    (row,) = fig.strategies
    assert row.trades == 1 and row.wins == (1 if expected > 0 else 0)


def test_unsafe_token_is_refused_by_the_same_risk_gate(settings):
    events = [e for e in pump_and_dump() if not isinstance(e, OnChainEvent)]
    events.insert(
        0,
        OnChainEvent(
            mint=MINT,
            ts=T0,
            kind=OnChainKind.SAFETY,
            mint_authority_live=True,
            freeze_authority_live=False,
            lp_locked_pct=100.0,
            top10_holder_pct=20.0,
        ),
    )
    res = Backtester([MOMENTUM], settings).run(events)
    assert not res.fills
    entries = [r for r in res.rejections if r.intent is Intent.ENTRY]
    assert entries and {r.rule for r in entries} == {"mint_authority"}
    assert {r.rule for r in res.rejections if r.intent is Intent.EXIT} <= {"no_position"}


def test_same_recording_same_results(settings):
    sim = lambda: MarketSimulator(3, 10, T0, tick_s=15.0, pump_prob=0.02, rug_prob=0.005)  # noqa: E731
    runs = [Backtester(default_specs(), settings).run(islice(sim().events(), 60_000)) for _ in range(2)]
    a, b = runs
    assert a.fills and [f.fill_id for f in a.fills] == [f.fill_id for f in b.fills]
    assert a.fills == b.fills and a.realized == b.realized


def test_drawdown_trips_the_kill_switch_and_blocks_new_entries(monkeypatch, tmp_path):
    monkeypatch.setenv("MEMESNIPE_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MEMESNIPE_RISK__MAX_DRAWDOWN", "0.0001")
    monkeypatch.setenv("MEMESNIPE_RISK__CAPITAL_LAMPORTS", str(10**9))
    monkeypatch.setenv("MEMESNIPE_RISK__EXPLORATION_WEIGHT", "1.0")
    monkeypatch.setenv("MEMESNIPE_RISK__MAX_STRATEGY_WEIGHT", "1.0")
    s = load_settings()
    first = pump_and_dump(peak_mult=1.3)
    later = [e for e in pump_and_dump(mint="MintPUMP2222") if True]
    shift = timedelta(hours=3)
    later = [
        type(e)(**{**{f: getattr(e, f) for f in e.__struct_fields__}, "ts": e.ts + shift}) for e in later
    ]
    res = Backtester([MOMENTUM], s).run(first + later)
    assert res.kill_switches, "costs alone exceed a 0.01 % drawdown"
    tripped = res.kill_switches[0].ts
    late_entries = [o for o in res.orders if o.intent is Intent.ENTRY and o.ts > tripped]
    assert not late_entries
    assert any(r.rule == "kill_switch" and r.ts > tripped for r in res.rejections)
