"""Issue 2's end-to-end proofs on the real broker: simulated events -> signals -> orders ->
signed paper execution -> fills -> ClickHouse, with one or two workers, and dead letters."""

from __future__ import annotations

import asyncio
import collections

import pytest

from memesnipe.streams.codec import decode, encode
from memesnipe.streams.deadletter import DeadLetter
from memesnipe.streams.market import PriceEvent
from memesnipe.streams.trading import Signal
from tests.integration.pipeline import (
    NON_BINDING_GLOBAL_LIMITS,
    START,
    collect,
    prepare,
    produce_events,
    simulated_events,
    start_signer,
    workers,
)
from tests.support.kafka import Process, consume, free_port, produce

pytestmark = pytest.mark.integration

N_EVENTS = 12_000


def check_chain(out) -> None:
    """Every signal gets exactly one decision; every order exactly one fill; ids chain."""
    signal_ids = [s.signal_id for s in out.signals]
    assert len(signal_ids) == len(set(signal_ids)), "duplicate signals"
    decided = [o.signal_id for o in out.orders] + [r.signal_id for r in out.rejections]
    assert sorted(decided) == sorted(signal_ids), "each signal must become one order or one rejection"
    order_ids = [o.order_id for o in out.orders]
    assert len(order_ids) == len(set(order_ids)), "duplicate orders"
    fills_per_order = collections.Counter(f.order_id for f in out.fills)
    assert fills_per_order and max(fills_per_order.values()) == 1, "more than one fill for an order"
    assert set(fills_per_order) <= set(order_ids)
    by_id = {o.order_id: o for o in out.orders}
    for f in out.fills:
        o = by_id[f.order_id]
        assert (f.instance_id, f.mint, f.side, f.intent) == (o.instance_id, o.mint, o.side, o.intent)
        assert f.paper and f.qty_tokens > 0 and f.notional_lamports > 0
    for rec, s in zip(out.raw["signals"], out.signals, strict=True):
        assert rec.key == s.mint.encode()


def order_view(out) -> set[tuple]:
    """Orders without the topic prefix embedded in their source ids (it differs per run)."""
    return {
        (o.instance_id, o.mint, o.side, o.intent, o.venue, o.amount_in, o.signal_id.split(".", 1)[1])
        for o in out.orders
    }


async def test_simulated_stream_to_fills_and_clickhouse_rows_equal_the_fills(isolated_env):
    env = isolated_env
    await prepare(env)
    procs = [*workers(env, 1), start_signer(env)]
    analytics = Process(
        ["memesnipe", "analytics", "--port", str(free_port())], env.env, env.data_dir / "analytics.log"
    )
    try:
        await produce_events(env, simulated_events(N_EVENTS))
        out = await collect(env)
    finally:
        for p in procs:
            p.stop()
    assert len(out.signals) >= 5 and len(out.orders) >= 2 and len(out.fills) >= 2, (
        len(out.signals),
        len(out.orders),
        len(out.fills),
    )
    check_chain(out)
    # every family's signals go the same way, the copy trades of followed wallets included
    assert any(s.family == "follow_wallets" for s in out.signals)
    assert any(o.family == "follow_wallets" for o in out.orders)
    # ClickHouse: the sink's rows equal the fills on the topic, none missing, none twice.
    await asyncio.sleep(5)
    analytics.stop()
    from memesnipe.sinks.client import Store

    settings = env.settings()
    store = Store.open(settings.clickhouse_dsn, settings.clickhouse.database)
    try:
        rows = store.rows(
            f"SELECT fill_id, count() AS n FROM {settings.clickhouse.database}.fills FINAL "
            "WHERE run_id = {run:String} GROUP BY fill_id",
            {"run": settings.clickhouse.run_id},
        )
        raw_rows = store.rows(
            f"SELECT count() AS n FROM {settings.clickhouse.database}.fills WHERE run_id = {{run:String}}",
            {"run": settings.clickhouse.run_id},
        )
    finally:
        store.close()
    assert {r["fill_id"] for r in rows} == {f.fill_id for f in out.fills}
    assert all(r["n"] == 1 for r in rows)
    assert raw_rows[0]["n"] == len(out.fills)


