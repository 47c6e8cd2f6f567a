"""The event-time reorder window: topics read at different paces give the in-process signals
when no input is later than the window; bounded memory; idle flush; offset order and acks."""

from __future__ import annotations

import itertools
import random
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from memesnipe.connectors.simulator.model import MarketSimulator
from memesnipe.core.strategies import InProcessRunner, engine_for
from memesnipe.core.strategies.defaults import default_specs
from memesnipe.core.strategies.engine import Item, order_batch
from memesnipe.core.strategies.reorder import AckGate, ReorderBuffer
from memesnipe.streams.control import StrategySpec
from memesnipe.streams.market import FundingEvent, MarketEvent, OnChainEvent, OnChainKind, PriceEvent
from memesnipe.streams.trading import Intent, Side, Signal

T0 = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
PARTS = 4


def as_items(events: list[MarketEvent]) -> list[Item]:
    """Kafka-like items: topic = type tag, partition = hash(mint), offsets per topic-partition."""
    offs: dict[tuple[str, int], int] = {}
    out: list[Item] = []
    for ev in events:
        topic = str(type(ev).__struct_config__.tag)
        part = zlib.crc32(ev.mint.encode()) % PARTS
        off = offs.get((topic, part), 0)
        offs[(topic, part)] = off + 1
        out.append((ev.ts.timestamp(), topic, part, off, ev, None))
    return out


def skewed_arrival(items: list[Item], max_delay_s: float, seed: int) -> list[Item]:
    """Arrival order of a consumer reading each topic-partition at its own pace: each item is
    delayed by up to ``max_delay_s`` of event time, offset order kept per topic-partition."""
    rnd = random.Random(seed)
    delay = {}
    last: dict[tuple[str, int], float] = {}
    keyed = []
    for it in items:
        tp = (it[1], it[2])
        if tp not in delay or rnd.random() < 0.05:  # the pace changes now and then
            delay[tp] = rnd.uniform(0.0, max_delay_s * 0.999)
        arr = max(last.get(tp, float("-inf")), it[0] + delay[tp])
        last[tp] = arr
        keyed.append((arr, it[1], it[2], it[3], it))
    keyed.sort(key=lambda k: k[:4])
    return [k[4] for k in keyed]


def run_through_buffer(
    specs: list[StrategySpec], arrival: list[Item], window_s: float, seed: int, max_items: int = 100_000
) -> tuple[list[Signal], ReorderBuffer]:
    """Feed arrivals in random batch sizes, apply each release, flush at the end."""
    rnd = random.Random(seed)
    runner = InProcessRunner(engine_for(specs))
    buf = ReorderBuffer(window_s, max_items)
    out: list[Signal] = []
    i = 0
    while i < len(arrival):
        n = rnd.randint(1, 400)
        for it in arrival[i : i + n]:
            buf.add(it)
        i += n
        out += runner.run(buf.release())
        assert len(buf) <= max_items
    out += runner.run(buf.flush())
    assert len(buf) == 0
    return out, buf


def content(sigs: list[Signal]) -> list[tuple[Any, ...]]:
    return [
        (s.signal_id, s.mint, s.side, s.intent, s.strength, s.price_usd, s.perp_market_index) for s in sigs
    ]


def per_mint(sigs: list[Signal]) -> dict[str, list[tuple[Any, ...]]]:
    out: dict[str, list[tuple[Any, ...]]] = {}
    for s in sigs:
        out.setdefault(s.mint, []).append(content([s])[0])
    return out


@pytest.fixture(scope="module")
def market() -> list[Item]:
    return as_items(list(itertools.islice(MarketSimulator(3, 8, T0, 5.0).events(), 20_000)))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_topics_read_out_of_order_within_the_window_give_the_in_process_signals(market, seed):
    specs = default_specs()
    expected = InProcessRunner(engine_for(specs)).run(list(market))
    assert len({s.family for s in expected}) >= 6
    arrival = skewed_arrival(market, max_delay_s=300.0, seed=seed)
    assert arrival != market
    got, buf = run_through_buffer(specs, arrival, window_s=300.0, seed=seed)
    assert buf.late == 0 and buf.forced == 0
    # exactly the in-process sequence (per mint: mints never interact), ids included
    assert per_mint(got) == per_mint(expected)


def test_the_same_arrival_without_a_window_is_not_exact(market):
    """Documents why the window exists: the reordered arrival, applied as it comes, differs."""
    specs = default_specs()
    expected = InProcessRunner(engine_for(specs)).run(list(market))
    arrival = skewed_arrival(market, max_delay_s=300.0, seed=1)
    got, buf = run_through_buffer(specs, arrival, window_s=0.0, seed=1)
    assert buf.late > 0
    assert per_mint(got) != per_mint(expected)


