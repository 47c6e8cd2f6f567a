"""HMAC of ExecutionRequests: survives the wire, covers every field, rejects everything else."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from memesnipe.streams.auth import DOMAIN, canonical_bytes, sign_request, verify_request
from memesnipe.streams.codec import decode, encode
from memesnipe.streams.execution import ExecutionRequest
from memesnipe.streams.trading import Intent

SECRET = "router-signer-shared-secret"


def make(**over: object) -> ExecutionRequest:
    fields: dict[str, object] = dict(
        request_id="abc",
        order_id="abc",
        mint="Mint111",
        intent=Intent.ENTRY,
        tx_b64="AQID",
        created_at=datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC),
        spend_lamports=1_000_000,
        tip_lamports=1_000,
        paper=True,
        meta={"route": ["a", "b"], "slippage_bps": 50, "px": 0.1},
    )
    fields.update(over)
    req = ExecutionRequest(**fields)  # type: ignore[arg-type]
    return msgspec.structs.replace(req, hmac=sign_request(req, SECRET))


def test_signed_request_verifies_after_a_wire_round_trip() -> None:
    req = make()
    back = decode(encode(req), ExecutionRequest)
    assert verify_request(back, SECRET)


def test_other_timezone_offset_canonicalises_to_the_same_mac() -> None:
    utc = make()
    plus2 = make(created_at=utc.created_at.astimezone(timezone(timedelta(hours=2))))
    assert plus2.hmac == utc.hmac
    assert verify_request(decode(encode(plus2), ExecutionRequest), SECRET)


@pytest.mark.parametrize(
    "field,value",
    [
        ("request_id", "abd"),
        ("order_id", "abd"),
        ("mint", "Mint112"),
        ("intent", Intent.EXIT),
        ("tx_b64", "AQIE"),
        ("created_at", datetime(2026, 11, 25, 12, 0, 1, tzinfo=UTC)),
        ("spend_lamports", 1_000_001),
        ("tip_lamports", 999),
        ("paper", False),
        ("meta", {"route": ["a", "c"], "slippage_bps": 50, "px": 0.1}),
        ("v", 2),
    ],
)
def test_changing_any_field_breaks_the_mac(field: str, value: object) -> None:
    req = make()
    assert not verify_request(msgspec.structs.replace(req, **{field: value}), SECRET)


def test_wrong_secret_empty_or_malformed_mac_fails() -> None:
    req = make()
    assert not verify_request(req, "another-secret-of-16+")
    assert not verify_request(msgspec.structs.replace(req, hmac=""), SECRET)
    assert not verify_request(msgspec.structs.replace(req, hmac="zz" * 32), SECRET)
    assert not verify_request(msgspec.structs.replace(req, hmac="é" * 64), SECRET)
    assert not verify_request(msgspec.structs.replace(req, hmac=req.hmac.upper()), SECRET)


def test_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        sign_request(make(), "short")


def test_canonical_form_excludes_the_mac_and_is_domain_tagged() -> None:
    req = make()
    assert canonical_bytes(req).startswith(DOMAIN)
    assert canonical_bytes(req) == canonical_bytes(msgspec.structs.replace(req, hmac="0" * 64))


@given(
    spend=st.integers(min_value=0, max_value=2**63 - 1),
    tip=st.integers(min_value=0, max_value=2**63 - 1),
    rid=st.text(min_size=1, max_size=64),
    meta=st.dictionaries(
        st.text(max_size=8),
        st.one_of(
            st.integers(-(2**53), 2**53),
            st.text(max_size=8),
            st.booleans(),
            st.none(),
            st.floats(allow_nan=False, allow_infinity=False),
        ),
        max_size=4,
    ),
)
def test_any_request_round_trips_and_verifies(
    spend: int, tip: int, rid: str, meta: dict[str, object]
) -> None:
    req = make(spend_lamports=spend, tip_lamports=tip, request_id=rid, order_id=rid, meta=meta)
    assert verify_request(decode(encode(req), ExecutionRequest), SECRET)
