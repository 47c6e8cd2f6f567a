"""The notifier's Kafka side: ``fills`` and ``killswitch`` in its own consumer group
(``<app_id>-notifier``), each record turned into a notification, sent, then its offset committed.

Keyed and idempotent: notification ids come from the records (fill id; kill switch time and
state) and the :class:`~memesnipe.notify.sent.SentLog` holds what each channel already got, so
a restart (or a rebalance that re-reads uncommitted records) sends nothing twice. A new group
starts at the end of the topics (no flood of history) unless ``notify.from_beginning``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from aiokafka import AIOKafkaConsumer

from memesnipe.notify.messages import Notification, from_fill, from_kill_switch
from memesnipe.notify.service import Notifier
from memesnipe.settings import Settings
from memesnipe.streams.codec import DecodeError, decode
from memesnipe.streams.control import KillSwitch
from memesnipe.streams.trading import Fill

log = logging.getLogger(__name__)


def to_notification(short: str, value: bytes | None, settings: Settings) -> Notification | None:
    """The notification for one record, or None (not wanted, or refused at the boundary: the
    stages that consume the topic dead-letter it)."""
    if value is None:
        return None
    try:
        if short == "fills":
            fill = decode(value, Fill)
            if fill.notional_lamports < settings.notify.min_fill_lamports:
                return None
            return from_fill(fill)
        if short == "killswitch":
            return from_kill_switch(decode(value, KillSwitch))
    except DecodeError as exc:
        log.warning("notify: skipped an undecodable %s record: %s", short, exc)
    return None


class NotifyConsumer:
    def __init__(self, settings: Settings, notifier: Notifier, *, group_id: str | None = None) -> None:
        self.settings, self.notifier = settings, notifier
        self.prefix = settings.kafka.topic_prefix
        self.group_id = group_id or settings.notify.group_id or f"{settings.kafka.app_id}-notifier"
        wanted = []
        if settings.notify.fills:
            wanted.append("fills")
        if settings.notify.killswitch:
            wanted.append("killswitch")
        self.topics = [self.prefix + t for t in wanted]
        self._consumer: AIOKafkaConsumer | None = None
        self._stopping = asyncio.Event()
        self.last_poll: float | None = None
        self.notified = 0

    async def start(self) -> None:
        self._consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.settings.kafka.bootstrap_servers,
            group_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest" if self.settings.notify.from_beginning else "latest",
            isolation_level="read_committed",
        )
        await self._consumer.start()

    def assignment(self) -> set[Any]:
        return set(self._consumer.assignment()) if self._consumer is not None else set()

    def request_stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        assert self._consumer is not None, "start() first"
        consumer = self._consumer
        while not self._stopping.is_set():
            batch = await consumer.getmany(timeout_ms=500, max_records=100)
            self.last_poll = time.monotonic()
            if not batch:
                continue
            offsets = {}
            for tp, records in batch.items():
                short = tp.topic[len(self.prefix) :]
                for r in records:
                    n = to_notification(short, r.value, self.settings)
                    if n is not None:
                        await self.notifier.notify(n)
                        self.notified += 1
                offsets[tp] = records[-1].offset + 1
            await consumer.commit(offsets)  # after sending: a crash re-reads, the sent log skips

    async def stop(self) -> None:
        self.request_stop()
        if self._consumer is not None:
            with contextlib.suppress(Exception):
                await self._consumer.stop()
            self._consumer = None
