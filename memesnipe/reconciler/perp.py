"""Perp read-back: our account on the perp venue (Drift v2) against the books, on a schedule.

Each reading, when the venue is live (a paused or unreadable venue is recorded with its reason
and books nothing: its numbers are not to be trusted then):
- the venue's account (``DriftVenue.account``): positions with their market's funding rate now,
  collateral and the funding the venue has settled;
- the funding accrued since the last booked reading, per market, as funding records
  (``core.perp_books.book_funding``) sent on ``fills`` before the record: the position manager
  and the ledger book them like any fill, into the position's net PnL (``core.positions``);
- our open shorts against the venue's positions per market in the venue's base units
  (``core.perp_books.compare_positions``); a mismatch that holds over two readings is logged as
  an error, as the spot reconciler does (one reading can race a fill on its way to the books).

The record is a ``Reconciliation`` keyed ``<venue>:<wallet>`` on ``perp_reconciliations`` (not
``reconciliations``, whose latest record is the wallet's equity for the kill switch): holdings
keyed ``perp:<market>``, the venue's numbers on the chain side, ``sol_lamports`` 0 (the spot
reconciler reports the wallet's SOL). Restart: the funding marks come back from our funding records
on ``fills`` (read from the beginning), so no span is booked twice.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from solders.pubkey import Pubkey

from memesnipe.connectors.drift.state import account_bytes
from memesnipe.connectors.drift.venue import DriftVenue
from memesnipe.core.perp_books import FundingMark, MarketUnits, book_funding, compare_positions, mark_of
from memesnipe.core.perp_venue import read_status
from memesnipe.reconciler.positions import fold_position
from memesnipe.settings import Settings
from memesnipe.streams.base import utcnow
from memesnipe.streams.codec import encode
from memesnipe.streams.reconcile import HoldingRow, Reconciliation
from memesnipe.streams.topics import topic_names
from memesnipe.streams.trading import Fill, PositionUpdate

log = logging.getLogger("memesnipe.reconciler.perp")
_fills = msgspec.json.Decoder(Fill)
MINT_DECIMALS_OFFSET = 44
"""SPL Token ``Mint``: mint_authority COption<Pubkey> (36 bytes), supply u64, then decimals u8."""


@dataclass
class PerpReconciler:
    venue: DriftVenue
    wallet: str
    interval_s: float = 60.0
    tolerance: int = 0
    confirmations: int = 2
    positions: dict[tuple[str, str], PositionUpdate] = field(default_factory=dict)
    marks: dict[int, FundingMark] = field(default_factory=dict)
    decimals: dict[str, int] = field(default_factory=dict)
    suspect: set[str] = field(default_factory=set)
    skipped: int = 0
    pending_marks: dict[int, FundingMark] = field(default_factory=dict)  # of the last reading
    caught_up: bool = False  # positions and fills read to where they ended at start
    catch_up_s: float = 30.0

    @property
    def key(self) -> str:
        return f"{self.venue.name}:{self.wallet}"

    def apply(self, value: bytes | None) -> None:
        """One positions record (an unreadable one is skipped and counted: ``fold_position``)."""
        _u, bad = fold_position(self.positions, value)
        self.skipped += bad

    def apply_fill(self, value: bytes | None) -> None:
        """Our own funding records on ``fills``: where the booking of each market stands."""
        try:
            f = _fills.decode(value or b"")
        except Exception:  # the worker's stages dead-letter it
            return
        found = mark_of(f)
        if found is not None:
            self.marks[found[0]] = found[1]

    async def _decimals(self, mint: str) -> int:
        if mint not in self.decimals:
            result: Any = await self.venue.rpc.call(
                "getAccountInfo", [str(Pubkey.from_string(mint)), {"encoding": "base64"}]
            )
            self.decimals[mint] = account_bytes(result)[MINT_DECIMALS_OFFSET]
        return self.decimals[mint]

    async def units(self) -> dict[int, MarketUnits]:
        out: dict[int, MarketUnits] = {}
        for p in self.positions.values():
            if p.perp_market_index is not None and p.perp_market_index not in out:
                size = self.venue.builder.market(p.perp_market_index).contract_size
                out[p.perp_market_index] = MarketUnits(size, await self._decimals(p.mint))
        return out

    async def reading(self, reason: str = "schedule") -> tuple[Reconciliation, list[Fill]]:
        """One reading of the venue against the books: the record and the funding records to send
        before it (the marks advance only when the caller has sent them: ``commit``)."""
        now = utcnow()
        status = await read_status(self.venue)
        if not status.live:
            rec = Reconciliation(wallet=self.key, ts=now, sol_lamports=0, reason=f"{reason}; {status.reason}")
            return rec, []
        acct = await self.venue.account(self.wallet)
        books = list(self.positions.values())
        booked = book_funding(acct, books, self.marks, sol_usd=await self.venue.sol_usd(), ts=now)
        rows, bad, unknown = compare_positions(acct, books, await self.units(), tolerance=self.tolerance)
        persisted = bad if self.confirmations <= 1 else [h for h in bad if h.mint in self.suspect]
        self.suspect = {h.mint for h in bad}
        for h in persisted:
            log.error(
                "perp books and venue disagree",
                extra={"market": h.mint, "books": h.books, "venue": h.chain, "difference": h.difference},
            )
        notes = [f"perp:{m}: funding with no open position to book it in" for m in booked.unbooked]
        notes += [f"perp:{m}: units unknown, not compared" for m in unknown]
        rec = Reconciliation(
            wallet=self.key,
            ts=now,
            sol_lamports=0,
            holdings=tuple(HoldingRow(h.mint, h.books, h.chain) for h in rows),
            mismatches=tuple(HoldingRow(h.mint, h.books, h.chain) for h in persisted),
            reason=f"{reason}; collateral {acct.collateral_usd:.2f} USD, "
            f"funding settled {acct.cumulative_funding_usd:+.6f} USD",
            unadopted=tuple(notes),
        )
        self.pending_marks = booked.marks
        return rec, booked.fills

    def commit(self) -> None:
        """The funding records of the last reading were sent: book from their marks next time."""
        self.marks.update(self.pending_marks)
        self.pending_marks = {}

    async def run(self, settings: Settings, stop: asyncio.Event) -> None:
        """Follow positions and fills from the beginning (the first reading waits until both are
        read to where they ended at start); read the venue every ``interval_s``; send the funding
        records, then the record."""
        name = topic_names(settings)
        positions, fills, out = name("positions"), name("fills"), name("perp_reconciliations")
        boot = settings.kafka.bootstrap_servers
        consumer = AIOKafkaConsumer(
            positions, fills, bootstrap_servers=boot, auto_offset_reset="earliest", enable_auto_commit=False
        )
        producer = AIOKafkaProducer(bootstrap_servers=boot, acks="all")
        await consumer.start()
        await producer.start()
        try:
            ends: dict[TopicPartition, int] | None = None  # where the topics ended at start
            give_up_at = time.monotonic() + self.catch_up_s
            next_at = time.monotonic()
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=200)
                for tp, records in batch.items():
                    for r in records:
                        (self.apply if tp.topic == positions else self.apply_fill)(r.value)
                if ends is None and consumer.assignment():
                    ends = await consumer.end_offsets(list(consumer.assignment()))
                if ends is not None and not self.caught_up:
                    self.caught_up = all([await consumer.position(tp) >= end for tp, end in ends.items()])
                if ends is None and time.monotonic() > give_up_at:
                    self.caught_up = True  # neither topic exists: nothing to catch up with
                if not self.caught_up or time.monotonic() < next_at:
                    continue
                try:
                    rec, funding = await self.reading()
                except Exception as exc:  # the node is down: try again at the next tick
                    log.warning("perp read-back failed: %s", exc)
                else:
                    for f in funding:
                        await producer.send_and_wait(fills, key=f.mint.encode(), value=encode(f))
                    self.commit()
                    await producer.send_and_wait(out, key=self.key.encode(), value=encode(rec))
                next_at = time.monotonic() + self.interval_s
        finally:
            await consumer.stop()
            await producer.stop()
