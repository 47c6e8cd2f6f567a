"""The fills agent's decision on one signer result, on a real OrderRecord (no broker)."""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from memesnipe.agents.fills import advance, paper_result
from memesnipe.agents.router import new_record
from memesnipe.core.order_plan import Plan
from memesnipe.streams.execution import ExecutionResult, ExecutionStatus
from memesnipe.streams.trading import DepthStamp, Intent, Order, OrderState, Side, Venue
from memesnipe.tables.orders import OrderRecord, dump, load_record

NOW = datetime(2026, 1, 1, tzinfo=UTC)
PLAN = Plan(
    model="depth",
    qty_tokens=4_900_000,
    notional_lamports=49_875_000,
    price_sol=0.0101,
    price_usd=0.0151,
    impact_bps=12.5,
    swap_fee_lamports=125_000,
    priority_fee_lamports=14_999,
    jito_tip_lamports=1_000,
    drift_fee_lamports=0,
    cu_limit=300_000,
    cu_price_micro_lamports=33_333,
    spend_lamports=50_140_999,
)


def record(state: OrderState = OrderState.ROUTED, **kw) -> OrderRecord:
    base = dict(
        order_id="o1",
        mint="M",
        instance_id="i",
        family="f",
        side=Side.BUY,
        intent=Intent.ENTRY,
        venue=Venue.JUPITER,
        amount_in=50_000_000,
        state=state,
        created_at=NOW,
        updated_at=NOW,
        plan=PLAN.to_meta(),
    )
    base.update(kw)
    return OrderRecord(**base)


def result(status: ExecutionStatus, reason: str = "") -> ExecutionResult:
    return ExecutionResult(
        request_id="o1", order_id="o1", mint="M", status=status, ts=NOW, signature="SIG", reason=reason
    )


def test_signed_result_gives_one_fill_from_the_plan_and_lands_the_order():
    rec = record()
    updates, fill = paper_result(rec, result(ExecutionStatus.SIGNED))
    assert [u.state for u in updates] == [OrderState.SIGNED, OrderState.LANDED]
    assert rec.state is OrderState.LANDED and rec.filled
    assert fill.fill_id == "o1" and fill.qty_tokens == 4_900_000 and fill.notional_lamports == 49_875_000
    assert (fill.swap_fee_lamports, fill.priority_fee_lamports, fill.jito_tip_lamports) == (
        125_000,
        14_999,
        1_000,
    )
    assert fill.signature == "SIG" and fill.paper and fill.reason == "paper:depth"


def test_second_signed_result_for_the_same_order_is_ignored_even_after_a_table_round_trip():
    rec = record()
    paper_result(rec, result(ExecutionStatus.SIGNED))
    again = load_record(dump(rec))  # what a restarted worker reads back
    assert paper_result(again, result(ExecutionStatus.SIGNED)) == ([], None)


def test_refusal_and_failure_end_the_order_without_a_fill():
    rec = record()
    updates, fill = paper_result(rec, result(ExecutionStatus.REFUSED, "daily cap reached"))
    assert fill is None and rec.state is OrderState.REJECTED and updates[-1].reason == "daily cap reached"
    rec2 = record()
    _, fill2 = paper_result(rec2, result(ExecutionStatus.FAILED, "boom"))
    assert fill2 is None and rec2.state is OrderState.FAILED
    assert paper_result(rec2, result(ExecutionStatus.SIGNED)) == ([], None)


def test_expired_order_is_not_filled_by_a_late_signature():
    rec = record()
    paper_result(rec, result(ExecutionStatus.EXPIRED, "not signed within 120s"))
    assert rec.state is OrderState.EXPIRED
    assert paper_result(rec, result(ExecutionStatus.SIGNED)) == ([], None)


def test_advance_publishes_every_intermediate_state():
    rec = record(OrderState.NEW)
    ups = advance(rec, OrderState.SUBMITTED, "via jito", "SIG")
    assert [u.state for u in ups] == [OrderState.ROUTED, OrderState.SIGNED, OrderState.SUBMITTED]
    assert ups[-1].reason == "via jito" and rec.signature == "SIG"
    assert len(rec.history) == 3


def test_paper_fill_carries_the_orders_event_time_not_the_signers_clock():
    order_ts = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)  # a replayed order, long before NOW
    rec = record(order_ts=order_ts)
    _, fill = paper_result(rec, result(ExecutionStatus.SIGNED))
    assert fill.ts == order_ts
    _, legacy = paper_result(record(), result(ExecutionStatus.SIGNED))  # record without order_ts
    assert legacy.ts == NOW


def test_a_paper_fill_carries_the_orders_depth_stamp_through_the_record():
    stamp = DepthStamp(levels=((100.0, 2.5), (1_000.0, 24.0)), liquidity_usd=40_000.0)
    order = Order(
        order_id="o1",
        signal_id="s1",
        instance_id="i",
        family="f",
        mint="M",
        ts=NOW,
        side=Side.BUY,
        intent=Intent.ENTRY,
        venue=Venue.JUPITER,
        amount_in=50_000_000,
        depth=stamp,
    )
    rec = new_record(order, paper=True)
    assert rec.depth == stamp
    rec.plan, rec.state = PLAN.to_meta(), OrderState.ROUTED
    rec = load_record(dump(rec))  # the record lives in a table between router and fills agent
    assert rec is not None and rec.depth == stamp
    _, fill = paper_result(rec, result(ExecutionStatus.SIGNED))
    assert fill is not None and fill.depth == stamp and fill.ts == NOW
    unstamped = new_record(msgspec.structs.replace(order, depth=None), paper=True)
    unstamped.plan, unstamped.state = PLAN.to_meta(), OrderState.ROUTED
    assert paper_result(unstamped, result(ExecutionStatus.SIGNED))[1].depth is None


def test_a_stored_record_from_before_the_depth_stamp_still_decodes():
    old = dump(record())
    raw = msgspec.json.decode(old)
    raw.pop("depth")
    rec = load_record(msgspec.json.encode(raw))
    assert rec is not None and rec.depth is None and rec.order_id == "o1"