def dev_sell_case(window_s: float) -> tuple[list[Signal], list[Signal]]:
    """Funding (reveals the perp market) at 00:10, a dev-wallet drain at 00:30, read onchain first."""
    mint = "MintPerp"
    funding = FundingEvent(mint=mint, ts=T0 + timedelta(minutes=10), market_index=7, perp_symbol="X-PERP")
    sell = OnChainEvent(
        mint=mint,
        ts=T0 + timedelta(minutes=30),
        kind=OnChainKind.DEV_SELL,
        wallet="dev",
        amount_usd=50_000.0,
        amount_tokens=500_000.0,
        wallet_balance_tokens=500_000.0,
    )
    later = PriceEvent(
        mint=mint, ts=T0 + timedelta(hours=2), price_usd=1.0, price_sol=0.01, volume_usd_5m=1.0
    )
    items = as_items([funding, sell, later])
    specs = [StrategySpec(instance_id="dwd", family="dev_wallet_drain", params={})]
    expected = InProcessRunner(engine_for(specs)).run(list(items))
    runner = InProcessRunner(engine_for(specs))
    buf = ReorderBuffer(window_s)
    got: list[Signal] = []
    for it in (items[1], items[0], items[2]):  # onchain delivered before the earlier funding
        buf.add(it)
        got += runner.run(buf.release())  # one batch per delivery
    got += runner.run(buf.flush())
    return got, expected


def test_a_perp_market_revealed_by_a_late_topic_still_makes_a_short():
    got, expected = dev_sell_case(window_s=600.0)
    assert [(s.side, s.intent, s.perp_market_index) for s in expected] == [(Side.SHORT, Intent.ENTRY, 7)]
    assert content(got) == content(expected)


def test_without_a_window_the_late_funding_turns_the_short_into_a_blocking_sell():
    got, _ = dev_sell_case(window_s=0.0)
    assert [(s.side, s.intent, s.block_entries, s.perp_market_index) for s in got] == [
        (Side.SELL, Intent.EXIT, True, None)
    ]


def price(mint: str, t: float, off: int, part: int = 0, topic: str = "price") -> Item:
    ev = PriceEvent(mint=mint, ts=T0 + timedelta(seconds=t), price_usd=1.0, price_sol=0.01, volume_usd_5m=1.0)
    return (ev.ts.timestamp(), topic, part, off, ev, (topic, part, off))


def refs(items: list[Item]) -> list[Any]:
    return [it[5] for it in items]


def test_release_follows_the_partition_watermark_and_a_quiet_topic_holds_nothing():
    buf = ReorderBuffer(10.0)
    buf.add(price("A", 0, 0, topic="funding"))  # a topic that then goes quiet
    buf.add(price("A", 5, 0))
    assert buf.release() == [] and len(buf) == 2
    buf.add(price("A", 12, 1))
    assert refs(buf.release()) == [("funding", 0, 0)]  # watermark 2
    buf.add(price("B", 30, 0, part=1))  # another partition number does not move partition 0
    assert refs(buf.release()) == []
    buf.add(price("A", 30, 2))
    assert refs(buf.release()) == [("price", 0, 0), ("price", 0, 1)]  # watermark 20
    assert buf.watermark(0) == T0.timestamp() + 20
    assert buf.late == 0


def test_an_input_later_than_the_window_is_applied_at_once_and_counted():
    buf = ReorderBuffer(10.0)
    buf.add(price("A", 100, 0))
    buf.add(price("A", 50, 0, topic="funding"))
    assert refs(buf.release()) == [("funding", 0, 0)]
    buf.add(price("A", 200, 1))
    assert refs(buf.release()) == [("price", 0, 0)]
    buf.add(price("A", 60, 1, topic="funding"))  # 140 s behind the partition's max
    assert refs(buf.release()) == [("funding", 0, 1)]
    assert buf.late == 1


def test_offset_order_within_a_topic_partition_is_kept_when_its_times_go_back():
    buf = ReorderBuffer(3.0)
    buf.add(price("A", 10, 0))
    buf.add(price("A", 5, 1))  # earlier time, later offset: waits for offset 0
    buf.add(price("A", 12, 0, topic="sol_price"))
    assert refs(buf.release()) == []  # watermark 9: offset 1 (time 5) must not pass offset 0
    buf.add(price("A", 14, 1, topic="sol_price"))
    out = buf.release()  # watermark 11
    assert refs(out) == [("price", 0, 0), ("price", 0, 1)]
    assert out == order_batch(list(out))


def test_memory_is_bounded_by_releasing_the_oldest_early():
    buf = ReorderBuffer(1e9, max_items=10)
    released: list[Any] = []
    for i in range(100):
        buf.add(price("A", i, i))
        released += refs(buf.release())
        assert len(buf) <= 10
    assert released == [("price", 0, i) for i in range(90)]
    assert buf.forced == 90 and buf.late == 0
    assert refs(buf.flush()) == [("price", 0, i) for i in range(90, 100)]


