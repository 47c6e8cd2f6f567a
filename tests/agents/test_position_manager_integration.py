"""Position manager on the real broker: a pump-and-dump after an entry fill ends in exactly one
trailing-stop exit, also across a crash (SIGKILL) mid-trade, and the closed position's PnL is
exactly what its fills say."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from memesnipe.streams.codec import decode, encode
from memesnipe.streams.market import PriceEvent
from memesnipe.streams.trading import Fill, Intent, PositionStatus, PositionUpdate, Side, Signal
from tests.support.kafka import Process, consume, create_topics, free_port, produce

pytestmark = pytest.mark.integration

T0 = datetime(2026, 1, 1, tzinfo=UTC)
MINT = "PumpDumpMint1111111111111111111111111111pump"
KEY = MINT.encode()
TOK = 10**6
EXITS = {  # the example: stop-loss 10 %, trail 2 % after a 3 % offset
    "MEMESNIPE_EXITS__STOP_LOSS": "0.10",
    "MEMESNIPE_EXITS__ACTIVATION_OFFSET": "0.03",
    "MEMESNIPE_EXITS__TRAIL": "0.02",
    "MEMESNIPE_EXITS__MAX_HOLD_S": "0",
}


def start(env, name: str) -> Process:
    e = env.env
    e.update(EXITS)
    e["MEMESNIPE_WEB_PORT"] = str(free_port())
    p = Process(["tests.agents.position_worker"], e, env.data_dir / f"{name}.log")
    p.wait_for("Ready", timeout_s=120)
    return p


def price(p: float, s: int) -> tuple[bytes, bytes]:
    ev = PriceEvent(mint=MINT, ts=T0 + timedelta(seconds=s), price_sol=p, price_usd=p * 150, decimals=6)
    return KEY, encode(ev)


def fill(
    fid: str, side: Side, qty: int, notional: int, p: float, s: int, **costs: int
) -> tuple[bytes, bytes]:
    f = Fill(
        fill_id=fid,
        order_id=fid,
        instance_id="mom-1",
        family="momentum_5m",
        mint=MINT,
        ts=T0 + timedelta(seconds=s),
        side=side,
        intent=Intent.ENTRY if side is Side.BUY else Intent.EXIT,
        qty_tokens=qty,
        notional_lamports=notional,
        price_sol=p,
        **costs,
    )
    return KEY, encode(f)


async def positions(env, n: int, timeout_s: float = 60) -> list[PositionUpdate]:
    recs = await consume(env.bootstrap, env.topic("positions"), min_count=n, timeout_s=timeout_s)
    return [decode(r.value, PositionUpdate) for r in recs]


async def signals(env, n: int, timeout_s: float = 60, idle_s: float = 2) -> list[Signal]:
    recs = await consume(env.bootstrap, env.topic("signals"), min_count=n, timeout_s=timeout_s, idle_s=idle_s)
    return [decode(r.value, Signal) for r in recs]


async def test_pump_and_dump_entry_then_one_trailing_exit_across_a_crash(isolated_env) -> None:
    env = isolated_env
    await create_topics(env)
    buy = fill(
        "o-buy",
        Side.BUY,
        1_000_000 * TOK,
        1_000_000_000,
        0.001,
        0,
        swap_fee_lamports=2_500_000,
        priority_fee_lamports=15_000,
        jito_tip_lamports=1_000,
    )
    w = start(env, "w1")
    try:
        await produce(env.bootstrap, env.topic("fills"), [buy])
        (opened,) = await positions(env, 1)
        assert (opened.status, opened.side, opened.qty_tokens) == (
            PositionStatus.OPEN,
            Side.BUY,
            1_000_000 * TOK,
        )
        assert opened.stop_price_sol == pytest.approx(0.0009)

        # the pump: up 10 %; the stop starts trailing at +3 % and ends 2 % under 0.0011
        await produce(
            env.bootstrap,
            env.topic("price"),
            [price(p, s) for s, p in enumerate([0.00101, 0.00102, 0.00103, 0.00106, 0.0011], 1)],
        )
        ups = await positions(env, 3)
        assert ups[-1].peak_price_sol == 0.0011
        assert ups[-1].stop_price_sol == pytest.approx(0.001078)
        assert await signals(env, 0, timeout_s=5) == []
    finally:
        w.kill()  # crash mid-trade: no clean shutdown, no final commit

    w = start(env, "w2")
    try:
        # 0.00108 is above the restored stop (0.001078); a worker that forgot the peak would
        # compute the stop from 0.00108 (0.0010584) and not exit on 0.001077 either
        await produce(
            env.bootstrap, env.topic("price"), [price(0.00108, 6), price(0.001077, 7), price(0.00095, 8)]
        )
        (sig,) = await signals(env, 1, idle_s=3)
        assert (sig.intent, sig.side, sig.strength, sig.instance_id) == (Intent.EXIT, Side.SELL, 1.0, "mom-1")
        assert sig.reason == "trailing_stop: price 0.001077 <= stop 0.001078"
        assert sig.meta["exit_reason"] == "trailing_stop" and sig.meta["qty_tokens"] == 1_000_000 * TOK
        assert sig.signal_id.startswith("exit|mom-1|long|" + env.topic("price") + "/")

        # the exit order fills (id as the risk gate derives it); a re-delivered copy changes nothing
        oid = hashlib.sha256(f"mom-1|{MINT}|{sig.signal_id}".encode()).hexdigest()[:32]
        sell = fill(
            oid,
            Side.SELL,
            1_000_000 * TOK,
            1_077_000_000,
            0.001077,
            9,
            swap_fee_lamports=2_692_500,
            priority_fee_lamports=15_000,
            jito_tip_lamports=1_000,
        )
        await produce(env.bootstrap, env.topic("fills"), [sell, sell])
        ups = await positions(env, 5, timeout_s=60)
        closed = [u for u in ups if u.status is PositionStatus.CLOSED]
        assert len(closed) == 1
        c = closed[0]
        buy_cost = 2_500_000 + 15_000 + 1_000
        sell_cost = 2_692_500 + 15_000 + 1_000
        assert c.qty_tokens == 0 and c.exit_reason == "trailing_stop"
        assert c.realized_gross_pnl_lamports == 1_077_000_000 - 1_000_000_000
        assert c.fees_lamports == buy_cost + sell_cost
        assert c.realized_pnl_lamports == 77_000_000 - buy_cost - sell_cost
        assert c.position_id == opened.position_id

        # still exactly one exit signal, and nothing was dead-lettered
        assert len(await signals(env, 1, idle_s=2)) == 1
        assert await consume(env.bootstrap, env.topic("deadletter"), timeout_s=3, idle_s=1) == []
    finally:
        w.stop()
