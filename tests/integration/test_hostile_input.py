"""Hostile input on every topic (issue #13): bad records, then good ones, through one real worker.

Every topic the worker consumes gets at least five kinds of bad record (not JSON, unknown schema
version, wrong types, oversized, nested 3000 deep like the record that crashed four agents, and
where they apply: unknown enum value, key/mint mismatch, event time far in the future or before
the floor), then good records on the same partition. Proven: every stage that consumes the topic
dead-letters each bad record once, with its reason, source partition and offset and a bounded
payload; the good records behind them are processed (outputs appear, the worker's consumer group
commits every partition to its end), and the worker never stops.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from memesnipe.streams import (
    SOL_MINT,
    BridgeEvent,
    DeadLetter,
    DepthEvent,
    DepthLevel,
    ExecutionResult,
    ExecutionStatus,
    Fill,
    FundingEvent,
    Intent,
    KillSwitch,
    OnChainEvent,
    OnChainKind,
    Order,
    OrderRejection,
    OrderState,
    OrderUpdate,
    PositionStatus,
    PositionUpdate,
    PriceEvent,
    Side,
    Signal,
    SocialEvent,
    SolPriceEvent,
    StrategyAllocation,
    StrategySpec,
    Venue,
    decode,
    encode,
)
from memesnipe.streams.deadletter import PAYLOAD_MAX_CHARS
from memesnipe.streams.topics import ALL_TOPICS
from tests.support.kafka import IsolatedEnv, consume, create_topics

pytestmark = pytest.mark.integration

MINT = "HostileMint1111111111111111111111111111111"
INST = "hostile-mom"
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)

CONSUMERS: dict[str, set[str]] = {
    "price": {"strategy_runner", "router.price", "ledger", "position_manager"},
    "social": {"strategy_runner"},
    "depth": {"strategy_runner", "risk_gate", "router.depth", "position_manager"},
    "bridge": {"strategy_runner"},
    "funding": {"strategy_runner"},
    "sol_price": {"strategy_runner"},
    "onchain": {"strategy_runner", "risk_gate"},
    "specs": {"strategy_specs", "position_manager.specs"},
    "allocations": {"boundary"},
    "killswitch": {"boundary"},
    "signals": {"risk_gate", "position_manager"},
    "orders": {"router"},
    "rejections": {"position_manager", "ledger"},  # the ledger books shadow fills of refused entries
    "order_updates": {"boundary"},
    "exec_results": {"fills", "submitter"},
    "fills": {"position_manager"},
    "positions": {"boundary", "ledger"},  # the ledger reads the positions' PnL
}
"""The stages of the worker that consume each topic, by the ``consumer`` of their dead letters."""

ORDER_ID = hashlib.sha256(b"hostile|order").hexdigest()[:32]
UNKNOWN_ORDER = "hostile-unknown-order"


def good(short: str) -> tuple[bytes, Any]:
    """(key, message) of one valid record of ``short``."""
    t = NOW
    m: Any
    if short == "price":
        m = PriceEvent(mint=MINT, ts=t, price_usd=1.0, price_sol=0.01, volume_usd_5m=5.0, liquidity_usd=1e5)
    elif short == "social":
        m = SocialEvent(mint=MINT, ts=t, mentions=3, unique_authors=2)
    elif short == "depth":
        m = DepthEvent(mint=MINT, ts=t, levels=[DepthLevel(100.0, 10.0)], liquidity_usd=1e5)
    elif short == "bridge":
        m = BridgeEvent(mint=MINT, ts=t, amount_usd=1000.0, source_chain="ethereum")
    elif short == "funding":
        m = FundingEvent(mint=MINT, ts=t, market_index=1, funding_rate_hourly=0.0001)
    elif short == "sol_price":
        return SOL_MINT.encode(), SolPriceEvent(mint=SOL_MINT, ts=t, price_usd=150.0)
    elif short == "onchain":
        m = OnChainEvent(mint=MINT, ts=t, kind=OnChainKind.SWAP, amount_usd=10.0)
    elif short == "specs":
        return INST.encode(), StrategySpec(instance_id=INST, family="momentum_5m", params={}, revision=1)
    elif short == "allocations":
        return INST.encode(), StrategyAllocation(instance_id=INST, weight=0.1, capital_lamports=10**9, ts=t)
    elif short == "killswitch":
        return b"global", KillSwitch(active=False, ts=t, by="hostile-test", reason="hostile test resume")
    elif short == "signals":
        m = Signal(
            signal_id="hostile-signal", instance_id=INST, family="momentum_5m", mint=MINT, ts=t,
            side=Side.BUY, intent=Intent.ENTRY, strength=0.5, reason="hostile test",
            price_usd=1.0, price_sol=0.01,
        )  # fmt: skip
    elif short == "orders":
        m = Order(
            order_id=ORDER_ID, signal_id="hostile-order-signal", instance_id=INST, family="momentum_5m",
            mint=MINT, ts=t, side=Side.BUY, intent=Intent.ENTRY, venue=Venue.JUPITER,
            amount_in=20_000_000, price_usd=1.0, price_sol=0.01,
        )  # fmt: skip
    elif short == "rejections":
        m = OrderRejection(
            signal_id="hostile-rejected", instance_id=INST, mint=MINT, ts=t, side=Side.BUY,
            intent=Intent.ENTRY, rule="min_order", reason="hostile test",
        )  # fmt: skip
    elif short == "order_updates":
        m = OrderUpdate(order_id=UNKNOWN_ORDER, state=OrderState.NEW, ts=t)
    elif short == "exec_results":
        m = ExecutionResult(
            request_id=UNKNOWN_ORDER, order_id=UNKNOWN_ORDER, mint=MINT, status=ExecutionStatus.SIGNED, ts=t
        )
    elif short == "fills":
        m = Fill(
            fill_id="hostile-fill", order_id="hostile-fill", instance_id="hostile-filled",
            family="momentum_5m", mint=MINT, ts=t, side=Side.BUY, intent=Intent.ENTRY,
            qty_tokens=1_000_000, notional_lamports=10_000_000, price_sol=0.01, price_usd=1.0,
        )  # fmt: skip
    elif short == "positions":
        m = PositionUpdate(
            instance_id="hostile-position", mint=MINT, ts=t, status=PositionStatus.OPEN, side=Side.BUY,
            qty_tokens=1, entry_price_sol=0.01, mark_price_sol=0.01, cost_lamports=1,
            realized_pnl_lamports=0, unrealized_pnl_lamports=0,
        )  # fmt: skip
    else:
        raise KeyError(short)
    return MINT.encode(), m


ENUM_FIELD = {
    **{t: "type" for t in ("price", "social", "depth", "bridge", "funding", "sol_price")},
    "onchain": "kind",
    "signals": "side",
    "orders": "venue",
    "rejections": "intent",
    "order_updates": "state",
    "exec_results": "status",
    "fills": "side",
    "positions": "status",
}


@dataclass
class Bad:
    topic: str
    kind: str
    key: bytes
    value: bytes
    reason: str  # a substring of the dead letter's reason
    consumers: set[str]
    partition: int = -1
    offset: int = -1


def bad_records(short: str) -> list[Bad]:
    key, msg = good(short)
    doc = msgspec.to_builtins(msg)
    has_ts = "ts" in doc

    def variant(**changes: Any) -> bytes:
        return json.dumps({**doc, **changes}).encode()

    out: list[Bad] = []

    def add(kind: str, value: bytes, reason: str, k: bytes = key, consumers: set[str] | None = None) -> None:
        out.append(Bad(short, kind, k, value, reason, CONSUMERS[short] if consumers is None else consumers))

    add("not JSON", b"\x00\xff{not json at all", "not JSON")
    add("schema version", variant(v=99), "schema version 99")
    add("wrong types", variant(ts={"not": "a time"}) if has_ts else variant(enabled="yes"), "does not match")
    add("oversized", variant(pad="x" * 70_000), "over the 65536-byte limit")
    nested = variant(pad="@").replace(b'"@"', b"[" * 3000 + b"]" * 3000)  # issue #13's record: ~7 KB
    add("deeply nested", nested, "nests deeper than 32")
    if short in ENUM_FIELD:
        add("unknown enum", variant(**{ENUM_FIELD[short]: "teleport"}), "teleport")
    elif short == "specs":  # the family is the registry's enum, judged by the spec checker alone
        add(
            "unknown enum",
            variant(family="teleport"),
            "unknown strategy family",
            consumers={"strategy_specs"},
        )
    if short == "killswitch":
        add("key mismatch", variant(), "its only key is 'global'", k=b"not-global")
    elif short != "order_updates":  # an OrderUpdate carries no mint to compare its key with
        field = "instance_id" if short in ("specs", "allocations") else "mint"
        add("key mismatch", variant(), f"differs from the message's {field}", k=b"WrongKey")
    if has_ts:
        add("far future", variant(ts="2099-01-01T00:00:00Z"), "in the future")
        add("far past", variant(ts="1999-01-01T00:00:00Z"), "is before 2020-01-01")
    return out


async def _produce_all(env: IsolatedEnv, bads: list[Bad]) -> None:
    """Per topic: its bad records, then two good ones (same key: same partition, behind them)."""
    producer = AIOKafkaProducer(bootstrap_servers=env.bootstrap, acks="all", max_request_size=2**20)
    await producer.start()
    try:
        for b in bads:
            md = await (await producer.send(env.topic(b.topic), value=b.value, key=b.key))
            b.partition, b.offset = md.partition, md.offset
        for short in CONSUMERS:
            key, msg = good(short)
            for _ in range(2):
                await (await producer.send(env.topic(short), value=encode(msg), key=key))
    finally:
        await producer.stop()


async def _seen(env: IsolatedEnv, short: str, needle: bytes, timeout_s: float = 60.0) -> bool:
    """A record of ``short`` containing ``needle`` appears within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while True:
        records = await consume(env.bootstrap, env.topic(short), timeout_s=10, idle_s=0.3)
        if any(needle in r.value for r in records if r.value is not None):
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.5)


