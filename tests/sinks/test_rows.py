"""Message -> row mapping: one table per topic, stable ids, sampling, bad input refused."""

from __future__ import annotations

import msgspec
import pytest

from memesnipe.sinks.rows import SINK_TOPICS, TABLES, TOPIC_TABLE, RowMapper, Source, micros
from memesnipe.streams import (
    DeadLetter,
    ExecutionRequest,
    Intent,
    OrderState,
    OrderUpdate,
    Side,
    SocialEvent,
    encode,
)
from memesnipe.streams.codec import DecodeError
from memesnipe.streams.reconcile import HoldingRow, Reconciliation
from memesnipe.streams.topics import ALL_TOPICS
from tests.sinks.factories import T0, fill, price


def src(offset: int = 0, topic: str = "t.x") -> Source:
    return Source(topic, 0, offset, b"MintA", 1_700_000_000_000)


def test_every_topic_has_a_table() -> None:
    assert set(TOPIC_TABLE) == set(SINK_TOPICS) == {*ALL_TOPICS, "perp_reconciliations"}
    assert set(TOPIC_TABLE.values()) <= set(TABLES)


def test_a_fill_row_carries_run_id_stable_id_every_cost_and_their_sum() -> None:
    f = fill(1, Side.BUY, swap_fee=2_500_000, priority=10_000, tip=1_000, drift_fee=7, funding=3)
    table, row = RowMapper("backtest-7").map("fills", encode(f), src())
    assert table == "fills"
    cols = dict(zip(TABLES["fills"].columns, row, strict=True))
    assert cols["run_id"] == "backtest-7"
    assert cols["fill_id"] == "fill-1"
    assert (cols["swap_fee_lamports"], cols["priority_fee_lamports"], cols["jito_tip_lamports"]) == (
        2_500_000,
        10_000,
        1_000,
    )
    assert cols["cost_lamports"] == 2_500_000 + 10_000 + 1_000 + 7 - 3
    assert cols["ts"] == micros(f.ts) == int(f.ts.timestamp()) * 1_000_000 + f.ts.microsecond


def test_the_same_message_maps_to_the_same_row_whatever_offset_it_is_read_at() -> None:
    data = encode(fill(1, Side.SELL))
    m = RowMapper("r")
    assert m.map("fills", data, src(5)) == m.map("fills", data, src(900))


def test_execution_requests_are_stored_without_the_transaction_or_its_hmac() -> None:
    req = ExecutionRequest(
        request_id="r1",
        order_id="r1",
        mint="MintA",
        intent=Intent.ENTRY,
        tx_b64="U0VDUkVU" * 10,
        created_at=T0,
        spend_lamports=5,
        hmac="deadbeef" * 8,
    )
    table, row = RowMapper("r").map("exec_requests", encode(req), src())
    assert table == "exec_requests"
    assert "U0VDUkVU" not in repr(row) and "deadbeef" not in repr(row)
    assert "tx_b64" not in TABLES["exec_requests"].columns


def test_order_updates_are_keyed_by_order_and_state() -> None:
    up = OrderUpdate(order_id="o1", state=OrderState.LANDED, ts=T0, signature="sig")
    table, row = RowMapper("r").map("order_updates", encode(up), src())
    cols = dict(zip(TABLES[table].columns, row, strict=True))
    assert (cols["order_id"], cols["state"], cols["signature"]) == ("o1", "landed", "sig")


def test_market_events_keep_the_first_per_type_mint_and_second() -> None:
    m = RowMapper("r")
    kept = [
        m.map("price", encode(price(mint, s)), src(i))
        for i, (mint, s) in enumerate(
            [("A", 0.1), ("A", 0.9), ("B", 0.5), ("A", 1.2), ("A", 1.3), ("B", 0.7)]
        )
    ]
    assert [k is not None for k in kept] == [True, False, True, True, False, False]
    # A social event for the same mint and second is another type: kept.
    social = SocialEvent(mint="A", ts=T0, mentions=3)
    assert m.map("social", encode(social), src(10)) is not None


