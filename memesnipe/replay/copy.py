"""Copy a time range of the market topics into a replay's own topics, partition for partition.

Records keep their key, partition and timestamp, and appear in the same order per partition,
so the replayed pipeline sees exactly what the live one saw, while its outputs (signals,
orders, fills ...) go to the replay's topics and never mix with the live ones.

Across topics the copy is merged by event time (the payload's ``ts``; its broker timestamp if
it has none): the replay's reorder window puts inputs of different topics back in event-time
order only while their skew on the broker stays under the window (docs/EVENT_TIME.md), and a
copy topic by topic would put hours of one topic ahead of another.
"""

from __future__ import annotations

import asyncio
import heapq
from collections import deque
from datetime import datetime

import msgspec
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from memesnipe.replay.offsets import PartitionRange, offset_ranges


class _Timed(msgspec.Struct):
    ts: datetime


_ts_decoder = msgspec.json.Decoder(_Timed)


def event_ms(rec: ConsumerRecord) -> float:  # type: ignore[type-arg]
    """The record's event time in ms: its payload's ``ts``, else its broker timestamp."""
    try:
        return _ts_decoder.decode(rec.value).ts.timestamp() * 1000.0
    except Exception:  # not JSON, no ts, nested too deeply (RecursionError): the broker's time;
        return float(rec.timestamp)  # the stages dead-letter the record itself


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
        order = {tp: i for i, tp in enumerate(todo)}  # ties: a fixed order of the sources
        buffers: dict[TopicPartition, deque[ConsumerRecord]] = {tp: deque() for tp in todo}  # type: ignore[type-arg]
        heads: list[tuple[float, int, TopicPartition]] = []  # (event ms, source, tp) of each head
        pending: list[asyncio.Future[object]] = []
        while todo or heads:
            # every source still being read needs its next record before the earliest one is
            # known: fetch for those whose buffer ran dry
            need = [tp for tp in todo if not buffers[tp]]
            if need:
                batch = await consumer.getmany(*need, timeout_ms=500, max_records=5000)
                for tp, records in batch.items():
                    rng = todo.get(tp)
                    if rng is None:
                        continue
                    buf = buffers[tp]
                    was_empty = not buf
                    for rec in records:
                        if rec.offset >= rng.end:
                            break
                        buf.append(rec)
                    if was_empty and buf:
                        heapq.heappush(heads, (event_ms(buf[0]), order[tp], tp))
                for tp in need:  # read to its end: what is buffered is all that is left
                    if tp in todo and await consumer.position(tp) >= todo[tp].end:
                        consumer.pause(tp)
                        del todo[tp]
                continue
            _, _, tp = heapq.heappop(heads)
            buf = buffers[tp]
            rec = buf.popleft()
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
            if buf:
                heapq.heappush(heads, (event_ms(buf[0]), order[tp], tp))
            if len(pending) >= 10_000:
                await asyncio.gather(*pending)
                pending.clear()
        await asyncio.gather(*pending)
        return {src: counts.get(src, 0) for src in src_topics}
    finally:
        await producer.stop()
        await consumer.stop()
