"""One poller for every open cockpit: read the snapshot, push it to subscribers when it changed.

ClickHouse is read once per ``poll_s`` however many browsers are open, and only while at least
one is. Reads run on one dedicated thread (chDB and clickhouse-connect are synchronous), so the
event loop, and with it the HTTP server, never waits on a query. Each subscriber holds only the
latest encoded snapshot: a slow phone skips intermediate states instead of queueing them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import msgspec

from memesnipe.web import view

log = logging.getLogger(__name__)

Loader = Callable[[], view.Snapshot]
Overlay = Callable[[view.Snapshot], view.Snapshot]

_encoder = msgspec.json.Encoder()


class Subscriber:
    """A mailbox of size one holding the newest encoded snapshot."""

    def __init__(self) -> None:
        self._slot: asyncio.Queue[bytes] = asyncio.Queue(maxsize=1)

    def offer(self, data: bytes) -> None:
        if self._slot.full():
            self._slot.get_nowait()
        self._slot.put_nowait(data)

    async def next(self, timeout: float) -> bytes | None:
        try:
            return await asyncio.wait_for(self._slot.get(), timeout)
        except TimeoutError:
            return None


class SnapshotHub:
    def __init__(
        self,
        loader: Loader,
        *,
        poll_s: float = 1.0,
        overlay: Overlay | None = None,
        max_subscribers: int = 64,
    ) -> None:
        self._loader = loader
        self._overlay = overlay or (lambda s: s)
        self.poll_s = poll_s
        self.max_subscribers = max_subscribers
        self._subs: set[Subscriber] = set()
        self._latest: bytes | None = None
        self._raw: view.Snapshot | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cockpit-read")
        self._read_lock = asyncio.Lock()
        self.last_read_s = 0.0

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="cockpit-hub")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self._pool.shutdown(wait=False, cancel_futures=True)

    def notify(self) -> None:
        """Re-read now (the sink calls this after an insert, or a control after publishing)."""
        self._wake.set()

    def subscribe(self) -> Subscriber:
        if len(self._subs) >= self.max_subscribers:
            raise OverflowError(f"cockpit already has {len(self._subs)} live connections")
        sub = Subscriber()
        self._subs.add(sub)
        if self._latest is not None:
            sub.offer(self._latest)
        self._wake.set()
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self._subs.discard(sub)

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    async def snapshot(self, *, fresh: bool = False) -> bytes:
        """The newest encoded snapshot; read ClickHouse first when asked or when none exists."""
        if fresh or self._latest is None:
            await self._refresh()
        assert self._latest is not None
        return self._latest

    def republish(self) -> None:
        """Re-apply the overlay to the last read (e.g. the kill switch changed) and push it."""
        if self._raw is not None:
            self._publish(self._raw)

    async def _refresh(self) -> bool:
        async with self._read_lock:
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            raw = await loop.run_in_executor(self._pool, self._loader)
            self.last_read_s = loop.time() - t0
            self._raw = raw
            return self._publish(raw)

    def _publish(self, raw: view.Snapshot) -> bool:
        data = _encoder.encode(self._overlay(raw))
        if data == self._latest:
            return False
        self._latest = data
        for sub in self._subs:
            sub.offer(data)
        return True

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            if self._subs:
                try:
                    await self._refresh()
                except Exception:  # a broken read must not end the live feed
                    log.exception("cockpit: snapshot read failed")
            # a slow read (a big history) backs the cadence off: at most a third of one core
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(self.poll_s, 2 * self.last_read_s))
