"""pump.fun Anchor events, decoded by hand from their Borsh layout.

Source of every layout: pump.fun's published IDL, ``idl/pump.json`` of
github.com/pump-fun/pump-public-docs at commit 1b822158844a60ca577df6ca122211b595a1a578
(2026-05-19; IDL metadata name "pump", version 0.1.0; program 6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P).
The excerpt the tests check us against is tests/fixtures/pump_fun/idl_events.json.

Anchor writes an event as ``sha256("event:<Name>")[:8]`` followed by its Borsh fields, logged
as ``Program data: <base64>``. pump.fun has only ever APPENDED fields to these events (the IDL's
history: CreateEvent gained ``creator``/``timestamp`` in 2025-04, the reserves in 2025-08,
``token_program``/``is_mayhem_mode`` with create_v2 in 2025-11, ``is_cashback_enabled`` in
2026-02, ``quote_mint``/``virtual_quote_reserves`` in 2026-05), so a record is decoded as its
oldest layout plus whichever later fields its bytes still hold; older transactions (backfill)
decode as well as new ones. A record shorter than its oldest layout is refused.

``create`` and ``create_v2`` both emit CreateEvent; create_v2 makes a Token-2022 mint, which
the event says in ``token_program`` (absent before create_v2 existed: legacy SPL Token).
``migrate`` (bonding curve -> PumpSwap pool) emits CompletePumpAmmMigrationEvent.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import Any

from solders.pubkey import Pubkey

PUMP_PROGRAM = "6EF8rrecthR5Dkzon8Nwu78hRvfCKubJ14M5uBEwF6P"
PUMP_AMM_PROGRAM = "pAMMBay6oceH9fJKBRHGP5D4bD4sWpmSwMn52FMfXEA"
TOKEN_PROGRAM = "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA"
TOKEN_2022_PROGRAM = "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb"
ZERO_KEY = "11111111111111111111111111111111"
"""The all-zero key: pump.fun's sentinel for "quote is native SOL"."""


def discriminator(name: str) -> bytes:
    """Anchor's event discriminator: the first 8 bytes of sha256("event:<Name>")."""
    return hashlib.sha256(f"event:{name}".encode()).digest()[:8]


class EventDecodeError(ValueError):
    """Bytes that carry a known discriminator but not its documented layout."""


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 8

    def left(self) -> int:
        return len(self.data) - self.pos

    def _take(self, n: int) -> bytes:
        if self.left() < n:
            raise EventDecodeError(f"need {n} bytes at offset {self.pos}, {self.left()} left")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def read(self, kind: str) -> Any:
        if kind == "pubkey":
            return str(Pubkey.from_bytes(self._take(32)))
        if kind == "string":
            (n,) = struct.unpack("<I", self._take(4))
            if n > 1024:
                raise EventDecodeError(f"string of {n} bytes at offset {self.pos - 4}")
            try:
                return self._take(n).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise EventDecodeError(f"string is not UTF-8: {exc}") from None
        if kind == "u64":
            return struct.unpack("<Q", self._take(8))[0]
        if kind == "i64":
            return struct.unpack("<q", self._take(8))[0]
        if kind == "bool":
            b = self._take(1)[0]
            if b > 1:
                raise EventDecodeError(f"bool byte {b} at offset {self.pos - 1}")
            return bool(b)
        raise AssertionError(kind)


_SIZES = {"pubkey": 32, "u64": 8, "i64": 8, "bool": 1}


@dataclass(frozen=True)
class Layout:
    """One event: its name, the fields every version has, then the fields added later (in order)."""

    name: str
    required: tuple[tuple[str, str], ...]
    appended: tuple[tuple[str, str], ...]

    @property
    def disc(self) -> bytes:
        return discriminator(self.name)

    def fields(self) -> list[tuple[str, str]]:
        return [*self.required, *self.appended]

    def decode(self, data: bytes) -> dict[str, Any]:
        r = _Reader(data)
        out = {name: r.read(kind) for name, kind in self.required}
        for name, kind in self.appended:  # a later field is there only if all of its bytes are
            if r.left() < _SIZES[kind]:
                break
            out[name] = r.read(kind)
        return out


CREATE_EVENT = Layout(
    "CreateEvent",
    required=(
        ("name", "string"),
        ("symbol", "string"),
        ("uri", "string"),
        ("mint", "pubkey"),
        ("bonding_curve", "pubkey"),
        ("user", "pubkey"),
    ),
    appended=(
        ("creator", "pubkey"),
        ("timestamp", "i64"),
        ("virtual_token_reserves", "u64"),
        ("virtual_sol_reserves", "u64"),
        ("real_token_reserves", "u64"),
        ("token_total_supply", "u64"),
        ("token_program", "pubkey"),
        ("is_mayhem_mode", "bool"),
        ("is_cashback_enabled", "bool"),
        ("quote_mint", "pubkey"),
        ("virtual_quote_reserves", "u64"),
    ),
)
COMPLETE_EVENT = Layout(
    "CompleteEvent",
    required=(("user", "pubkey"), ("mint", "pubkey"), ("bonding_curve", "pubkey"), ("timestamp", "i64")),
    appended=(("quote_mint", "pubkey"),),
)
MIGRATION_EVENT = Layout(
    "CompletePumpAmmMigrationEvent",
    required=(
        ("user", "pubkey"),
        ("mint", "pubkey"),
        ("mint_amount", "u64"),
        ("sol_amount", "u64"),
        ("pool_migration_fee", "u64"),
        ("bonding_curve", "pubkey"),
        ("timestamp", "i64"),
        ("pool", "pubkey"),
    ),
    appended=(("quote_mint", "pubkey"),),
)
LAYOUTS: dict[bytes, Layout] = {lay.disc: lay for lay in (CREATE_EVENT, COMPLETE_EVENT, MIGRATION_EVENT)}


def decode_event(data: bytes) -> tuple[str, dict[str, Any]] | None:
    """``(event name, fields)`` for a discovery event, None for any other event or data;
    EventDecodeError when a known discriminator is followed by bytes that do not fit."""
    layout = LAYOUTS.get(data[:8])
    if layout is None:
        return None
    return layout.name, layout.decode(data)
