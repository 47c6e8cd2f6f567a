"""The base of every wire message: msgspec structs, validated on decode, versioned.

msgspec (not pydantic) carries the wire format because it decodes and validates JSON ~10x
faster, which matters on the per-event hot path; pydantic models stay at the edges
(settings, strategy parameters, provider payloads).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, ClassVar

import msgspec

UtcDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
"""A timezone-aware datetime; naive datetimes are refused on decode."""

Lamports = Annotated[int, msgspec.Meta(ge=0)]
Mint = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Fraction = Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]

LAMPORTS_PER_SOL = 1_000_000_000
SOL_MINT = "So11111111111111111111111111111111111111112"


class Message(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=False):
    """Base of all wire messages; ``v`` is the schema version of the concrete message.

    ``SCHEMA_VERSIONS``: the versions this build reads; a record of another version is refused
    at decode (dead-lettered), never guessed at. A message that gains version 2 lists both."""

    SCHEMA_VERSIONS: ClassVar[frozenset[int]] = frozenset({1})

    v: int = 1


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_epoch_s(ts: datetime) -> float:
    return ts.timestamp()
