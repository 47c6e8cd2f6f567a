"""Risk-gate state: the per-mint table and the process-wide global views.

``risk_mint[mint]`` (a Faust table, co-partitioned with signals/depth/onchain by mint) holds
what one worker needs to decide on a mint's signals exactly once: last applied offset per
input topic, the recent signal ids (replay guard), the entry block flag, the latest depth and
token-safety facts plus their bounded event-time histories (the as-of join), and the perp market
of open shorts. A state stored before the histories existed still decodes (new fields default,
``MintRiskState.__post_init__`` migrates it).

The global views (every partition, every worker) hold the control plane (kill switch,
allocations) and the cross-partition exposure book (positions, orders, fills, order updates).
"""

from __future__ import annotations

import asyncio
import logging

import msgspec

from memesnipe import metrics
from memesnipe.core.control import KillFold, KillStatus
from memesnipe.core.exposure import ExposureBook
from memesnipe.core.gate import MintRiskState
from memesnipe.settings import Settings
from memesnipe.streams.control import KillSwitch, StrategyAllocation
from memesnipe.streams.topics import topic_names
from memesnipe.streams.trading import Fill, Order, OrderUpdate, PositionUpdate
from memesnipe.tables.views import (
    GlobalView,
    Handler,
    checked_latest_by_key,
    view_record,
)

log = logging.getLogger(__name__)


_state_encoder = msgspec.json.Encoder()
_state_decoder = msgspec.json.Decoder(MintRiskState)


def encode_state(st: MintRiskState) -> bytes:
    return _state_encoder.encode(st)


def decode_state(raw: bytes | None) -> MintRiskState:
    return MintRiskState() if raw is None else _state_decoder.decode(raw)


class ControlPlane:
    """The kill switch (the one fold, ``memesnipe.core.control``) and the latest allocations,
    read from their compacted topics. The kill switch answers ON until its view has read the
    topic to its end (:meth:`read_to_end`, called by the view)."""

    def __init__(self) -> None:
        self.kill = KillFold()
        self.allocations: dict[str, StrategyAllocation] = {}

    @property
    def kill_status(self) -> KillStatus:
        return self.kill.status

    def kill_switch(self) -> KillSwitch | None:
        """The answer as the risk rules take it (None = never set)."""
        return self.kill.status.as_message()

    @property
    def kill_active(self) -> bool:
        return self.kill.status.active

    def read_to_end(self) -> None:
        self.kill.mark_read_to_end()
        metrics.KILL_SWITCH.set(1 if self.kill_active else 0)

    def handlers(self) -> dict[str, Handler]:
        allocs = checked_latest_by_key(self.allocations, StrategyAllocation, "allocations")

        def on_kill(key: bytes | None, value: bytes | None, partition: int, offset: int, ts: int) -> None:
            self.kill.apply(key, value, partition, offset, ts)
            metrics.KILL_SWITCH.set(1 if self.kill_active else 0)

        return {"killswitch": on_kill, "allocations": allocs}


def book_handlers(book: ExposureBook) -> dict[str, Handler]:
    """Fold positions, orders, fills and order updates of every partition into ``book``."""

    def folder(short: str, tp: type, apply: object) -> Handler:
        def handle(key: bytes | None, value: bytes | None, partition: int, offset: int, ts: int) -> None:
            if value is not None:
                apply(view_record(short, tp, key, value, partition, offset))  # type: ignore[operator]

        return handle

    def on_order(key: bytes | None, value: bytes | None, partition: int, offset: int, ts_ms: int) -> None:
        if value is not None:
            order = view_record("orders", Order, key, value, partition, offset)
            book.apply_order(order, sent_at=ts_ms / 1000.0)

    return {
        "positions": folder("positions", PositionUpdate, book.apply_position),
        "orders": on_order,
        "fills": folder("fills", Fill, book.apply_fill),
        "order_updates": folder("order_updates", OrderUpdate, book.apply_update),
    }


class RiskViews:
    """The process-wide views the risk gate reads; started once, shared by all its actors."""

    def __init__(self, settings: Settings) -> None:
        names = topic_names(settings)
        self.control = ControlPlane()
        self.book = ExposureBook(pending_ttl_s=settings.risk.pending_ttl_s)
        boot = settings.kafka.bootstrap_servers
        # two consumers: a flood of position updates must never delay the kill switch
        self.control_view = GlobalView(
            boot,
            {names(k): v for k, v in self.control.handlers().items()},
            on_ready=[self.control.read_to_end],
        )
        self.view = GlobalView(boot, {names(k): v for k, v in book_handlers(self.book).items()})
        self._lock = asyncio.Lock()
        self._started = False

    async def ensure_started(self, timeout_s: float = 120.0) -> None:
        async with self._lock:
            if not self._started:
                await self.control_view.start()
                await self.view.start()
                self._started = True
        await self.control_view.wait_ready(timeout_s)
        await self.view.wait_ready(timeout_s)

    @property
    def ready(self) -> bool:
        return self.control_view.ready and self.view.ready

    async def stop(self) -> None:
        await self.control_view.stop()
        await self.view.stop()
        self._started = False


def declare_mint_table():  # type: ignore[no-untyped-def]
    """``risk_mint``: mint -> MintRiskState JSON. Declared on the app when the gate loads."""
    from memesnipe.app import app, settings

    return app.Table(
        "risk_mint",
        default=None,
        key_type=bytes,
        value_type=bytes,
        partitions=settings.kafka.partitions,
        help="mint -> MintRiskState (msgspec JSON): offsets, replay guard, block, depth, safety + history",
    )
