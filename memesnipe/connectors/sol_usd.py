"""SOL/USD for connectors that see amounts in lamports: the latest ``sol_price`` observation
(Pyth, ``memesnipe connect pyth``), used only for events within ``max_age_s`` of it, so a
backfilled or delayed event is never priced at a different moment's SOL price.

:class:`SolUsdFollower` keeps it current from the ``sol_price`` topic (each partition's last
record on start, then whatever arrives); :func:`with_usd` sets ``amount_usd`` from
``amount_lamports`` on events that carry SOL but no USD.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from memesnipe.streams.codec import DecodeError, decode_market
from memesnipe.streams.market import OnChainEvent, SolPriceEvent
from memesnipe.streams.topics import topic_names

log = logging.getLogger(__name__)
LAMPORTS_PER_SOL = 1_000_000_000


@dataclass
class SolUsd:
    max_age_s: float = 120.0
    price: float | None = None
    ts: datetime | None = None

    def observe(self, ev: SolPriceEvent) -> None:
        """Keep the newest positive price (by event time)."""
        if ev.price_usd > 0 and (self.ts is None or ev.ts >= self.ts):
            self.price, self.ts = ev.price_usd, ev.ts

    def at(self, when: datetime) -> float | None:
        """The price to use for something that happened at ``when``; None: none close enough."""
        if self.price is None or self.ts is None:
            return None
        return self.price if abs((when - self.ts).total_seconds()) <= self.max_age_s else None

    def usd(self, lamports: int, when: datetime) -> float | None:
        p = self.at(when)
        return None if p is None else round(lamports / LAMPORTS_PER_SOL * p, 2)


def with_usd(events: Iterable[Any], sol: SolUsd) -> list[Any]:
    """On-chain events with SOL amounts but no USD get ``amount_usd``; the rest pass unchanged."""
    out = []
    for ev in events:
        if isinstance(ev, OnChainEvent) and ev.amount_usd == 0.0 and ev.amount_lamports > 0:
            usd = sol.usd(ev.amount_lamports, ev.ts)
            if usd is not None:
                ev = msgspec.structs.replace(ev, amount_usd=usd)
        out.append(ev)
    return out


class SolUsdFollower:
    """Keeps ``sol`` current from the ``sol_price`` topic; :meth:`refresh` before pricing."""

    def __init__(self, settings: Any, *, max_age_s: float = 120.0, poll_ms: int = 100) -> None:
        self.settings = settings
        self.topic = topic_names(settings)("sol_price")
        self.sol = SolUsd(max_age_s)
        self.poll_ms = poll_ms
        self._consumer: Any = None

    async def _start(self) -> None:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        c = AIOKafkaConsumer(
            bootstrap_servers=self.settings.kafka.bootstrap_servers, group_id=None, enable_auto_commit=False
        )
        await c.start()
        parts = await c.partitions_for_topic(self.topic) or set()
        tps = [TopicPartition(self.topic, p) for p in sorted(parts)]
        c.assign(tps)
        if tps:
            ends = await c.end_offsets(tps)
            for tp in tps:
                c.seek(tp, max(0, ends[tp] - 1))  # the last price of each partition
        self._consumer = c

    async def refresh(self) -> SolUsd:
        if self._consumer is None:
            await self._start()
        while True:
            batches = await self._consumer.getmany(timeout_ms=self.poll_ms, max_records=1000)
            records = [r for rs in batches.values() for r in rs]
            for r in records:
                if r.value is None:
                    continue
                try:
                    ev = decode_market(r.value)
                except DecodeError as exc:
                    log.warning("sol_price record skipped: %s", exc)
                    continue
                if isinstance(ev, SolPriceEvent):
                    self.sol.observe(ev)
            if not records:
                return self.sol

    async def aclose(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