async def test_two_workers_share_partitions_and_produce_the_same_orders_as_one(env_factory):
    """The same stream through one worker and through two sharing the partitions: the same strategy
    signals, and every entry signal gets the same decision (the same order, amount and venue, or
    a rejection by the same rule).

    Both runs use the event-time reorder window (docs/EVENT_TIME.md), as a replay should: without
    it, the cross-topic order of inputs (a rug alarm on ``onchain`` before or after a momentum
    entry on ``price``; a bridge signal priced before or after the first price) follows batch
    boundaries, which differ with the number of workers, and the risk gate could decide a signal
    before its partition's depth backlog was read (``no_depth`` in one run only). Exits are not
    compared one by one: which of two exits racing for one position goes first (the position
    manager's stop, driven by the fill's arrival, or the strategy's own exit signal) depends on
    fill latency; ``check_chain`` holds for both runs (one decision per signal, one fill per order,
    no duplicates).
    """
    events = simulated_events(N_EVENTS, seed=9)
    results = {}
    for n in (1, 2):
        env = env_factory()
        env.extra.update(NON_BINDING_GLOBAL_LIMITS)
        env.extra["MEMESNIPE_KAFKA__REORDER_WINDOW_S"] = "1800"
        await prepare(env)
        procs = [*workers(env, n), start_signer(env)]
        try:
            await produce_events(env, events)
            results[n] = await collect(env)
        finally:
            for p in procs:
                p.stop()
        if n == 2:
            logs = [p.output() for p in procs[:2]]
            for log in logs:  # each worker was given a share of the price topic
                assert f"{env.topic('price')}" in log
        check_chain(results[n])
    one, two = results[1], results[2]
    assert len(one.orders) >= 2

    # Strategy signals: the same set (a rebalance may re-deliver one under the same id, which
    # every consumer deduplicates). Position-manager exits are left out: their ids name the fill
    # that caused them, whose topic and offset differ between runs.
    def strategy_signals(out):
        return {
            (s.instance_id, s.mint, s.side, s.intent, s.ts, s.signal_id.split(".", 1)[1])
            for s in out.signals
            if s.meta.get("source") != "position_manager"
        }

    assert strategy_signals(one)
    assert strategy_signals(two) == strategy_signals(one)

    def entry_decisions(out) -> dict[str, tuple]:
        entry_ids = {s.signal_id for s in out.signals if s.intent.value == "entry"}
        d: dict[str, tuple] = {}
        for o in out.orders:
            if o.signal_id in entry_ids:
                d[o.signal_id.split(".", 1)[1]] = ("order", o.instance_id, o.side.value, o.venue, o.amount_in)
        for r in out.rejections:
            if r.signal_id in entry_ids:
                d[r.signal_id.split(".", 1)[1]] = ("rejected", r.instance_id, r.side.value, r.rule)
        return d

    d1, d2 = entry_decisions(one), entry_decisions(two)
    assert any(v[0] == "order" for v in d1.values()), "the stream must produce entry orders"
    diff = {k: (d1.get(k), d2.get(k)) for k in set(d1) | set(d2) if d1.get(k) != d2.get(k)}
    assert not diff, diff
    entries = lambda out: {o for o in order_view(out) if o[3] == "entry"}  # noqa: E731
    assert entries(two) == entries(one)


async def test_malformed_price_message_is_dead_lettered_and_the_worker_keeps_going(isolated_env):
    env = isolated_env
    await prepare(env)
    procs = workers(env, 1)
    try:
        good = PriceEvent(mint="MintGOOD", ts=START, price_usd=1.0, price_sol=0.01)
        later = PriceEvent(mint="MintGOOD", ts=START.replace(minute=1), price_usd=1.1, price_sol=0.011)
        await produce(
            env.bootstrap,
            env.topic("price"),
            [
                (b"MintGOOD", encode(good)),
                (b"MintGOOD", b'{"type":"price","mint":"MintGOOD","ts":"not-a-time"}'),
                (b"MintGOOD", b"\x00garbage"),
                (b"MintGOOD", encode(later)),
            ],
        )
        letters = [
            decode(r.value, DeadLetter)
            for r in await consume(env.bootstrap, env.topic("deadletter"), min_count=2, timeout_s=60)
        ]
        price_letters = [d for d in letters if d.topic == env.topic("price")]
        # each consumer of the price topic reports each bad message once, naming itself
        per_consumer = collections.Counter((d.consumer, d.offset) for d in price_letters)
        assert set(per_consumer.values()) == {1}
        assert {d.offset for d in price_letters} == {1, 2}
        assert sorted(o for c, o in per_consumer if c == "strategy_runner") == [1, 2]
        assert any("$.ts" in d.reason for d in price_letters)
        assert all(d.key == "MintGOOD" and d.reason for d in price_letters)
        # the worker went on: a spec-driven signal from events AFTER the bad ones still comes out
        burst = [
            PriceEvent(
                mint="MintGOOD",
                ts=START.replace(hour=1, minute=i),
                price_usd=1.0 + (0.2 if i > 40 else 0),
                price_sol=0.01,
                volume_usd_5m=5000.0 * (5 if i > 40 else 1),
            )
            for i in range(50)
        ]
        await produce(env.bootstrap, env.topic("price"), [(b"MintGOOD", encode(e)) for e in burst])
        sigs = [
            decode(r.value, Signal)
            for r in await consume(env.bootstrap, env.topic("signals"), min_count=1, timeout_s=60)
        ]
        assert sigs, "the worker must keep processing after dead letters"
    finally:
        for p in procs:
            p.stop()
