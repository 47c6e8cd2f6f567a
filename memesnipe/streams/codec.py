"""Encode and decode wire messages (JSON via msgspec), with one error type for bad input.

:func:`decode_record` is the one boundary every Kafka record passes before a stage uses it. It
turns ANY failure into :class:`DecodeError` with a reason a person can act on, so a stage
dead-letters the record and goes on (issue #13: one deeply nested record used to raise
RecursionError out of four agents). In order, a record is refused when:

1. it has no value (a tombstone), or its value is over ``wire.max_message_bytes``;
2. its JSON nests arrays/objects deeper than ``wire.max_nesting`` (checked before decoding:
   msgspec decodes recursively, and the stack depth left depends on where the call sits);
3. it is not JSON, or does not match its schema (wrong type, unknown enum value, missing field,
   out-of-range number, naive datetime), or decoding raises anything else;
4. its schema version ``v`` is not one this build reads (``Message.SCHEMA_VERSIONS``);
5. its record key differs from the field the topic is keyed by (``topics.KEY_FIELDS``: the mint
   for market and trading topics, the instance id for specs/allocations/ledger; ``global`` for
   the kill switch), or it has no key;
6. its event time ``ts`` is before ``wire.min_event_time`` (absolute floor, default 2020-01-01),
   after wall clock + ``wire.max_future_s`` (default 366 days: the simulator's clock runs ahead of
   the wall clock) or, when ``wire.max_past_s`` > 0, before wall clock - ``max_past_s``.

Event time "far in the past" is an absolute floor by default, not relative to the wall clock:
replays (``memesnipe replay``, ``publish-file`` of a recording, the parity tests) legitimately
carry times months old, and a stage cannot tell them from live input. A deployment that never
replays can set ``wire.max_past_s``.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

import msgspec

from memesnipe.streams.base import Message
from memesnipe.streams.market import AnyMarketEvent
from memesnipe.streams.topics import FIXED_KEYS, KEY_FIELDS

T = TypeVar("T")

_encoder = msgspec.json.Encoder()


class DecodeError(ValueError):
    """A message that is not valid JSON or does not match its schema; the text says why."""


@dataclass(frozen=True)
class WireLimits:
    """The bounds :func:`decode_record` enforces (``settings.wire``; see ``WireSettings``)."""

    max_bytes: int = 65_536
    max_depth: int = 32
    max_future_s: float = 366 * 86_400.0
    max_past_s: float = 0.0
    min_ts: datetime = datetime(2020, 1, 1, tzinfo=UTC)

    @classmethod
    def from_settings(cls, wire: Any) -> WireLimits:
        return cls(
            max_bytes=wire.max_message_bytes,
            max_depth=wire.max_nesting,
            max_future_s=wire.max_future_s,
            max_past_s=wire.max_past_s,
            min_ts=wire.min_event_time,
        )


@cache
def configured_limits() -> WireLimits:
    """This process's limits, from its settings (read once)."""
    from memesnipe.settings import get_settings

    return WireLimits.from_settings(get_settings().wire)


def encode(msg: msgspec.Struct | dict[str, Any]) -> bytes:
    return _encoder.encode(msg)


