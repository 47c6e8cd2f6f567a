"""The kill switch on Kafka: the view every stage reads, and the one kill/resume service.

- :class:`KillSwitchView`: every partition of the ``killswitch`` topic, from the beginning, into
  the one fold (:class:`memesnipe.core.control.KillFold`); ON ("not ready") until the topic has
  been read to the end offsets seen at start. :func:`shared_kill_view` is the process's one
  instance for the router, the position manager and the portfolio monitor.
- :func:`read_kill_switch`: the topic read once to its end (``memesnipe killswitch``, preflight).
- :class:`KillSwitchService`: the only code that writes the switch, behind both front-ends
  (``memesnipe kill/resume`` and the cockpit's ``POST /api/kill|resume``): builds the record
  (who, why, time, flatten only with a kill), sends it under key ``global`` with ``acks=all``
  and idempotence, and waits for the broker's acknowledgement.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from memesnipe.core.control import KILL_KEY_BYTES, KillFold, KillStatus
from memesnipe.settings import Settings
from memesnipe.streams.base import utcnow
from memesnipe.streams.codec import encode
from memesnipe.streams.control import KillSwitch
from memesnipe.streams.topics import topic_configs, topic_names
from memesnipe.tables.views import GlobalView

log = logging.getLogger(__name__)


class KillSwitchView:
    """The killswitch topic folded with the one meaning; ``status`` answers at any time."""

    def __init__(self, bootstrap: str, topic: str, *, metadata_timeout_s: float = 30.0) -> None:
        self.fold = KillFold()
        self._listeners: list[Callable[[KillStatus], None]] = []
        self.view = GlobalView(
            bootstrap,
            {topic: self._on_record},
            metadata_timeout_s=metadata_timeout_s,
            on_ready=[self._on_ready],
        )
        self._lock = asyncio.Lock()
        self._started = False

    @classmethod
    def from_settings(cls, settings: Settings) -> KillSwitchView:
        return cls(settings.kafka.bootstrap_servers, topic_names(settings)("killswitch"))

    def on_change(self, fn: Callable[[KillStatus], None]) -> None:
        """Call ``fn`` with every new answer (including the first once read to the end)."""
        self._listeners.append(fn)

    def _on_record(
        self, key: bytes | None, value: bytes | None, partition: int, offset: int, ts: int
    ) -> None:
        if self.fold.apply(key, value, partition, offset, ts):
            self._changed()

    def _on_ready(self) -> None:
        self.fold.mark_read_to_end()
        self._changed()

    def _changed(self) -> None:
        st = self.fold.status
        log.info("kill switch view: %s", st.describe())
        for fn in self._listeners:
            fn(st)

    @property
    def status(self) -> KillStatus:
        return self.fold.status

    async def ensure_started(self, timeout_s: float = 120.0) -> None:
        """Start once (shared by every caller) and wait until the topic was read to its end."""
        async with self._lock:
            if not self._started:
                await self.view.start()
                self._started = True
        await self.view.wait_ready(timeout_s)

    async def stop(self) -> None:
        await self.view.stop()
        self._started = False


_shared: dict[tuple[str, str], KillSwitchView] = {}


def shared_kill_view(settings: Settings) -> KillSwitchView:
    """This process's one view of the kill switch (one consumer for every stage using it)."""
    key = (settings.kafka.broker, topic_names(settings)("killswitch"))
    view = _shared.get(key)
    if view is None:
        view = _shared[key] = KillSwitchView.from_settings(settings)
    return view


async def stop_shared_views() -> None:
    for view in list(_shared.values()):
        await view.stop()


async def ensure_killswitch_topic(settings: Settings) -> str:
    """Create the compacted killswitch topic if it is missing (as the Faust app declares it)."""
    name = topic_names(settings)("killswitch")
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka.bootstrap_servers)
    await admin.start()
    try:
        if name not in await admin.list_topics():
            k = settings.kafka
            topic = NewTopic(
                name, num_partitions=k.partitions, replication_factor=k.replication,
                topic_configs=topic_configs("killswitch"),
            )  # fmt: skip
            with contextlib.suppress(TopicAlreadyExistsError):
                await admin.create_topics([topic])
    finally:
        await admin.close()
    return name


async def read_kill_switch(settings: Settings, timeout_s: float = 30.0) -> KillStatus:
    """The kill switch as every stage sees it: the topic read once to its end."""
    await ensure_killswitch_topic(settings)
    view = KillSwitchView(
        settings.kafka.bootstrap_servers,
        topic_names(settings)("killswitch"),
        metadata_timeout_s=timeout_s,
    )
    try:
        await view.ensure_started(timeout_s)
    finally:
        await view.stop()
    return view.status


class ControlError(RuntimeError):
    """The kill-switch record could not be published; the message says why."""


@dataclass(frozen=True, slots=True)
class Published:
    """A kill/resume the broker acknowledged (``acks=all``), and where it landed."""

    message: KillSwitch
    topic: str
    partition: int
    offset: int


def kill_switch_record(*, active: bool, by: str, reason: str, flatten: bool = False) -> KillSwitch:
    """The record of a kill (``active``) or a resume: who and why are required; flatten only
    goes with a kill; the time is now (UTC)."""
    by, reason = " ".join(by.split()), " ".join(reason.split())
    if not by or not reason:
        raise ControlError("a kill or resume needs who (by) and why (reason)")
    return KillSwitch(active=active, ts=utcnow(), by=by, reason=reason, flatten=flatten and active)


class KillSwitchService:
    """Publishes kill and resume: one producer (``acks=all``, idempotent), key ``global``."""

    def __init__(
        self, settings: Settings, *, timeout_s: float | None = None, client_id: str = "memesnipe-control"
    ) -> None:
        self.settings = settings
        self.topic = topic_names(settings)("killswitch")
        self.bootstrap = settings.kafka.bootstrap_servers
        self.timeout_s = settings.web.publish_timeout_s if timeout_s is None else timeout_s
        self.client_id = client_id
        self._producer: AIOKafkaProducer | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        """Create the topic if missing and connect; raises when Kafka cannot be reached."""
        if self._producer is not None:
            return
        await ensure_killswitch_topic(self.settings)
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

    async def stop(self) -> None:
        if self._producer is not None:
            self._ready.clear()
            await self._producer.stop()
            self._producer = None

    async def __aenter__(self) -> KillSwitchService:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def set(self, *, active: bool, by: str, reason: str, flatten: bool = False) -> Published:
        """Kill (``active``) or resume; returns once the broker acknowledged it, or raises
        ControlError saying why not."""
        msg = kill_switch_record(active=active, by=by, reason=reason, flatten=flatten)
        try:  # a front-end may call while its producer is still connecting: wait, within the timeout
            await asyncio.wait_for(self._ready.wait(), self.timeout_s)
        except TimeoutError:
            raise ControlError(f"kill switch control is not connected to Kafka ({self.bootstrap})") from None
        assert self._producer is not None
        try:
            fut = await self._producer.send(self.topic, key=KILL_KEY_BYTES, value=encode(msg))
            meta = await asyncio.wait_for(fut, self.timeout_s)
        except (KafkaError, TimeoutError) as exc:
            raise ControlError(
                f"kill switch not published to {self.topic}: {type(exc).__name__} {exc}"
            ) from exc
        log.warning(
            "kill switch %s by %s (%s) -> %s[%s]@%s",
            "ON" if active else "OFF", msg.by, msg.reason, meta.topic, meta.partition, meta.offset,
        )  # fmt: skip
        return Published(msg, meta.topic, meta.partition, meta.offset)
