"""A topic's partitions, refreshing aiokafka's cluster metadata until the topic shows up.

aiokafka's consumer only learns about a topic it is not subscribed to when its metadata is
refreshed, and the public API has no call for that: ``consumer._client.force_metadata_update()``
is the private one (re-check on an aiokafka upgrade: :mod:`memesnipe.kafka_internals.pins`).
"""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaConsumer


async def refresh_metadata(consumer: AIOKafkaConsumer) -> None:
    """Fetch the cluster metadata now (new topics, partitions)."""
    await consumer._client.force_metadata_update()


async def partitions_for_topic(
    consumer: AIOKafkaConsumer, topic: str, *, timeout_s: float | None = 0.0, poll_s: float = 0.2
) -> set[int]:
    """``topic``'s partition numbers; empty when the topic still does not exist after
    ``timeout_s`` (0: one refresh; None: wait for it, e.g. the first start creates it)."""
    loop = asyncio.get_running_loop()
    deadline = None if timeout_s is None else loop.time() + timeout_s
    while True:
        await refresh_metadata(consumer)
        parts = consumer.partitions_for_topic(topic)
        if parts:
            return set(parts)
        if deadline is not None and loop.time() >= deadline:
            return set()
        await asyncio.sleep(poll_s)
