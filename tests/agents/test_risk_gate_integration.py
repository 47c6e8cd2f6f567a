"""Risk gate on the real broker: sized orders, the kill switch (entries stop, exits pass,
resume restores), rejections with their rule on the rejections topic, replay idempotency."""

from __future__ import annotations

import asyncio

import pytest

from memesnipe.core.ids import order_id
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.trading import Order, OrderRejection, Side, Venue
from tests.agents import riskmsgs as m
from tests.support.kafka import IsolatedEnv, Process, consume, create_topics, free_port, produce

pytestmark = pytest.mark.integration

M1, M2, M3 = "Mint1pump", "Mint2pump", "Mint3pump"
FULL = 100 * 10**9 * 0.02 * 0.05  # capital x exploration weight x entry fraction = 0.1 SOL


def start(env: IsolatedEnv, name: str) -> Process:
    e = env.env
    e["MEMESNIPE_WEB_PORT"] = str(free_port())
    p = Process(["tests.agents.risk_worker"], e, env.data_dir / f"{name}.log")
    p.wait_for("risk gate ready", timeout_s=120)
    p.wait_for("Ready", timeout_s=120)  # partitions assigned: facts sent next are read first
    return p


async def send(env: IsolatedEnv, name: str, msgs: list, key: bytes | None = None) -> None:
    await produce(env.bootstrap, env.topic(name), [(key or x.mint.encode(), encode(x)) for x in msgs])


async def orders_and_rejections(env: IsolatedEnv, n_orders: int, n_rej: int) -> tuple[list, list]:
    o = await consume(env.bootstrap, env.topic("orders"), min_count=n_orders, timeout_s=60, idle_s=1.5)
    r = await consume(env.bootstrap, env.topic("rejections"), min_count=n_rej, timeout_s=60, idle_s=0.5)
    return [decode(x.value, Order) for x in o], [decode(x.value, OrderRejection) for x in r]


async def test_kill_switch_blocks_entries_allows_exits_and_resume_restores(isolated_env: IsolatedEnv) -> None:
    env = isolated_env
    await create_topics(env)
    w = start(env, "w1")
    try:
        await send(env, "onchain", [m.safe(M1), m.safe(M2)])
        await send(env, "depth", [m.depth(M1), m.depth(M2)])
        await asyncio.sleep(2.0)
        await send(env, "signals", [m.signal("s1", M1, t=1)])
        orders, rej = await orders_and_rejections(env, 1, 0)
        assert [(o.order_id, o.amount_in, o.venue) for o in orders] == [
            (order_id("inst-a", M1, "s1"), FULL, Venue.JUPITER)
        ]
        assert rej == []

        # the position manager reports the filled position; then the kill switch goes on
        await send(env, "positions", [m.position(M1, 1_000_000, t=2)])
        await send(
            env, "killswitch", [m.kill(True, by="portfolio_monitor", reason="drawdown 21%")], b"global"
        )
        await asyncio.sleep(1.5)
        await send(env, "signals", [m.signal("s2", M2, t=3), m.signal("s3", M1, side=Side.SELL, t=3)])
        orders, rej = await orders_and_rejections(env, 2, 1)
        assert [(o.signal_id, o.side, o.amount_in) for o in orders[1:]] == [("s3", Side.SELL, 1_000_000)]
        assert [(r.signal_id, r.rule) for r in rej] == [("s2", "kill_switch")]
        assert "drawdown 21%" in rej[0].reason

        # resume: entries flow again; a replayed signal gives no second order
        await send(env, "killswitch", [m.kill(False, by="ops", reason="reviewed")], b"global")
        await asyncio.sleep(1.5)
        await send(env, "signals", [m.signal("s4", M2, t=4), m.signal("s1", M1, t=1)])
        orders, rej = await orders_and_rejections(env, 3, 1)
        # M1 and M2 are on different partitions: the topic orders them only within a partition
        assert sorted(o.signal_id for o in orders) == ["s1", "s3", "s4"]
        assert len(rej) == 1
    finally:
        w.stop()


async def test_crash_and_replay_never_duplicate_an_order(isolated_env: IsolatedEnv) -> None:
    """SIGKILL the gate mid-stream (no clean commit), restart it, replay every signal: each
    signal still has exactly one decision and each order id appears once."""
    env = isolated_env
    env.extra["MEMESNIPE_TEST_ONLY"] = "memesnipe.agents.risk_gate"
    await create_topics(env)
    mints = [f"Mint{i}pump" for i in range(8)]
    sigs = [m.signal(f"s{i}", mints[i % 8], instance=f"i{i % 5}", strength=0.2, t=10 + i) for i in range(120)]
    w = start(env, "w1")
    try:
        await send(env, "onchain", [m.safe(x) for x in mints])
        await send(env, "depth", [m.depth(x) for x in mints])
        await asyncio.sleep(2.0)
        await send(env, "signals", sigs[:60])
        await consume(env.bootstrap, env.topic("orders"), min_count=1, timeout_s=60, idle_s=0.3)
    finally:
        w.kill()  # crash: offsets and table state may lag the outputs already sent
    w2 = start(env, "w2")
    try:
        await send(env, "signals", sigs)  # replay all, plus the 60 never seen
        orders, rej = await orders_and_rejections(env, 1, 0)
        for _ in range(20):
            if len({o.signal_id for o in orders} | {r.signal_id for r in rej}) >= len(sigs):
                break
            orders, rej = await orders_and_rejections(env, len(orders) + 1, 0)
    finally:
        w2.stop()
    ids = [o.order_id for o in orders]
    assert len(ids) == len(set(ids)), "an order id was emitted twice"
    decided = [o.signal_id for o in orders] + [r.signal_id for r in rej]
    assert sorted(set(decided)) == sorted(s.signal_id for s in sigs)
    assert len([d for d in decided if d in {o.signal_id for o in orders}]) == len(orders)
    assert all(o.order_id == order_id(o.instance_id, o.mint, o.signal_id) for o in orders)


async def test_with_the_reorder_window_a_signal_waits_for_its_partitions_depth_backlog(
    isolated_env: IsolatedEnv,
) -> None:
    """A replay's backlog: the signal is read before the depth that precedes it in event time. With
    the reorder window (replays) the gate holds the signal until the lagging depth topic-partition
    has delivered past the signal's time, so it is sized on the depth as of its time (the last,
    deep snapshot), not refused on the thin ones read first (or none)."""
    env = isolated_env
    env.extra["MEMESNIPE_KAFKA__REORDER_WINDOW_S"] = "1800"
    await create_topics(env)
    await send(env, "signals", [m.signal("s1", M1, t=100)])
    await send(env, "onchain", [m.safe(M1)])
    thin = [m.depth(M1, 1.0, t=i / 30) for i in range(3000)]  # 0 .. 99.97 s, far too thin to trade
    await send(env, "depth", [*thin, m.depth(M1, 1_000_000.0, t=99.99)])
    w = start(env, "w1")
    try:
        orders, rej = await orders_and_rejections(env, 1, 0)
    finally:
        w.stop()
    assert [(o.order_id, o.amount_in) for o in orders] == [(order_id("inst-a", M1, "s1"), FULL)]
    assert rej == []
