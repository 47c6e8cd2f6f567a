"""Kill / resume from the cockpit: the one kill/resume service, and the topic read back.

The risk gate reads the (compacted) killswitch topic, so that topic is the truth. The cockpit
publishes through :class:`memesnipe.tables.control.KillSwitchService` (the same code as
``memesnipe kill/resume``) and shows what it reads back, folded with the one meaning every stage
uses (:mod:`memesnipe.core.control`): a PAUSED badge means the record is on the broker,
acknowledged by all in-sync replicas, where every risk gate will see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition

from memesnipe.core.control import KILL_KEY_BYTES, KillFold, KillStatus
from memesnipe.kafka_internals.metadata import partitions_for_topic
from memesnipe.settings import Settings
from memesnipe.streams.control import KillSwitch
from memesnipe.streams.topics import topic_names
from memesnipe.tables.control import ControlError, KillSwitchService

log = logging.getLogger(__name__)

KILLSWITCH_KEY = KILL_KEY_BYTES
"""One key for the whole platform: compaction keeps the latest switch state."""

__all__ = ["KILLSWITCH_KEY", "ControlError", "KillSwitchControl"]


class KillSwitchControl:
    """Publishes kill/resume (the shared service) and tails the killswitch topic into the fold."""

    def __init__(self, settings: Settings, *, client_id: str = "memesnipe-cockpit") -> None:
        self.bootstrap = settings.kafka.bootstrap_servers
        self.topic = topic_names(settings)("killswitch")
        self.client_id = client_id
        self.service = KillSwitchService(settings, client_id=client_id)
        self.fold = KillFold()
        self._listeners: list[Callable[[KillStatus], None]] = []
        self._tail: asyncio.Task[None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> KillSwitchControl:
        return cls(settings)

    @property
    def status(self) -> KillStatus:
        """The kill switch as every stage reads it; ON and not ready until read to its end."""
        return self.fold.status

    @property
    def caught_up(self) -> bool:
        return self.fold.read_to_end

    def on_change(self, fn: Callable[[KillStatus], None]) -> None:
        """Call ``fn`` with each new answer (and once when the topic was read to its end)."""
        self._listeners.append(fn)

    async def start(self) -> None:
        await self.service.start()
        if self._tail is None:
            self._tail = asyncio.create_task(self._follow(), name="cockpit-killswitch-tail")

    async def stop(self) -> None:
        if self._tail is not None:
            self._tail.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tail
            self._tail = None
        await self.service.stop()

    async def publish(self, *, active: bool, by: str, reason: str, flatten: bool = False) -> KillSwitch:
        """Kill or resume through the shared service; waits for ``acks=all`` or raises ControlError."""
        return (await self.service.set(active=active, by=by, reason=reason, flatten=flatten)).message

    def apply(self, key: bytes | None, value: bytes | None, partition: int, offset: int, ts_ms: int) -> None:
        """One killswitch record, in log order, into the fold every stage uses."""
        if self.fold.apply(key, value, partition, offset, ts_ms):
            self._changed()

    def mark_read_to_end(self) -> None:
        if self.fold.mark_read_to_end():
            self._changed()

    def _changed(self) -> None:
        for fn in self._listeners:
            fn(self.fold.status)

    async def _follow(self) -> None:
        """Read the topic from the beginning forever; restart after broker errors."""
        while True:
            consumer = AIOKafkaConsumer(
                bootstrap_servers=self.bootstrap,
                client_id=self.client_id + "-tail",
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
            )
            try:
                await consumer.start()
                parts = await self._partitions(consumer)
                tps = [TopicPartition(self.topic, p) for p in sorted(parts)]
                consumer.assign(tps)
                await consumer.seek_to_beginning(*tps)
                ends = await consumer.end_offsets(tps)
                while True:
                    batch = await consumer.getmany(timeout_ms=500)
                    for records in batch.values():
                        for rec in records:
                            self.apply(rec.key, rec.value, rec.partition, rec.offset, rec.timestamp)
                    if not self.caught_up and all([await consumer.position(tp) >= ends[tp] for tp in tps]):
                        self.mark_read_to_end()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("cockpit: killswitch tail failed; retrying in 2 s")
                await asyncio.sleep(2.0)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()

    async def _partitions(self, consumer: AIOKafkaConsumer) -> set[int]:
        # the topic may not be created yet (first start): wait for it
        return await partitions_for_topic(consumer, self.topic, timeout_s=None, poll_s=1.0)
