"""The stage mechanism on the real broker: a rebalance in the middle of a batch of the risk gate
(a stage with state). The worker that lost partitions while the batch ran must not write their
state: the new owner has applied later signals meanwhile, and a stale write from the old owner
would be the changelog's last word for those mints (a split-brain write), rolling their state
back for every later restore."""

from __future__ import annotations

import asyncio

import pytest

from memesnipe.streams.codec import decode, encode
from memesnipe.streams.trading import Order, OrderRejection, Signal
from memesnipe.tables.risk import decode_state
from tests.agents import riskmsgs as m
from tests.support.kafka import IsolatedEnv, Process, consume, create_topics, free_port, produce

pytestmark = pytest.mark.integration

MINTS = [f"Mint{i}pump" for i in range(8)]


def start(env: IsolatedEnv, name: str, module: str, extra: dict[str, str]) -> Process:
    e = env.env
    e.update(extra)
    e["MEMESNIPE_WEB_PORT"] = str(free_port())
    p = Process([module], e, env.data_dir / f"{name}.log")
    p.wait_for("risk gate ready", timeout_s=120)
    p.wait_for("Ready", timeout_s=120)
    return p


async def decided(env: IsolatedEnv, n: int) -> set[str]:
    """Signal ids with a decision (order or rejection), once at least ``n`` or the timeout."""
    got: set[str] = set()
    for _ in range(30):
        o = await consume(env.bootstrap, env.topic("orders"), timeout_s=10, idle_s=0.5)
        r = await consume(env.bootstrap, env.topic("rejections"), timeout_s=10, idle_s=0.5)
        got = {decode(x.value, Order).signal_id for x in o} | {
            decode(x.value, OrderRejection).signal_id for x in r
        }
        if len(got) >= n:
            break
        await asyncio.sleep(1.0)
    return got


async def test_a_rebalance_mid_batch_leaves_the_new_owners_state_as_the_changelogs_last_word(
    isolated_env: IsolatedEnv,
) -> None:
    env = isolated_env
    await create_topics(env)
    only = {"MEMESNIPE_TEST_ONLY": "memesnipe.agents.risk_gate"}
    # the first signals wait on the topic, so w1's first batch holds every mint (and pauses only
    # on a batch that does): the partitions the rebalance hands to w2 are then in the paused batch
    first = [m.signal(f"a{i}", x, t=1) for i, x in enumerate(MINTS)]
    await produce(env.bootstrap, env.topic("signals"), [(s.mint.encode(), encode(s)) for s in first])
    pause = {"MEMESNIPE_TEST_PAUSE_DIR": str(env.data_dir), "MEMESNIPE_TEST_PAUSE_MIN_KEYS": str(len(MINTS))}
    w1 = start(env, "w1", "tests.agents.stage_pause_worker", pause)
    w2 = None
    try:
        w1.wait_for("stage paused mid-batch", timeout_s=60)  # the batch is in, its state not written
        w2 = start(env, "w2", "tests.agents.risk_worker", only)  # the rebalance: w1 loses partitions
        second = [m.signal(f"b{i}", x, t=2) for i, x in enumerate(MINTS)]
        await produce(env.bootstrap, env.topic("signals"), [(s.mint.encode(), encode(s)) for s in second])
        got = await decided(env, 1)
        while True:  # w2 has decided the second signals of its mints (w1 is still paused)
            await asyncio.sleep(3.0)
            more = await decided(env, len(got) + 1)
            if more == got:
                break
            got = more
        assert {s for s in got if s.startswith("b")}, "the new owner decided nothing"
        (env.data_dir / "resume").touch()
        w1.wait_for("stage resumed", timeout_s=120)
        got = await decided(env, 2 * len(MINTS))
        assert got == {s.signal_id for s in first + second}
        await asyncio.sleep(3.0)  # w1's write of the paused batch, if any, has reached the broker
    finally:
        w1.stop()
        if w2 is not None:
            w2.stop()
    signals = await consume(env.bootstrap, env.topic("signals"), min_count=16, timeout_s=30, idle_s=0.5)
    last_signal = {}
    for rec in signals:
        s = decode(rec.value, Signal)
        last_signal[s.mint] = max(last_signal.get(s.mint, -1), rec.offset)
    log = await consume(
        env.bootstrap, f"{env.app_id}-risk_mint-changelog", min_count=len(MINTS), timeout_s=30, idle_s=1.0
    )
    last = {}
    for rec in log:  # per partition in offset order: the last record per key is what restores
        last[rec.key.decode()] = decode_state(rec.value)
    assert set(last) == set(MINTS)
    stale = [x for x in MINTS if not last[x].already_applied("signals", last_signal[x])]
    assert stale == [], f"the changelog's last state of {stale} misses their second signal"
    assert "partitions no longer assigned" in w1.output()
