"""``memesnipe topics``: create every topic with the configured partitions and replication."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from memesnipe.settings import Settings, get_settings
from memesnipe.streams.topics import KNOWN_TOPICS, topic_configs, topic_names


async def wait_for_leaders(admin: AIOKafkaAdminClient, names: list[str], timeout_s: float = 30.0) -> None:
    """New topics are usable once every partition has a leader; wait for that."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        meta = await admin.describe_topics(names)
        if all(
            t.get("error_code", 0) == 0 and t["partitions"] and all(p["leader"] >= 0 for p in t["partitions"])
            for t in meta
        ):
            return
        await asyncio.sleep(0.2)


async def create_topics(settings: Settings) -> list[str]:
    """Create missing topics (idempotent); returns the names created."""
    names = topic_names(settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        new = [
            NewTopic(
                names(t),
                num_partitions=settings.kafka.partitions,
                replication_factor=settings.kafka.replication,
                topic_configs=topic_configs(t),
            )
            for t in KNOWN_TOPICS
            if names(t) not in existing
        ]
        if new:
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics(new)
            await wait_for_leaders(admin, [t.name for t in new])
        return [t.name for t in new]
    finally:
        await admin.close()


def _run(args: argparse.Namespace) -> int:
    created = asyncio.run(create_topics(get_settings()))
    print(f"topics: created {len(created)}" + (": " + ", ".join(created) if created else ""))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("topics", help="create all topics (idempotent)")
    p.set_defaults(func=_run)
