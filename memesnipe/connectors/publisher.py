"""Publishes wire messages onto their topics (aiokafka), for connectors, the simulator and
the replayer. Keys are the token mint; payloads that failed to parse go to the dead-letter topic."""

from __future__ import annotations

import base64
from typing import Any

import msgspec
from aiokafka import AIOKafkaProducer

from memesnipe.settings import Settings
from memesnipe.streams.base import utcnow
from memesnipe.streams.codec import encode
from memesnipe.streams.deadletter import DeadLetter
from memesnipe.streams.market import MarketEvent
from memesnipe.streams.topics import topic_names


class Publisher:
    """Thin async producer: ``await publish("price", mint, event)``; ``await flush()``."""

    def __init__(self, settings: Settings, *, linger_ms: int = 5) -> None:
        self.settings = settings
        self.names = topic_names(settings)
        self.sent = 0
        self._producer = AIOKafkaProducer(
            bootstrap_servers=settings.kafka.bootstrap_servers,
            linger_ms=linger_ms,
            acks="all",
            enable_idempotence=True,
            max_batch_size=256 * 1024,
            compression_type=None,
        )

    async def start(self) -> None:
        await self._producer.start()

    async def stop(self) -> None:
        await self._producer.stop()

    async def __aenter__(self) -> Publisher:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.flush()
        await self.stop()

    async def publish(self, topic: str, key: str | bytes | None, msg: msgspec.Struct | bytes) -> None:
        """Queue one message (returns once buffered; ``flush`` waits for delivery)."""
        value = msg if isinstance(msg, bytes) else encode(msg)
        k = key.encode() if isinstance(key, str) else key
        await self._producer.send(self.names(topic), value=value, key=k)
        self.sent += 1

    async def publish_event(self, event: MarketEvent) -> None:
        """A market event onto its own topic, keyed by its mint."""
        tag = type(event).__struct_config__.tag
        await self.publish(str(tag), event.mint, event)

    async def dead_letter(
        self, source_topic: str, key: str | None, payload: Any, reason: str, consumer: str
    ) -> None:
        """Record a payload we could not use, with the reason (connectors call this on parse errors)."""
        if isinstance(payload, bytes):
            text = payload.decode("utf-8", "replace")
        elif isinstance(payload, str):
            text = payload
        else:
            try:
                text = msgspec.json.encode(payload).decode()
            except TypeError:
                text = "repr:" + base64.b64encode(repr(payload).encode()).decode()
        letter = DeadLetter(
            topic=source_topic,
            partition=-1,
            offset=-1,
            key=key,
            reason=reason,
            payload=text,
            ts=utcnow(),
            consumer=consumer,
        )
        await self.publish("deadletter", key, letter)

    async def flush(self) -> None:
        await self._producer.flush()
