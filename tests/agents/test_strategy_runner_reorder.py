"""The strategy runner's event-time reorder window on the real broker.

A funding event (it reveals the mint's Drift perp market) at 00:10 is delivered AFTER a
dev-wallet drain at 00:30 of the same mint (the onchain topic is produced and consumed first).
In-process, the drain is a perp SHORT. With a window the runner holds the drain until the
partition's event time has moved past it, and emits that SHORT; held events are never
acknowledged, so a restart re-reads them. Without a window (today's live default) the drain is
applied on arrival and becomes "no perp market: SELL + block".
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from memesnipe.connectors.simulator.model import MarketSimulator
from memesnipe.core.strategies.defaults import default_specs
from memesnipe.core.strategies.engine import NO_PERP_REASON
from memesnipe.streams.control import StrategySpec
from memesnipe.streams.market import MARKET_EVENT_TYPES, FundingEvent, OnChainEvent, OnChainKind, PriceEvent
from memesnipe.streams.trading import Intent, Side
from tests.agents.test_strategy_runner_integration import (
    T0,
    assert_same,
    expected_signals,
    publish_events,
    publish_specs,
    pump,
    signals_on,
    start_runner,
)
from tests.support.kafka import IsolatedEnv, consume, create_topics

pytestmark = pytest.mark.integration

MINT = "MintPerpDrain"
SPECS = [StrategySpec(instance_id="dwd", family="dev_wallet_drain", params={})]
FUNDING = FundingEvent(mint=MINT, ts=T0 + timedelta(minutes=10), market_index=7, perp_symbol="DRAIN-PERP")
DRAIN = OnChainEvent(
    mint=MINT,
    ts=T0 + timedelta(minutes=30),
    kind=OnChainKind.DEV_SELL,
    wallet="devwallet",
    amount_usd=50_000.0,
    amount_tokens=500_000.0,
    wallet_balance_tokens=500_000.0,
)
LATER = PriceEvent(mint=MINT, ts=T0 + timedelta(hours=2), price_usd=1.0, price_sol=0.01, volume_usd_5m=1.0)
"""Moves the partition's event time past the window, so the drain is released without idling."""
# idle flush = 25 x 0.4 s = 10 s: longer than any pause below
SETTINGS = {"MEMESNIPE_KAFKA__BATCH_WITHIN_S": "0.4", "MEMESNIPE_KAFKA__REORDER_WINDOW_S": "3600"}


async def committed(env: IsolatedEnv, short: str) -> dict[int, int]:
    """The runner group's committed offsets on one topic (partition -> offset)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=env.bootstrap)
    await admin.start()
    try:
        offs = await admin.list_consumer_group_offsets(env.app_id)
    finally:
        await admin.close()
    return {tp.partition: meta.offset for tp, meta in offs.items() if tp.topic == env.topic(short)}


async def no_signals_for(env: IsolatedEnv, seconds: float) -> None:
    recs = await consume(env.bootstrap, env.topic("signals"), timeout_s=seconds, idle_s=seconds)
    assert recs == [], "the drain must be held, not applied"


async def test_a_late_funding_topic_still_gives_the_in_process_short(isolated_env):
    env = isolated_env
    await create_topics(env)
    await publish_specs(env, SPECS)
    w = start_runner(env, **SETTINGS)
    try:
        await publish_events(env, [DRAIN])
        await no_signals_for(env, 4.0)  # consumed (and held) well before the funding exists
        # held: its offset is not committed (the commit interval is 1 s)
        assert all(off <= 0 for off in (await committed(env, "onchain")).values())
        await publish_events(env, [FUNDING])
        await publish_events(env, [LATER])
        expected = await expected_signals(env, SPECS, ["funding", "onchain", "price"])
        assert [(s.side, s.intent, s.perp_market_index) for s in expected] == [(Side.SHORT, Intent.ENTRY, 7)]
        got = await signals_on(env, len(expected), timeout_s=60, idle_s=3.0)
    finally:
        w.stop()
    assert_same(got, expected)


async def test_a_held_event_survives_a_restart(isolated_env):
    env = isolated_env
    await create_topics(env)
    await publish_specs(env, SPECS)
    first = start_runner(env, "first", **SETTINGS)
    try:
        await publish_events(env, [DRAIN])
        await no_signals_for(env, 4.0)
    finally:
        first.stop()  # a clean stop commits every acknowledged offset: the held drain is not one
    assert all(off <= 0 for off in (await committed(env, "onchain")).values())
    await publish_events(env, [FUNDING])
    await publish_events(env, [LATER])
    expected = await expected_signals(env, SPECS, ["funding", "onchain", "price"])
    assert [(s.side, s.intent) for s in expected] == [(Side.SHORT, Intent.ENTRY)]
    second = start_runner(env, "second", **SETTINGS)
    try:
        got = await signals_on(env, len(expected), timeout_s=60, idle_s=3.0)
    finally:
        second.stop()
    assert_same(got, expected)


async def test_without_a_window_the_late_funding_turns_the_short_into_a_blocking_sell(isolated_env):
    """Today's behaviour (window 0, the live default), documented: arrival order decides."""
    env = isolated_env
    await create_topics(env)
    await publish_specs(env, SPECS)
    w = start_runner(env, MEMESNIPE_KAFKA__BATCH_WITHIN_S="0.1")
    try:
        await publish_events(env, [DRAIN])
        first = await signals_on(env, 1, timeout_s=60, idle_s=0.0)
        await publish_events(env, [FUNDING])
        await publish_events(env, [LATER])
        await asyncio.sleep(2.0)
        got = await signals_on(env, 1, timeout_s=30, idle_s=2.0)
    finally:
        w.stop()
    assert got == first
    [sig] = got
    assert (sig.side, sig.intent, sig.block_entries, sig.perp_market_index) == (
        Side.SELL,
        Intent.EXIT,
        True,
        None,
    )
    assert NO_PERP_REASON in sig.reason
    expected = await expected_signals(env, SPECS, ["funding", "onchain", "price"])
    assert [(s.side, s.perp_market_index) for s in expected] == [(Side.SHORT, 7)]


