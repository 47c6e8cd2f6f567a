"""Find the offset range of a time window in every partition of a topic (Kafka's time index)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from aiokafka import AIOKafkaConsumer, TopicPartition

from memesnipe.kafka_internals.metadata import partitions_for_topic


@dataclass(frozen=True)
class PartitionRange:
    """Offsets ``[start, end)`` of one partition whose records fall inside the window."""

    topic: str
    partition: int
    start: int
    end: int

    @property
    def count(self) -> int:
        return max(0, self.end - self.start)


def _ms(ts: datetime) -> int:
    if ts.tzinfo is None:
        raise ValueError(f"{ts!r} must be timezone-aware (UTC)")
    return int(ts.timestamp() * 1000)


async def offset_ranges(
    consumer: AIOKafkaConsumer, topic: str, start: datetime, end: datetime | None
) -> list[PartitionRange]:
    """For each partition: first offset with timestamp >= start, and first with timestamp >= end
    (or the log end). Kafka's own time index answers this, so no scan is needed."""
    parts = consumer.partitions_for_topic(topic) or await partitions_for_topic(consumer, topic)
    tps = [TopicPartition(topic, p) for p in sorted(parts)]
    if not tps:
        return []
    log_end = await consumer.end_offsets(tps)
    begin = await consumer.offsets_for_times({tp: _ms(start) for tp in tps})
    stop = await consumer.offsets_for_times({tp: _ms(end) for tp in tps}) if end else {}
    out = []
    for tp in tps:
        s = begin[tp].offset if begin.get(tp) is not None else log_end[tp]
        e_meta = stop.get(tp)
        e = e_meta.offset if e_meta is not None else log_end[tp]
        out.append(PartitionRange(topic, tp.partition, s, max(s, e)))
    return out
