"""An exit that reaches the gate before its entry's fill: refused with ``exit_before_fill`` and
the pending entry order ids (the position manager sends it once the entry has filled), never
confused with a plain ``no_position``."""

from __future__ import annotations

from memesnipe.core.exposure import ExposureBook
from memesnipe.core.ids import order_id
from memesnipe.core.risk import EXIT_BEFORE_FILL, evaluate_exit
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.trading import Order, OrderRejection, OrderState, OrderUpdate, Side
from tests.agents import riskmsgs as m
from tests.core.test_gate import GATE, ready_state


def test_exit_with_a_pending_entry_and_no_position_waits_for_the_fill() -> None:
    st, book = ready_state(), ExposureBook()
    entry = GATE.on_signal(st, m.signal("e1", "M1", t=0), book, None, {})
    assert isinstance(entry, Order)
    rej = GATE.on_signal(st, m.signal("x1", "M1", side=Side.SELL, t=1), book, None, {})
    assert isinstance(rej, OrderRejection)
    assert rej.rule == EXIT_BEFORE_FILL == "exit_before_fill"
    assert rej.awaiting_order_ids == (entry.order_id,) == (order_id("inst-a", "M1", "e1"),)
    assert entry.order_id in rej.reason and "position manager" in rej.reason
    assert decode(encode(rej), OrderRejection) == rej  # the ids survive the wire

    # once the position reflects the fill, an exit is an order again
    book.apply_fill(m.fill(entry.order_id, "M1", t=2))
    book.apply_position(m.position("M1", 1_000_000, t=2))
    out = GATE.on_signal(st, m.signal("x2", "M1", side=Side.SELL, t=3), book, None, {})
    assert isinstance(out, Order) and out.amount_in == 1_000_000


def test_without_a_pending_entry_it_is_still_no_position() -> None:
    st, book = ready_state(), ExposureBook()
    rej = GATE.on_signal(st, m.signal("x1", "M1", side=Side.SELL), book, None, {})
    assert isinstance(rej, OrderRejection) and rej.rule == "no_position" and rej.awaiting_order_ids == ()

    # another instance's pending entry, or one that failed, is not this exit's position
    entry = GATE.on_signal(st, m.signal("e1", "M1", instance="inst-b"), book, None, {})
    assert isinstance(entry, Order)
    rej = GATE.on_signal(st, m.signal("x2", "M1", side=Side.SELL), book, None, {})
    assert isinstance(rej, OrderRejection) and rej.rule == "no_position"
    mine = GATE.on_signal(st, m.signal("e2", "M1", t=1), book, None, {})
    assert isinstance(mine, Order)
    book.apply_update(OrderUpdate(order_id=mine.order_id, state=OrderState.FAILED, ts=m.at(2)))
    rej = GATE.on_signal(st, m.signal("x3", "M1", side=Side.SELL, t=3), book, None, {})
    assert isinstance(rej, OrderRejection) and rej.rule == "no_position" and rej.awaiting_order_ids == ()


def test_a_pending_entry_of_the_other_side_does_not_count() -> None:
    st, book = ready_state(), ExposureBook()
    short = GATE.on_signal(st, m.signal("e1", "M1", side=Side.SHORT, perp=4), book, None, {})
    assert isinstance(short, Order)
    rej = GATE.on_signal(st, m.signal("x1", "M1", side=Side.SELL, t=1), book, None, {})
    assert isinstance(rej, OrderRejection) and rej.rule == "no_position"
    rej = GATE.on_signal(st, m.signal("x2", "M1", side=Side.COVER, t=1), book, None, {})
    assert isinstance(rej, OrderRejection) and rej.rule == EXIT_BEFORE_FILL
    assert rej.awaiting_order_ids == (short.order_id,)


def test_pending_entry_ids_are_sorted_entries_only() -> None:
    st, book = ready_state(), ExposureBook()
    ids = []
    for sid in ("e3", "e1", "e2"):
        o = GATE.on_signal(st, m.signal(sid, "M1", strength=0.1), book, None, {})
        assert isinstance(o, Order)
        ids.append(o.order_id)
    assert book.pending_entry_ids("inst-a", "M1") == sorted(ids)
    assert book.pending_entry_ids("inst-a", "M1", Side.BUY) == sorted(ids)
    assert book.pending_entry_ids("inst-a", "M1", Side.SHORT) == []
    assert book.pending_entry_ids("inst-b", "M1") == [] and book.pending_entry_ids("inst-a", "M2") == []


def test_risk_rule_names_the_pending_orders() -> None:
    d = evaluate_exit(Side.SELL, None, 0, None, False, ["o1", "o2"])
    assert d.rejection is not None and d.rejection.rule == EXIT_BEFORE_FILL and "o1, o2" in d.rejection.reason
    assert evaluate_exit(Side.SELL, None, 0, None, False).rejection.rule == "no_position"  # type: ignore[union-attr]
    assert evaluate_exit(Side.SELL, None, 10, Side.BUY, False, ["o1"]).approved  # held: sized as usual


def test_an_old_rejection_without_the_field_decodes() -> None:
    old = (
        b'{"signal_id":"s","instance_id":"i","mint":"M","ts":"2026-01-01T00:00:00Z","side":"sell",'
        b'"intent":"exit","rule":"no_position","reason":"r"}'
    )
    assert decode(old, OrderRejection).awaiting_order_ids == ()
