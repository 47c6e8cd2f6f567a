"""Position manager on the real broker: a pump-and-dump after an entry fill ends in exactly one
trailing-stop exit, also across a crash (SIGKILL) mid-trade, and the closed position's PnL is
exactly what its fills say."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from memesnipe.core.position_book import exit_source
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
    try:
        p.wait_for("Ready", timeout_s=120)
    except BaseException:
        p.stop()  # never leave a worker behind when start-up fails
        raise
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
        assert exit_source(sig.signal_id).startswith("exit|mom-1|long|" + env.topic("price") + "/")

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


def start_pipeline(env) -> list[Process]:
    """Risk gate + router + paper fills + position manager in one worker, and the signer."""
    from tests.integration.pipeline import start_signer

    e = env.env
    e.update(EXITS)
    e.update(
        {
            "MEMESNIPE_TEST_AGENTS": ",".join(
                f"memesnipe.agents.{m}" for m in ("router", "fills", "position_manager")
            ),
            "MEMESNIPE_RISK__REQUIRE_SAFETY_DATA": "false",
            "MEMESNIPE_RISK__REQUIRE_DEPTH": "false",
            "MEMESNIPE_WEB_PORT": str(free_port()),
        }
    )
    w = Process(["tests.agents.risk_worker"], e, env.data_dir / "pipeline.log")
    procs = [w]
    try:
        w.wait_for("risk gate ready", timeout_s=180)
        procs.append(start_signer(env))
    except BaseException:
        for p in procs:
            p.stop()
        raise
    return procs


async def test_entry_and_trailing_exit_through_gate_router_signer_and_fills(isolated_env) -> None:
    """The exit takes the entry's path: signal -> risk gate (sized from our position) -> router
    -> signer -> paper fill -> position closed, its PnL equal to what the two fills say."""
    env = isolated_env
    await create_topics(env)
    procs = start_pipeline(env)
    # the analytics process sinks every topic into ClickHouse (chDB under the env's data dir)
    analytics = Process(
        ["memesnipe", "analytics", "--port", str(free_port()), "--no-cockpit"],
        env.env,
        env.data_dir / "analytics.log",
    )
    procs.append(analytics)
    try:
        await produce(env.bootstrap, env.topic("price"), [price(0.001, 0)])
        await asyncio.sleep(1.0)
        entry = Signal(
            signal_id="entry-1",
            instance_id="mom-1",
            family="momentum_5m",
            mint=MINT,
            ts=T0 + timedelta(seconds=1),
            side=Side.BUY,
            intent=Intent.ENTRY,
            strength=1.0,
            reason="breakout",
            price_sol=0.001,
            price_usd=0.15,
        )
        await produce(env.bootstrap, env.topic("signals"), [(KEY, encode(entry))])
        (buy,) = [
            decode(r.value, Fill)
            for r in await consume(env.bootstrap, env.topic("fills"), min_count=1, timeout_s=90, idle_s=1)
        ]
        assert buy.side is Side.BUY and buy.qty_tokens > 0
        e = buy.price_sol
        # pump 10 % over the fill price, then dump through the trailing stop (2 % under the peak)
        path = [e * 1.01, e * 1.05, e * 1.10, e * 1.10 * 0.985, e * 1.10 * 0.97, e * 0.8]
        await produce(env.bootstrap, env.topic("price"), [price(p, s) for s, p in enumerate(path, 2)])
        fills = [
            decode(r.value, Fill)
            for r in await consume(env.bootstrap, env.topic("fills"), min_count=2, timeout_s=120, idle_s=3)
        ]
        assert [f.side for f in fills] == [Side.BUY, Side.SELL]
        sell = fills[1]
        assert sell.intent is Intent.EXIT and sell.qty_tokens == buy.qty_tokens

        sigs = [
            decode(r.value, Signal) for r in await consume(env.bootstrap, env.topic("signals"), min_count=2)
        ]
        exits = [s for s in sigs if s.intent is Intent.EXIT]
        assert len(exits) == 1 and exits[0].meta["exit_reason"] == "trailing_stop"
        assert exits[0].reason.startswith(f"trailing_stop: price {e * 1.10 * 0.97:.6g} <= stop")
        orders = await consume(env.bootstrap, env.topic("orders"), min_count=2, timeout_s=30)
        assert len(orders) == 2

        ups = await positions(env, 2)
        last = ups[-1]
        assert last.status is PositionStatus.CLOSED and last.qty_tokens == 0
        assert last.exit_reason == "trailing_stop"
        assert last.realized_gross_pnl_lamports == sell.notional_lamports - buy.notional_lamports
        assert last.fees_lamports == buy.cost_lamports + sell.cost_lamports
        assert last.realized_pnl_lamports == last.realized_gross_pnl_lamports - last.fees_lamports
        assert last.fees_lamports > 0  # the paper fills charge swap fee, priority fee and tip

        # ClickHouse holds exactly these fills, the closed position and the same PnL
        await asyncio.sleep(4.0)  # > the sink's flush interval
        analytics.stop()
        assert_clickhouse_matches(env, buy, sell, last)
    finally:
        for p in procs:
            p.stop()


def assert_clickhouse_matches(env, buy: Fill, sell: Fill, last) -> None:
    from memesnipe.sinks.client import Store
    from memesnipe.sinks.queries import Queries

    settings = env.settings()
    store = Store.open(settings.clickhouse_dsn, settings.clickhouse.database)
    try:
        q = Queries(store, settings.clickhouse.run_id, settings.risk.capital_lamports)
        rows = {r["fill_id"]: r for r in q.fills()}
        assert set(rows) == {buy.fill_id, sell.fill_id}
        for f in (buy, sell):
            assert rows[f.fill_id]["notional_lamports"] == f.notional_lamports
            assert rows[f.fill_id]["qty_tokens"] == f.qty_tokens
            assert rows[f.fill_id]["cost_lamports"] == f.cost_lamports
        (strat,) = [s for s in q.performance()["strategies"] if s["instance_id"] == "mom-1"]
        assert strat["trades"] == 1 and strat["fills"] == 2
        assert strat["realized_gross_lamports"] == sell.notional_lamports - buy.notional_lamports
        assert strat["costs_lamports"] == buy.cost_lamports + sell.cost_lamports
        assert strat["net_pnl_lamports"] == last.realized_pnl_lamports
        assert not q.open_positions()
    finally:
        store.close()


async def test_spec_exit_overrides_bad_spec_dead_letter_and_kill_switch_flatten(isolated_env) -> None:
    """A strategy's own trail from its spec, a spec with unusable exits dead-lettered (defaults
    apply), and a kill switch that asks to flatten closing what the stops did not."""
    from memesnipe.streams.control import KillSwitch, StrategySpec
    from memesnipe.streams.deadletter import DeadLetter

    env = isolated_env
    await create_topics(env)
    w = start(env, "w1")
    try:
        specs = [
            StrategySpec(instance_id="wide-1", family="momentum_5m", params={"exits": {"trail": 0.05}}),
            StrategySpec(instance_id="bad-1", family="momentum_5m", params={"exits": {"trail": "wide"}}),
        ]
        await produce(env.bootstrap, env.topic("specs"), [(s.instance_id.encode(), encode(s)) for s in specs])
        (dl,) = [
            decode(r.value, DeadLetter)
            for r in await consume(env.bootstrap, env.topic("deadletter"), min_count=1, timeout_s=60)
        ]
        assert (
            "spec bad-1" in dl.reason
            and "must be numbers" in dl.reason
            and "default exits apply" in dl.reason
        )

        def buy(inst: str) -> tuple[bytes, bytes]:
            f = Fill(
                fill_id=f"o-{inst}",
                order_id=f"o-{inst}",
                instance_id=inst,
                family="momentum_5m",
                mint=MINT,
                ts=T0,
                side=Side.BUY,
                intent=Intent.ENTRY,
                qty_tokens=1000 * TOK,
                notional_lamports=10**9,
                price_sol=0.001,
            )
            return KEY, encode(f)

        await produce(env.bootstrap, env.topic("fills"), [buy("wide-1"), buy("tight-1")])
        await produce(env.bootstrap, env.topic("price"), [price(0.0011, 1)])
        ups = await positions(env, 4)
        stops = {u.instance_id: u.stop_price_sol for u in ups if u.peak_price_sol == 0.0011}
        assert stops == pytest.approx({"wide-1": 0.001045, "tight-1": 0.001078})

        await produce(env.bootstrap, env.topic("price"), [price(0.00106, 2)])
        (sig,) = await signals(env, 1)
        assert (sig.instance_id, sig.meta["exit_reason"]) == ("tight-1", "trailing_stop")

        kill = KillSwitch(
            active=True,
            ts=T0 + timedelta(seconds=3),
            by="portfolio_monitor",
            reason="drawdown 21%",
            flatten=True,
        )
        await produce(env.bootstrap, env.topic("killswitch"), [(b"global", encode(kill))])
        # no price needed: the sweep exits what is open (tight-1 already has its exit in flight)
        sigs = await signals(env, 2, idle_s=3)
        assert [(s.instance_id, s.meta["exit_reason"]) for s in sigs] == [
            ("tight-1", "trailing_stop"),
            ("wide-1", "flatten"),
        ]
        assert sigs[1].reason == "flatten: kill switch by portfolio_monitor: drawdown 21%"
        assert sigs[1].signal_id.startswith("flatten|")
        # a later mark under the same kill switch does not send a second exit
        await produce(env.bootstrap, env.topic("price"), [price(0.00107, 4)])
        await asyncio.sleep(3)
        assert len(await signals(env, 2, idle_s=3)) == 2
    finally:
        w.stop()


async def test_exit_refused_before_its_entry_filled_is_sent_when_the_fill_lands(isolated_env) -> None:
    """The risk gate refused a strategy's exit with ``exit_before_fill`` (its view had no position
    yet, only the pending entry): once the entry's fill reaches the position manager, it sends
    the exit itself, once; unrelated rejections are ignored."""
    from memesnipe.streams.trading import OrderRejection

    env = isolated_env
    await create_topics(env)

    def rejection(sid: str, rule: str, oids: tuple[str, ...] = ()) -> tuple[bytes, bytes]:
        r = OrderRejection(
            signal_id=sid,
            instance_id="mom-1",
            mint=MINT,
            ts=T0 + timedelta(seconds=1),
            side=Side.SELL,
            intent=Intent.EXIT,
            rule=rule,
            reason="test",
            awaiting_order_ids=oids,
        )
        return KEY, encode(r)

    w = start(env, "w1")
    try:
        await produce(
            env.bootstrap,
            env.topic("rejections"),
            [rejection("x0", "no_position"), rejection("x1", "exit_before_fill", ("o-buy",))],
        )
        entry = fill("o-buy", Side.BUY, 1000 * TOK, 10**9, 0.001, 2)
        await produce(env.bootstrap, env.topic("fills"), [entry])
        (sig,) = await signals(env, 1, idle_s=3)
        assert (sig.side, sig.intent, sig.meta["exit_reason"]) == (Side.SELL, Intent.EXIT, "strategy")
        assert exit_source(sig.signal_id).startswith("exit|mom-1|long|" + env.topic("fills") + "/")
        (u,) = await positions(env, 1)
        assert u.exit_pending and u.exit_reason == "strategy"
        assert await consume(env.bootstrap, env.topic("deadletter"), timeout_s=3, idle_s=1) == []
    finally:
        w.stop()