def test_the_earliest_offset_wins_a_sampled_second_in_the_table() -> None:
    """ver = 2^63 - offset: a duplicate row for a second (after a restart) loses to the earlier one."""
    a = RowMapper("r").map("price", encode(price("A", 0.2)), src(7))
    b = RowMapper("r").map("price", encode(price("A", 0.4)), src(9))
    assert a is not None and b is not None
    ver = TABLES["market_events"].columns.index("ver")
    assert a[1][ver] > b[1][ver]


@pytest.mark.parametrize(
    ("topic", "payload", "match"),
    [
        ("fills", b"not json", "malformed"),
        ("fills", b'{"fill_id": "x"}', "missing required field"),
        ("price", encode(SocialEvent(mint="A", ts=T0)), "'social' event on the 'price' topic"),
        ("price", b'{"type": "price", "mint": "A", "ts": "2026-01-01T00:00:00"}', "timezone"),
        ("signals", None, "tombstone"),
    ],
)
def test_bad_messages_raise_decode_error_with_the_reason(topic: str, payload: bytes, match: str) -> None:
    with pytest.raises(DecodeError, match=match):
        RowMapper("r").map(topic, payload, src())


def test_an_unreadable_dead_letter_is_still_kept_with_its_reason() -> None:
    table, row = RowMapper("r").map("deadletter", b"\xff garbage", src(3, "t.deadletter"))
    cols = dict(zip(TABLES[table].columns, row, strict=True))
    assert table == "dead_letters"
    assert cols["offset"] == 3 and cols["reason"].startswith("unreadable dead letter")


def test_a_dead_letter_row_names_the_original_topic_and_offset() -> None:
    letter = DeadLetter(topic="t.fills", partition=2, offset=41, key="k", reason="bad", payload="x", ts=T0)
    table, row = RowMapper("r").map("deadletter", encode(letter), src(0, "t.deadletter"))
    cols = dict(zip(TABLES[table].columns, row, strict=True))
    assert (cols["topic"], cols["partition"], cols["offset"], cols["reason"]) == ("t.fills", 2, 41, "bad")


def test_sample_state_is_bounded() -> None:
    m = RowMapper("r", max_sample_keys=10)
    for i in range(50):
        m.map("price", encode(price(f"M{i}", 0)), src(i))
    assert len(m._last_second) <= 10
    assert m.map("price", encode(price("M49", 0 + 0.5)), src(99)) is None


def test_a_tombstone_on_a_compacted_control_topic_is_skipped_not_dead_lettered() -> None:
    assert RowMapper("r").map("specs", None, src()) is None
    assert RowMapper("r").map("killswitch", None, src()) is None


def test_a_live_fill_row_keeps_what_the_plan_expected() -> None:
    f = msgspec.structs.replace(fill(2, Side.BUY), paper=False, expected_qty_tokens=1_000_000)
    _, row = RowMapper("live-1").map("fills", encode(f), src())
    cols = dict(zip(TABLES["fills"].columns, row, strict=True))
    expected = (cols["expected_qty_tokens"], cols["expected_notional_lamports"])
    assert (cols["paper"], *expected) == (0, 1_000_000, 0)


def test_a_perp_reading_row_keeps_the_venue_key_and_its_status_reason() -> None:
    r = Reconciliation(
        wallet="drift:W1",
        ts=T0,
        sol_lamports=0,
        reason="schedule; Drift v2 exchange_status 0x08: FillPaused",
        holdings=(HoldingRow("perp:0", 5, 5),),
    )
    table, row = RowMapper("live-1").map("perp_reconciliations", encode(r), src())
    cols = dict(zip(TABLES["perp_reconciliations"].columns, row, strict=True))
    assert table == "perp_reconciliations"
    assert (cols["venue_key"], cols["ts"]) == ("drift:W1", micros(T0))
    assert (cols["holdings"], cols["mismatches"]) == (1, 0)
    assert cols["reason"].endswith("FillPaused")
