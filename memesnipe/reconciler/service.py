"""Reads the positions topic (the books) and the wallet's token accounts (the chain) on a
schedule and shortly after every fill, publishes a ``Reconciliation`` record each time, and
alerts (log + metrics) on a mismatch that persists over two readings: one reading can race a
fill that landed on chain while its position update is still on its way.
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
from memesnipe.core.reconcile import Holding, book_holdings, compare, latest_positions
from memesnipe.settings import Settings
from memesnipe.streams.base import SOL_MINT, utcnow
from memesnipe.streams.codec import encode
from memesnipe.streams.reconcile import HoldingRow, Reconciliation
from memesnipe.streams.trading import PositionUpdate

log = logging.getLogger("memesnipe.reconciler")
_positions = msgspec.json.Decoder(PositionUpdate)


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
    suspect: set[str] = field(default_factory=set)  # mints mismatched at the previous reading
    records: int = 0
    skipped: int = 0  # positions records it could not read

    def apply(self, value: bytes | None) -> None:
        """One positions record. A record it cannot read, whatever the exception, is skipped and
        counted: the worker's boundary agent dead-letters it once (agents/boundary.py), and the
        reconciler goes on with the books it has."""
        if not value:
            return
        try:
            u = _positions.decode(value)
        except Exception as exc:
            self.skipped += 1
            log.warning("positions record skipped: %s", type(exc).__name__)
            return
        key = (u.instance_id, u.mint)
        prev = self.positions.get(key)
        self.positions[key] = latest_positions([prev, u] if prev is not None else [u])[key]

    async def reconcile(self, reason: str) -> Reconciliation:
        """One reading of the chain compared with the books."""
        chain = await self.rpc.get_token_balances(self.wallet)
        sol = await self.rpc.get_balance(self.wallet)
        rows, bad = compare(book_holdings(self.positions), chain, tolerance=self.tolerance, ignore={SOL_MINT})
        persisted = bad if self.confirmations <= 1 else [h for h in bad if h.mint in self.suspect]
        self.suspect = {h.mint for h in bad}
        metrics.RECONCILE_MISMATCHES.set(len(persisted))
        if persisted:
            metrics.RECONCILE_ALERTS.inc(len(persisted))
            for h in persisted:
                log.error(
                    "books and chain disagree",
                    extra={"mint": h.mint, "books": h.books, "chain": h.chain, "difference": h.difference},
                )
        self.records += 1
        return Reconciliation(
            wallet=self.wallet,
            ts=utcnow(),
            sol_lamports=sol,
            holdings=_rows(rows),
            mismatches=_rows(persisted),
            reason=reason,
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Follow positions and fills from the beginning; reconcile on schedule and after fills."""
        prefix = self.settings.kafka.topic_prefix
        positions, fills, out = prefix + "positions", prefix + "fills", prefix + "reconciliations"
        boot = self.settings.kafka.bootstrap_servers
        consumer = AIOKafkaConsumer(positions, fills, bootstrap_servers=boot, auto_offset_reset="earliest")
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
                        if tp.topic == positions:
                            self.apply(r.value)
                        elif fill_at is None:
                            fill_at = time.monotonic() + self.after_fill_s
                now = time.monotonic()
                due = now >= next_at or (fill_at is not None and now >= fill_at)
                if not due:
                    continue
                reason = "fill" if fill_at is not None and now >= fill_at else "schedule"
                try:
                    rec = await self.reconcile(reason)
                except Exception as exc:  # the node is down: try again at the next tick
                    log.warning("reconciliation failed: %s", exc)
                else:
                    await producer.send_and_wait(out, key=self.wallet.encode(), value=encode(rec))
                next_at, fill_at = now + self.interval_s, None
        finally:
            await consumer.stop()
            await producer.stop()
