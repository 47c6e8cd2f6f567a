"""Every risk rule rejects on the real broker, with its rule and reason on the rejections topic
(and a malformed signal goes to the dead-letter topic with the reason)."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from memesnipe.streams.codec import decode, encode
from memesnipe.streams.trading import Intent, Order, OrderRejection, Side, Signal
from tests.agents import riskmsgs as m
from tests.support.kafka import IsolatedEnv, Process, consume, create_topics, free_port, produce

pytestmark = pytest.mark.integration

GATE_ONLY = {"MEMESNIPE_TEST_ONLY": "memesnipe.agents.risk_gate"}


def start(env: IsolatedEnv, name: str) -> Process:
    e = env.env
    e["MEMESNIPE_WEB_PORT"] = str(free_port())
    p = Process(["tests.agents.risk_worker"], e, env.data_dir / f"{name}.log")
    p.wait_for("risk gate ready", timeout_s=120)
    p.wait_for("Ready", timeout_s=120)
    return p


async def send(env: IsolatedEnv, name: str, msgs: list) -> None:
    await produce(env.bootstrap, env.topic(name), [(x.mint.encode(), encode(x)) for x in msgs])


async def outputs(env: IsolatedEnv, n_orders: int, n_rej: int) -> tuple[list[Order], list[OrderRejection]]:
    o = await consume(env.bootstrap, env.topic("orders"), min_count=n_orders, timeout_s=60, idle_s=1.5)
    r = await consume(env.bootstrap, env.topic("rejections"), min_count=n_rej, timeout_s=60, idle_s=1.0)
    return [decode(x.value, Order) for x in o], [decode(x.value, OrderRejection) for x in r]


async def test_every_rule_rejects_with_its_reason_on_the_rejections_topic(isolated_env: IsolatedEnv) -> None:
    env = isolated_env
    env.extra.update(
        {
            **GATE_ONLY,
            "MEMESNIPE_RISK__MAX_TOKEN_LAMPORTS": "150000000",  # 0.15 SOL
            "MEMESNIPE_RISK__MAX_STRATEGY_LAMPORTS": "250000000",  # 0.25 SOL
        }
    )
    await create_topics(env)
    await produce(
        env.bootstrap,
        env.topic("allocations"),
        [
            (b"inst-big", encode(m.allocation("inst-big", 0.5))),
            (b"inst-zero", encode(m.allocation("inst-zero", 0.0))),
        ],
    )
    good = [
        "Mbad",
        "Mperp",
        "Mblk",
        "Mzero",
        "Mmin",
        "Mbig",
        "Mstale",
        "Mthin",
        "Mnopos",
        "Mws",
        "Mexp",
        "Mtok",
        "Ms1",
        "Ms2",
        "Ms3",
    ]
    facts = [m.safe(x) for x in [*good, "Mnod"]] + [
        m.safe("Mauth", mint_authority_live=True),
        m.safe("Mfrz", freeze_authority_live=True),
        m.safe("Mlp", lp_locked_pct=50.0),
        m.safe("Mtop", top10_holder_pct=80.0),
    ]
    depths = [m.depth(x) for x in good if x != "Mthin"] + [m.depth("Mthin", 100.0)]
    depths += [m.depth(x) for x in ("Mauth", "Mfrz", "Mlp", "Mtop", "Munk")]
    w = start(env, "w1")
    try:
        await send(env, "onchain", facts)
        await send(env, "depth", depths)
        await send(env, "positions", [m.position("Mws", 1000), m.position("Mexp", 1000)])
        await asyncio.sleep(2.0)
        bad = Signal(
            signal_id="bad",
            instance_id="inst-a",
            family="f",
            mint="Mbad",
            ts=m.at(10),
            side=Side.SELL,
            intent=Intent.ENTRY,
            strength=1.0,
            reason="t",
        )
        sigs = [
            bad,
            m.signal("perp", "Mperp", instance="i-perp", side=Side.SHORT, t=10),
            m.signal("blk", "Mblk", instance="i-blk", block=True, t=10),
            m.signal("auth", "Mauth", instance="i-auth", t=10),
            m.signal("frz", "Mfrz", instance="i-frz", t=10),
            m.signal("lp", "Mlp", instance="i-lp", t=10),
            m.signal("top", "Mtop", instance="i-top", t=10),
            m.signal("unk", "Munk", instance="i-unk", t=10),
            m.signal("zero", "Mzero", instance="inst-zero", t=10),
            m.signal("min", "Mmin", instance="i-min", strength=0.05, t=10),
            m.signal("big", "Mbig", instance="inst-big", t=10),
            m.signal("nod", "Mnod", instance="i-nod", t=10),
            m.signal("stale", "Mstale", instance="i-stale", t=700),
            m.signal("thin", "Mthin", instance="i-thin", t=10),
            m.signal("nopos", "Mnopos", side=Side.SELL, t=10),
            m.signal("ws", "Mws", side=Side.COVER, perp=1, t=10),
            m.signal("x1", "Mexp", side=Side.SELL, t=10),
            m.signal("x2", "Mexp", side=Side.SELL, t=11),
            m.signal("tok1", "Mtok", instance="inst-t", t=10),
            m.signal("tok2", "Mtok", instance="inst-t", t=11),
            m.signal("s1", "Ms1", instance="inst-s", t=10),
            m.signal("s2", "Ms2", instance="inst-s", t=10),
            m.signal("s3", "Ms3", instance="inst-s", t=10),
        ]
        await send(env, "signals", sigs)
        await produce(env.bootstrap, env.topic("signals"), [(b"Mbad", b'{"signal_id": 1}')])
        orders, rej = await outputs(env, 4, 19)
    finally:
        w.stop()
    by_rule = Counter(r.rule for r in rej)
    assert by_rule == {
        "bad_signal": 1,
        "no_perp_market": 1,
        "mint_blocked": 1,
        "mint_authority": 1,
        "freeze_authority": 1,
        "lp_unlocked": 1,
        "holder_concentration": 1,
        "safety_unknown": 1,
        "no_allocation": 1,
        "min_order": 1,
        "order_cap": 1,
        "no_depth": 1,
        "stale_depth": 1,
        "liquidity_cap": 1,
        "no_position": 1,
        "wrong_side": 1,
        "exit_pending": 1,
        "token_cap": 1,
        "strategy_cap": 1,
    }, [(o.signal_id, o.side, o.amount_in) for o in orders]
    reasons = {r.signal_id: (r.rule, r.reason) for r in rej}
    assert reasons["tok2"][0] == "token_cap" and "> cap 0.1500 SOL" in reasons["tok2"][1]
    assert reasons["x2"][0] == "exit_pending"
    assert reasons["big"] == ("order_cap", "order 2.5000 SOL > per-order cap 2.0000 SOL")
    assert all(r.reason for r in rej)
    assert sorted((o.signal_id, o.amount_in) for o in orders if o.instance_id != "inst-s") == [
        ("tok1", 100_000_000),
        ("x1", 1000),
    ]
    assert sum(o.instance_id == "inst-s" for o in orders) == 2  # the third breached the strategy cap
    dl = await consume(env.bootstrap, env.topic("deadletter"), min_count=1, timeout_s=30)
    assert any(b"Signal" in d.value and b"signal_id" in d.value for d in dl)


async def test_global_open_position_and_order_rate_limits(isolated_env: IsolatedEnv) -> None:
    env = isolated_env
    env.extra.update(
        {
            **GATE_ONLY,
            "MEMESNIPE_RISK__MAX_OPEN_POSITIONS": "3",
            "MEMESNIPE_RISK__MAX_ORDERS_PER_MIN": "2",
            "MEMESNIPE_RISK__PENDING_TTL_S": "12",
        }
    )
    await create_topics(env)
    mints = ["Mo1", "Mo2", "Mo3", "Mo4", "Mr1", "Mr2", "Mr3"]
    w = start(env, "w1")
    try:
        await send(env, "onchain", [m.safe(x) for x in mints])
        await send(env, "depth", [m.depth(x, t=1000 if x.startswith("Mr") else 0) for x in mints])
        await asyncio.sleep(2.0)
        # two entries at t=10 (rate window then holds 2), two more at t=100 (window (40, 100] is
        # empty again): the 4th open position is one too many
        await send(
            env,
            "signals",
            [m.signal("o1", "Mo1", instance="i1", t=10), m.signal("o2", "Mo2", instance="i2", t=10)],
        )
        await outputs(env, 2, 0)
        await send(
            env,
            "signals",
            [m.signal("o3", "Mo3", instance="i3", t=100), m.signal("o4", "Mo4", instance="i4", t=100)],
        )
        orders, rej = await outputs(env, 3, 1)
        assert [r.rule for r in rej] == ["max_open_positions"] and len(orders) == 3
        # the earlier orders never filled: after the pending TTL (12 s of wall clock) they stop
        # counting, so no positions are open; three entries within one minute of event time:
        # the third breaches the rate of 2 per minute
        await asyncio.sleep(12.5)
        await send(env, "signals", [m.signal(f"r{i}", f"Mr{i}", instance=f"r{i}", t=1000) for i in (1, 2, 3)])
        orders, rej = await outputs(env, 5, 2)
    finally:
        w.stop()
    assert Counter(r.rule for r in rej) == {"max_open_positions": 1, "order_rate": 1}
    assert "2 orders in the last minute (max 2)" in next(r.reason for r in rej if r.rule == "order_rate")
    assert len(orders) == 5
