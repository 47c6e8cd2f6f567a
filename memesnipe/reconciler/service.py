"""Reads the positions topic (the books) and the wallet's token accounts (the chain) on a
schedule and shortly after every fill, publishes a ``Reconciliation`` record each time, and
alerts (log + metrics) on a mismatch that persists over two readings: one reading can race a
fill that landed on chain while its position update is still on its way.

The books then adopt the chain's numbers: for a persisted mismatch on a mint with no order in
flight (order_updates: sent, signed, submitted, or landed with its fill still to come) and no
fill (an adoption's included) the books do not show yet, it sends the adoption fills
(``core.reconcile.adoptions``) on ``fills`` before the record that lists them; the position
manager and the ledger book them like any fill. Cash: each record carries the wallet's SOL and
its value (``equity_lamports``), which live equity, drawdown and the kill switch use
(agents/portfolio_monitor, tables/wallet.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field

import msgspec
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from memesnipe import metrics
from memesnipe.connectors.solana_rpc.client import SolanaRpcClient
from memesnipe.core.reconcile import (
    Holding,
    adoption_fill,
    adoptions,
    book_holdings,
    compare,
    wallet_value,
)
from memesnipe.reconciler.positions import fold_position
from memesnipe.settings import Settings
from memesnipe.streams.base import SOL_MINT, utcnow
from memesnipe.streams.codec import encode
from memesnipe.streams.reconcile import AdoptionRow, HoldingRow, Reconciliation
from memesnipe.streams.trading import Fill, OrderState, OrderUpdate, PositionUpdate

log = logging.getLogger("memesnipe.reconciler")
_fills = msgspec.json.Decoder(Fill)
_updates = msgspec.json.Decoder(OrderUpdate)
ENDED = frozenset({OrderState.FAILED, OrderState.EXPIRED, OrderState.REJECTED})
DONE_KEPT = 10_000  # ids of finished orders remembered (an update read after the order's fill)


def _rows(hs: list[Holding]) -> tuple[HoldingRow, ...]:
    return tuple(HoldingRow(h.mint, h.books, h.chain) for h in hs)


@dataclass
class Reconciler:
    settings: Settings
    rpc: SolanaRpcClient
    wallet: str
    interval_s: float = 30.0
    after_fill_s: float = 3.0
    tolerance: int = 0
    confirmations: int = 2  # readings a mismatch must hold for before it is reported
    positions: dict[tuple[str, str], PositionUpdate] = field(default_factory=dict)
    suspect: dict[str, tuple[int, int]] = field(default_factory=dict)  # previous reading's (books, chain)
    records: int = 0
    skipped: int = 0  # positions records it could not read
    adopt: bool = True  # the books take the chain's numbers (off: report only)
    in_flight: dict[str, str] = field(default_factory=dict)  # order id -> mint, fill still to come
    done: dict[str, None] = field(default_factory=dict)  # finished order ids (insertion-ordered)
    pending: dict[tuple[str, str], float] = field(default_factory=dict)  # adoption ts, not yet booked
    outbox: list[Fill] = field(default_factory=list)  # adoption fills to send before the record
    pending_s: float = 600.0  # how long a fill not yet shown by the books holds its mint back
    catch_up_s: float = 5.0  # most spent reading the books to their end before a reading

    def apply(self, value: bytes | None) -> None:
        """One positions record (an unreadable one is skipped and counted: ``fold_position``)."""
        u, bad = fold_position(self.positions, value)
        self.skipped += bad
        if u is None:
            return
        key = (u.instance_id, u.mint)
        booked = self.pending.get(key)
        if booked is not None and u.fill_ts is not None and u.fill_ts.timestamp() >= booked:
            del self.pending[key]  # the books have applied the adoption

    def _finish(self, order_id: str) -> None:
        self.in_flight.pop(order_id, None)
        self.done[order_id] = None
        while len(self.done) > DONE_KEPT:
            del self.done[next(iter(self.done))]

    def apply_fill(self, value: bytes | None) -> None:
        """A fill ends its order's flight, and its position is pending until the books show it
        (a position update reflecting a fill at or after its time): the chain moved, the books
        not yet. Adoption fills too, so a restarted reconciler does not adopt a difference twice."""
        try:
            f = _fills.decode(value or b"")
        except Exception:  # the worker's stages dead-letter it
            return
        self._finish(f.order_id)
        key, ts = (f.instance_id, f.mint), f.ts.timestamp()
        p = self.positions.get(key)
        if p is None or p.fill_ts is None or p.fill_ts.timestamp() < ts:
            self.pending[key] = max(self.pending.get(key, 0.0), ts)

    def apply_update(self, key: bytes | None, value: bytes | None) -> None:
        """An order's transition (keyed by its mint): in flight until it ended or was filled."""
        try:
            u = _updates.decode(value or b"")
        except Exception:
            return
        if u.state in ENDED:
            self._finish(u.order_id)
        elif u.order_id not in self.done and key:
            self.in_flight[u.order_id] = key.decode("utf-8", "replace")

    def _adopt(self, bad: list[Holding], reading: str) -> tuple[list[AdoptionRow], list[str]]:
        """Adoption fills (into ``outbox``) for the persisted mismatches adoptable now."""
        now_s = utcnow().timestamp()
        # a fill the books never show (refused and dead-lettered) stops holding its mint back
        waiting = {m for (_i, m), ts in self.pending.items() if now_s - ts < self.pending_s}
        busy = set(self.in_flight.values()) | waiting
        ready = [h for h in bad if h.mint not in busy]
        why = [f"{h.mint}: an order or an adoption is in flight" for h in bad if h.mint in busy]
        if not self.adopt:
            return [], why + [f"{h.mint}: report only" for h in ready]
        todo, left = adoptions(self.positions, ready)
        why += [f"{h.mint}: no position to book it in" for h in left]
        rows = []
        now = utcnow()
        for a in todo:
            fill = adoption_fill(a, reading, now)
            self.outbox.append(fill)
            self.pending[(a.instance_id, a.mint)] = now.timestamp()
            rows.append(AdoptionRow(a.instance_id, a.mint, a.delta, fill.fill_id))
        return rows, why

    async def reconcile(self, reason: str) -> Reconciliation:
        """One reading of the chain compared with the books; the adoptions it decides wait in
        ``outbox`` to be sent before the record."""
        chain = await self.rpc.get_token_balances(self.wallet)
        sol = await self.rpc.get_balance(self.wallet)
        rows, bad = compare(book_holdings(self.positions), chain, tolerance=self.tolerance, ignore={SOL_MINT})
        # the same numbers at two readings: a chain or books still moving is not a difference yet
        persisted = (
            bad
            if self.confirmations <= 1
            else [h for h in bad if self.suspect.get(h.mint) == (h.books, h.chain)]
        )
        self.suspect = {h.mint: (h.books, h.chain) for h in bad}
        metrics.RECONCILE_MISMATCHES.set(len(persisted))
        if persisted:
            metrics.RECONCILE_ALERTS.inc(len(persisted))
            for h in persisted:
                log.error(
                    "books and chain disagree",
                    extra={"mint": h.mint, "books": h.books, "chain": h.chain, "difference": h.difference},
                )
        self.records += 1
        now = utcnow()
        adopted, unadopted = self._adopt(persisted, f"{self.wallet}|{now.isoformat()}")
        for row in adopted:
            metrics.RECONCILE_ADOPTIONS.inc()
            log.error(
                "books adopt the chain's amount",
                extra={
                    "mint": row.mint,
                    "instance": row.instance_id,
                    "delta": row.delta,
                    "fill": row.fill_id,
                },
            )
        equity, unpriced = wallet_value(sol, chain, self.positions, sol_mint=SOL_MINT)
        if bad:  # the chain moved and the books not yet (or a difference): no price for some tokens
            equity = 0  # not a value to judge drawdown on; the next settled reading is
        else:
            metrics.WALLET_EQUITY.set(equity)
        return Reconciliation(
            wallet=self.wallet,
            ts=now,
            sol_lamports=sol,
            holdings=_rows(rows),
            mismatches=_rows(persisted),
            reason=reason,
            adopted=tuple(adopted),
            unadopted=tuple(unadopted),
            equity_lamports=equity,
            unpriced=tuple(unpriced),
        )

    def _take(self, topic: str, key: bytes | None, value: bytes | None, names: tuple[str, str, str]) -> None:
        positions, updates, _fills = names
        if topic == positions:
            self.apply(value)
        elif topic == updates:
            self.apply_update(key, value)
        else:
            self.apply_fill(value)

    async def _caught_up(self, consumer: AIOKafkaConsumer, names: tuple[str, str, str]) -> bool:
        """Read the books (positions, order updates, fills) up to their ends as of now, so the
        chain is never read ahead of them; False if that takes longer than ``catch_up_s``."""
        tps = list(consumer.assignment())
        if not tps:
            return True
        ends = await consumer.end_offsets(tps)
        deadline = time.monotonic() + self.catch_up_s
        while [tp for tp in tps if await consumer.position(tp) < ends[tp]]:
            if time.monotonic() >= deadline:
                return False
            for tp, records in (await consumer.getmany(timeout_ms=100)).items():
                for r in records:
                    self._take(tp.topic, r.key, r.value, names)
        return True

    async def run(self, stop: asyncio.Event) -> None:
        """Follow positions, order updates and fills from the beginning; reconcile on schedule
        and after fills; send the adoptions, then the record."""
        prefix = self.settings.kafka.topic_prefix
        positions, fills, out = prefix + "positions", prefix + "fills", prefix + "reconciliations"
        updates = prefix + "order_updates"
        boot = self.settings.kafka.bootstrap_servers
        consumer = AIOKafkaConsumer(
            positions, fills, updates, bootstrap_servers=boot, auto_offset_reset="earliest"
        )
        producer = AIOKafkaProducer(bootstrap_servers=boot, acks="all")
        await consumer.start()
        await producer.start()
        next_at = time.monotonic()
        fill_at: float | None = None
        try:
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=200)
                for tp, records in batch.items():
                    for r in records:
                        self._take(tp.topic, r.key, r.value, (positions, updates, fills))
                        if tp.topic == fills and fill_at is None:
                            fill_at = time.monotonic() + self.after_fill_s
                now = time.monotonic()
                due = now >= next_at or (fill_at is not None and now >= fill_at)
                if not due:
                    continue
                if not await self._caught_up(consumer, (positions, updates, fills)):
                    continue  # books still being read: a reading now would race them
                reason = "fill" if fill_at is not None and now >= fill_at else "schedule"
                try:
                    rec = await self.reconcile(reason)
                except Exception as exc:  # the node is down: try again at the next tick
                    log.warning("reconciliation failed: %s", exc)
                else:
                    for f in self.outbox:  # the adoptions first: the record names them
                        await producer.send_and_wait(fills, key=f.mint.encode(), value=encode(f))
                    self.outbox.clear()
                    await producer.send_and_wait(out, key=self.wallet.encode(), value=encode(rec))
                next_at, fill_at = now + self.interval_s, None
        finally:
            await consumer.stop()
            await producer.stop()
