"""Fuzzing the signer with mutated transactions and raw bytes: it never raises (a bug would
crash-loop the worker), and whatever it signs is exactly what it was sent, paid by us, with
only allowlisted programs and only allowed transfer targets."""

from __future__ import annotations

import base64
from collections.abc import Callable

import msgspec
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from solders.pubkey import Pubkey
from solders.transaction import VersionedTransaction

from memesnipe.signer import programs as P
from memesnipe.signer.signing import SigningService
from memesnipe.streams.execution import ExecutionResult, ExecutionStatus
from tests.signer.helpers import paper_ixs, request, unsigned_tx, wire

SETTINGS = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _check_signed(svc: SigningService, sent: bytes, out_value: bytes) -> None:
    res = msgspec.json.decode(out_value, type=ExecutionResult)
    signed = VersionedTransaction.from_bytes(base64.b64decode(res.signed_tx_b64))
    raw = bytes(signed)
    assert raw[65:] == sent[65:]  # the message is byte-for-byte what was sent
    assert signed.verify_with_results()[0]
    keys = signed.message.account_keys
    assert keys[0] == svc.cfg.wallet
    tips = {Pubkey.from_bytes(t) for t in svc.cfg.tip_accounts} | {P.wsol_ata(svc.cfg.wallet)}
    for ix in signed.message.instructions:
        program = keys[ix.program_id_index]
        assert bytes(program) in svc.cfg.programs
        if program == P.SYSTEM:
            assert ix.data[:4] == (2).to_bytes(4, "little") and keys[ix.accounts[1]] in tips


@SETTINGS
@given(data=st.data())
def test_mutated_transactions_never_crash_and_never_sign_outside_the_policy(
    make_service: Callable[..., SigningService], data: st.DataObject
) -> None:
    svc = make_service(daily_cap=10**15)  # the cap must not hide what a mutation gets signed
    me = svc.cfg.wallet
    tx = bytearray(unsigned_tx(me, paper_ixs(me, memo=b"fuzz")))
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(65, len(tx) - 1))  # mutate the message, not the signature slot
        tx[i] = data.draw(st.integers(0, 255))
    sent = bytes(tx)
    out = svc.handle(wire(request(sent, spend=10**8, tip=10**8)))
    assert out.status in (ExecutionStatus.SIGNED, ExecutionStatus.REFUSED)
    if out.status is ExecutionStatus.SIGNED and not out.replayed:
        _check_signed(svc, sent, out.value)


def test_seeded_mutations_that_get_signed_are_checked(make_service: Callable[..., SigningService]) -> None:
    """Deterministic companion: of 1,500 seeded mutations some are legitimately signable (memo
    text, blockhash, amounts within the declarations); every one of those passes the checks."""
    import random

    rng = random.Random(20261125)
    svc = make_service(daily_cap=10**15)
    me = svc.cfg.wallet
    base = unsigned_tx(me, paper_ixs(me, memo=b"fuzz"))
    signed = 0
    for _ in range(1500):
        tx = bytearray(base)
        for _ in range(rng.randint(1, 3)):
            tx[rng.randrange(65, len(tx))] = rng.randrange(256)
        out = svc.handle(wire(request(bytes(tx), spend=10**8, tip=10**8)))
        if out.status is ExecutionStatus.SIGNED and not out.replayed:
            _check_signed(svc, bytes(tx), out.value)
            signed += 1
    assert signed >= 10


@SETTINGS
@given(raw=st.binary(max_size=2048))
def test_arbitrary_bytes_never_crash(make_service: Callable[..., SigningService], raw: bytes) -> None:
    svc = make_service()
    out = svc.handle(raw)
    assert out.status is ExecutionStatus.REFUSED and out.deadletter is not None


@SETTINGS
@given(tx=st.binary(min_size=0, max_size=1300))
def test_arbitrary_transaction_bytes_are_refused(
    make_service: Callable[..., SigningService], tx: bytes
) -> None:
    svc = make_service()
    out = svc.handle(wire(request(tx, spend=10**8, tip=10**8)))
    assert out.status is ExecutionStatus.REFUSED, out.reason


