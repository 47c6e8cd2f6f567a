"""Fuzzing the signer with mutated transactions and raw bytes: it never raises (a bug would
crash-loop the worker), and whatever it signs is exactly what it was sent, paid by us, with
only allowlisted programs and only allowed transfer targets."""

from __future__ import annotations

import base64
from collections.abc import Callable

import msgspec
from hypothesis import HealthCheck, given, settings
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
