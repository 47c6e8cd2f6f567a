"""Per-mint ledger stage: fills + price marks -> each strategy's PnL on the mint -> ledger marks.

Reads ``fills`` and ``price`` (keyed by mint, co-partitioned), keeps ``ledger_mint[mint]`` and
sends a :class:`LedgerMark` to the single-partition ledger topic on every fill and at most
once per ``risk.mark_interval_s`` of event time per open position on price moves. Exact
recovery: offsets per input topic in the state, fill ids deduplicated, marks sent before the
state is written (a crash re-sends the same ``seq``, which the next stage ignores).
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime
from typing import Any

from faust.types import EventT

from memesnipe.agents.batching import batches, dead_letter, decode_batch
from memesnipe.agents.channels import names
from memesnipe.app import app, settings
from memesnipe.core.ledger import PositionPnl
from memesnipe.metrics import BATCH_SECONDS, EVENTS_IN
from memesnipe.streams.codec import encode
from memesnipe.streams.ledger import LedgerMark
from memesnipe.streams.market import PriceEvent
from memesnipe.streams.trading import Fill
from memesnipe.tables.ledger import MintLedgerState, dump, ledger_mint, ledger_topic, load_mint
from memesnipe.tables.partitioned import write_keys

log = logging.getLogger(__name__)

CONSUMER = "ledger"
INPUTS = {"fills": Fill, "price": PriceEvent}
FILLS_SEEN = 1024

source = app.topic(*(names(n) for n in INPUTS), key_type=bytes, value_type=bytes)
_short = {names(n): n for n in INPUTS}


def mark(instance_id: str, mint: str, p: PositionPnl) -> LedgerMark:
    return LedgerMark(
        instance_id=instance_id,
        mint=mint,
        ts=_dt(p.ts),
        realized_lamports=p.realized,
        unrealized_lamports=p.unrealized,
        seq=p.seq,
        qty_tokens=p.qty,
    )


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def apply_fill(st: MintLedgerState, f: Fill) -> LedgerMark | None:
    if f.fill_id in st.fills_seen:
        return None
    p = st.positions.setdefault(f.instance_id, PositionPnl())
    ts = f.ts.timestamp()
    p.apply_fill(f.side.value, f.qty_tokens, f.notional_lamports, f.cost_lamports, ts)
    st.fills_seen.append(f.fill_id)
    if len(st.fills_seen) > FILLS_SEEN:
        del st.fills_seen[: len(st.fills_seen) - FILLS_SEEN]
    p.emitted_ts = ts
    return mark(f.instance_id, f.mint, p)


def apply_price(st: MintLedgerState, ev: PriceEvent, interval_s: float) -> list[LedgerMark]:
    out = []
    ts = ev.ts.timestamp()
    for inst, p in st.positions.items():
        if p.apply_mark(ev.price_sol, ev.decimals, ts) and ts - p.emitted_ts >= interval_s:
            p.emitted_ts = ts
            out.append(mark(inst, ev.mint, p))
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
            if short == "fills":
                try:
                    marks = [m] if (m := apply_fill(st, msg)) is not None else []
                except ValueError as exc:  # e.g. a short fill while a long is open
                    await dead_letter(ev, f"ledger cannot apply fill {msg.fill_id}: {exc}", CONSUMER)
                    marks = []
            elif not st.positions:
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
