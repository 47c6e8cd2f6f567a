"""Copy a time range of the market topics into a replay's own topics, partition for partition.

Records keep their key, partition and timestamp, and appear in the same order per partition,
so the replayed pipeline sees exactly what the live one saw, while its outputs (signals,
orders, fills ...) go to the replay's topics and never mix with the live ones.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from memesnipe.replay.offsets import PartitionRange, offset_ranges


async def copy_range(
    bootstrap: str,
    src_topics: dict[str, str],
    start: datetime,
    end: datetime | None,
) -> dict[str, int]:
    """Copy records of ``src -> dst`` topic pairs within ``[start, end)``; returns counts per src."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        linger_ms=10,
        acks="all",
        max_batch_size=512 * 1024,
        enable_idempotence=True,
    )
    await consumer.start()
    await producer.start()
    counts: dict[str, int] = {}
    try:
        ranges: list[PartitionRange] = []
        for src in src_topics:
            ranges.extend(r for r in await offset_ranges(consumer, src, start, end) if r.count)
        todo = {TopicPartition(r.topic, r.partition): r for r in ranges}
        if not todo:
            return {src: 0 for src in src_topics}
        consumer.assign(list(todo))
        for tp, r in todo.items():
            consumer.seek(tp, r.start)
        pending: list[asyncio.Future[object]] = []
        while todo:
            batch = await consumer.getmany(*todo.keys(), timeout_ms=500, max_records=5000)
            for tp, records in batch.items():
                found = todo.get(tp)
                if found is None:
                    continue
                r = found
                for rec in records:
                    if rec.offset >= r.end:
                        break
                    pending.append(
                        await producer.send(
                            src_topics[tp.topic],
                            value=rec.value,
                            key=rec.key,
                            partition=tp.partition,
                            timestamp_ms=rec.timestamp,
                        )
                    )
                    counts[tp.topic] = counts.get(tp.topic, 0) + 1
                if records and (records[-1].offset + 1 >= r.end):
                    consumer.pause(tp)
                    del todo[tp]
            for tp in list(todo):
                if await consumer.position(tp) >= todo[tp].end:
                    consumer.pause(tp)
                    del todo[tp]
        await asyncio.gather(*pending)
        return {src: counts.get(src, 0) for src in src_topics}
    finally:
        await producer.stop()
        await consumer.stop()
