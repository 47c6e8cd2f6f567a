"""Intake that cannot be poisoned: whatever bytes arrive on exec_requests, the service answers
with a refusal that names the class of problem, dead-letters the record with its position,
and never raises (a raise would leave the offset uncommitted and kill the signer on it after
every restart)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest
from aiokafka import TopicPartition

from memesnipe.settings import load_settings
from memesnipe.signer import intake
from memesnipe.signer.killswitch import KillState
from memesnipe.signer.signing import SigningService
from memesnipe.signer.worker import SignerWorker
from memesnipe.streams.execution import ExecutionResult, ExecutionStatus
from tests.signer.helpers import MINT, paper_ixs, request, unsigned_tx, wire

DEEP_META = b'{"meta":{"a":' + b"[" * 7000 + b"}}"  # ~7 KB: RecursionError in the decoder
DEEP_UNKNOWN = b'{"x":' + b"[" * 5000 + b"}"  # an unknown field is skipped recursively
DEEP_TOP = b"[" * 5000


def _valid(svc: SigningService) -> bytes:
    return wire(request(unsigned_tx(svc.cfg.wallet, paper_ixs(svc.cfg.wallet)), spend=20_000))


def _deep_in_a_real_request(svc: SigningService) -> bytes:
    """A real, correctly shaped request whose meta carries the deep nesting (ids readable only
    before the nesting starts)."""
    raw = _valid(svc)
    return raw[:-1] + b',"zz":' + b"[" * 6000 + b"}"


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (DEEP_META, intake.Kind.TOO_DEEP),
        (DEEP_UNKNOWN, intake.Kind.TOO_DEEP),
        (b'{"request_id":"\xff\xfe"}', intake.Kind.MALFORMED),
        (b"\x00\xffnot json", intake.Kind.MALFORMED),
        (b'{"request_id":1,"tx_b64":[]}', intake.Kind.SCHEMA),
        (DEEP_TOP, intake.Kind.SCHEMA),  # a top-level array fails the shape before any depth
        (b"{" * 20_000, intake.Kind.TOO_LARGE),  # over the limit: never decoded at all
    ],
    ids=["deep-meta", "deep-unknown-field", "invalid-utf8", "garbage", "wrong-types", "deep-top", "large"],
)
def test_poison_records_are_refused_with_their_class_and_dead_lettered(
    make_service: Callable[..., SigningService], raw: bytes, kind: str
) -> None:
    svc = make_service()
    out = svc.handle(raw, key=MINT.encode(), topic="t.exec_requests", partition=3, offset=77)
    assert out.status is ExecutionStatus.REFUSED
    assert out.reason.startswith(f"undecodable request ({kind}): "), out.reason
    res = msgspec.json.decode(out.value, type=ExecutionResult)
    assert res.status is ExecutionStatus.REFUSED and res.reason == out.reason and res.signed_tx_b64 == ""
    dead = msgspec.json.decode(out.deadletter or b"{}")
    assert (dead["topic"], dead["partition"], dead["offset"], dead["reason"]) == (
        "t.exec_requests",
        3,
        77,
        out.reason,
    )
    assert out.key == MINT.encode()  # addressed by the record's key when no mint can be read
    assert len(svc.journal) == 0  # not authenticated: no id is burnt


def test_size_limit_is_checked_before_decoding_and_is_configurable(
    make_service: Callable[..., SigningService],
) -> None:
    svc = make_service()
    raw = _valid(svc)
    assert len(raw) < 2048
    svc.max_request_bytes = len(raw) - 1
    out = svc.handle(raw)
    assert (
        out.reason == f"undecodable request (too_large): {len(raw)} bytes, over the {len(raw) - 1}-byte limit"
    )
    # a too-large record is not even read for its ids (the refusal is addressed by nothing)
    assert msgspec.json.decode(out.value, type=ExecutionResult).request_id == ""
    svc.max_request_bytes = len(raw)
    assert svc.handle(raw).status is ExecutionStatus.SIGNED


def test_the_default_limit_fits_the_largest_legitimate_request(
    make_service: Callable[..., SigningService],
) -> None:
    """A 1232-byte transaction (the Solana maximum) in base64 plus meta is well under 16 KiB."""
    svc = make_service()
    raw = wire(request("A" * 1644, spend=20_000, meta={"route": "x" * 2000, "quote": {"out": 1}}))
    assert len(raw) < intake.DEFAULT_MAX_REQUEST_BYTES // 3
    assert load_settings().signer.max_request_bytes == intake.DEFAULT_MAX_REQUEST_BYTES
    assert not svc.handle(raw).reason.startswith("undecodable")  # decoded: refused later by policy


def test_deep_nesting_inside_a_real_request_keeps_the_ids_when_they_come_first(
    make_service: Callable[..., SigningService],
) -> None:
    svc = make_service()
    raw = _deep_in_a_real_request(svc)
    out = svc.handle(raw)
    assert out.reason.startswith("undecodable request (too_deep)")
    # the lenient id reader fails on the same nesting: empty ids, never an exception
    assert intake.lenient_ids(raw) == intake.Ids()


def test_lenient_ids_keep_what_can_be_read_and_never_raise() -> None:
    assert intake.lenient_ids(b'{"request_id":5,"order_id":"o1","mint":"M"}') == intake.Ids("", "o1", "M")
    assert intake.lenient_ids(b'{"request_id":"' + b"r" * 500 + b'","mint":"M"}') == intake.Ids("", "", "M")
    for raw in (DEEP_META, DEEP_UNKNOWN, DEEP_TOP, b"\xff", b"", b"null", b'{"mint":' + b"[" * 9000 + b"}"):
        assert intake.lenient_ids(raw) == intake.Ids()
    big = b'{"mint":"M","pad":"' + b"x" * 20_000 + b'"}'
    assert intake.lenient_ids(big) == intake.Ids()  # over the limit: not decoded
    assert intake.lenient_ids(big, max_bytes=len(big)) == intake.Ids(mint="M")


def test_a_refusal_quoting_the_sender_stays_short(make_service: Callable[..., SigningService]) -> None:
    svc = make_service()
    raw = wire(request("AAAA", spend=20_000)).replace(b'"intent":"entry"', b'"intent":"' + b"z" * 9000 + b'"')
    out = svc.handle(raw)
    assert out.reason.startswith("undecodable request (schema)")
    assert len(out.reason) <= intake.MAX_REASON_CHARS


def test_a_huge_key_cannot_make_the_refusal_unproducible(make_service: Callable[..., SigningService]) -> None:
    """The broker caps a record at ~1 MB: a refusal echoing a 900 KB key (or payload, escaped to
    6x) could never be produced, the batch would fail forever; both are bounded."""
    svc = make_service()
    raw = b"\x01" * 15_000  # control bytes: JSON-escaped to 6 bytes each if echoed whole
    out = svc.handle(raw, key=b"k" * 900_000, topic="t", partition=0, offset=1)
    assert out.key == b""
    assert out.deadletter is not None and len(out.deadletter) < 150_000 and len(out.value) < 1000
    assert msgspec.json.decode(out.deadletter)["key"] == ""


def test_the_kill_switch_reader_fails_closed_on_poison() -> None:
    """A deeply nested killswitch record must turn the switch on, not stop the signer's start."""
    kill = KillState()
    kill.apply(b'{"active":false,"x":' + b"[" * 5000 + b"}")
    assert kill.active and "undecodable killswitch message" in kill.reason


def test_a_failing_fallback_still_refuses_and_dead_letters(
    make_service: Callable[..., SigningService], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in the request path AND in the service's own fallback: the worker still answers the
    record with a refusal and a dead letter at its position (so its offset is committed)."""
    svc = make_service()
    worker = SignerWorker(load_settings(data_dir=tmp_path), svc)

    def boom(*a: object, **k: object) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(svc, "handle", boom)
    monkeypatch.setattr(svc, "internal_error", boom)
    out = worker._handle(b"{}", MINT.encode(), TopicPartition("t.exec_requests", 2), 5)
    assert out.status is ExecutionStatus.REFUSED
    assert out.reason == "internal error: RecursionError (fallback failed: RecursionError)"
    dead = msgspec.json.decode(out.deadletter or b"{}")
    assert (dead["topic"], dead["partition"], dead["offset"]) == ("t.exec_requests", 2, 5)
    assert msgspec.json.decode(out.value, type=ExecutionResult).reason == out.reason
