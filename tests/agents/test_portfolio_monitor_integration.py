"""Ledger -> portfolio monitor -> kill switch, and ledger -> allocator -> allocations, on the real
broker: a falling mark trips the drawdown kill switch exactly once; after a resume the monitor
re-arms from the equity at resume; the allocator publishes weights for every strategy."""

from __future__ import annotations

import asyncio

import pytest

from memesnipe.streams.base import utcnow
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.control import KillSwitch, StrategyAllocation, StrategySpec
from memesnipe.streams.market import PriceEvent
from tests.agents import riskmsgs as m
from tests.support.kafka import IsolatedEnv, Process, consume, create_topics, free_port, produce

pytestmark = pytest.mark.integration

M1 = "Mint1pump"
H = 3600


def start(env: IsolatedEnv, name: str) -> Process:
    e = env.env
    e["MEMESNIPE_WEB_PORT"] = str(free_port())
    p = Process(["tests.agents.risk_worker"], e, env.data_dir / f"{name}.log")
    p.wait_for("risk gate ready", timeout_s=120)
    return p


def price(sol_per_token: float, t: float) -> PriceEvent:
    return PriceEvent(mint=M1, ts=m.at(t), price_sol=sol_per_token, price_usd=sol_per_token * 150, decimals=6)


async def kills(env: IsolatedEnv, n: int) -> list[KillSwitch]:
    recs = await consume(env.bootstrap, env.topic("killswitch"), min_count=n, timeout_s=60, idle_s=2)
    return [decode(r.value, KillSwitch) for r in recs]


async def test_drawdown_trips_the_kill_switch_once_and_resume_rearms(isolated_env: IsolatedEnv) -> None:
    env = isolated_env
    env.extra.update(
        {
            "MEMESNIPE_RISK__CAPITAL_LAMPORTS": str(10 * 10**9),
            "MEMESNIPE_RISK__MAX_DRAWDOWN": "0.1",
            "MEMESNIPE_RISK__MARK_INTERVAL_S": "1",
            "MEMESNIPE_RISK__ALLOCATION_INTERVAL_S": "3600",
            # the ledger reads the positions the position manager books from the fills
            "MEMESNIPE_TEST_AGENTS": "memesnipe.agents.position_manager",
        }
    )
    await create_topics(env)
    spec = StrategySpec(instance_id="inst-new", family="momentum")
    await produce(env.bootstrap, env.topic("specs"), [(b"inst-new", encode(spec))])
    w = start(env, "w1")
    try:
        bs, t = env.bootstrap, env.topic
        # inst-a buys 1 token (6 decimals) for 2 SOL: 2 SOL per token
        f = m.fill("o1", M1, qty=1_000_000, notional=2 * 10**9, t=0)
        await produce(bs, t("fills"), [(M1.encode(), encode(f))])
        # -0.5 SOL (dd 5%), then -1.1 SOL (dd 11% >= 10%: trip), then lower still (no second trip);
        # one at a time, each once the position manager has published the position it moved (it
        # publishes a position once per batch, its latest state)
        for n, (p, s) in enumerate([(1.5, 10), (0.9, H + 10), (0.8, 2 * H + 10)], start=1):
            await consume(bs, t("positions"), min_count=n, timeout_s=90, idle_s=0.5)
            await produce(bs, t("price"), [(M1.encode(), encode(price(p, s)))])
        got = await kills(env, 1)
        assert len(got) == 1
        k = got[0]
        assert k.active and k.by == "portfolio_monitor" and not k.flatten
        assert k.drawdown == pytest.approx(0.11)
        assert "drawdown 11.00% >= 10.00%" in k.reason

        # allocations: inst-a has returns now, inst-new (spec only) explores
        allocs = {
            a.instance_id: a
            for a in (
                decode(r.value, StrategyAllocation)
                for r in await consume(bs, t("allocations"), min_count=2, timeout_s=60)
            )
        }
        assert allocs["inst-new"].weight == pytest.approx(0.02) and allocs["inst-new"].reason.startswith(
            "exploring"
        )
        assert allocs["inst-a"].samples >= 1 and 0 <= allocs["inst-a"].weight <= 0.25

        # resume at equity 8.8 SOL: the next trip needs 10% below 8.8 SOL (7.92), not 10% below 10
        await produce(
            bs,
            t("killswitch"),
            [(b"global", encode(KillSwitch(active=False, ts=utcnow(), by="ops", reason="reviewed")))],
        )
        await asyncio.sleep(1.0)
        await produce(bs, t("price"), [(M1.encode(), encode(price(0.7, 3 * H + 10)))])  # 8.7 SOL: dd 1.1%
        await asyncio.sleep(3.0)
        assert len(await kills(env, 2)) == 2  # the trip and the resume only
        # buy 4 more at 0.7; at 0.45 equity is 5.2 + 5 x 0.45 = 7.45 SOL: 15.3% below the
        # 8.8 SOL at resume -> the re-armed monitor trips again
        more = m.fill("o2", M1, qty=4_000_000, notional=2_800_000_000, t=3 * H + 40)
        await produce(bs, t("fills"), [(M1.encode(), encode(more))])
        await asyncio.sleep(1.5)
        await produce(bs, t("price"), [(M1.encode(), encode(price(-1.0, 3 * H + 50)))])  # bad: ignored
        await produce(bs, t("price"), [(M1.encode(), encode(price(0.45, 4 * H + 10)))])
        got = await kills(env, 3)
        assert [(k.active, k.by) for k in got] == [
            (True, "portfolio_monitor"),
            (False, "ops"),
            (True, "portfolio_monitor"),
        ]
        assert got[2].drawdown == pytest.approx((8.8 - 7.45) / 8.8)
    finally:
        w.stop()
