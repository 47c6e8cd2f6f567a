"""Global views: every worker reads ALL partitions of a few small topics into memory.

Used for the control topics (killswitch, allocations, specs) and for the cross-partition
facts the risk gate needs (open positions and exposure per strategy, recent orders).

Why not a Faust ``GlobalTable``: Faust documents that a GlobalTable with several app
instances can loop forever in recovery unless it has one partition, and our control topics
have ``kafka.partitions``. A group-less aiokafka consumer assigned to every partition is the
same replicated view without that failure mode, and it gives an explicit *caught-up barrier*:
:meth:`GlobalView.wait_ready` returns only once the view has read up to the end offsets seen at
start, so a restarted worker can never act before it has seen an active kill switch.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition

from memesnipe.kafka_internals.metadata import partitions_for_topic
from memesnipe.streams.codec import DecodeError, decode_record

T = TypeVar("T")

log = logging.getLogger(__name__)

Handler = Callable[[bytes | None, bytes | None, int, int, int], None]
"""handler(key, value, partition, offset, timestamp_ms): fold one record into a view."""


@dataclass
class GlobalView:
    """Reads every partition of ``handlers``' topics from the beginning and keeps following."""

    bootstrap: str
    """aiokafka's ``h1:9092,h2:9092`` (``settings.kafka.bootstrap_servers``)."""
    handlers: dict[str, Handler]
    poll_ms: int = 50
    metadata_timeout_s: float = 30.0
    _consumer: AIOKafkaConsumer | None = None
    _task: asyncio.Task[None] | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    _targets: dict[TopicPartition, int] = field(default_factory=dict)
    error: BaseException | None = None
    on_ready: list[Callable[[], None]] = field(default_factory=list)
    """Called once, in order, when every partition has been read up to its end offset at start."""

    async def start(self) -> None:
        if self._task is not None:
            return
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            key_deserializer=None,
            value_deserializer=None,
        )
        await self._consumer.start()
        try:
            tps = await self._assign_all()
            ends = await self._consumer.end_offsets(tps)
            await self._consumer.seek_to_beginning(*tps)
        except BaseException:
            await self._consumer.stop()
            self._consumer = None
            raise
        self._targets = {tp: off for tp, off in ends.items() if off > 0}
        if not self._targets:
            self._set_ready()
        self._task = asyncio.create_task(self._run(), name=f"global-view:{','.join(self.handlers)}")

    async def _assign_all(self) -> list[TopicPartition]:
        assert self._consumer is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.metadata_timeout_s
        tps: list[TopicPartition] = []
        for name in self.handlers:
            left = max(0.0, deadline - loop.time())
            parts = await partitions_for_topic(self._consumer, name, timeout_s=left)
            if not parts:
                raise RuntimeError(f"topic {name!r} does not exist (waited {self.metadata_timeout_s:.0f}s)")
            tps.extend(TopicPartition(name, p) for p in sorted(parts))
        self._consumer.assign(tps)
        return tps

    async def _run(self) -> None:
        assert self._consumer is not None
        try:
            while True:
                batch = await self._consumer.getmany(timeout_ms=self.poll_ms, max_records=10_000)
                for tp, records in batch.items():
                    handler = self.handlers[tp.topic]
                    for r in records:
                        try:
                            handler(r.key, r.value, r.partition, r.offset, r.timestamp)
                        except DecodeError as exc:  # refused at the boundary: skipped (the
                            # stage that consumes the topic dead-letters it, once)
                            log.warning(
                                "global view: skipped %s[%s]@%s: %s", tp.topic, tp.partition, r.offset, exc
                            )
                        except Exception:  # a bad record must not stop the view
                            log.exception(
                                "global view: cannot apply %s[%s]@%s", tp.topic, tp.partition, r.offset
                            )
                if not self._ready.is_set():
                    await self._check_ready()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # surfaced to wait_ready callers
            self.error = exc
            log.exception("global view stopped")
            raise

    async def _check_ready(self) -> None:
        assert self._consumer is not None
        for tp, end in list(self._targets.items()):
            if await self._consumer.position(tp) >= end:
                del self._targets[tp]
        if not self._targets:
            self._set_ready()

    def _set_ready(self) -> None:
        for fn in self.on_ready:
            fn()
        self._ready.set()

    async def wait_ready(self, timeout_s: float | None = None) -> None:
        """Return once every partition has been read up to its end offset at start."""
        await asyncio.wait_for(self._ready.wait(), timeout_s)

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None


def latest_by_key(store: dict[str, Any], decode: Callable[[bytes], Any]) -> Handler:
    """A compacted-topic handler: ``store[key] = decode(value)``; a tombstone deletes."""

    def handle(key: bytes | None, value: bytes | None, partition: int, offset: int, ts_ms: int) -> None:
        k = (key or b"").decode("utf-8", "replace")
        if value is None:
            store.pop(k, None)
            return
        store[k] = decode(value)

    return handle


def view_record(short: str, tp: type[T], key: bytes | None, value: bytes, partition: int, offset: int) -> T:
    """One record of topic ``short`` for a view, through the same wire checks as the stages
    (``streams.codec.decode_record``); raises DecodeError, which the view logs and skips."""
    return decode_record(value, tp, topic=short, key=key)


def checked_latest_by_key(store: dict[str, Any], tp: type, short: str) -> Handler:
    """:func:`latest_by_key` through the wire checks: a refused record leaves the store as it was."""

    def handle(key: bytes | None, value: bytes | None, partition: int, offset: int, ts_ms: int) -> None:
        k = (key or b"").decode("utf-8", "replace")
        if value is None:
            store.pop(k, None)
            return
        store[k] = view_record(short, tp, key, value, partition, offset)

    return handle


async def start_views(views: Sequence[GlobalView], timeout_s: float | None = None) -> None:
    for v in views:
        await v.start()
    for v in views:
        await v.wait_ready(timeout_s)
