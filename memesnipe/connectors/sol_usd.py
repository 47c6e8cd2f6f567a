"""SOL/USD for connectors that see amounts in lamports: the latest ``sol_price`` observation
(Pyth, ``memesnipe connect pyth``), used only for events within ``max_age_s`` of it, so a
backfilled or delayed event is never priced at a different moment's SOL price.

:class:`SolUsdFollower` keeps it current from the ``sol_price`` topic (each partition's last
record on start, then whatever arrives); :func:`with_usd` sets ``amount_usd`` from
``amount_lamports`` on events that carry SOL but no USD: a trade's SOL leg, and twice an LP
add/removal's SOL side (a pool takes and gives equal value of both sides).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from memesnipe.streams.codec import DecodeError, decode_market
from memesnipe.streams.market import OnChainEvent, OnChainKind, SolPriceEvent
from memesnipe.streams.topics import topic_names

log = logging.getLogger(__name__)
LAMPORTS_PER_SOL = 1_000_000_000
_TWO_SIDED = (OnChainKind.LP_ADD, OnChainKind.LP_REMOVE)


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
            sides = 2 if ev.kind in _TWO_SIDED else 1
            usd = sol.usd(sides * ev.amount_lamports, ev.ts)
            if usd is not None:
                ev = msgspec.structs.replace(ev, amount_usd=usd)
        out.append(ev)
    return out


class SolUsdFollower:
    """Keeps ``sol`` current from the ``sol_price`` topic; :meth:`refresh` before pricing."""

    def __init__(
        self, settings: Any, *, max_age_s: float = 120.0, poll_ms: int = 100, every_s: float = 2.0
    ) -> None:
        self.settings = settings
        self.topic = topic_names(settings)("sol_price")
        self.sol = SolUsd(max_age_s)
        self.poll_ms = poll_ms
        self.every_s = every_s
        self._last = -1e18
        self._consumer: Any = None
        self._catch_up: dict[Any, int] = {}  # partition -> end offset to reach before trusting "empty"

    async def _start(self) -> bool:
        """Assign every partition at its last record; False while the topic does not exist."""
        from aiokafka import AIOKafkaConsumer

        c = AIOKafkaConsumer(
            self.topic,
            bootstrap_servers=self.settings.kafka.bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="latest",
        )
        await c.start()
        try:
            for _ in range(40):  # the group-less subscription is assigned once metadata arrives
                if c.assignment():
                    break
                await asyncio.sleep(0.05)
            tps = sorted(c.assignment())
            if not tps:
                await c.stop()
                return False
            ends = await c.end_offsets(tps)
            for tp in tps:
                c.seek(tp, max(0, ends[tp] - 1))  # the last price of each partition
            self._catch_up = {tp: end for tp, end in ends.items() if end > 0}
        except BaseException:
            await c.stop()
            raise
        self._consumer = c
        return True

    async def refresh(self) -> SolUsd:
        if self._consumer is None and not await self._start():
            return self.sol  # no sol_price topic yet: no price
        deadline = time.monotonic() + 5.0
        while True:
            batches = await self._consumer.getmany(timeout_ms=self.poll_ms, max_records=1000)
            records = [r for rs in batches.values() for r in rs]
            for tp, end in list(self._catch_up.items()):
                if await self._consumer.position(tp) >= end:
                    del self._catch_up[tp]
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
            if not records and (not self._catch_up or time.monotonic() > deadline):
                return self.sol

    async def current(self) -> SolUsd:
        """:meth:`refresh` at most every ``every_s``; a broker failure keeps the last price
        (logged): a connector goes on without USD amounts rather than stopping."""
        now = time.monotonic()
        if now - self._last < self.every_s:
            return self.sol
        self._last = now
        try:
            return await self.refresh()
        except Exception as exc:
            log.warning("sol_price unavailable (%s): USD amounts use the last price, if recent", exc)
            await self.aclose()
            return self.sol

    async def aclose(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None