def test_an_idle_partition_is_flushed_and_an_active_one_is_not():
    buf = ReorderBuffer(1e9)
    buf.add(price("A", 0, 0, part=0), now=0.0)
    buf.add(price("B", 1, 0, part=1), now=0.0)
    buf.add(price("A", 2, 1, part=0), now=0.0)
    assert buf.flush_idle(now=4.0, idle_s=5.0) == []
    buf.add(price("B", 3, 1, part=1), now=4.0)
    assert refs(buf.flush_idle(now=6.0, idle_s=5.0)) == [("price", 0, 0), ("price", 0, 1)]
    assert len(buf) == 2
    assert refs(buf.flush_idle(now=9.0, idle_s=5.0)) == [("price", 1, 0), ("price", 1, 1)]
    assert len(buf) == 0


def test_a_rewound_topic_partition_drops_what_it_re_delivers():
    buf = ReorderBuffer(100.0)
    for i in range(4):
        buf.add(price("A", i, i))
    buf.add(price("A", 1, 1))  # seek back to offset 1: offsets 1..3 come again
    assert len(buf) == 2 and buf.rewound == 3
    for i in range(2, 4):
        buf.add(price("A", i, i))
    assert refs(buf.flush()) == [("price", 0, i) for i in range(4)]


def test_revoked_partitions_are_dropped():
    buf = ReorderBuffer(100.0)
    buf.add(price("A", 0, 0, part=0))
    buf.add(price("B", 0, 0, part=1))
    assert buf.retain(lambda tp: tp[1] == 0) == 1
    assert len(buf) == 1 and buf.watermark(1) is None
    assert refs(buf.flush()) == [("price", 0, 0)]


def test_the_ack_gate_acknowledges_only_a_done_prefix_per_topic_partition():
    gate = AckGate()
    for off in range(4):
        gate.track(("price", 0), off, f"p{off}")
    gate.track(("funding", 0), 0, "f0")
    gate.done(("price", 0), 0)
    gate.done(("price", 0), 2)  # e.g. dead-lettered while offset 1 is held
    gate.done(("funding", 0), 0)
    assert sorted(gate.ackable()) == ["f0", "p0"]
    assert gate.ackable() == []
    gate.done(("price", 0), 1)
    assert gate.ackable() == ["p1", "p2"]
    gate.track(("price", 0), 4, "p4")
    gate.track(("price", 0), 3, "p3again")  # rewound: the first p3 and p4 are re-delivered
    gate.done(("price", 0), 3)
    assert gate.ackable() == ["p3again"]
    gate.track(("price", 1), 0, "q0")
    assert gate.retain(lambda tp: tp[1] == 0) == 1
    assert len(gate) == 0


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        ReorderBuffer(-1.0)
    with pytest.raises(ValueError):
        ReorderBuffer(1.0, max_items=0)


def backlog_arrival(items: list[Item], chunk: int, seed: int) -> list[Item]:
    """A consumer catching up on a backlog: each fetch round gives every topic-partition up to
    ``chunk`` records, so sparse topics are read to their end long before dense ones."""
    rnd = random.Random(seed)
    queues: dict[tuple[str, int], list[Item]] = {}
    for it in items:
        queues.setdefault((it[1], it[2]), []).append(it)
    out: list[Item] = []
    while any(queues.values()):
        for tp in sorted(queues, key=lambda _: rnd.random()):
            q = queues[tp]
            out += q[:chunk]
            del q[:chunk]
    return out


@pytest.mark.parametrize("window_s", [0.0, 60.0])
def test_a_backlog_read_far_ahead_on_some_topics_is_exact_with_lag_information(market, window_s):
    specs = default_specs()
    expected = InProcessRunner(engine_for(specs)).run(list(market))
    arrival = backlog_arrival(market, chunk=300, seed=5)
    ends = {}
    for it in market:
        ends[(it[1], it[2])] = it[3]
    runner = InProcessRunner(engine_for(specs))
    buf = ReorderBuffer(window_s, topics=sorted({it[1] for it in market}))
    last: dict[tuple[str, int], int] = {}
    got: list[Signal] = []
    for i in range(0, len(arrival), 250):
        for it in arrival[i : i + 250]:
            buf.add(it)
            last[(it[1], it[2])] = it[3]
        got += runner.run(buf.release(lambda tp: last.get(tp, -1) < ends.get(tp, -1)))
    got += runner.run(buf.flush())
    assert buf.late == 0 and buf.forced == 0
    assert per_mint(got) == per_mint(expected)
    # without the lag information, the window alone cannot cover such a skew
    plain, buf = run_through_buffer(specs, arrival, window_s=window_s, seed=5)
    assert buf.late > 0 and per_mint(plain) != per_mint(expected)
