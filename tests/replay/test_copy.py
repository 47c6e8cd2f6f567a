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
