"""The strategy runner on the real broker: the same signals as in-process, exact recovery after
a crash, specs taking effect at runtime, and bad input dead-lettered without stopping anything.

Expected signals are computed in-process from the records as they sit on the broker (real
topic, partition and offset), so even their ids must match the worker's.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from memesnipe.cli.topics import wait_for_leaders
from memesnipe.connectors.simulator.model import MarketSimulator
from memesnipe.core.strategies import InProcessRunner, engine_for
from memesnipe.core.strategies.defaults import default_specs
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.control import StrategySpec
from memesnipe.streams.deadletter import DeadLetter
from memesnipe.streams.market import MARKET_EVENT_TYPES, MarketEvent, PriceEvent
from memesnipe.streams.trading import Signal
from tests.support.kafka import IsolatedEnv, Process, consume, create_topics, free_port, produce

pytestmark = pytest.mark.integration

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)


def start_runner(env: IsolatedEnv, name: str = "runner", **settings: str) -> Process:
    """A worker running only the strategy runner agent (other stages have their own tests)."""
    e = env.env
    e["MEMESNIPE_WEB_PORT"] = str(free_port())
    e.update(settings)
    p = Process(
        ["tests.agents.test_strategy_runner_worker", "worker", "-l", "info", "--without-web"],
        e,
        env.data_dir / f"{name}.log",
    )
    try:
        p.wait_for("strategy registry ready", timeout_s=90)
    except BaseException:
        p.kill()
        raise
    return p


def pump(mint: str, start: datetime, n: int = 160, pump_at: int = 130) -> list[PriceEvent]:
    """Flat price on steady volume, then +20 % over three minutes on 5x volume (momentum fires),
    then back down (it exits)."""
    out = []
    for i in range(n):
        up = pump_at <= i < pump_at + 15
        px = 1.0 + 0.2 * min(1.0, (i - pump_at + 1) / 6) if up else 1.0 + 0.001 * (i % 3)
        vol = 25_000.0 if up else 5_000.0
        ts = start + timedelta(seconds=30 * i)
        out.append(PriceEvent(mint=mint, ts=ts, price_usd=px, price_sol=px / 150, volume_usd_5m=vol))
    return out


async def publish_events(env: IsolatedEnv, events: list[MarketEvent]) -> None:
    by_topic: dict[str, list[tuple[bytes, bytes]]] = {}
    for ev in events:
        tag = str(type(ev).__struct_config__.tag)
        by_topic.setdefault(tag, []).append((ev.mint.encode(), encode(ev)))
    for tag, records in by_topic.items():
        await produce(env.bootstrap, env.topic(tag), records)


async def publish_specs(env: IsolatedEnv, specs: list[StrategySpec]) -> None:
    await produce(env.bootstrap, env.topic("specs"), [(s.instance_id.encode(), encode(s)) for s in specs])


async def expected_signals(env: IsolatedEnv, specs: list[StrategySpec], shorts: list[str]) -> list[Signal]:
    """Run the engine in-process over the records as stored on the broker."""
    items: list[Any] = []
    for short in shorts:
        dec = msgspec.json.Decoder(MARKET_EVENT_TYPES[short])
        for r in await consume(env.bootstrap, env.topic(short), idle_s=1.0):
            try:
                ev = dec.decode(r.value)
            except msgspec.DecodeError:
                continue
            items.append((ev.ts.timestamp(), r.topic, r.partition, r.offset, ev, None))
    return InProcessRunner(engine_for(specs)).run(items)


def content(s: Signal) -> tuple:
    d = msgspec.to_builtins(s)
    d.pop("signal_id")
    return tuple(sorted((k, repr(v)) for k, v in d.items()))


def by_mint(signals: list[Signal], with_ids: bool = False) -> dict[str, list]:
    out: dict[str, list] = {}
    for s in signals:
        out.setdefault(s.mint, []).append((s.signal_id, content(s)) if with_ids else content(s))
    return out


def assert_same(got: list[Signal], expected: list[Signal]) -> None:
    """Per mint, the same signals in the same order, ids included; prints the first difference."""
    g, e = by_mint(got, with_ids=True), by_mint(expected, with_ids=True)
    for m in sorted(set(g) | set(e)):
        gs, es = g.get(m, []), e.get(m, [])
        if gs != es:
            print("mint", m, "got", len(gs), "expected", len(es))
            for x in gs:
                print("  got", x[0], dict(x[1])["reason"])
            for x in es:
                print("  exp", x[0], dict(x[1])["reason"])
    assert g == e


async def signals_on(
    env: IsolatedEnv, min_count: int, timeout_s: float = 90, idle_s: float = 3.0
) -> list[Signal]:
    recs = await consume(
        env.bootstrap, env.topic("signals"), min_count=min_count, timeout_s=timeout_s, idle_s=idle_s
    )
    sigs = [decode(r.value, Signal) for r in recs]
    assert all(r.key == s.mint.encode() for r, s in zip(recs, sigs, strict=True)), "signals are keyed by mint"
    return sigs


async def test_all_eleven_families_on_kafka_give_the_in_process_signals(isolated_env):
    await create_topics(isolated_env)
    specs = default_specs()
    await publish_specs(isolated_env, specs)
    sim = MarketSimulator(3, 8, T0, 5.0)
    events = list(itertools.islice(sim.events(), 20_000))
    await publish_events(isolated_env, events)
    expected = await expected_signals(isolated_env, specs, list(MARKET_EVENT_TYPES))
    assert len({s.family for s in expected}) >= 6, "the stream must exercise most families"
    assert {"follow_wallets"} <= {s.family for s in expected}, "the followed wallets' swaps are copied"
    # everything in one batch, so cross-topic order is event-time order as in-process
    w = start_runner(
        isolated_env,
        MEMESNIPE_KAFKA__BATCH_SIZE="100000",
        MEMESNIPE_KAFKA__BATCH_WITHIN_S="15",
        MEMESNIPE_KAFKA__LATENCY_WITHIN_S="15",  # the runner's own wait (a latency-path stage)
    )
    try:
        got = await signals_on(isolated_env, len(expected))
    finally:
        w.stop()
    assert_same(got, expected)


async def test_worker_killed_mid_stream_resumes_with_the_same_state(isolated_env):
    await create_topics(isolated_env)
    specs = [
        StrategySpec(instance_id="mom", family="momentum_5m", params={"cooldown_s": 0}),
        StrategySpec(instance_id="mr", family="mean_revert_1h", params={"min_samples": 20}),
    ]
    await publish_specs(isolated_env, specs)
    mints = [f"MintRestart{i:02d}" for i in range(6)]
    streams = [pump(m, T0, n=220, pump_at=100 + 15 * i) for i, m in enumerate(mints)]
    # first half: every mint's first 140 events (pumps of later mints straddle the crash)
    await publish_events(isolated_env, [e for st in streams for e in st[:140]])
    before = await expected_signals(isolated_env, specs, ["price"])
    assert before
    small = {"MEMESNIPE_KAFKA__BATCH_SIZE": "20", "MEMESNIPE_KAFKA__BATCH_WITHIN_S": "0.05"}
    first = start_runner(isolated_env, "first", **small)
    try:
        await signals_on(isolated_env, min_count=len(before), timeout_s=60, idle_s=0.0)
    finally:
        first.kill()  # SIGKILL right after its last signal: offsets not yet committed, windows half full
    await publish_events(isolated_env, [e for st in streams for e in st[140:]])
    expected = await expected_signals(isolated_env, specs, ["price"])
    assert len(expected) > len(before) + len(mints)
    second = start_runner(isolated_env, "second", **small)
    try:
        got = await signals_on(isolated_env, len(expected), idle_s=4.0)
    finally:
        second.stop()
    # at-least-once on the wire, exactly-once in content: a re-sent signal has the same id and body
    unique: dict[str, Signal] = {}
    for s in got:
        assert unique.setdefault(s.signal_id, s) == s
    assert_same(list(unique.values()), expected)
    assert "Seek stream partitions" in second.output() or "Recovery" in second.output()


async def test_a_worker_with_state_but_no_committed_offsets_applies_every_input(isolated_env):
    """Table state to restore and no committed offsets (a crash before the first commit): Faust's
    recovery lost fetched records for good there (memesnipe.kafka_internals.recovery): it resumed the
    streams, awaited the seek, then cleared every stream queue; and its fetcher drops records of
    partitions it counts as paused after aiokafka has moved past them, which only a seek to a
    committed offset would undo. A seek slowed by 1.5 s makes the first window certain (with
    Faust's order, ``TEST_FAUST_RECOVERY_ORDER=1``, this test loses every signal); the second
    opens in about half the runs. Every input must be applied exactly once."""
    await create_topics(isolated_env)
    specs = [StrategySpec(instance_id="mom", family="momentum_5m", params={"cooldown_s": 0})]
    await publish_specs(isolated_env, specs)
    changelog = f"{isolated_env.app_id}-strategy_state-changelog"
    admin = AIOKafkaAdminClient(bootstrap_servers=isolated_env.bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(changelog, isolated_env.partitions, 1, topic_configs={"cleanup.policy": "compact"})]
        )
        await wait_for_leaders(admin, [changelog])
    finally:
        await admin.close()
    await produce(isolated_env.bootstrap, changelog, [(b"other|MintElsewhere", b"{}")])
    mints = [f"MintSeek{i:02d}" for i in range(4)]
    await publish_events(
        isolated_env, [e for i, m in enumerate(mints) for e in pump(m, T0, pump_at=100 + 10 * i)]
    )
    expected = await expected_signals(isolated_env, specs, ["price"])
    assert len({s.mint for s in expected}) == len(mints)
    w = start_runner(isolated_env, TEST_SEEK_DELAY_S="1.5", MEMESNIPE_KAFKA__BATCH_WITHIN_S="0.1")
    try:
        got = await signals_on(isolated_env, len(expected), timeout_s=45)
    finally:
        w.stop()
    assert "Restoring state from changelog topics" in w.output()  # the path with the window
    assert_same(got, expected)


async def test_specs_take_effect_at_runtime_and_bad_input_is_dead_lettered(isolated_env):
    await create_topics(isolated_env)
    keep = StrategySpec(instance_id="keep", family="momentum_5m", params={"cooldown_s": 0})
    await publish_specs(isolated_env, [keep])
    w = start_runner(isolated_env, MEMESNIPE_KAFKA__BATCH_WITHIN_S="0.1")
    try:
        # hot add: a new instance starts without a restart
        hot = StrategySpec(
            instance_id="hot", family="momentum_5m", params={"cooldown_s": 0, "volume_mult": 3.0}
        )
        await publish_specs(isolated_env, [hot])
        await asyncio.to_thread(w.wait_for, "strategy hot added", 30)
        await produce(isolated_env.bootstrap, isolated_env.topic("price"), [(b"MintHotA", b"{not json")])
        await publish_events(isolated_env, pump("MintHotA", T0))
        sigs = await signals_on(isolated_env, min_count=4)
        assert {(s.instance_id, s.mint) for s in sigs} == {("keep", "MintHotA"), ("hot", "MintHotA")}

        # hot disable of one instance, and a bad spec for the other: refused, keeps running as it was
        off = StrategySpec(instance_id="hot", family="momentum_5m", enabled=False)
        bad = StrategySpec(instance_id="keep", family="momentum_5m", params={"min_return": -1})
        await publish_specs(isolated_env, [off, bad])
        await asyncio.to_thread(w.wait_for, "strategy hot disabled", 30)
        await asyncio.to_thread(w.wait_for, "strategy spec keep", 30)
        await publish_events(isolated_env, pump("MintHotB", T0 + timedelta(days=1)))
        sigs = await signals_on(isolated_env, min_count=len(sigs) + 2)
        on_b = [s for s in sigs if s.mint == "MintHotB"]
        assert {s.instance_id for s in on_b} == {"keep"} and len(on_b) >= 2

        # the refused spec changed nothing: same pump shape, same signals as on the first mint
        def shape(mint: str) -> list[tuple]:
            return [
                (s.side, s.intent, s.strength, s.reason)
                for s in sigs
                if s.mint == mint and s.instance_id == "keep"
            ]

        assert shape("MintHotB") == shape("MintHotA")

        letters = [
            decode(r.value, DeadLetter)
            for r in await consume(
                isolated_env.bootstrap,
                isolated_env.topic("deadletter"),
                min_count=2,
                timeout_s=30,
                idle_s=1.0,
            )
        ]
        reasons = {(d.topic.rsplit(".", 1)[-1], d.reason) for d in letters}
        assert any(t == "price" and r.startswith("PriceEvent: ") for t, r in reasons), reasons
        assert any(t == "specs" and "min_return" in r for t, r in reasons), reasons
        assert sum(1 for t, _ in reasons if t == "specs") == 1, "one dead letter per bad spec"
    finally:
        w.stop()


async def test_factory_publishes_defaults_once_and_never_undoes_a_runtime_change(isolated_env):
    from memesnipe.cli.strategies import publish_default_specs_async, publish_specs, read_specs

    await create_topics(isolated_env, ["specs"])
    settings = isolated_env.settings()
    first = await publish_default_specs_async(isolated_env.bootstrap, settings)
    assert sorted(s.family for s in first) == sorted(s.family for s in default_specs())
    tuned = StrategySpec(instance_id="momentum_5m.default", family="momentum_5m", params={"min_return": 0.2})
    await publish_specs(isolated_env.bootstrap, settings, [tuned])
    again = await publish_default_specs_async(isolated_env.bootstrap, settings)
    assert again == []  # every instance already has a spec: nothing re-published
    registry = await read_specs(isolated_env.bootstrap, settings)
    assert len(registry) == 11 and registry["momentum_5m.default"].params == {"min_return": 0.2}
