"""The sink process against the real broker and a real chDB: rows equal the fills, offsets
are committed only after the insert, and replaying the same topic range changes nothing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient

from memesnipe.sinks.client import Store
from memesnipe.sinks.consumer import AnalyticsSink
from memesnipe.sinks.migrate import migrate
from memesnipe.sinks.queries import Queries
from memesnipe.sinks.rows import SINK_TOPICS
from memesnipe.streams import Side, encode
from memesnipe.streams.reconcile import Reconciliation
from memesnipe.web.perp_status import perp_venues
from tests.sinks.factories import SOL, T0, fill, kill, price
from tests.support.kafka import IsolatedEnv, consume, create_topics, produce

pytestmark = pytest.mark.integration

N_FILLS = 400


async def wait_until(cond: Callable[[], bool], timeout_s: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not cond():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


class FailingInserts:
    """The real store; its first ``failures`` inserts raise, like a ClickHouse outage."""

    def __init__(self, store: Store, failures: int) -> None:
        self._store = store
        self.failures = failures
        self.database = store.database

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)

    def insert(self, table: str, columns: Any, rows: Any) -> None:
        if self.failures > 0:
            self.failures -= 1
            raise ConnectionError("ClickHouse is down")
        self._store.insert(table, columns, rows)


async def delete_topics(env: IsolatedEnv) -> None:
    """Drop this test's topics: a shared broker should not carry every test's partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=env.bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([env.topic(t) for t in SINK_TOPICS])
    except Exception:  # cleanup only
        pass
    finally:
        await admin.close()


@pytest.fixture
async def env(isolated_env: IsolatedEnv) -> AsyncIterator[IsolatedEnv]:
    isolated_env.extra.update(
        {
            "MEMESNIPE_CLICKHOUSE__FLUSH_INTERVAL_S": "0.2",
            "MEMESNIPE_CLICKHOUSE__BATCH_ROWS": "100",
            "MEMESNIPE_CLICKHOUSE__RUN_ID": "it",
        }
    )
    await create_topics(isolated_env, SINK_TOPICS)
    yield isolated_env
    await delete_topics(isolated_env)


@pytest.fixture
async def store(env: IsolatedEnv) -> AsyncIterator[Store]:
    s = await asyncio.to_thread(Store.open, env.settings().clickhouse_dsn, "memesnipe")
    yield s
    await asyncio.to_thread(s.close)


def fills_records() -> list[tuple[bytes, bytes]]:
    recs = []
    for i in range(N_FILLS):
        f = fill(
            i,
            Side.BUY if i % 2 == 0 else Side.SELL,
            instance=f"s{i % 5}",
            mint=f"M{(i // 2) % 37}",
            notional=SOL + i,
            minutes=i,
        )
        recs.append((f.mint.encode(), encode(f)))
    return recs


async def produce_scenario(env: IsolatedEnv) -> None:
    recs = fills_records()
    await produce(env.bootstrap, env.topic("fills"), recs)
    await produce(env.bootstrap, env.topic("fills"), recs[:50])  # a producer that re-sent: duplicates
    await produce(env.bootstrap, env.topic("fills"), [(b"M0", b'{"fill_id": "broken"')])
    await produce(env.bootstrap, env.topic("price"), [(b"M1", encode(price("M1", s / 4))) for s in range(40)])
    await produce(env.bootstrap, env.topic("killswitch"), [(b"global", encode(kill(True, 5)))])


async def run_sink(sink: AnalyticsSink, until: Callable[[], bool], what: str) -> None:
    await sink.start()
    task = asyncio.create_task(sink.run())
    try:
        await wait_until(lambda: until() or task.done(), what=what)
        if task.done():
            task.result()
    finally:
        sink.request_stop()
        await asyncio.wait_for(task, 30)
        await sink.stop()


EXPECTED_MESSAGES = N_FILLS + 50 + 1 + 40 + 1


async def test_rows_in_clickhouse_equal_the_fills_no_duplicates_none_missing(
    env: IsolatedEnv, store: Store
) -> None:
    await produce_scenario(env)
    sink = AnalyticsSink(env.settings(), store)
    # +1: the dead letter the sink itself published is consumed back into dead_letters
    await run_sink(
        sink,
        lambda: (
            sink.stats.messages >= EXPECTED_MESSAGES + 1
            and sink.writer.lag_seconds() == 0
            and not sink.writer.pending_rows
        ),
        "all messages inserted",
    )
    ids = store.rows("SELECT fill_id FROM memesnipe.fills FINAL WHERE run_id = 'it'")
    assert sorted(r["fill_id"] for r in ids) == sorted(f"fill-{i}" for i in range(N_FILLS))
    assert sink.stats.dead_lettered == 1
    letters = await consume(env.bootstrap, env.topic("deadletter"), min_count=1)
    assert len(letters) == 1 and b"truncated" in letters[0].value and b"broken" in letters[0].value
    dl = store.rows("SELECT topic, reason FROM memesnipe.dead_letters FINAL")
    assert dl == [{"topic": env.topic("fills"), "reason": dl[0]["reason"]}] and "fills:" in dl[0]["reason"]
    sampled = store.rows("SELECT count() AS n FROM memesnipe.market_events FINAL")[0]["n"]
    assert sampled == 10  # 40 price ticks, 4 per second, over 10 seconds
    assert Queries(store, "it", 100 * SOL).killswitch()["active"] is True


