"""Every Kafka topic, declared once on the app with raw bytes (decoded by ``streams.codec``)."""

from __future__ import annotations

import faust

from memesnipe.app import app, settings
from memesnipe.streams.topics import ALL_TOPICS, COMPACTED, topic_configs, topic_names

names = topic_names(settings)


def _declare(name: str) -> faust.TopicT:
    return app.topic(
        names(name),
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=settings.kafka.partitions,
        replicas=settings.kafka.replication,
        compacting=name in COMPACTED,
        config=topic_configs(name) or None,
        internal=False,
    )


topics: dict[str, faust.TopicT] = {name: _declare(name) for name in ALL_TOPICS}


def topic(name: str) -> faust.TopicT:
    """The declared topic for a short name such as ``"price"`` or ``"fills"``."""
    return topics[name]
