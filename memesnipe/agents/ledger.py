"""Per-mint ledger stage: the position manager's positions -> each strategy's PnL on the mint ->
ledger marks. It reads the PnL the position manager computed (``core.positions``, the one
accounting) and sums it per strategy and mint (``core.ledger.PositionsPnl``); it recomputes
nothing but the shadow book.

Reads ``positions``, ``price`` and ``rejections`` (keyed by mint, co-partitioned), keeps
``ledger_mint[mint]`` (with each strategy's shadow book: hypothetical fills of the entries the gate
refused for zero allocation and of their exits, ``core.shadow``, marked by price events; its marks
carry ``shadow=True``) and sends a :class:`LedgerMark` to the single-partition ledger topic on every
fill (the quantity or realized PnL moved) and at most once per ``risk.mark_interval_s`` of event
time per strategy and mint on price moves. Exact recovery: offsets per input topic in the state,
position updates applied once by their ``seq``, marks sent before the state is written (a crash
re-sends the same ``seq``, which the next stage ignores).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from faust.types import EventT

from memesnipe.agents.batching import batches, decode_batch
from memesnipe.agents.channels import names
from memesnipe.app import app, settings
from memesnipe.core.ledger import PositionPnl, PositionsPnl
from memesnipe.core.shadow import apply_rejection as shadow_apply
from memesnipe.core.shadow import shadow_amount
from memesnipe.metrics import BATCH_SECONDS, EVENTS_IN, SHADOW_FILLS
from memesnipe.streams.codec import encode
from memesnipe.streams.ledger import LedgerMark
from memesnipe.streams.market import PriceEvent
from memesnipe.streams.trading import OrderRejection, PositionStatus, PositionUpdate
from memesnipe.tables.ledger import MintLedgerState, dump, ledger_mint, ledger_topic, load_mint
from memesnipe.tables.partitioned import write_keys

log = logging.getLogger(__name__)

CONSUMER = "ledger"
INPUTS = {"positions": PositionUpdate, "price": PriceEvent, "rejections": OrderRejection}
SHADOW_SEEN = 1024  # shadow signal ids remembered per mint

source = app.topic(*(names(n) for n in INPUTS), key_type=bytes, value_type=bytes)
_short = {names(n): n for n in INPUTS}


def mark(instance_id: str, mint: str, p: PositionPnl, shadow: bool = False) -> LedgerMark:
    return LedgerMark(
        instance_id=instance_id,
        mint=mint,
        ts=_dt(p.ts),
        realized_lamports=p.realized,
        unrealized_lamports=p.unrealized,
        seq=p.seq,
        qty_tokens=p.qty,
        shadow=shadow,
    )


def apply_rejection(st: MintLedgerState, rej: OrderRejection) -> LedgerMark | None:
    """A refused signal into the strategy's shadow book (``core.shadow``): the mark, or None."""
    if rej.signal_id in st.shadow_seen:
        return None
    r, p = settings.risk, settings.paper
    amount = shadow_amount(rej.strength, r.capital_lamports, r.exploration_weight, r.default_entry_fraction)
    booked = shadow_apply(
        st.shadow,
        rej,
        amount_lamports=amount,
        fee_bps=p.fee_bps,
        slippage_bps=p.slippage_bps,
        taker_fee_bps=settings.drift.taker_fee_bps,
    )
    if booked is None:
        return None
    st.shadow_seen.append(rej.signal_id)
    if len(st.shadow_seen) > SHADOW_SEEN:
        del st.shadow_seen[: len(st.shadow_seen) - SHADOW_SEEN]
    SHADOW_FILLS.labels(strategy=rej.instance_id, side=booked[0]).inc()
    sp = st.shadow[rej.instance_id]
    sp.emitted_ts = sp.ts
    return mark(rej.instance_id, rej.mint, sp, shadow=True)


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def apply_position(st: MintLedgerState, u: PositionUpdate, interval_s: float) -> LedgerMark | None:
    """One position update into its strategy's PnL on the mint: the mark to send, or None
    (a stale or repeated update, or a price move within ``interval_s`` of the last mark)."""
    p = st.held.setdefault(u.instance_id, PositionsPnl())
    key = u.position_id or f"{u.instance_id}|{u.side.value}"
    is_open = u.status is PositionStatus.OPEN
    ts = u.ts.timestamp()
    if not p.apply(key, u.seq, is_open, u.realized_pnl_lamports, u.unrealized_pnl_lamports, u.qty_tokens, ts):
        return None
    if not p.due(interval_s):
        return None
    return LedgerMark(
        instance_id=u.instance_id,
        mint=u.mint,
        ts=_dt(p.ts),
        realized_lamports=p.realized,
        unrealized_lamports=p.unrealized,
        seq=p.seq,
        qty_tokens=p.qty,
    )


def apply_price(st: MintLedgerState, ev: PriceEvent, interval_s: float) -> list[LedgerMark]:
    """Mark the shadow book (the own positions are marked by the position manager)."""
    out = []
    ts = ev.ts.timestamp()
    for inst, p in st.shadow.items():
        if p.apply_mark(ev.price_sol, ev.decimals, ts) and ts - p.emitted_ts >= interval_s:
            p.emitted_ts = ts
            out.append(mark(inst, ev.mint, p, shadow=True))
    return out


@app.agent(source, name="ledger")
async def ledger(stream: Any) -> None:
    await ledger_topic.maybe_declare()
    interval = settings.risk.mark_interval_s
    async for events in batches(stream, settings.kafka.batch_size, settings.kafka.batch_within_s):
        t0 = time.perf_counter()
        by_topic: dict[str, list[EventT]] = {}
        for ev in events:
            by_topic.setdefault(_short[ev.message.topic], []).append(ev)
        decoded: dict[int, tuple[EventT, str, Any]] = {}
        for short, evs in by_topic.items():
            EVENTS_IN.labels(topic=short).inc(len(evs))
            batch: list[tuple[EventT, Any]] = await decode_batch(evs, INPUTS[short], CONSUMER)
            for ev, msg in batch:
                decoded[id(ev)] = (ev, short, msg)
        states: dict[bytes, MintLedgerState] = {}
        touched: dict[bytes, EventT] = {}
        sends = []
        for ev in events:
            item = decoded.get(id(ev))
            if item is None:
                continue
            _, short, msg = item
            key = msg.mint.encode()
            st = states.get(key)
            if st is None:
                st = states[key] = load_mint(ledger_mint.get(key))
            off = ev.message.offset
            if off <= st.offsets.get(short, -1):
                continue
            if short == "positions":
                marks = [m] if (m := apply_position(st, msg, interval)) is not None else []
            elif short == "rejections":
                marks = [m] if (m := apply_rejection(st, msg)) is not None else []
            elif not st.shadow:
                st.offsets[short] = off
                continue  # nobody holds this mint: nothing to mark, nothing to write
            else:
                marks = apply_price(st, msg, interval)
            for m in marks:
                sends.append(await ledger_topic.send(key=m.instance_id.encode(), value=encode(m)))
            st.offsets[short] = off
            touched[key] = ev
        if sends:
            await asyncio.gather(*sends)
        await write_keys(ledger_mint, {k: (ev, dump(states[k])) for k, ev in touched.items()})
        BATCH_SECONDS.labels(stage=CONSUMER).observe(time.perf_counter() - t0)