async def test_perp_venue_readings_are_stored_for_the_cockpit(env: IsolatedEnv, store: Store) -> None:
    why = "schedule; Drift v2 exchange_status 0x08: FillPaused"
    reading = Reconciliation(wallet="drift:W1", ts=T0, sol_lamports=0, reason=why)
    await produce(env.bootstrap, env.topic("perp_reconciliations"), [(b"drift:W1", encode(reading))])
    sink = AnalyticsSink(env.settings(), store)
    await run_sink(
        sink,
        lambda: sink.stats.messages >= 1 and not sink.writer.pending_rows and sink.writer.lag_seconds() == 0,
        "the reading inserted",
    )
    [venue] = perp_venues(Queries(store, "it", 100 * SOL))
    assert (venue.venue, venue.state, venue.reason) == ("drift", "paused", why.split("; ", 1)[1])


async def test_offsets_are_committed_only_after_the_insert_succeeded(env: IsolatedEnv, store: Store) -> None:
    recs = fills_records()[:100]
    await produce(env.bootstrap, env.topic("fills"), recs)
    await asyncio.to_thread(migrate, store)  # the outage starts after start-up
    flaky = FailingInserts(store, failures=3)
    sink = AnalyticsSink(env.settings(), flaky)  # type: ignore[arg-type]
    sink.writer.retry_initial_s = 0.5
    await sink.start()
    task = asyncio.create_task(sink.run())
    try:
        await wait_until(lambda: sink.stats.messages >= 100, what="messages read")
        assert sink._consumer is not None
        tps = [tp for tp in sink._consumer.assignment() if tp.topic == env.topic("fills")]
        # The inserts are failing: nothing may be committed yet.
        committed = [await sink._consumer.committed(tp) for tp in tps]
        assert flaky.failures > 0 and all(c is None for c in committed)
        await wait_until(
            lambda: sink.stats.commits > 0 and sink.writer.retries == 3, what="commit after retry"
        )
        total = sum([await sink._consumer.committed(tp) or 0 for tp in tps])
        assert total == 100
        assert store.rows("SELECT count() AS n FROM memesnipe.fills FINAL")[0]["n"] == 100
    finally:
        sink.request_stop()
        await asyncio.wait_for(task, 30)
        await sink.stop()


def deduplicated_health(q: Queries) -> list[dict[str, Any]]:
    """Health per table; market_events' count there is physical by design (cheap), so the
    deduplicated count of sampled market rows is checked with FINAL instead."""
    tables = [t if t["table"] != "market_events" else {**t, "rows": None} for t in q.health()["tables"]]
    final = q.store.rows("SELECT count() AS n FROM memesnipe.market_events FINAL WHERE run_id = 'it'")[0]["n"]
    return [*tables, {"table": "market_events FINAL", "rows": final}]


async def test_replaying_the_same_topic_range_leaves_query_results_unchanged(
    env: IsolatedEnv, store: Store
) -> None:
    await produce_scenario(env)
    settings = env.settings()
    first = AnalyticsSink(settings, store)
    await run_sink(
        first,
        lambda: (
            first.stats.messages >= EXPECTED_MESSAGES + 1
            and not first.writer.pending_rows
            and first.writer.lag_seconds() == 0
        ),
        "first pass",
    )
    q = Queries(store, "it", 100 * SOL)
    q.cache_s = 0
    before = q.report()
    health_before = deduplicated_health(q)
    assert before["totals"]["fills"] == N_FILLS

    # A second consumer group re-reads the whole topic range into the same tables.
    replay = AnalyticsSink(settings, store, group_id=settings.kafka.app_id + "-replay")
    await run_sink(
        replay,
        lambda: (
            replay.stats.messages >= EXPECTED_MESSAGES + 1
            and not replay.writer.pending_rows
            and replay.writer.lag_seconds() == 0
        ),
        "replay",
    )
    physical = store.rows("SELECT count() AS n FROM memesnipe.fills")[0]["n"]
    assert physical >= N_FILLS
    assert q.report() == before
    assert deduplicated_health(q) == health_before

    # The first group restarted resumes after its commit: it reads only what came after it,
    # the replay's own copy of the dead letter, which changes nothing either.
    again = AnalyticsSink(settings, store)
    await again.start()
    task = asyncio.create_task(again.run())
    await asyncio.sleep(3)
    again.request_stop()
    await asyncio.wait_for(task, 30)
    await again.stop()
    assert again.stats.messages == 1
    assert q.report() == before
    assert deduplicated_health(q) == health_before


async def test_a_second_member_joining_the_group_loses_and_duplicates_nothing(
    env: IsolatedEnv, store: Store
) -> None:
    recs = fills_records()
    settings = env.settings()
    await produce(env.bootstrap, env.topic("fills"), recs[:200])
    first = AnalyticsSink(settings, store)
    await first.start()
    t1 = asyncio.create_task(first.run())
    second = AnalyticsSink(settings, store)
    t2: asyncio.Task[None] | None = None
    try:
        await wait_until(lambda: first.stats.rows_inserted >= 200, what="first member's rows")
        await second.start()  # rebalance: the first member flushes and commits what it revokes
        t2 = asyncio.create_task(second.run())
        await produce(env.bootstrap, env.topic("fills"), recs[200:])

        def fills_in_db() -> int:
            return int(store.rows("SELECT count() AS n FROM memesnipe.fills FINAL")[0]["n"])

        await wait_until(lambda: fills_in_db() == N_FILLS, what="all fills after the rebalance")
        await wait_until(lambda: second.stats.messages > 0, what="second member got partitions")
    finally:
        for sink, task in ((first, t1), (second, t2)):
            sink.request_stop()
            if task is not None:
                await asyncio.wait_for(task, 30)
            await sink.stop()
    ids = store.rows("SELECT fill_id FROM memesnipe.fills FINAL")
    assert sorted(r["fill_id"] for r in ids) == sorted(f"fill-{i}" for i in range(N_FILLS))
    assert first.stats.commits > 0 and second.stats.commits > 0  # both owned and committed partitions
