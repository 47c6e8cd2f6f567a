"""The strategy runner on the real broker: signals out, exact recovery, hot swap, dead letters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import msgspec
import pytest

from memesnipe.core.strategies import InProcessRunner, engine_for
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.control import StrategySpec
from memesnipe.streams.deadletter import DeadLetter
from memesnipe.streams.market import PriceEvent
from memesnipe.streams.trading import Signal
from tests.support.kafka import Process, consume, create_topics, free_port, produce

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
MINTS = ["MintAAAA1111", "MintBBBB2222", "MintCCCC3333"]


def pump_prices(mint: str, start: datetime, n: int = 200, pump_at: int = 150) -> list[PriceEvent]:
    """Flat price with steady volume, then a +20 % move on 5x volume (momentum fires)."""
    out = []
    for i in range(n):
        ts = start + timedelta(seconds=30 * i)
        up = i >= pump_at
        px = 1.0 * (1.0 + 0.2 * min(1.0, (i - pump_at + 1) / 6)) if up else 1.0 + 0.001 * (i % 3)
        out.append(PriceEvent(mint=mint, ts=ts, price_usd=px, price_sol=px / 150, volume_usd_5m=5_000.0 * (5 if up else 1)))
    return out


def start_runner(env, name: str = "runner") -> Process:
    """A worker running only the strategy runner (other stages are other tests' business)."""
    e = env.env
    e["MEMESNIPE_WEB_PORT"] = str(free_port())
    e["MEMESNIPE_KAFKA__BATCH_WITHIN_S"] = "0.5"
    p = Process(["tests.agents.test_strategy_runner_worker", "worker", "-l", "info", "--without-web"], e,
                env.data_dir / f"{name}.log")
    p.wait_for("strategy registry ready", timeout_s=90)
    return p


def momentum_spec(iid: str = "mom.test") -> StrategySpec:
    return StrategySpec(instance_id=iid, family="momentum_5m", params={"cooldown_s": 0})


def key_of(s: Signal) -> tuple:
    d = msgspec.to_builtins(s)
    d.pop("signal_id")
    return tuple(sorted((k, repr(v)) for k, v in d.items()))


async def test_worker_emits_the_signals_the_in_process_engine_emits(isolated_env):
    await create_topics(isolated_env)
    spec = momentum_spec()
    await produce(isolated_env.bootstrap, isolated_env.topic("specs"), [(spec.instance_id.encode(), encode(spec))])
    events = [e for m in MINTS for e in pump_prices(m, T0)]
    await produce(
        isolated_env.bootstrap, isolated_env.topic("price"), [(e.mint.encode(), encode(e)) for e in events]
    )
    expected = InProcessRunner(engine_for([spec])).run_events(events)
    assert expected, "the scenario must fire in-process"
    w = start_runner(isolated_env)
    recs = await consume(isolated_env.bootstrap, isolated_env.topic("signals"), min_count=len(expected), timeout_s=60)
    w.stop()
    got = [decode(r.value, Signal) for r in recs]
    assert sorted(map(key_of, got)) == sorted(map(key_of, expected))
    assert all(r.key == s.mint.encode() for r, s in zip(recs, got, strict=True))
