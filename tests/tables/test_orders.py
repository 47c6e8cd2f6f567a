"""The order lifecycle record's bounds (``tables.orders``)."""

from __future__ import annotations

from datetime import UTC, datetime

from memesnipe.streams.trading import Intent, OrderState, Side, Venue
from memesnipe.tables.orders import HISTORY_KEEP, OrderRecord, dump, load_record


def test_a_records_history_is_capped_on_load_keeping_the_first_and_the_newest() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rec = OrderRecord(
        order_id="o1",
        mint="M",
        instance_id="i",
        family="f",
        side=Side.BUY,
        intent=Intent.ENTRY,
        venue=Venue.JUPITER,
        amount_in=1,
        state=OrderState.LANDED,
        created_at=now,
        updated_at=now,
        history=[f"h{i}" for i in range(40)],
    )
    back = load_record(dump(rec))
    assert back is not None and len(back.history) == HISTORY_KEEP
    assert back.history[0] == "h0" and back.history[-1] == "h39"
