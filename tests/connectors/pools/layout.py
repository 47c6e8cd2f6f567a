"""Test helper: lay out a Rust ``repr(C, packed)`` / Borsh struct from its field list (as excerpted
from the program's source or IDL into tests/fixtures) and pack chosen values at their fields, so
a decoder's hard-coded offsets are checked against the published layout, not against themselves."""

from __future__ import annotations

import re
import struct
from collections.abc import Mapping, Sequence
from typing import Any

from solders.pubkey import Pubkey

_SCALAR = {
    "u8": 1,
    "bool": 1,
    "u16": 2,
    "u32": 4,
    "i32": 4,
    "u64": 8,
    "i64": 8,
    "u128": 16,
    "Pubkey": 32,
    "pubkey": 32,
}


Nested = Mapping[str, Any]
"""Type name -> its field list, or its size in bytes (from a ``const_assert`` of the source),
or, for an array length constant, its value."""


def size_of(kind: str, nested: Nested) -> int:
    if kind in _SCALAR:
        return _SCALAR[kind]
    m = re.fullmatch(r"\[(\w+); (\w+)\]", kind)
    if m:
        n = m.group(2)
        return size_of(m.group(1), nested) * (int(n) if n.isdigit() else int(nested[n]))
    spec = nested[kind]
    return spec if isinstance(spec, int) else sum(size_of(k, nested) for _, k in spec)


def offsets(fields: Sequence[Sequence[str]], nested: Nested, start: int = 0) -> dict[str, tuple[int, str]]:
    """field name (nested ones too) -> (offset, kind)."""
    out: dict[str, tuple[int, str]] = {}
    pos = start
    for name, kind in fields:
        if kind in nested and not isinstance(nested[kind], int):
            out.update(offsets(nested[kind], nested, pos))
        out[name] = (pos, kind)
        pos += size_of(kind, nested)
    out["<size>"] = (pos, "")
    return out


def pack(layout: Mapping[str, tuple[int, str]], values: Mapping[str, Any], prefix: bytes = b"") -> bytes:
    buf = bytearray(prefix + bytes(layout["<size>"][0] - len(prefix)))
    for name, value in values.items():
        off, kind = layout[name]
        if kind in ("Pubkey", "pubkey"):
            buf[off : off + 32] = bytes(Pubkey.from_string(value))
        elif kind in ("u8", "bool"):
            buf[off] = int(value)
        elif kind == "u16":
            struct.pack_into("<H", buf, off, value)
        elif kind == "i32":
            struct.pack_into("<i", buf, off, value)
        elif kind == "u64":
            struct.pack_into("<Q", buf, off, value)
        elif kind == "u128":
            buf[off : off + 16] = int(value).to_bytes(16, "little")
        else:
            raise AssertionError(kind)
    return bytes(buf)


def idl_kind(t: Any) -> str:
    """An Anchor IDL field type -> this module's kind string."""
    if isinstance(t, str):
        return t
    if "defined" in t:
        return str(t["defined"]["name"])
    inner, n = t["array"]
    return f"[{idl_kind(inner)}; {n}]"


def idl_fields(idl_type: Mapping[str, Any]) -> list[list[str]]:
    """An Anchor IDL struct type -> [[name, kind], ...]."""
    return [[f["name"], idl_kind(f["type"])] for f in idl_type["type"]["fields"]]
