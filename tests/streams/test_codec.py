from datetime import UTC, datetime

import pytest

from memesnipe.streams import (
    MARKET_EVENT_TYPES,
    DecodeError,
    Fill,
    Intent,
    OnChainEvent,
    OnChainKind,
    PriceEvent,
    Side,
    decode,
    decode_market,
    encode,
)

TS = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def test_market_event_round_trips_with_its_type_tag():
    ev = PriceEvent(mint="M1", ts=TS, price_usd=1.5, price_sol=0.01, volume_usd_5m=10.0)
    raw = encode(ev)
    assert b'"type":"price"' in raw
    assert decode_market(raw) == ev


def test_every_market_type_has_a_distinct_tag():
    tags = {cls.__struct_config__.tag for cls in MARKET_EVENT_TYPES.values()}
    assert tags == set(MARKET_EVENT_TYPES)


def test_naive_timestamp_is_refused_with_the_field_path():
    with pytest.raises(DecodeError, match=r"timezone.*\$\.ts"):
        decode(b'{"mint":"M","ts":"2026-01-01T00:00:00"}', PriceEvent)


def test_wrong_type_names_the_field():
    with pytest.raises(DecodeError, match=r"\$\.price_usd"):
        decode(b'{"mint":"M","ts":"2026-01-01T00:00:00Z","price_usd":"cheap"}', PriceEvent)


def test_garbage_is_a_decode_error_not_a_crash():
    with pytest.raises(DecodeError):
        decode_market(b"\x00\xffnot json")


def test_onchain_kind_must_be_known():
    with pytest.raises(DecodeError, match="kind"):
        decode(b'{"mint":"M","ts":"2026-01-01T00:00:00Z","kind":"teleport"}', OnChainEvent)
    ok = decode(b'{"mint":"M","ts":"2026-01-01T00:00:00Z","kind":"dev_sell"}', OnChainEvent)
    assert ok.kind is OnChainKind.DEV_SELL


def test_fill_costs_add_up_and_money_is_integer():
    f = Fill(
        fill_id="o1",
        order_id="o1",
        instance_id="i",
        family="f",
        mint="M",
        ts=TS,
        side=Side.BUY,
        intent=Intent.ENTRY,
        qty_tokens=10,
        notional_lamports=1000,
        price_sol=1.0,
        swap_fee_lamports=3,
        priority_fee_lamports=5,
        jito_tip_lamports=7,
        drift_fee_lamports=11,
        funding_lamports=2,
    )
    assert f.cost_lamports == 3 + 5 + 7 + 11 - 2
    with pytest.raises(DecodeError, match="notional_lamports"):
        decode(encode(f).replace(b'"notional_lamports":1000', b'"notional_lamports":-1'), Fill)
