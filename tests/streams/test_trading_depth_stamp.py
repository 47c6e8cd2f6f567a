"""Signals and orders carry an optional depth stamp; messages written before it still decode."""

from datetime import UTC, datetime

from memesnipe.streams import decode, encode
from memesnipe.streams.trading import DepthStamp, Intent, Order, Side, Signal, Venue

TS = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
STAMP = DepthStamp(levels=((100.0, 2.5), (1_000.0, 24.0)), liquidity_usd=40_000.0)


def signal(**kw: object) -> Signal:
    return Signal(
        signal_id="s1",
        instance_id="i1",
        family="f",
        mint="M1",
        ts=TS,
        side=Side.BUY,
        intent=Intent.ENTRY,
        strength=0.5,
        reason="r",
        price_usd=1.5,
        price_sol=0.01,
        **kw,  # type: ignore[arg-type]
    )


def order(**kw: object) -> Order:
    return Order(
        order_id="o" * 32,
        signal_id="s1",
        instance_id="i1",
        family="f",
        mint="M1",
        ts=TS,
        side=Side.BUY,
        intent=Intent.ENTRY,
        venue=Venue.JUPITER,
        amount_in=1_000,
        **kw,  # type: ignore[arg-type]
    )


def test_the_depth_stamp_round_trips_compactly() -> None:
    raw = encode(signal(depth=STAMP))
    assert b'"depth":[[[100.0,2.5],[1000.0,24.0]],40000.0]' in raw
    assert decode(raw, Signal) == signal(depth=STAMP)
    assert decode(encode(order(depth=STAMP)), Order) == order(depth=STAMP)
    assert decode(encode(signal(depth=DepthStamp())), Signal).depth == DepthStamp()


def test_messages_without_a_stamp_still_decode_and_say_unknown() -> None:
    old_signal = encode(signal())
    assert b"depth" in old_signal  # None is written as null; a message without the key:
    legacy = old_signal.replace(b',"depth":null', b"")
    assert b"depth" not in legacy
    assert decode(legacy, Signal).depth is None
    legacy_order = encode(order()).replace(b',"depth":null', b"")
    assert b"depth" not in legacy_order and decode(legacy_order, Order).depth is None
