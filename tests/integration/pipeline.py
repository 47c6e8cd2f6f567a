"""Run the paper pipeline (workers + signer [+ analytics]) over a simulated stream, for tests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from aiokafka import AIOKafkaProducer

from memesnipe.connectors.simulator import MarketSimulator
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.market import MarketEvent
from memesnipe.streams.trading import Fill, Order, OrderRejection, Signal
from tests.support.kafka import IsolatedEnv, Process, consume, create_topics, start_worker
from tests.support.settle import WORKER_INPUTS, settle

START = datetime(2026, 4, 6, 0, 0, tzinfo=UTC)


def simulated_events(n: int, seed: int = 5, mints: int = 8) -> list[MarketEvent]:
    """A busy market: frequent pumps and rugs so every stage has work in a short stream."""
    sim = MarketSimulator(seed, mints, START, tick_s=15.0, pump_prob=0.02, rug_prob=0.006)
    return list(islice(sim.events(), n))


async def produce_events(env: IsolatedEnv, events: list[MarketEvent]) -> None:
    """Publish the events in their (event-time) order across topics, as a feed or a replay does:
    one topic published far ahead of another would let the reorder window release inputs before
    earlier ones of the lagging topic even exist on the broker."""
    producer = AIOKafkaProducer(bootstrap_servers=env.bootstrap, linger_ms=5, acks="all")
    await producer.start()
    try:
        futs = []
        for ev in events:
            tag = str(type(ev).__struct_config__.tag)
            futs.append(await producer.send(env.topic(tag), value=encode(ev), key=ev.mint.encode()))
        await asyncio.gather(*futs)
    finally:
        await producer.stop()


@dataclass
class Outputs:
    signals: list[Signal]
    orders: list[Order]
    rejections: list[OrderRejection]
    fills: list[Fill]
    raw: dict[str, list[Any]]


async def collect(
    env: IsolatedEnv, *, min_fills: int = 1, timeout_s: float = 120.0, group: str = ""
) -> Outputs:
    """Wait for ``min_fills`` fills and until the worker's consumer group (default: the env's
    app id) has committed all its inputs and no topic grows, then read every output topic from
    the beginning. (Fills stopping is not the end: on a loaded machine the strategy runner may
    still be working through the market events after the last fill.)"""
    await consume(env.bootstrap, env.topic("fills"), min_count=min_fills, timeout_s=timeout_s, idle_s=2.0)
    worker_group = {group or env.app_id: [env.topic(t) for t in WORKER_INPUTS]}
    await settle(env.bootstrap, worker_group, topics_prefix=env.prefix, idle_s=5.0, timeout_s=timeout_s)
    raw = {}
    for t in ("signals", "orders", "rejections", "fills"):
        raw[t] = await consume(env.bootstrap, env.topic(t), timeout_s=30.0, idle_s=2.0)
    return Outputs(
        signals=[decode(r.value, Signal) for r in raw["signals"]],
        orders=[decode(r.value, Order) for r in raw["orders"]],
        rejections=[decode(r.value, OrderRejection) for r in raw["rejections"]],
        fills=[decode(r.value, Fill) for r in raw["fills"]],
        raw=raw,
    )


def start_signer(env: IsolatedEnv, name: str = "signer") -> Process:
    p = Process(["memesnipe.signer"], env.env, env.data_dir / f"{name}.log")
    p.wait_for("signer ready", timeout_s=60)
    return p


async def prepare(env: IsolatedEnv) -> None:
    from memesnipe.cli.strategies import publish_default_specs_async

    await create_topics(env)
    await publish_default_specs_async(env.bootstrap, env.settings())


NON_BINDING_GLOBAL_LIMITS = {
    # Cross-partition limits are enforced on a global view with a documented propagation race;
    # tests that compare runs make them non-binding so only per-mint (exact) rules decide.
    "MEMESNIPE_RISK__MAX_OPEN_POSITIONS": "100000",
    "MEMESNIPE_RISK__MAX_ORDERS_PER_MIN": "1000000",
    "MEMESNIPE_RISK__MAX_STRATEGY_LAMPORTS": str(10**15),
    "MEMESNIPE_RISK__MAX_DRAWDOWN": "0.99",
    "MEMESNIPE_RISK__ALLOCATION_INTERVAL_S": "3600",
}


def workers(env: IsolatedEnv, n: int) -> list[Process]:
    return [start_worker(env, f"worker{i}") for i in range(n)]
