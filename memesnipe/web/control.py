"""Kill / resume from the cockpit: publish a KillSwitch message and read the topic back.

The risk gate reads the (compacted) killswitch topic, so that topic is the truth. The cockpit
shows what it reads back from it, not what it meant to send: a PAUSED badge means the message
is on the broker, acknowledged by all in-sync replicas, where every risk gate will see it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from memesnipe.settings import Settings
from memesnipe.streams.base import utcnow
from memesnipe.streams.codec import DecodeError, decode, encode
from memesnipe.streams.control import KillSwitch
from memesnipe.streams.topics import topic_names

log = logging.getLogger(__name__)

KILLSWITCH_KEY = b"global"
"""One key for the whole platform: compaction keeps the latest switch state."""


class ControlError(RuntimeError):
    """The kill-switch message could not be published; the message says why."""


def bootstrap_servers(broker: str) -> str:
    """``kafka://a:9092;kafka://b:9092`` -> ``a:9092,b:9092`` (aiokafka's form)."""
    return ",".join(url.removeprefix("kafka://") for url in broker.split(";") if url)


class KillSwitchControl:
    """Publishes kill/resume and tails the killswitch topic for the current state."""

    def __init__(
        self,
        bootstrap: str,
        topic: str,
        *,
        timeout_s: float = 10.0,
        client_id: str = "memesnipe-cockpit",
    ) -> None:
        self.bootstrap = bootstrap
        self.topic = topic
        self.timeout_s = timeout_s
        self.client_id = client_id
        self.state: KillSwitch | None = None
        self.caught_up = False  # True once the topic was read to its end: no message = never paused
        self._listeners: list[Callable[[KillSwitch | None], None]] = []
        self._producer: AIOKafkaProducer | None = None
        self._tail: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    @classmethod
    def from_settings(cls, settings: Settings) -> KillSwitchControl:
        return cls(
            bootstrap_servers(settings.kafka.broker),
            topic_names(settings)("killswitch"),
            timeout_s=settings.web.publish_timeout_s,
        )

    def on_change(self, fn: Callable[[KillSwitch | None], None]) -> None:
        """Call ``fn`` with each newer KillSwitch seen on the topic (and once when caught up)."""
        self._listeners.append(fn)

    async def start(self) -> None:
        if self._producer is not None:
            return
        producer = AIOKafkaProducer(
            bootstrap_servers=self.bootstrap,
            client_id=self.client_id,
            acks="all",
            enable_idempotence=True,
            request_timeout_ms=int(self.timeout_s * 1000),
        )
        try:
            await producer.start()
        except BaseException:
            with contextlib.suppress(Exception):
                await producer.stop()
            raise
        self._producer = producer
        self._ready.set()
        self._tail = asyncio.create_task(self._follow(), name="cockpit-killswitch-tail")

    async def stop(self) -> None:
        if self._tail is not None:
            self._tail.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tail
            self._tail = None
        if self._producer is not None:
            self._ready.clear()
            await self._producer.stop()
            self._producer = None

    async def publish(self, *, active: bool, by: str, reason: str, flatten: bool = False) -> KillSwitch:
        """Send and wait for the broker's acknowledgement (``acks=all``), or raise ControlError."""
        try:  # just after start-up the producer may still be connecting: wait, within the timeout
            await asyncio.wait_for(self._ready.wait(), self.timeout_s)
        except TimeoutError:
            raise ControlError(f"cockpit control is not connected to Kafka ({self.bootstrap})") from None
        assert self._producer is not None
        msg = KillSwitch(active=active, ts=utcnow(), by=by, reason=reason, flatten=flatten and active)
        try:
            fut = await self._producer.send(self.topic, key=KILLSWITCH_KEY, value=encode(msg))
            meta = await asyncio.wait_for(fut, self.timeout_s)
        except (KafkaError, TimeoutError) as exc:
            why = f"{type(exc).__name__} {exc}"
            raise ControlError(f"kill switch not published to {self.topic}: {why}") from exc
        log.warning(
            "kill switch %s by %s (%s) -> %s[%s]@%s",
            "ON" if active else "OFF",
            by,
            reason,
            meta.topic,
            meta.partition,
            meta.offset,
        )
        return msg

    def apply(self, key: bytes | None, value: bytes | None, ts_ms: int) -> None:
        """One killswitch record, in log order, read exactly as the risk gate reads it
        (``memesnipe.tables.risk``): only the ``global`` key counts, the latest record wins, a
        tombstone clears the switch, and an unreadable record turns it ON (fail closed)."""
        if key != KILLSWITCH_KEY:
            log.warning(
                "killswitch record under key %r ignored (the risk gate reads only %r)", key, KILLSWITCH_KEY
            )
            return
        if value is None:
            msg: KillSwitch | None = None
        else:
            try:
                msg = decode(value, KillSwitch)
            except DecodeError as exc:
                ts = datetime.fromtimestamp(ts_ms / 1000, UTC)
                msg = KillSwitch(active=True, ts=ts, by="cockpit", reason=f"unreadable kill switch: {exc}")
        if msg != self.state:
            self.state = msg
            for fn in self._listeners:
                fn(msg)

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
                            self.apply(rec.key, rec.value, rec.timestamp)
                    if not self.caught_up and all([await consumer.position(tp) >= ends[tp] for tp in tps]):
                        self.caught_up = True
                        for fn in self._listeners:
                            fn(self.state)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("cockpit: killswitch tail failed; retrying in 2 s")
                await asyncio.sleep(2.0)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()

    async def _partitions(self, consumer: AIOKafkaConsumer) -> set[int]:
        while True:
            await consumer._client.force_metadata_update()
            parts = consumer.partitions_for_topic(self.topic)
            if parts:
                return set(parts)
            await asyncio.sleep(1.0)  # topic not created yet (first start): wait for it
