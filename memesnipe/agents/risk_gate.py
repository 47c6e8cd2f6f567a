"""Risk gate: signals -> sized orders | rejections (with the rule and reason, never silent).

Inputs, all keyed by mint and co-partitioned: ``signals``, ``depth`` and ``onchain`` (one
multi-topic stream, applied in offset order per partition into ``risk_mint[mint]``). The
kill switch, allocations and the cross-partition exposure book come from the process-wide
global views (:mod:`memesnipe.tables.risk`); the agent waits until they have caught up
before its first decision, so a restarted worker never trades past an active kill switch.

Exactly-once effect: a signal at or below the mint's last applied offset, or whose id is in
the mint's recent-id set, or whose order id the book has already seen, is skipped; the order
id derives from the signal id (``core.ids.order_id``). Outputs are sent and acknowledged
before the state is written, so a crash in between re-emits the *same* ids, never new ones.

As-of join: depth and safety facts are taken *as of the signal's event time* from bounded
per-mint histories in ``risk_mint`` (``core.gate.MintRiskState``), so a depth or on-chain topic
consumed ahead of the signals never changes a decision; when the as-of entry was evicted the gate
uses the latest consumed value and counts ``memesnipe_asof_fallbacks_total{stage="risk_gate.*"}``.
The other way round (a signal read before the facts that precede it, e.g. a replay's depth
backlog) is covered with ``kafka.reorder_window_s`` > 0: the gate then consumes through
``agents.reordered`` with window 0, holding a signal only while a depth or on-chain
topic-partition of its partition still has unread input older than the signal.

Global limits (open positions, per-strategy exposure, order rate) are enforced against the
global book, which every worker builds from all partitions of orders/fills/positions plus
the orders it has just emitted itself. The race that remains: two workers deciding on
different mints within the propagation delay (produce + fetch, typically < 100 ms) do not
see each other's new orders, so a global limit can be overshot by at most the orders other
workers emit in that window. Per-mint limits (token cap, liquidity, safety, block) are exact:
one worker owns a mint.

Flatten: a kill switch with ``flatten`` is executed by the position manager, which owns the
positions and emits an exit signal for each; those pass this gate like any exit (the kill
switch never blocks exits), so there is exactly one closing path and no double exit.

Exits before fills: exits are sized from the global book's position, which lags the pipeline. An
exit for an (instance, mint) the book shows no position for, while it has an entry order of that
instance on that mint (same side) still pending (emitted, not yet reflected in a position, not
failed), is refused with rule ``exit_before_fill`` instead of ``no_position``, and the rejection
carries the pending order ids (``awaiting_order_ids``). The position manager consumes those
rejections and sends the exit itself once the entry has filled, so the strategy's exit is not
lost; it then passes this gate as usual.
"""

from __future__ import annotations

import logging
from typing import Any

from memesnipe.agents.channels import names, topic
from memesnipe.agents.reordered import run_reordered
from memesnipe.agents.stage import Decoded, Effects, Stage
from memesnipe.app import app, settings
from memesnipe.core.gate import RiskGate
from memesnipe.core.perp_venue import VenueStatus, read_status
from memesnipe.core.risk import RiskLimits
from memesnipe.core.strategies.engine import Item
from memesnipe.metrics import ASOF_FALLBACKS, PERP_VENUE_LIVE
from memesnipe.processors.risk_gate import apply_gate
from memesnipe.settings import Mode
from memesnipe.streams.market import DepthEvent, OnChainEvent
from memesnipe.streams.trading import Signal
from memesnipe.tables.risk import RiskViews, declare_mint_table, decode_state, encode_state

log = logging.getLogger(__name__)

CONSUMER = "risk_gate"
INPUTS = {"signals": Signal, "depth": DepthEvent, "onchain": OnChainEvent}
stage = Stage(CONSUMER, INPUTS)

