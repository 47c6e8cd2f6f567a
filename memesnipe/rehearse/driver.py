"""The rehearsal's market and its round trips, in the rehearsing process.

``Market``: the seeded market simulator, one tick per second of wall clock (event time = now),
published on the market topics; every simulated mint has a constant-product pool on the local
chain, arbitraged to the simulator's price at each tick (so the chain and the strategies see the
same market, and a trade's impact lasts until the next tick).

``RoundTrips``: N round trips driven through the whole live pipeline, in moments of several
orders at once: an entry signal per mint (a default strategy instance, strength 1) on
``signals``, then, once its fill is booked on ``positions``, an exit signal; the risk gate, router,
signer, submitter and position manager do the rest. It watches order_updates, fills,
positions and rejections and tells what became of each order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

import msgspec
from aiokafka import AIOKafkaConsumer
from solders.pubkey import Pubkey

from memesnipe.connectors.publisher import Publisher
from memesnipe.connectors.simulator.model import DECIMALS, MarketSimulator, SimMint
from memesnipe.core.ids import order_id
from memesnipe.core.reconcile import latest_positions
from memesnipe.rehearse.node import LocalNode
from memesnipe.settings import Settings
from memesnipe.streams.market import DepthEvent, PriceEvent, SolPriceEvent
from memesnipe.streams.reconcile import Reconciliation
from memesnipe.streams.trading import (
    Fill,
    Intent,
    OrderRejection,
    OrderState,
    OrderUpdate,
    PositionUpdate,
    Side,
    Signal,
)

log = logging.getLogger(__name__)
TERMINAL = {OrderState.LANDED, OrderState.FAILED, OrderState.EXPIRED, OrderState.REJECTED}
ENTRY_RETRYABLE = {OrderState.FAILED.value, OrderState.EXPIRED.value, OrderState.REJECTED.value}
WARMING_UP = ("rejected:safety_unknown", "rejected:no_depth", "rejected:stale_depth")
LAMPORTS_PER_UNIT = 10**9 / 10**DECIMALS  # a price in SOL per token -> lamports per base unit
STRATEGIES = (
    ("momentum_5m.rehearsal", "momentum_5m"),
    ("social_buzz.rehearsal", "social_buzz"),
    ("bridge_inflow.rehearsal", "bridge_inflow"),
)
"""The strategy instances the round trips are signalled for, in turn (each its own books)."""
SHORT_FAMILIES = frozenset({"dev_wallet_drain", "perp_basis_arb", "rug_pull_sniffer", "mean_revert_1h"})
"""Families with short theses: the local chain has no perp venue, so (the live degrade rule) their
shorts would block entries on the mints they fire on; the rehearsal runs them disabled."""


def clean(m: SimMint) -> bool:
    """A mint the risk gate's safety rules let through."""
    return (
        not m.mint_authority_live
        and not m.freeze_authority_live
        and m.lp_locked_pct >= 100
        and m.top10_pct < 50
    )


@dataclass
class Market:
    settings: Settings
    node: LocalNode
    sim: MarketSimulator
    tick_s: float = 1.0
    depth_seen: set[str] = field(default_factory=set)
    prices: dict[str, tuple[float, float]] = field(default_factory=dict)  # mint -> (sol, usd)
    ticks: int = 0

    def add_pools(self) -> None:
        with self.node.lock:
            for m in self.sim.mints:
                sol = int(min(m.liquidity_usd / 2 / self.sim.sol_usd, 5_000) * 1e9)
                tokens = int(sol / (m.price_sol * LAMPORTS_PER_UNIT))
                self.node.chain.add_pool(
                    Pubkey.from_string(m.mint), decimals=DECIMALS, sol_reserve=sol, token_reserve=tokens
                )

    async def run(self, stop: asyncio.Event) -> None:
        async with Publisher(self.settings) as pub:
            for ev in self.sim.initial_events():
                await pub.publish_event(ev)
            started = time.monotonic()
            while not stop.is_set():
                for ev in self.sim.step():
                    self._apply(ev)
                    await pub.publish_event(ev)
                await pub.flush()
                self.ticks += 1
                ahead = started + self.ticks * self.tick_s - time.monotonic()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), max(ahead, 0.0))

    def _apply(self, ev: object) -> None:
        if isinstance(ev, PriceEvent):
            self.prices[ev.mint] = (ev.price_sol, ev.price_usd)
            with self.node.lock:
                self.node.chain.set_price(Pubkey.from_string(ev.mint), ev.price_sol * LAMPORTS_PER_UNIT)
        elif isinstance(ev, DepthEvent):
            self.depth_seen.add(ev.mint)
        elif isinstance(ev, SolPriceEvent):
            pass


