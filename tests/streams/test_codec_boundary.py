"""The Kafka-record boundary (``streams.codec.decode_record``): every failure is a DecodeError
with a reason, never another exception (issue #13)."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from itertools import islice

import msgspec
import pytest

from memesnipe.settings import load_settings
from memesnipe.streams import (
    SOL_MINT,
    DeadLetter,
    DecodeError,
    KillSwitch,
    OnChainEvent,
    OrderUpdate,
    PriceEvent,
    Signal,
    SolPriceEvent,
    StrategyAllocation,
    decode,
    encode,
)
from memesnipe.streams.base import Message
from memesnipe.streams.codec import WireLimits, decode_record, nesting_depth
from memesnipe.streams.deadletter import PAYLOAD_MAX_CHARS, dead_letter_for
from memesnipe.streams.trading import DepthStamp, Intent, Side

NOW = datetime(2026, 6, 1, tzinfo=UTC)
NOW_S = NOW.timestamp()
LIM = WireLimits()


def price(**changes: object) -> bytes:
    doc = {"type": "price", "mint": "M", "ts": "2026-06-01T00:00:00Z", "price_usd": 1.0, **changes}
    return json.dumps(doc).encode()


def rec(value, tp=PriceEvent, topic="price", key=b"M", **kw):  # type: ignore[no-untyped-def]
    """``decode_record`` at NOW with the default limits (or ``limits=``)."""
    return decode_record(value, tp, topic=topic, key=key, limits=kw.pop("limits", LIM), now_s=NOW_S, **kw)


def test_a_good_record_decodes():
    assert rec(price()).price_usd == 1.0
    assert rec(price().decode()).mint == "M"  # str values too


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "empty record (tombstone)"),
        (b"\x00\xff{", "not JSON"),
        (b"\xff\xfe\xfd", "not JSON"),
        (b'{"type":"price","mint":"M","ts":"2026-06-01T00:00:00Z"', "not JSON"),
        (price(v=2), "schema version 2 of PriceEvent is not supported"),
        (price(ts=12), r"does not match PriceEvent: Expected `datetime`, got `int` - at `$.ts`"),
        (price(price_usd="cheap"), "$.price_usd"),
        (price(price_usd=1.0).replace(b"1.0", b"1e400"), "Number out of range"),
        (price(decimals=1.5), "Expected `int`, got `float`"),
        (price(mint=["M"]), "$.mint"),
        (price(type="social"), "$.type"),
        (price(ts="2026-06-01T00:00:00"), "timezone"),
    ],
)
def test_every_kind_of_bad_record_is_a_decode_error_with_its_reason(value, reason):
    with pytest.raises(DecodeError) as err:
        rec(value)
    assert reason in str(err.value)


def test_unknown_enum_values_are_refused():
    raw = json.dumps({"type": "onchain", "mint": "M", "ts": "2026-06-01T00:00:00Z", "kind": "teleport"})
    with pytest.raises(DecodeError, match=r"Invalid enum value 'teleport' - at `\$.kind`"):
        rec(raw.encode(), OnChainEvent, "onchain")
    upd = json.dumps({"order_id": "o", "state": "vanished", "ts": "2026-06-01T00:00:00Z"}).encode()
    with pytest.raises(DecodeError, match="vanished"):
        rec(upd, OrderUpdate, "order_updates", key=b"M")


def test_size_is_checked_before_decoding_at_the_configured_bound():
    small = WireLimits(max_bytes=4096)
    body = price(source="")
    pad = 4096 - len(body)
    assert len(rec(price(source="x" * pad), limits=small).source) == pad  # exactly at the bound
    with pytest.raises(DecodeError, match=r"record is 4097 bytes, over the 4096-byte limit"):
        rec(price(source="x" * (pad + 1)), limits=small)
    # not JSON past the bound: the size is what is reported (nothing parsed it)
    with pytest.raises(DecodeError, match="over the 4096-byte limit"):
        rec(b"[" * 5000, limits=small)


def test_the_record_of_issue_13_is_refused_for_its_nesting_not_a_recursion_error():
    raw = price().replace(b"}", b',"x":' + b"[" * 3500 + b"]" * 3500 + b"}")
    assert 6_900 < len(raw) < 7_500
    with pytest.raises(DecodeError, match="nests deeper than 32 levels"):
        rec(raw)


def test_nesting_counts_only_structure_outside_strings():
    assert nesting_depth(b'{"a":[[1],[2]]}', 32) == 3
    flat = json.dumps({"s": "[" * 500 + "{" * 500, "t": 'a "quoted" [ ]'}).encode()
    assert nesting_depth(flat, 32) == 1
    assert rec(price(source="[" * 200)).source == "[" * 200
    ok = price(meta=json.loads("[" * 31 + "]" * 31))  # depth 32 with the envelope
    assert rec(ok).mint == "M"
    with pytest.raises(DecodeError, match="nests deeper than 32"):
        rec(price(meta=json.loads("[" * 32 + "]" * 32)))


def test_a_recursion_error_deep_in_the_stack_becomes_a_decode_error():
    """Without the nesting bound (plain ``decode``), msgspec's recursion limit is what stops a
    deep record; it surfaces as a DecodeError, whatever the stack depth of the caller."""
    raw = price(x=0).replace(b'"x": 0', b'"x": ' + b"[" * 100_000 + b"]" * 100_000)

    def nest(n: int) -> DecodeError:
        if n:
            return nest(n - 1)
        with pytest.raises(DecodeError, match="nested too deeply") as err:
            decode(raw, PriceEvent)
        return err.value

    assert nest(sys.getrecursionlimit() // 2)


class _Validated(Message, frozen=True, kw_only=True):
    mint: str
    qty: int

    def __post_init__(self) -> None:
        if self.qty < 0:
            raise ValueError("qty must be >= 0")


class _Broken(Message, frozen=True, kw_only=True):
    mint: str

    def __post_init__(self) -> None:
        raise TypeError("validator bug")


def test_a_failing_validator_of_any_kind_is_a_decode_error():
    with pytest.raises(DecodeError, match="qty must be >= 0"):
        rec(b'{"mint":"M","qty":-1}', _Validated, "fills")
    with pytest.raises(DecodeError, match="validator bug"):
        rec(b'{"mint":"M"}', _Broken, "fills")


def test_the_key_must_be_the_mint_on_mint_keyed_topics():
    with pytest.raises(DecodeError, match="record key 'Other' differs from the message's mint 'M'"):
        rec(price(), key=b"Other")
    with pytest.raises(DecodeError, match="record has no key; 'price' is keyed by mint"):
        rec(price(), key=None)
    assert rec(price(), key="M").mint == "M"  # a str key is compared the same
    sol = encode(SolPriceEvent(mint=SOL_MINT, ts=NOW, price_usd=150.0))
    assert rec(sol, SolPriceEvent, "sol_price", key=SOL_MINT.encode()).price_usd == 150.0
    # an OrderUpdate has no mint: its key cannot be compared
    upd = encode(OrderUpdate(order_id="o", state="new", ts=NOW))  # type: ignore[arg-type]
    assert rec(upd, OrderUpdate, "order_updates", key=b"anything").order_id == "o"


def test_control_topics_check_their_own_keys():
    alloc = encode(StrategyAllocation(instance_id="i1", weight=0.1, capital_lamports=1, ts=NOW))
    assert rec(alloc, StrategyAllocation, "allocations", key=b"i1").instance_id == "i1"
    with pytest.raises(DecodeError, match="differs from the message's instance_id 'i1'"):
        rec(alloc, StrategyAllocation, "allocations", key=b"i2")
    kill = encode(KillSwitch(active=True, ts=NOW, by="ops", reason="r"))
    assert rec(kill, KillSwitch, "killswitch", key=b"global").active
    with pytest.raises(DecodeError, match="its only key is 'global'"):
        rec(kill, KillSwitch, "killswitch", key=b"M")


def test_event_time_bounds():
    future = (NOW + timedelta(days=367)).isoformat()
    with pytest.raises(DecodeError, match=r"in the future, over 31622400 s \(wire.max_future_s\)"):
        rec(price(ts=future))
    with pytest.raises(DecodeError, match=r"is before 2020-01-01T00:00:00\+00:00 \(wire.min_event_time\)"):
        rec(price(ts="1970-01-01T00:00:00Z"))
    # relative "far past" is off by default: replays and recordings carry old times
    assert rec(price(ts="2021-03-01T00:00:00Z")).ts.year == 2021
    live = WireLimits(max_future_s=300, max_past_s=3600)
    with pytest.raises(DecodeError, match=r"in the past, over 3600 s \(wire.max_past_s\)"):
        rec(price(ts=(NOW - timedelta(hours=2)).isoformat()), limits=live)
    with pytest.raises(DecodeError, match="in the future"):
        rec(price(ts=(NOW + timedelta(minutes=10)).isoformat()), limits=live)
    assert rec(price(ts=(NOW + timedelta(minutes=4)).isoformat()), limits=live).mint == "M"
    off = WireLimits(max_future_s=0)
    assert rec(price(ts="2099-01-01T00:00:00Z"), limits=off).ts.year == 2099


def test_the_default_future_bound_leaves_room_for_the_simulators_clock():
    """The simulator's clock starts at now and runs ``tick_s`` per tick, ~25x the wall clock at
    its default rate: a week-long run is ~half a year ahead, still inside the default bound."""
    from memesnipe.connectors.simulator.model import MarketSimulator

    sim = MarketSimulator(7, 12, NOW, 5.0)
    events = list(islice(sim.events(), 2_000))
    assert sim.now() > NOW + timedelta(minutes=5)
    week_ahead = NOW + timedelta(days=7 * 25)
    raw = price(ts=week_ahead.isoformat())
    assert rec(raw).ts == week_ahead
    for ev in events[-50:]:
        assert rec(encode(ev), type(ev), str(type(ev).__struct_config__.tag), key=ev.mint.encode()) == ev


def test_limits_come_from_the_wire_settings(monkeypatch):
    monkeypatch.setenv("MEMESNIPE_WIRE__MAX_MESSAGE_BYTES", "8192")
    monkeypatch.setenv("MEMESNIPE_WIRE__MAX_PAST_S", "600")
    monkeypatch.setenv("MEMESNIPE_WIRE__MIN_EVENT_TIME", "2023-01-01T00:00:00Z")
    lim = WireLimits.from_settings(load_settings().wire)
    assert (lim.max_bytes, lim.max_past_s, lim.min_ts.year, lim.max_depth) == (8192, 600.0, 2023, 32)


def test_a_dead_letter_of_any_record_stays_small_and_decodable():
    huge = price(source="é" * 400_000)
    d = dead_letter_for(
        topic="t.price", partition=1, offset=7, key=b"k" * 5000, value=huge, reason="r" * 9999, consumer="c"
    )
    assert d.payload_bytes == len(huge) and len(d.payload) == PAYLOAD_MAX_CHARS
    assert huge.decode().startswith(d.payload)
    assert len(d.key or "") == 256 and len(d.reason) == 2000
    raw = encode(d)
    assert len(raw) < LIM.max_bytes
    assert rec(raw, DeadLetter, "deadletter", key=None) == msgspec.json.decode(raw, type=DeadLetter)
    binary = dead_letter_for(topic="t", partition=0, offset=0, key=None, value=b"\xff" * 100_000, reason="x",
                             consumer="c")  # fmt: skip
    assert binary.payload.startswith("base64:") and len(encode(binary)) < LIM.max_bytes


def test_signals_with_their_market_stamp_pass_the_default_bounds():
    levels = tuple((100.0 * i, 5.0 * i) for i in range(1, 21))
    sig = Signal(
        signal_id="s", instance_id="i", family="f", mint="M", ts=NOW, side=Side.BUY, intent=Intent.ENTRY,
        strength=0.5, reason="r", meta={"a": {"b": [1, 2]}}, depth=DepthStamp(levels, 1e5),
    )  # fmt: skip
    assert rec(encode(sig), Signal, "signals") == sig