async def test_all_eleven_families_in_small_batches_give_the_in_process_signals(isolated_env):
    """Small batches split same-period events of different topics (without a window, multi-topic
    families could then differ); the window restores the in-process order."""
    env = isolated_env
    await create_topics(env)
    specs = default_specs()
    await publish_specs(env, specs)
    events = list(itertools.islice(MarketSimulator(3, 8, T0, 5.0).events(), 20_000))
    await publish_events(env, events)
    expected = await expected_signals(env, specs, list(MARKET_EVENT_TYPES))
    assert len({s.family for s in expected}) >= 6 and "follow_wallets" in {s.family for s in expected}
    w = start_runner(
        env,
        MEMESNIPE_KAFKA__BATCH_SIZE="50",
        MEMESNIPE_KAFKA__BATCH_WITHIN_S="0.05",
        MEMESNIPE_KAFKA__REORDER_WINDOW_S="1800",
    )
    try:
        got = await signals_on(env, len(expected))
    finally:
        w.stop()
    assert_same(got, expected)
    assert "reorder window late events" not in w.output()


async def test_a_worker_killed_with_held_events_resumes_exactly(isolated_env):
    """SIGKILL while the window holds events: nothing held was committed, so the restarted
    worker re-reads it and ends with exactly the in-process signals."""
    env = isolated_env
    await create_topics(env)
    specs = [
        StrategySpec(instance_id="mom", family="momentum_5m", params={"cooldown_s": 0}),
        StrategySpec(instance_id="mr", family="mean_revert_1h", params={"min_samples": 20}),
    ]
    await publish_specs(env, specs)
    mints = [f"MintHeld{i:02d}" for i in range(6)]
    streams = [pump(m, T0, n=220, pump_at=100 + 15 * i) for i, m in enumerate(mints)]
    await publish_events(env, [e for st in streams for e in st[:140]])
    window = {
        "MEMESNIPE_KAFKA__BATCH_SIZE": "20",
        "MEMESNIPE_KAFKA__BATCH_WITHIN_S": "0.4",  # idle flush after 10 s: not before the kill
        "MEMESNIPE_KAFKA__REORDER_WINDOW_S": "900",  # the last 30 events of each mint are held
    }
    first = start_runner(env, "first", **window)
    try:
        # killed once it has applied what the window passed (a kill before its group join
        # completed would only make the restart wait for the broker's rebalance timeout)
        await signals_on(env, 1, timeout_s=60, idle_s=0.0)
        await asyncio.sleep(1.0)
    finally:
        first.kill()
    await publish_events(env, [e for st in streams for e in st[140:]])
    expected = await expected_signals(env, specs, ["price"])
    second = start_runner(env, "second", **window)
    try:
        # idle > the idle flush (10 s): the held tail comes out only then
        got = await signals_on(env, len(expected), timeout_s=180, idle_s=20.0)
    finally:
        second.stop()
    unique: dict[str, Any] = {}
    for s in got:
        assert unique.setdefault(s.signal_id, s) == s
    assert_same(list(unique.values()), expected)
