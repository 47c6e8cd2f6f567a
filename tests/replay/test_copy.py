from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer

from memesnipe.replay.copy import copy_range
from tests.support.kafka import consume, create_topics

pytestmark = pytest.mark.integration

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


async def test_copies_only_the_time_window_keeping_partition_key_and_order(isolated_env):
    await create_topics(isolated_env, ["price"])
    src = isolated_env.topic("price")
    dst = isolated_env.prefix + "replay-x.price"
    producer = AIOKafkaProducer(bootstrap_servers=isolated_env.bootstrap)
    await producer.start()
    try:
        for minute in range(3):
            for i in range(20):
                ts = T0 + timedelta(minutes=minute, seconds=i)
                await producer.send_and_wait(
                    src,
                    value=f"m{minute}-{i}".encode(),
                    key=f"mint{i % 5}".encode(),
                    timestamp_ms=int(ts.timestamp() * 1000),
                )
    finally:
        await producer.stop()

    counts = await copy_range(
        isolated_env.bootstrap, {src: dst}, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)
    )
    assert counts == {src: 20}
    src_recs = await consume(isolated_env.bootstrap, src, min_count=60)
    dst_recs = await consume(isolated_env.bootstrap, dst, min_count=20)
    assert sorted(r.value for r in dst_recs) == sorted(f"m1-{i}".encode() for i in range(20))
    src_by_value = {r.value: r for r in src_recs}
    for r in dst_recs:
        orig = src_by_value[r.value]
        assert (r.partition, r.key, r.timestamp) == (orig.partition, orig.key, orig.timestamp)
    for p in {r.partition for r in dst_recs}:
        assert [r.value for r in dst_recs if r.partition == p] == [
            r.value for r in src_recs if r.partition == p and r.value.startswith(b"m1-")
        ]


async def test_open_ended_window_copies_to_the_log_end(isolated_env):
    await create_topics(isolated_env, ["funding"])
    src = isolated_env.topic("funding")
    dst = isolated_env.prefix + "replay-y.funding"
    producer = AIOKafkaProducer(bootstrap_servers=isolated_env.bootstrap)
    await producer.start()
    try:
        for i in range(10):
            await producer.send_and_wait(
                src,
                value=b"%d" % i,
                key=b"k",
                timestamp_ms=int((T0 + timedelta(seconds=i)).timestamp() * 1000),
            )
    finally:
        await producer.stop()
    counts = await copy_range(isolated_env.bootstrap, {src: dst}, T0 + timedelta(seconds=4), None)
    assert counts == {src: 6}


async def test_topics_are_merged_by_event_time_keeping_each_partitions_order(isolated_env, monkeypatch):
    """Published topic by topic (all prices, then all depth), the copy interleaves them by the
    payload's event time: the replay's reorder window needs the topics' skew to stay small."""
    await create_topics(isolated_env, ["price", "depth"])
    src = {t: isolated_env.topic(t) for t in ("price", "depth")}
    dst = {t: isolated_env.prefix + f"replay-z.{t}" for t in src}
    producer = AIOKafkaProducer(bootstrap_servers=isolated_env.bootstrap)
    await producer.start()
    try:
        for t in ("price", "depth"):
            for i in range(30):
                ts = (T0 + timedelta(seconds=i)).isoformat().replace("+00:00", "Z")
                await producer.send_and_wait(src[t], value=f'{{"ts":"{ts}","n":{i}}}'.encode(), key=b"mint0")
    finally:
        await producer.stop()
    sent: list[tuple[str, bytes]] = []
    original = AIOKafkaProducer.send

    async def recording_send(self, topic, value=None, key=None, **kw):
        sent.append((topic, value))
        return await original(self, topic, value=value, key=key, **kw)

    monkeypatch.setattr(AIOKafkaProducer, "send", recording_send)
    start = datetime.now(UTC) - timedelta(hours=1)  # broker timestamps: the publish wall time
    counts = await copy_range(isolated_env.bootstrap, {src[t]: dst[t] for t in src}, start, None)
    assert counts == {src["price"]: 30, src["depth"]: 30}
    ns = [int(v.split(b'"n":')[1].rstrip(b"}")) for _, v in sent]
    assert ns == sorted(ns)  # event time never goes back across the two topics
    assert {tp for tp, _ in sent[:2]} == set(dst.values())  # both topics from the first instant
    for t in src:
        assert [n for (tp, _), n in zip(sent, ns, strict=True) if tp == dst[t]] == list(range(30))