@cache
def _decoder(tp: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(tp)


def _type_name(tp: Any) -> str:
    return tp.__name__ if isinstance(tp, type) else str(tp)


def decode(data: bytes | str, tp: type[T]) -> T:
    """Decode and validate; any failure raises DecodeError (msgspec's path-qualified reason, or
    what else went wrong). Wire messages of an unknown schema version are refused too."""
    try:
        obj = _decoder(tp).decode(data)  # type: ignore[arg-type]
    except msgspec.ValidationError as exc:
        raise DecodeError(f"does not match {_type_name(tp)}: {exc}") from None
    except msgspec.DecodeError as exc:
        raise DecodeError(f"not JSON: {exc}") from None
    except RecursionError:
        raise DecodeError("JSON nested too deeply to decode") from None
    except Exception as exc:  # a failing validator (__post_init__), a bad type argument, ...
        raise DecodeError(f"cannot decode as {_type_name(tp)}: {type(exc).__name__}: {exc}") from None
    if isinstance(obj, Message) and obj.v not in obj.SCHEMA_VERSIONS:
        raise DecodeError(
            f"schema version {obj.v} of {type(obj).__name__} is not supported "
            f"(this build reads {', '.join(map(str, sorted(obj.SCHEMA_VERSIONS)))})"
        )
    return obj  # type: ignore[no-any-return]


_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_OPEN = frozenset(b"[{")


def nesting_depth(data: bytes, limit: int) -> int:
    """How deep arrays/objects nest in JSON ``data`` (brackets inside strings do not count);
    stops counting once past ``limit``."""
    depth = deepest = 0
    for m in _TOKENS.finditer(data):
        c = data[m.start()]
        if c == 34:  # '"': a string, skipped whole
            continue
        if c in _OPEN:
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        else:
            depth -= 1
    return deepest


def check_size(data: bytes, limits: WireLimits) -> None:
    """Refuse a value over the size or nesting bound before anything parses it."""
    if len(data) > limits.max_bytes:
        raise DecodeError(
            f"record is {len(data)} bytes, over the {limits.max_bytes}-byte limit (wire.max_message_bytes)"
        )
    bound = limits.max_depth
    # fewer brackets than the bound cannot nest past it: the usual case costs two C-speed counts
    if data.count(b"[") + data.count(b"{") > bound and nesting_depth(data, bound) > bound:
        raise DecodeError(f"JSON nests deeper than {bound} levels (wire.max_nesting)")


def check_key(obj: Any, key: bytes | str | None, topic: str) -> None:
    """The record key must equal the field ``topic`` is keyed by (``topics.KEY_FIELDS``)."""
    k = key.encode("utf-8", "replace") if isinstance(key, str) else key
    fixed = FIXED_KEYS.get(topic)
    if fixed is not None:
        if k != fixed:
            raise DecodeError(f"record key {_show(k)} on {topic!r}; its only key is {fixed.decode()!r}")
        return
    field_name = KEY_FIELDS.get(topic)
    if field_name is None:
        return
    want = getattr(obj, field_name, None)
    if not isinstance(want, str):
        return
    if k is None:
        raise DecodeError(f"record has no key; {topic!r} is keyed by {field_name} ({want!r})")
    if k != want.encode():
        raise DecodeError(f"record key {_show(k)} differs from the message's {field_name} {want!r}")


def _show(key: bytes | None) -> str:
    if key is None:
        return "(none)"
    text = key[:80].decode("utf-8", "replace")
    return repr(text + ("..." if len(key) > 80 else ""))


def check_time(obj: Any, limits: WireLimits, now_s: float | None = None) -> None:
    """The message's event time ``ts`` must lie within the bounds (see the module docstring)."""
    ts = getattr(obj, "ts", None)
    if not isinstance(ts, datetime):
        return
    if ts < limits.min_ts:
        raise DecodeError(
            f"event time {ts.isoformat()} is before {limits.min_ts.isoformat()} (wire.min_event_time)"
        )
    if limits.max_future_s <= 0 and limits.max_past_s <= 0:
        return
    now = time.time() if now_s is None else now_s
    t = ts.timestamp()
    if limits.max_future_s > 0 and t > now + limits.max_future_s:
        raise DecodeError(
            f"event time {ts.isoformat()} is {t - now:.0f} s in the future, over "
            f"{limits.max_future_s:.0f} s (wire.max_future_s)"
        )
    if limits.max_past_s > 0 and t < now - limits.max_past_s:
        raise DecodeError(
            f"event time {ts.isoformat()} is {now - t:.0f} s in the past, over "
            f"{limits.max_past_s:.0f} s (wire.max_past_s)"
        )


def decode_record(
    value: bytes | str | None,
    tp: type[T],
    *,
    topic: str,
    key: bytes | str | None,
    limits: WireLimits | None = None,
    now_s: float | None = None,
) -> T:
    """Decode one Kafka record of ``topic`` (short name) as ``tp``, with every boundary check
    of the module docstring; raises DecodeError saying what was wrong."""
    lim = configured_limits() if limits is None else limits
    if value is None:
        raise DecodeError("empty record (tombstone)")
    data = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else bytes(value)
    check_size(data, lim)
    obj = decode(data, tp)
    check_key(obj, key, topic)
    check_time(obj, lim, now_s)
    return obj


def decode_market(data: bytes | str) -> AnyMarketEvent:
    """Decode any market event by its ``type`` tag."""
    return decode(data, AnyMarketEvent)  # type: ignore[arg-type]


def to_builtins(msg: msgspec.Struct) -> dict[str, Any]:
    return msgspec.to_builtins(msg)  # type: ignore[no-any-return]
