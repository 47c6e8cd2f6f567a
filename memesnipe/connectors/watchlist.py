"""The mints a per-mint connector polls: the configured list, plus (``connectors.follow_watchlist``)
the ACTIVE entries of the compacted ``watchlist`` topic, picked up without a restart.

The follower reads every partition of the topic from the beginning with a group-less consumer
(the compacted topic is the state; no offsets to commit) and, at the start of each poll cycle,
applies whatever arrived since: ACTIVE adds the mint, EVICTED or a tombstone removes it. An
undecodable record is skipped with a warning (it cannot name a mint we should poll).
"""

from __future__ import annotations

import logging
from typing import Any

from memesnipe.connectors.runner import csv_list
from memesnipe.streams.codec import DecodeError, decode
from memesnipe.streams.topics import topic_names
from memesnipe.streams.watchlist import WatchlistEntry, WatchStatus

log = logging.getLogger(__name__)


class WatchlistFollower:
    """Keeps ``active`` = the watchlist's ACTIVE mints, refreshed by :meth:`refresh`."""

    def __init__(self, settings: Any, *, poll_ms: int = 200) -> None:
        self.settings = settings
        self.topic = topic_names(settings)("watchlist")
        self.poll_ms = poll_ms
        self.active: dict[str, WatchlistEntry] = {}
        self.skipped = 0
        self._consumer: Any = None

    async def _start(self) -> None:
        from aiokafka import AIOKafkaConsumer

        self._consumer = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.settings.kafka.bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=2000,  # notice the topic soon when discovery creates it later
        )
        await self._consumer.start()

    async def refresh(self) -> list[str]:
        """Apply every record that arrived since the last call; the active mints, sorted."""
        if self._consumer is None:
            await self._start()
        while True:
            batches = await self._consumer.getmany(timeout_ms=self.poll_ms, max_records=5000)
            records = [r for rs in batches.values() for r in rs]
            for r in records:
                self.apply(r.key, r.value)
            if not records:
                break
        return sorted(self.active)

    def apply(self, key: bytes | None, value: bytes | None) -> None:
        if value is None:  # tombstone
            if key:
                self.active.pop(key.decode(errors="replace"), None)
            return
        try:
            entry = decode(value, WatchlistEntry)
        except DecodeError as exc:
            self.skipped += 1
            log.warning("watchlist record skipped: %s", exc)
            return
        if entry.status is WatchStatus.ACTIVE:
            self.active[entry.mint] = entry
        else:
            self.active.pop(entry.mint, None)

    async def aclose(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None


class MintWatch:
    """Configured mints first, then the followed watchlist's (deduplicated)."""

    def __init__(self, static: list[str], follower: WatchlistFollower | None = None) -> None:
        self.static = static
        self.follower = follower

    async def current(self) -> list[str]:
        if self.follower is None:
            return list(self.static)
        seen = set(self.static)
        return [*self.static, *(m for m in await self.follower.refresh() if m not in seen)]

    async def aclose(self) -> None:
        if self.follower is not None:
            await self.follower.aclose()


def mint_watch(settings: Any, provider: str) -> MintWatch:
    """The mints ``provider`` polls; a start-up error when there is nothing to watch."""
    static = csv_list(settings.connectors.mints)
    follow = bool(getattr(settings.connectors, "follow_watchlist", False))
    if not static and not follow:
        raise SystemExit(
            f"memesnipe: {provider} needs mints to watch: set MEMESNIPE_CONNECTORS__MINTS "
            "or MEMESNIPE_CONNECTORS__FOLLOW_WATCHLIST=true (discovery's watchlist)"
        )
    return MintWatch(static, WatchlistFollower(settings) if follow else None)
