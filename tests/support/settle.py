"""Waiting until a pipeline has consumed everything: the consumer groups' committed offsets.

A test that compares a run's outputs must read them only once every stage has consumed its
inputs to the end; "no new output for a few seconds" is not that on a loaded machine (a stage
can take longer than the idle window to get to its next output)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

MARKET_TOPICS = ("price", "social", "depth", "bridge", "funding", "sol_price", "onchain")
WORKER_INPUTS = (*MARKET_TOPICS, "signals", "orders", "exec_results", "fills", "rejections")


async def group_lags(
    consumer: AIOKafkaConsumer,
    admin: AIOKafkaAdminClient,
    groups: Mapping[str, Iterable[str]],
    also_committed_with: str = "",
) -> dict[str, int]:
    """Records not yet committed, per consumer group, over every partition of the topics (full
    names) it must consume, plus the topics it has committed whose name starts with
    ``also_committed_with`` (when given)."""
    out: dict[str, int] = {}
    for group, inputs in groups.items():
        committed = await admin.list_consumer_group_offsets(group)
        topics = set(inputs)
        if also_committed_with:
            topics |= {tp.topic for tp in committed if tp.topic.startswith(also_committed_with)}
        tps = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        ends = await consumer.end_offsets(tps) if tps else {}
        out[group] = sum(
            max(0, end - (committed[tp].offset if tp in committed else 0)) for tp, end in ends.items()
        )
    return out


async def settle(
    bootstrap: str,
    groups: Mapping[str, Iterable[str]],
    *,
    topics_prefix: str,
    idle_s: float,
    timeout_s: float,
) -> dict[str, int]:
    """Wait until no topic starting with ``topics_prefix`` grows for ``idle_s`` and every group
    has committed everything it consumes. Raises TimeoutError naming the lags."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await consumer.start()
    await admin.start()
    try:
        topics = sorted(t for t in await consumer.topics() if t.startswith(topics_prefix))
        tps = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
        last: dict[TopicPartition, int] = {}
        since = time.monotonic()
        deadline = since + timeout_s
        lags: dict[str, int] = {}
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            ends = await consumer.end_offsets(tps)
            if ends != last:
                last, since = ends, time.monotonic()
                continue
            try:
                lags = await group_lags(consumer, admin, groups, topics_prefix)
            except KafkaError:  # a coordinator moving or loading: ask again
                continue
            if time.monotonic() - since >= idle_s and not any(lags.values()):
                return lags
        raise TimeoutError(f"the pipeline did not settle within {timeout_s:.0f}s (lags {lags})")
    finally:
        await consumer.stop()
        await admin.close()
