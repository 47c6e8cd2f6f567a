"""Encode and decode wire messages (JSON via msgspec), with one error type for bad input."""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

import msgspec

from memesnipe.streams.market import AnyMarketEvent

T = TypeVar("T")

_encoder = msgspec.json.Encoder()


class DecodeError(ValueError):
    """A message that is not valid JSON or does not match its schema; the text says why."""


def encode(msg: msgspec.Struct | dict[str, Any]) -> bytes:
    return _encoder.encode(msg)


@cache
def _decoder(tp: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(tp)


def decode(data: bytes | str, tp: type[T]) -> T:
    """Decode and validate; raises DecodeError with msgspec's path-qualified reason."""
    try:
        return _decoder(tp).decode(data)  # type: ignore[no-any-return,arg-type]
    except msgspec.DecodeError as exc:  # ValidationError is a subclass
        raise DecodeError(str(exc)) from None


def decode_market(data: bytes | str) -> AnyMarketEvent:
    """Decode any market event by its ``type`` tag."""
    return decode(data, AnyMarketEvent)  # type: ignore[arg-type]


def to_builtins(msg: msgspec.Struct) -> dict[str, Any]:
    return msgspec.to_builtins(msg)  # type: ignore[no-any-return]