async def _group_caught_up(env: IsolatedEnv, timeout_s: float) -> dict[str, int]:
    """Wait until the worker's group has committed every partition of every topic it consumes to
    the end (every stage acknowledged everything, the good records included); the lag left."""
    topics = [env.topic(t) for t in CONSUMERS]
    admin = AIOKafkaAdminClient(bootstrap_servers=env.bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=env.bootstrap, group_id=None)
    await admin.start()
    await consumer.start()
    try:
        tps = [TopicPartition(t, p) for t in topics for p in range(env.partitions)]
        deadline = time.monotonic() + timeout_s
        while True:
            ends = await consumer.end_offsets(tps)
            committed = await admin.list_consumer_group_offsets(env.app_id)
            lag = {
                f"{tp.topic}[{tp.partition}]": ends[tp] - (committed[tp].offset if tp in committed else 0)
                for tp in tps
                if ends[tp] > (committed[tp].offset if tp in committed else 0)
            }
            if not lag or time.monotonic() > deadline:
                return lag
            await asyncio.sleep(1.0)
    finally:
        await consumer.stop()
        await admin.close()


async def test_hostile_records_on_every_topic_are_dead_lettered_and_the_worker_goes_on(
    isolated_env: IsolatedEnv, worker: Any
) -> None:
    env = isolated_env
    await create_topics(env)
    assert set(CONSUMERS) == set(ALL_TOPICS) - {"exec_requests", "deadletter"}  # the signer's; nobody's
    w = worker("hostile")

    def tail() -> str:
        return "worker log:\n" + w.output()[-4000:]

    bads = [b for short in CONSUMERS for b in bad_records(short)]
    assert all(sum(1 for b in bads if b.topic == t) >= 5 for t in CONSUMERS)
    await _produce_all(env, bads)

    expected = sum(len(b.consumers) for b in bads)
    letters = [
        decode(r.value, DeadLetter)
        for r in await consume(env.bootstrap, env.topic("deadletter"), min_count=expected + 1, timeout_s=180)
    ]
    by_source: dict[tuple[str, int, int], list[DeadLetter]] = {}
    for d in letters:
        by_source.setdefault((d.topic, d.partition, d.offset), []).append(d)
    problems = []
    for b in bads:
        got = by_source.get((env.topic(b.topic), b.partition, b.offset), [])
        if {d.consumer for d in got} != b.consumers:
            problems.append(f"{b.topic}/{b.kind}: dead-lettered by {sorted(d.consumer for d in got)}")
        for d in got:
            if b.reason not in d.reason:
                problems.append(f"{b.topic}/{b.kind} ({d.consumer}): reason {d.reason[:200]!r}")
            if d.payload_bytes != len(b.value) or len(d.payload) > PAYLOAD_MAX_CHARS:
                problems.append(f"{b.topic}/{b.kind}: payload {len(d.payload)} chars, size {d.payload_bytes}")
            if d.key != b.key.decode():
                problems.append(f"{b.topic}/{b.kind}: key {d.key!r}")
    summary = f"{len(letters)} dead letters, {expected + 1} expected"
    assert not problems, "\n".join([summary, *problems, tail()])

    # The good records behind the bad ones were processed: outputs of the stages ...
    booked = await _seen(env, "positions", b'"instance_id":"hostile-filled"')
    assert booked, f"the good fill was not booked\n{tail()}"
    decided = await _seen(env, "orders", b'"signal_id":"hostile-signal"', timeout_s=5) or await _seen(
        env, "rejections", b'"signal_id":"hostile-signal"'
    )
    assert decided, f"the good signal was not decided\n{tail()}"
    assert await _seen(env, "order_updates", ORDER_ID.encode()), f"the good order was not routed\n{tail()}"
    assert any(UNKNOWN_ORDER in d.reason and d.consumer == "fills" for d in letters), "good result not judged"
    log = w.output()
    assert f"strategy {INST} added" in log, "the good spec was not applied"
    assert "kill switch: off (trading allowed); by hostile-test" in log  # the good record is the answer
    # ... and every stage acknowledged every record: the group is committed to the end everywhere.
    lag = await _group_caught_up(env, timeout_s=60)
    assert not lag, f"consumer group behind: {lag}\n{tail()}"
    assert w.proc.poll() is None, "the worker stopped"
    assert "RecursionError" not in log, log[-3000:]