# -- intake and HMAC: hostile bytes on the request topic ------------------------------------
JSON_LEAVES = (  # what JSON can carry (infinity would not survive the wire: fails closed, "bad hmac")
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON_TREES = st.recursive(
    JSON_LEAVES,
    lambda kids: st.lists(kids, max_size=5) | st.dictionaries(st.text(max_size=10), kids, max_size=5),
    max_leaves=40,
)
FIELDS = (
    "request_id",
    "order_id",
    "mint",
    "intent",
    "tx_b64",
    "created_at",
    "spend_lamports",
    "meta",
    "hmac",
)


def _deep(depth: int, opener: bytes) -> bytes:
    return opener * depth


def _assert_refused_unsigned(out: object) -> None:
    from memesnipe.signer.signing import Outcome

    assert isinstance(out, Outcome)
    assert out.status is ExecutionStatus.REFUSED, out.reason
    res = msgspec.json.decode(out.value, type=ExecutionResult)
    assert res.signed_tx_b64 == "" and res.signature == ""


@SETTINGS
@given(tree=JSON_TREES, field=st.sampled_from(FIELDS), whole=st.booleans())
def test_arbitrary_json_trees_never_crash_and_never_sign(
    make_service: Callable[..., SigningService], tree: object, field: str, whole: bool
) -> None:
    """Any JSON value, as the whole record or in place of one field of a valid request."""
    svc = make_service()
    me = svc.cfg.wallet
    if whole:
        raw = msgspec.json.encode(tree)
    else:
        body = msgspec.json.decode(wire(request(unsigned_tx(me, paper_ixs(me)), spend=20_000)))
        assume(body[field] != tree)  # the same value again is the valid request itself
        body[field] = tree
        raw = msgspec.json.encode(body)
    out = svc.handle(raw, key=b"k", topic="t", partition=0, offset=1)
    _assert_refused_unsigned(out)


@SETTINGS
@given(
    depth=st.integers(1, 12_000),
    opener=st.sampled_from([b"[", b'{"a":', b'[{"b":']),
    where=st.sampled_from(["top", "meta", "unknown", "hmac", "mint"]),
)
def test_deep_nesting_anywhere_is_refused_not_raised(
    make_service: Callable[..., SigningService], depth: int, opener: bytes, where: str
) -> None:
    svc = make_service()
    me = svc.cfg.wallet
    nest = _deep(depth, opener)
    valid = wire(request(unsigned_tx(me, paper_ixs(me)), spend=20_000))
    raw = {
        "top": nest,
        "meta": valid.replace(b'"meta":{}', b'"meta":{"x":' + nest + b"}"),
        "unknown": valid[:-1] + b',"zz":' + nest + b"}",
        "hmac": valid.replace(b'"hmac":"', b'"hmac":' + nest + b'"'),
        "mint": valid.replace(b'"mint":"', b'"mint":' + nest + b'"'),
    }[where]
    out = svc.handle(raw, key=b"k", topic="t", partition=0, offset=1)
    _assert_refused_unsigned(out)
    assert out.deadletter is not None or out.reason == "bad hmac"


@SETTINGS
@given(data=st.data())
def test_mutated_valid_requests_never_crash_and_sign_only_with_a_valid_hmac(
    make_service: Callable[..., SigningService], data: st.DataObject
) -> None:
    """Byte mutations (replace, insert, delete) of an HMAC'd request: whatever gets signed is a
    request whose HMAC verifies over exactly the fields that were decoded."""
    from memesnipe.streams.auth import canonical_bytes, verify_request
    from memesnipe.streams.execution import ExecutionRequest
    from tests.signer.helpers import SECRET

    svc = make_service()
    me = svc.cfg.wallet
    original = request(unsigned_tx(me, paper_ixs(me)), spend=20_000)
    raw = bytearray(wire(original))
    for _ in range(data.draw(st.integers(1, 4))):
        op = data.draw(st.sampled_from(["replace", "insert", "delete"]))
        i = data.draw(st.integers(0, len(raw) - 1))
        if op == "replace":
            raw[i] = data.draw(st.integers(0, 255))
        elif op == "insert":
            raw[i:i] = data.draw(st.binary(min_size=1, max_size=8))
        else:
            del raw[i]
    out = svc.handle(bytes(raw), key=b"k", topic="t", partition=0, offset=1)
    assert out.status in (ExecutionStatus.SIGNED, ExecutionStatus.REFUSED)
    if out.status is ExecutionStatus.SIGNED:
        req = msgspec.json.decode(bytes(raw), type=ExecutionRequest)
        assert verify_request(req, SECRET)
        assert canonical_bytes(req) == canonical_bytes(original)  # only no-op mutations pass


@SETTINGS
@given(
    hmac=st.text(max_size=80) | st.from_regex(r"\A[0-9a-f]{64}\Z"),
    secret=st.text(max_size=40) | st.binary(max_size=40),
    meta=st.dictionaries(st.text(max_size=8), JSON_TREES, max_size=4),
)
def test_hmac_check_never_raises_and_accepts_only_the_real_mac(
    hmac: str, secret: str | bytes, meta: dict[str, object]
) -> None:
    from memesnipe.streams.auth import sign_request, verify_request

    req = request("AAAA", spend=20_000, sign=False, meta=meta, hmac=hmac)
    ok = verify_request(req, secret)
    try:
        real = sign_request(req, secret)
    except ValueError:  # a secret under 16 bytes: nothing verifies under it
        assert ok is False
        return
    assert ok is (hmac == real)
    signed = msgspec.structs.replace(req, hmac=real)
    assert verify_request(signed, secret)
    wired = msgspec.json.decode(wire(signed), type=type(signed))
    assert verify_request(wired, secret)  # the MAC survives a wire round trip
