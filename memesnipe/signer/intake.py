"""Intake: raw bytes off exec_requests -> an ExecutionRequest, or a refusal that names why.

Anyone who can write to the topic can send anything (no HMAC is needed to be *read*), so
nothing here may raise anything but ``IntakeError``: a record that made the decoder fail in
an unexpected way (RecursionError on deep nesting, MemoryError, a decoder bug) would
otherwise escape the per-request guard, never be committed, and kill the signer on every
restart. The size is checked before any byte is decoded.
"""

from __future__ import annotations

from typing import Any

import msgspec

from memesnipe.streams.execution import ExecutionRequest

DEFAULT_MAX_REQUEST_BYTES = 16 * 1024
"""A real request (a 1232-byte transaction in base64, ids, meta) is ~2.5 KB; 16 KiB leaves room."""

MAX_REASON_CHARS = 240
"""Decoder messages can quote the sender's bytes (an invalid enum value): keep reasons short."""

MAX_ID_CHARS = 128
"""Ids longer than this are not echoed back in a refusal (a real id is 32-64 chars)."""

UNDECODABLE = "undecodable request"
"""Prefix of every intake refusal reason, followed by `` (<kind>): <detail>``."""

DEAD_LETTER_PAYLOAD_BYTES = 16 * 1024
"""Most of a refused record kept in its dead letter (escaping can grow it ~6x; must stay well
under the broker's 1 MB message limit or the dead letter itself could never be produced)."""


class Kind:
    """Bounded refusal classes of the intake (metric labels; never free text)."""

    TOO_LARGE = "too_large"
    TOO_DEEP = "too_deep"
    MALFORMED = "malformed"  # not JSON, or not UTF-8
    SCHEMA = "schema"  # JSON of the wrong shape or types
    DECODER = "decoder_error"  # anything else the decoder raised


class IntakeError(Exception):
    """A request refused at intake; ``kind`` is one of ``Kind``, ``reason`` is for humans."""

    def __init__(self, kind: str, detail: str) -> None:
        self.kind = kind
        self.reason = f"{UNDECODABLE} ({kind}): {detail}"[:MAX_REASON_CHARS]
        super().__init__(self.reason)


_request_decoder = msgspec.json.Decoder(ExecutionRequest)


def decode_request(raw: bytes, max_bytes: int = DEFAULT_MAX_REQUEST_BYTES) -> ExecutionRequest:
    """Decode one request; raise ``IntakeError`` (and nothing else) for whatever it is not."""
    size = len(raw)
    if size > max_bytes:
        raise IntakeError(Kind.TOO_LARGE, f"{size} bytes, over the {max_bytes}-byte limit")
    try:
        return _request_decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise IntakeError(Kind.SCHEMA, str(exc)) from None
    except msgspec.DecodeError as exc:  # malformed JSON, invalid UTF-8
        raise IntakeError(Kind.MALFORMED, str(exc)) from None
    except RecursionError:
        raise IntakeError(Kind.TOO_DEEP, "JSON nested too deeply") from None
    except Exception as exc:  # MemoryError, a decoder bug, ...: refuse, never crash-loop
        raise IntakeError(Kind.DECODER, f"decoder failed ({type(exc).__name__})") from None


class Ids(msgspec.Struct, frozen=True):
    """Where to address a refusal: the request's ids when they can be read, else empty."""

    request_id: str = ""
    order_id: str = ""
    mint: str = ""


class _LooseIds(msgspec.Struct):
    """Each field may be anything; only short strings are kept (a wrong type must not hide the rest)."""

    request_id: Any = ""
    order_id: Any = ""
    mint: Any = ""


_ids_decoder = msgspec.json.Decoder(_LooseIds)


def _short_str(value: Any) -> str:
    return value if isinstance(value, str) and len(value) <= MAX_ID_CHARS else ""


def lenient_ids(raw: bytes, max_bytes: int = DEFAULT_MAX_REQUEST_BYTES) -> Ids:
    """Best-effort ids of a refused request. Never raises: an oversized record is not decoded
    at all, and any failure of the decoder gives empty ids."""
    if len(raw) > max_bytes:
        return Ids()
    try:
        loose = _ids_decoder.decode(raw)
        return Ids(_short_str(loose.request_id), _short_str(loose.order_id), _short_str(loose.mint))
    except Exception:  # RecursionError, MemoryError, ...: addressing a refusal must never fail
        return Ids()


def safe_key(key: bytes | None, limit: int = MAX_ID_CHARS) -> bytes:
    """The record key to publish a refusal under: the sender's key when it is mint-sized, else
    empty (a huge key must not make the result or dead letter too large to produce)."""
    return key if key is not None and len(key) <= limit else b""