risk_mint = declare_mint_table()
views = RiskViews(settings)
gate = RiskGate(
    RiskLimits.from_settings(settings.risk),
    seen_max=settings.risk.seen_signals_per_mint,
    on_fallback=lambda what: ASOF_FALLBACKS.labels(stage=f"risk_gate.{what}").inc(),
)
if settings.mode is Mode.LIVE:  # until the first read (poll_perp_venue) a short is refused
    gate.perp_venue = VenueStatus("drift-v2", False, "status not read yet")
source = app.topic(
    *(names(n) for n in INPUTS),
    key_type=bytes,
    value_type=bytes,
    key_serializer="raw",
    value_serializer="raw",
)
_short = {names(n): n for n in INPUTS}


VENUE_POLL_S = 30.0
"""How often a live gate re-reads the shorts' venue (its program state account)."""
_venue: Any = None


async def refresh_perp_venue(venue: Any) -> None:
    """Live: the shorts' venue status on this worker's gate (core.perp_venue); unreadable = not
    live, so short entries are refused with perp_venue_down and longs on the mint exit."""
    status = await read_status(venue)
    if status.live != gate.perp_venue.live:
        log.warning("perp venue %s: %s", status.venue, status.reason)
    gate.perp_venue = status
    PERP_VENUE_LIVE.labels(venue=status.venue).set(1 if status.live else 0)


@app.timer(VENUE_POLL_S, name="risk_gate_perp_venue", on_leader=False)
async def poll_perp_venue() -> None:
    """Paper keeps the venue assumed live (parity with the backtester); live reads it."""
    global _venue
    if settings.mode is not Mode.LIVE:
        return
    if _venue is None:
        from memesnipe.connectors.drift import DriftPerpBuilder
        from memesnipe.connectors.drift.venue import DriftVenue
        from memesnipe.connectors.solana_rpc.client import SolanaRpcClient

        d = settings.drift
        _venue = DriftVenue(
            SolanaRpcClient(settings.execution.rpc_url), DriftPerpBuilder(d.env, d.sub_account_id)
        )
    await refresh_perp_venue(_venue)


@app.agent(source, name="risk_gate")
async def risk_gate(stream: Any) -> None:
    for name in ("killswitch", "allocations", "positions", "orders", "fills", "order_updates"):
        await topic(name).maybe_declare()
    await views.ensure_started()
    log.info("risk gate ready: kill switch %s", "ACTIVE" if views.control.kill_active else "off")
    if settings.kafka.reorder_window_s > 0:
        await _run_reordered(stream)
        return
    await stage.run(stream, _handle)


async def _run_reordered(stream: Any) -> None:
    """With the event-time reorder window on (replays): a signal is decided only once every
    depth and on-chain topic-partition of its partition that still has unread input has
    delivered past the signal's event time (``agents.reordered``, window 0: nothing else is
    held), so the as-of join never misses a fact only because its backlog was still being read."""

    async def decode(ev: Any) -> tuple[float, Any] | None:
        msg = await stage.decode_one(ev)
        return (msg.ts.timestamp(), msg) if msg is not None else None

    async def apply(items: list[Item]) -> None:
        await stage.commit(await _handle([(it[5], _short[it[1]], it[4]) for it in items]))

    await run_reordered(
        stream,
        stage=CONSUMER,
        topics=[names(n) for n in INPUTS],
        window_s=0.0,
        decode=decode,
        apply=apply,
    )


async def _handle(decoded: list[Decoded]) -> Effects:
    """The gate's processor on the mints' stored states; the mechanism sends, then writes."""
    keys = {(ev.key if isinstance(ev.key, bytes) else msg.mint.encode()) for ev, _s, msg in decoded}
    states = {k: decode_state(risk_mint.get(k)) for k in keys}
    sends, touched = apply_gate(
        decoded, states, gate, views.book, views.control.kill_switch(), views.control.allocations
    )
    changes = {k: (ev, encode_state(states[k])) for k, ev in touched.items()}
    return Effects(sends=sends, writes=[(risk_mint, changes)])


@app.on_before_shutdown.connect  # type: ignore[arg-type]
async def _stop_views(sender: Any, **kwargs: Any) -> None:
    """Close this module's global-view consumer with the worker."""
    await views.stop()
