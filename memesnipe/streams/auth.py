"""HMAC-SHA256 authentication of ExecutionRequests between the router and the signer.

Stdlib only, so both sides import it cheaply. The MAC covers every field of the request except
``hmac`` itself, in a canonical JSON form that survives a wire round trip unchanged: keys
sorted, no whitespace, datetimes as UTC ISO-8601, enums as their values. A domain tag binds the
MAC to this message type, so a MAC computed for another purpose with the same secret never
verifies here.
"""

from __future__ import annotations

import hmac as _hmac
import json
from datetime import UTC, datetime
from enum import Enum
from typing import Any

DOMAIN = b"memesnipe/exec-request/v1\n"
"""Prefix of every MAC'd message; change it (never reuse) if the canonical form changes."""


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in an ExecutionRequest; use timezone-aware UTC")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    raise TypeError(f"cannot canonicalise {type(value).__name__} in an ExecutionRequest")


_encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=_default)


def canonical_bytes(req: Any) -> bytes:
    """The bytes the MAC covers: all struct fields except ``hmac``, canonical JSON."""
    fields = {name: getattr(req, name) for name in req.__struct_fields__ if name != "hmac"}
    # str-valued enums encode as their value; datetimes (UTC ISO) and the rest via _default.
    return DOMAIN + _encoder.encode(fields).encode("ascii")


def _key(secret: str | bytes) -> bytes:
    key = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
    if len(key) < 16:
        raise ValueError("the HMAC secret must be at least 16 bytes (MEMESNIPE_HMAC_SECRET)")
    return key


def sign_request(req: Any, secret: str | bytes) -> str:
    """Hex HMAC-SHA256 of the request's canonical form; set it as the request's ``hmac``."""
    return _hmac.digest(_key(secret), canonical_bytes(req), "sha256").hex()


def verify_request(req: Any, secret: str | bytes) -> bool:
    """True only when ``req.hmac`` is the MAC of its other fields under ``secret`` (constant time)."""
    given = getattr(req, "hmac", "")
    if not isinstance(given, str) or len(given) != 64:
        return False
    try:
        expected = sign_request(req, secret)
        return _hmac.compare_digest(expected.encode("ascii"), given.encode("utf-8"))
    except Exception:  # TypeError/ValueError, RecursionError on a deeply nested meta: not verified
        return False
