"""Drawdown kill switch end to end with the real signer: a losing position's marks drive the
portfolio monitor over the threshold; from then on no new entry is signed (the gate rejects
entry signals, and an entry order injected past the gate is refused downstream), exits are
still signed, and ``memesnipe resume`` restores trading."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from typing import Any

import pytest

from memesnipe.core.ids import order_id
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.control import KillSwitch
from memesnipe.streams.execution import ExecutionResult, ExecutionStatus
from memesnipe.streams.market import PriceEvent
from memesnipe.streams.trading import Fill, Intent, Order, OrderRejection, Side, Venue
from tests.agents import riskmsgs as m
from tests.support.kafka import REPO, IsolatedEnv, Process, consume, create_topics, produce, start_worker

pytestmark = pytest.mark.integration

M1, M2 = "Mint1pump", "Mint2pump"
H = 3600


def price(mint: str, sol_per_token: float, t: float) -> PriceEvent:
    return PriceEvent(
        mint=mint,
        ts=m.at(t),
        price_sol=sol_per_token,
        price_usd=sol_per_token * 150,
        decimals=6,
        liquidity_usd=5_000_000,
        volume_usd_5m=100_000,
    )


def signal(sid: str, mint: str, px: float, **kw: object) -> Any:
    """A signal stamped with this test's market (as the strategy runner stamps it): the paper
    router fills a stamped order at the stamp's price."""
    return m.signal(sid, mint, price_sol=px, price_usd=px * 150, **kw)  # type: ignore[arg-type]


async def send(env: IsolatedEnv, name: str, msgs: list) -> None:
    await produce(env.bootstrap, env.topic(name), [(x.mint.encode(), encode(x)) for x in msgs])


async def signed_orders(env: IsolatedEnv, min_count: int, idle_s: float = 3.0) -> set[str]:
    recs = await consume(
        env.bootstrap, env.topic("exec_results"), min_count=min_count, timeout_s=90, idle_s=idle_s
    )
    res = [decode(r.value, ExecutionResult) for r in recs]
    return {r.order_id for r in res if r.status is ExecutionStatus.SIGNED}


async def test_drawdown_kill_switch_stops_signing_entries_exits_pass_resume_restores(
    isolated_env: IsolatedEnv,
) -> None:
    env = isolated_env
    env.extra.update(
        {
            "MEMESNIPE_RISK__EXPLORATION_WEIGHT": "0.1",
            "MEMESNIPE_RISK__DEFAULT_ENTRY_FRACTION": "0.1",  # 100 SOL x 0.1 x 0.1 = 1 SOL per entry
            "MEMESNIPE_RISK__MAX_DRAWDOWN": "0.005",  # 0.5 SOL
            "MEMESNIPE_RISK__MARK_INTERVAL_S": "1",
            "MEMESNIPE_RISK__ALLOCATION_INTERVAL_S": "3600",
        }
    )
    await create_topics(env)
    signer = Process(["memesnipe.signer"], env.env, env.data_dir / "signer.log")
    w = None
    try:
        signer.wait_for("signer ready", timeout_s=60)
        w = start_worker(env, "full")
        w.wait_for("risk gate ready", timeout_s=120)
        await send(env, "onchain", [m.safe(M1), m.safe(M2)])
        await send(env, "depth", [m.depth(M1, 5_000_000), m.depth(M2, 5_000_000)])
        await send(env, "price", [price(M1, 1.0, 0), price(M2, 1.0, 0)])
        await asyncio.sleep(2.0)

        # 1 SOL into M1, signed and filled
        await send(env, "signals", [signal("e1", M1, 1.0, t=1, instance="inst-a")])
        e1 = order_id("inst-a", M1, "e1")
        assert e1 in await signed_orders(env, 1)
        fills = await consume(env.bootstrap, env.topic("fills"), min_count=1, timeout_s=60)
        assert decode(fills[0].value, Fill).order_id == e1
        await asyncio.sleep(2.0)

        # M1 falls 60%: -0.6 SOL on 100 SOL = 0.6% drawdown >= 0.5% -> the monitor kills
        await send(env, "price", [price(M1, 0.4, H + 1)])
        kills = await consume(env.bootstrap, env.topic("killswitch"), min_count=1, timeout_s=60)
        k = decode(kills[-1].value, KillSwitch)
        assert k.active and k.by == "portfolio_monitor" and k.drawdown is not None and k.drawdown >= 0.005
        await asyncio.sleep(2.0)

        # entries: the gate refuses the signal; an entry order injected past the gate is not signed
        await send(env, "price", [price(M2, 1.0, H + 2)])
        await send(env, "signals", [signal("e2", M2, 1.0, t=H + 3, instance="inst-b")])
        sneak = Order(
            order_id="f" * 32,
            signal_id="sneak",
            instance_id="inst-x",
            family="momentum",
            mint=M2,
            ts=m.at(H + 3),
            side=Side.BUY,
            intent=Intent.ENTRY,
            venue=Venue.JUPITER,
            amount_in=50_000_000,
            price_sol=1e-3,
            price_usd=0.15,
        )
        await produce(env.bootstrap, env.topic("orders"), [(M2.encode(), encode(sneak))])
        # the exit of M1 still goes through (ours, or the position manager's own stop if it fired first)
        await send(env, "signals", [signal("x1", M1, 0.4, side=Side.SELL, t=H + 4, instance="inst-a")])
        rej = [
            decode(r.value, OrderRejection)
            for r in await consume(env.bootstrap, env.topic("rejections"), min_count=1, timeout_s=60)
        ]
        assert ("e2", "kill_switch") in {(r.signal_id, r.rule) for r in rej}
        await asyncio.sleep(6.0)
        orders = [
            decode(r.value, Order) for r in await consume(env.bootstrap, env.topic("orders"), timeout_s=30)
        ]
        signed = await signed_orders(env, 2)
        exits_m1 = {o.order_id for o in orders if o.mint == M1 and o.intent is Intent.EXIT}
        assert exits_m1 and exits_m1 & signed, "an exit of M1 must be signed while the kill switch is on"
        assert sneak.order_id not in signed
        assert order_id("inst-b", M2, "e2") not in {o.order_id for o in orders}

        # resume by hand: entries are sized, routed and signed again
        r = subprocess.run(
            [sys.executable, "-m", "memesnipe", "resume", "--by", "ops", "--reason", "reviewed"],
            env=env.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == 0, r.stderr
        await send(env, "depth", [m.depth(M2, 5_000_000, t=H + 5)])
        await send(env, "onchain", [m.safe(M2, t=H + 5)])  # fresh facts: those of t=0 are stale by now
        await send(env, "price", [price(M2, 1.0, H + 5)])
        await asyncio.sleep(2.0)
        await send(env, "signals", [signal("e3", M2, 1.0, t=H + 10, instance="inst-b")])
        e3 = order_id("inst-b", M2, "e3")
        for _ in range(30):
            if e3 in await signed_orders(env, 1, idle_s=1.0):
                break
        assert e3 in await signed_orders(env, 1, idle_s=1.0)
    finally:
        if w is not None:
            w.stop()
        signer.stop()