@dataclass
class Trip:
    mint: str
    entry_order: str
    exit_orders: list[str] = field(default_factory=list)
    entry_orders: list[str] = field(default_factory=list)  # every attempt, the last one counts
    outcome: str = "pending"  # done | entry_failed | exit_failed | stuck
    instance_id: str = "momentum.rehearsal"
    family: str = "momentum_5m"


@dataclass
class Watch:
    """What the pipeline said: orders' states, fills, positions, rejections."""

    states: dict[str, OrderState] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    fills: dict[str, Fill] = field(default_factory=dict)
    positions: dict[tuple[str, str], PositionUpdate] = field(default_factory=dict)
    rejected_signals: dict[str, str] = field(default_factory=dict)
    readings: list[Reconciliation] = field(default_factory=list)  # the reconciler's, in order

    def qty(self, mint: str) -> int:
        return sum(p.qty_tokens for (_i, m), p in self.positions.items() if m == mint)


async def watch(settings: Settings, w: Watch, stop: asyncio.Event) -> None:
    prefix = settings.kafka.topic_prefix
    topics = [prefix + t for t in ("order_updates", "fills", "positions", "rejections", "reconciliations")]
    consumer = AIOKafkaConsumer(
        *topics, bootstrap_servers=settings.kafka.bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        while not stop.is_set():
            batch = await consumer.getmany(timeout_ms=300)
            for tp, records in batch.items():
                short = tp.topic[len(prefix) :]
                for r in records:
                    try:
                        _apply(w, short, r.value)
                    except (msgspec.DecodeError, msgspec.ValidationError):
                        continue
    finally:
        await consumer.stop()


def _apply(w: Watch, topic: str, value: bytes | None) -> None:
    if value is None:
        return
    if topic == "order_updates":
        u = msgspec.json.decode(value, type=OrderUpdate)
        if w.states.get(u.order_id) not in TERMINAL:
            w.states[u.order_id] = u.state
            w.reasons[u.order_id] = u.reason
    elif topic == "fills":
        f = msgspec.json.decode(value, type=Fill)
        w.fills[f.fill_id] = f
    elif topic == "positions":
        p = msgspec.json.decode(value, type=PositionUpdate)
        key = (p.instance_id, p.mint)
        prev = w.positions.get(key)
        w.positions[key] = latest_positions([prev, p] if prev is not None else [p])[key]  # as the reconciler
    elif topic == "reconciliations":
        w.readings.append(msgspec.json.decode(value, type=Reconciliation))
    elif topic == "rejections":
        rj = msgspec.json.decode(value, type=OrderRejection)
        w.rejected_signals[rj.signal_id] = f"{rj.rule}: {rj.reason}"


@dataclass
class RoundTrips:
    settings: Settings
    market: Market
    w: Watch
    strategies: tuple[tuple[str, str], ...] = STRATEGIES  # (instance, family), one per trip in turn
    moment: int = 2
    order_timeout_s: float = 100.0
    exit_attempts: int = 3
    entry_retries: int = 3
    hold_s: float = 0.0  # seconds between the entry's position and the exit signal
    warmup_attempts: int = 24
    trips: list[Trip] = field(default_factory=list)
    seq: int = 0

    def _signal(self, trip: Trip, side: Side, intent: Intent) -> Signal:
        self.seq += 1
        mint = trip.mint
        sol, usd = self.market.prices.get(mint, (0.0, 0.0))
        return Signal(
            signal_id=f"rehearsal|{int(time.time())}|{self.seq}",
            instance_id=trip.instance_id,
            family=trip.family,
            mint=mint,
            ts=datetime.now(UTC),
            side=side,
            intent=intent,
            strength=1.0,
            reason=f"rehearsal {intent.value}",
            price_sol=sol,
            price_usd=usd,
        )

    async def _send(self, pub: Publisher, sig: Signal) -> str:
        await pub.publish("signals", sig.mint, sig)
        await pub.flush()
        return order_id(sig.instance_id, sig.mint, sig.signal_id)

    async def _outcome(self, oid: str, signal_id: str) -> str:
        """The order's terminal state (or the signal's rejection), waiting up to the timeout."""
        deadline = time.monotonic() + self.order_timeout_s
        while time.monotonic() < deadline:
            if signal_id in self.w.rejected_signals:
                return f"rejected:{self.w.rejected_signals[signal_id]}"
            st = self.w.states.get(oid)
            if st in TERMINAL:
                return st.value
            await asyncio.sleep(0.2)
        return "timeout"

    async def _until(self, cond: object, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if cond():  # type: ignore[operator]
                return True
            await asyncio.sleep(0.2)
        return False

    async def _enter(self, pub: Publisher, trip: Trip) -> str:
        """A new entry signal for the trip's mint; its order's outcome."""
        entry = self._signal(trip, Side.BUY, Intent.ENTRY)
        trip.entry_order = await self._send(pub, entry)
        trip.entry_orders.append(trip.entry_order)
        return await self._outcome(trip.entry_order, entry.signal_id)

    async def _one(self, pub: Publisher, mint: str) -> Trip:
        instance, family = self.strategies[len(self.trips) % len(self.strategies)]
        trip = Trip(mint, "", instance_id=instance, family=family)
        self.trips.append(trip)
        got = await self._enter(pub, trip)
        for _ in range(self.warmup_attempts):  # the worker is still reading the market's facts
            if not got.startswith(WARMING_UP):
                break
            await asyncio.sleep(5)
            got = await self._enter(pub, trip)
        # an entry the market moved away from (the signer's simulation or the chain refused it
        # for slippage, or its blockhash expired) is signalled again, as a strategy would
        for _ in range(self.entry_retries):
            if got not in ENTRY_RETRYABLE:
                break
            await asyncio.sleep(1)
            got = await self._enter(pub, trip)
        if got != OrderState.LANDED.value or not await self._until(lambda: self.w.qty(mint) > 0, 30):
            trip.outcome = f"entry {got.split(': ')[0]}"  # the rule, not its detail
            return trip
        if self.hold_s:  # held as a strategy would (paper has no landing time to pace it)
            await asyncio.sleep(self.hold_s)
        for _ in range(self.exit_attempts):
            if self.w.qty(mint) == 0:
                break  # the position manager exited first (a stop)
            exit_sig = self._signal(trip, Side.SELL, Intent.EXIT)
            oid = await self._send(pub, exit_sig)
            trip.exit_orders.append(oid)
            got = await self._outcome(oid, exit_sig.signal_id)
            if got == OrderState.LANDED.value and await self._until(lambda: self.w.qty(mint) == 0, 30):
                break
            if got.startswith("rejected:"):
                await asyncio.sleep(2)
        if self.w.qty(mint) != 0:  # the position manager's own exit (a stop) may still be landing
            await self._until(lambda: self.w.qty(mint) == 0, self.order_timeout_s)
        trip.outcome = "done" if self.w.qty(mint) == 0 else f"exit {got.split(': ')[0]}"
        return trip

    async def run(self, n: int, stop: asyncio.Event) -> None:
        mints = [m.mint for m in self.market.sim.mints if clean(m)]
        if not mints:
            raise RuntimeError("no simulated mint passes the safety rules; try another --seed")
        # the risk gate needs the mints' depth and safety facts before an entry
        await self._until(lambda: all(m in self.market.depth_seen for m in mints[: self.moment]), 60)
        await asyncio.sleep(3)
        async with Publisher(self.settings) as pub:
            i = 0
            # n round trips done; a trip the risk gate refused (a mint that rugged since it was
            # chosen) is tried again on another mint, up to n more attempts
            while self.done < n and len(self.trips) < 2 * n and not stop.is_set():
                # the market rugs mints as it goes (LP pulled): trade only those still clean now
                mints = [m.mint for m in self.market.sim.mints if clean(m)]
                if not mints:
                    log.warning("rehearsal: every mint rugged; %d round trips undone", n - self.done)
                    return
                k = min(self.moment, n - self.done, len(mints))
                chosen = [mints[(i + j) % len(mints)] for j in range(k)]
                await asyncio.gather(*(self._one(pub, m) for m in chosen))
                i += k
                seen = Counter(t.outcome for t in self.trips)
                log.warning("rehearsal: %d/%d round trips done: %s", self.done, n, seen)

    @property
    def done(self) -> int:
        return sum(t.outcome == "done" for t in self.trips)
