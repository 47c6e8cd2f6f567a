"""The risk gate's processor: signals, depth and safety facts applied to the mints' states.

No Faust and no I/O (``agents.risk_gate`` loads the states, and the stage mechanism sends the
outputs and writes the states): an input at or below its topic's applied offset in the mint's
state is skipped, a fact updates the state's as-of history, a signal is judged by
``core.gate.RiskGate`` into an order or a rejection (or nothing: already seen).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from memesnipe.core.exposure import ExposureBook
from memesnipe.core.gate import MintRiskState, RiskGate, apply_depth, apply_onchain
from memesnipe.logs import ids
from memesnipe.metrics import ORDERS, REJECTIONS
from memesnipe.streams.codec import encode
from memesnipe.streams.control import KillSwitch, StrategyAllocation
from memesnipe.streams.trading import Order, OrderRejection

log = logging.getLogger("memesnipe.agents.risk_gate")  # decisions log under their stage's name

Send = tuple[str, bytes | None, bytes]
"""(short topic name, key, value)."""


def apply_gate(
    decoded: Sequence[tuple[Any, str, Any]],
    states: dict[bytes, MintRiskState],
    gate: RiskGate,
    book: ExposureBook,
    kill: KillSwitch | None,
    allocations: Mapping[str, StrategyAllocation],
) -> tuple[list[Send], dict[bytes, Any]]:
    """Apply decoded inputs ``(event, short topic, message)`` in order to ``states`` (mint key ->
    state, changed in place): facts into the mint's state, signals through the gate against the
    global book, kill switch and allocations, each input at most once per offset. Returns the
    outputs to send and the changed keys, each with the last event that changed it."""
    touched: dict[bytes, Any] = {}
    sends: list[Send] = []
    for ev, short, msg in decoded:
        key = ev.key if isinstance(ev.key, bytes) else msg.mint.encode()
        st = states[key]
        off = ev.message.offset
        if st.already_applied(short, off):
            continue
        if short == "depth":
            apply_depth(st, msg)
        elif short == "onchain":
            apply_onchain(st, msg)
        else:
            out = gate.on_signal(st, msg, book, kill, allocations)
            if isinstance(out, Order):
                ORDERS.labels(state="new").inc()
                log.info(
                    "order %s %s %s on %s: %d in",
                    out.instance_id,
                    out.intent,
                    out.side,
                    out.mint,
                    out.amount_in,
                    extra=ids(
                        decision="order",
                        signal_id=out.signal_id,
                        order_id=out.order_id,
                        instance_id=out.instance_id,
                        mint=out.mint,
                    ),
                )
                sends.append(("orders", key, encode(out)))
            elif isinstance(out, OrderRejection):
                REJECTIONS.labels(rule=out.rule).inc()
                log.info(
                    "rejected %s %s on %s: %s (%s)",
                    out.instance_id,
                    out.side,
                    out.mint,
                    out.rule,
                    out.reason,
                    extra=ids(
                        decision="rejected",
                        rule=out.rule,
                        signal_id=out.signal_id,
                        instance_id=out.instance_id,
                        mint=out.mint,
                    ),
                )
                sends.append(("rejections", key, encode(out)))
        st.mark_applied(short, off)
        touched[key] = ev
    return sends, touched
