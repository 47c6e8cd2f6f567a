"""Position manager with the event-time reorder window (replays): inputs of its five topics are
applied in event-time order, whatever pace each topic is read at. A strategy exit refused before
its entry filled, read long before the prices that precede it, must not be claimed before the
stop those prices trip (the backtester's order)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from memesnipe.streams.codec import encode
from memesnipe.streams.trading import Intent, OrderRejection, Side
from tests.agents.test_position_manager_integration import KEY, MINT, T0, TOK, fill, price, signals, start
from tests.support.kafka import create_topics, produce

pytestmark = pytest.mark.integration


def refused_exit(s: int) -> tuple[bytes, bytes]:
    rej = OrderRejection(
        signal_id="price/0/400|mom-1",
        instance_id="mom-1",
        mint=MINT,
        ts=T0 + timedelta(seconds=s),
        side=Side.SELL,
        intent=Intent.EXIT,
        rule="exit_before_fill",
        reason="no position yet; entry o-buy pending",
        awaiting_order_ids=("o-buy",),
        price_sol=0.00085,
        price_usd=0.00085 * 150,
    )
    return KEY, encode(rej)


async def test_a_refused_exit_read_ahead_of_the_prices_waits_for_the_stop_they_trip(isolated_env) -> None:
    env = isolated_env
    env.extra["MEMESNIPE_KAFKA__REORDER_WINDOW_S"] = "1800"
    await create_topics(env)
    # the backlog a replay leaves: the (small) rejections and fills topics are read at once,
    # the prices take many fetches
    await produce(env.bootstrap, env.topic("rejections"), [refused_exit(2_000)])
    await produce(env.bootstrap, env.topic("fills"), [fill("o-buy", Side.BUY, 1_000 * TOK, 10**9, 0.001, 10)])
    marks = [price(0.001 if s < 1_000 else 0.00085, s) for s in range(0, 3_000, 2)]
    await produce(env.bootstrap, env.topic("price"), marks)
    w = start(env, "w1")
    try:
        sigs = await signals(env, 1, idle_s=5)
    finally:
        w.stop()
    ours = [s for s in sigs if s.meta.get("source") == "position_manager"]
    assert ours, "no exit"
    first = ours[0]
    # in event-time order the stop (10 % under 0.001) trips on the mark at t=1000, long before
    # the strategy's exit at t=2000, which then finds the exit already in flight
    assert first.meta["exit_reason"] == "stop_loss", first
    assert first.ts == T0 + timedelta(seconds=1_000)
    assert [s.meta["exit_reason"] for s in ours].count("strategy") == 0
