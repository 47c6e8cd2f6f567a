"""On the real broker: while the kill switch is on, the router REJECTS entries with the reason and
still routes exits; a malformed order is dead-lettered; nothing reaches the signer for a refusal."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime

import pytest
from solders.keypair import Keypair

from memesnipe.streams.codec import decode, encode
from memesnipe.streams.control import KillSwitch
from memesnipe.streams.execution import ExecutionRequest
from memesnipe.streams.trading import Intent, Order, OrderState, OrderUpdate, Side, Venue
from tests.support.kafka import Process, consume, create_topics, free_port, produce

pytestmark = pytest.mark.integration
TS = datetime(2026, 1, 1, tzinfo=UTC)


def order(i: int, side: Side) -> Order:
    oid = hashlib.sha256(f"k|{i}".encode()).hexdigest()[:32]
    return Order(
        order_id=oid,
        signal_id=f"s{i}",
        instance_id="inst",
        family="f",
        mint="MintK",
        ts=TS,
        side=side,
        intent=Intent.ENTRY if side is Side.BUY else Intent.EXIT,
        venue=Venue.JUPITER,
        amount_in=10_000_000,
        price_sol=0.001,
        price_usd=0.15,
    )


async def test_kill_switch_rejects_entries_and_lets_exits_through(isolated_env):
    env = isolated_env
    env.extra["MEMESNIPE_SIGNER__WALLET_PUBKEY"] = str(Keypair().pubkey())
    await create_topics(env)
    ks = KillSwitch(active=True, ts=TS, by="test", reason="drawdown 25%")
    await produce(env.bootstrap, env.topic("killswitch"), [(b"global", encode(ks))])
    e = env.env
    e["MEMESNIPE_WEB_PORT"] = str(free_port())
    w = Process(["tests.agents.exec_worker"], e, env.data_dir / "w.log")
    try:
        w.wait_for("Ready", timeout_s=90)
        await asyncio.sleep(2)  # the kill switch event reaches the global table first
        entry, exit_ = order(1, Side.BUY), order(2, Side.SELL)
        await produce(
            env.bootstrap, env.topic("orders"), [(b"MintK", encode(entry)), (b"MintK", encode(exit_))]
        )
        ups = [
            decode(r.value, OrderUpdate)
            for r in await consume(env.bootstrap, env.topic("order_updates"), min_count=4, timeout_s=60)
        ]
        reqs = [
            decode(r.value, ExecutionRequest)
            for r in await consume(env.bootstrap, env.topic("exec_requests"), min_count=1, timeout_s=30)
        ]
    finally:
        w.stop()
    by = {}
    for u in ups:
        by.setdefault(u.order_id, []).append(u)
    assert [u.state for u in by[entry.order_id]] == [OrderState.NEW, OrderState.REJECTED]
    assert "kill switch active: drawdown 25%" in by[entry.order_id][-1].reason
    assert [u.state for u in by[exit_.order_id]] == [OrderState.NEW, OrderState.ROUTED]
    assert [r.order_id for r in reqs] == [exit_.order_id]
