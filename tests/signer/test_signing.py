"""Service behaviour beyond single refusals: exits under the kill switch and the daily cap,
kill-switch decoding, what is signed, and what is journaled."""

from __future__ import annotations

import base64
from collections.abc import Callable

import msgspec
from solders.transaction import VersionedTransaction

from memesnipe.signer.killswitch import KillState
from memesnipe.signer.signing import SigningService
from memesnipe.streams.base import utcnow
from memesnipe.streams.control import KillSwitch
from memesnipe.streams.execution import ExecutionResult, ExecutionStatus
from memesnipe.streams.trading import Intent
from tests.signer.conftest import DAILY_CAP, PER_TX_CAP
from tests.signer.helpers import paper_ixs, request, unsigned_tx, wire


def _tx(svc: SigningService, tag: str, **kw: object) -> bytes:
    return unsigned_tx(svc.cfg.wallet, paper_ixs(svc.cfg.wallet, memo=tag.encode(), **kw))  # type: ignore[arg-type]


def test_signed_result_carries_a_valid_signature_over_the_same_message(
    make_service: Callable[..., SigningService],
) -> None:
    svc = make_service()
    tx = _tx(svc, "o1")
    out = svc.handle(wire(request(tx, spend=20_000)))
    res = msgspec.json.decode(out.value, type=ExecutionResult)
    signed = VersionedTransaction.from_bytes(base64.b64decode(res.signed_tx_b64))
    assert signed.verify_with_results() == [True]
    assert bytes(signed)[65:] == tx[65:]  # message bytes untouched, only our slot filled
    assert str(signed.signatures[0]) == res.signature
    assert out.key == res.mint.encode()


def test_kill_switch_refuses_entries_but_signs_exits(make_service: Callable[..., SigningService]) -> None:
    svc = make_service()
    svc.kill.apply(msgspec.json.encode(KillSwitch(active=True, ts=utcnow(), by="monitor", reason="drawdown")))
    entry = svc.handle(wire(request(_tx(svc, "e"), spend=20_000)))
    exit_ = svc.handle(wire(request(_tx(svc, "x"), spend=20_000, intent=Intent.EXIT)))
    assert entry.status is ExecutionStatus.REFUSED and "drawdown" in entry.reason
    assert exit_.status is ExecutionStatus.SIGNED


def test_exits_pass_the_entry_caps_but_what_they_pay_has_its_own_daily_cap(
    make_service: Callable[..., SigningService],
) -> None:
    """Exits are never trapped by the entry caps, but a stream of "exits" cannot pay the wallet
    out as tips and fees: their tips + fees count against exit_fee_daily_cap_lamports."""
    svc = make_service(exit_fee_daily_cap_lamports=100_000)
    for i in range(DAILY_CAP // PER_TX_CAP):
        assert svc.handle(wire(request(_tx(svc, f"b{i}"), spend=PER_TX_CAP))).status is ExecutionStatus.SIGNED
    day = svc.clock().date().isoformat()
    exit_cost = 1_000 + 10_000 + 5_000  # tip + priority fee (200k CU at 50k micro-lamports) + base fee
    signed = 0
    for i in range(10):
        out = svc.handle(wire(request(_tx(svc, f"x{i}"), spend=20_000, intent=Intent.EXIT)))
        if out.status is ExecutionStatus.SIGNED:
            signed += 1
        else:
            assert out.reason.startswith("daily exit fee cap:"), out.reason
    assert signed == 100_000 // exit_cost
    assert svc.journal.spent(day) == DAILY_CAP  # exits book no entry spend
    assert svc.journal.day(day).exit_fees == signed * exit_cost


def test_authenticated_refusals_are_journaled_and_final(make_service: Callable[..., SigningService]) -> None:
    svc = make_service()
    svc.kill.active = True
    raw = wire(request(_tx(svc, "e"), spend=20_000))
    first = svc.handle(raw)
    svc.kill.active = False  # resumed: the SAME request still gets its first answer
    again = svc.handle(raw)
    assert first.status is ExecutionStatus.REFUSED and again.replayed and again.value == first.value


def test_unauthenticated_refusals_do_not_burn_the_request_id(
    make_service: Callable[..., SigningService],
) -> None:
    svc = make_service()
    tx = _tx(svc, "e")
    forged = svc.handle(wire(request(tx, spend=20_000, secret="attacker-secret-123456")))
    real = svc.handle(wire(request(tx, spend=20_000)))
    assert forged.reason == "bad hmac" and real.status is ExecutionStatus.SIGNED


def test_priority_fee_is_part_of_the_spend_and_has_its_own_cap(
    make_service: Callable[..., SigningService],
) -> None:
    svc = make_service(priority_fee_cap_lamports=2 * 10**9, priority_fee_daily_cap_lamports=4 * 10**9)
    # 1,400,000 CU at 1e9 micro-lamports = 1.4 SOL of priority fee (+ 1,000 tip): over the 1 SOL cap
    out = svc.handle(wire(request(_tx(svc, "p", cu_limit=1_400_000, cu_price=10**9), spend=1_400_001_000)))
    assert out.status is ExecutionStatus.REFUSED and out.reason.startswith("spend 1400001000 over")
    low = svc.handle(wire(request(_tx(svc, "q", cu_limit=1_400_000, cu_price=10**9), spend=1_000)))
    assert low.reason.startswith("declared spend_lamports 1000 below the 1400001000")
    capped = make_service(priority_fee_cap_lamports=1_000_000)
    exit_ = capped.handle(
        wire(
            request(_tx(capped, "r", cu_limit=1_400_000, cu_price=10**9), spend=2 * 10**9, intent=Intent.EXIT)
        )
    )
    assert exit_.reason == "priority fee 1400000000 over the per-transaction cap 1000000"


def test_kill_state_latest_wins_and_unreadable_means_on() -> None:
    k = KillState()
    on = msgspec.json.encode(KillSwitch(active=True, ts=utcnow(), by="a", reason="r1"))
    off = msgspec.json.encode(KillSwitch(active=False, ts=utcnow(), by="b", reason="r2"))
    k.apply(on)
    k.apply(off)
    assert not k.active
    k.apply(b"{broken")
    assert k.active and "undecodable" in k.reason
    k.apply(off)
    k.apply(None)
    assert k.active and "tombstone" in k.reason


def test_a_transaction_that_needs_another_signer_is_refused(
    make_service: Callable[..., SigningService],
) -> None:
    """Only the wallet signs: a second required signer (here a memo that needs one) could be an
    account an attacker controls in a multi-party transaction."""
    from solders.instruction import AccountMeta, Instruction
    from solders.keypair import Keypair

    from memesnipe.signer.programs import MEMO_V2

    svc = make_service()
    me, other = svc.cfg.wallet, Keypair().pubkey()
    tx = unsigned_tx(me, [*paper_ixs(me), Instruction(MEMO_V2, b"co", [AccountMeta(other, True, False)])])
    out = svc.handle(wire(request(tx, spend=20_000)))
    assert out.status is ExecutionStatus.REFUSED
    assert out.reason == "transaction needs 2 signatures: only our wallet may sign"


def test_a_rebuilt_request_for_the_same_transaction_gets_the_original_answer(
    make_service: Callable[..., SigningService],
) -> None:
    """A restarted router re-routes an order: new created_at and meta (so a new HMAC), same
    transaction bytes. It gets the first result again; nothing is signed again."""
    from datetime import timedelta

    svc = make_service()
    tx = _tx(svc, "o")
    first = svc.handle(wire(request(tx, spend=20_000, order_id="o" * 32)))
    rebuilt = request(
        tx, spend=20_000, order_id="o" * 32, created_at=utcnow() + timedelta(seconds=30), meta={"r": 1}
    )
    again = svc.handle(wire(rebuilt))
    assert first.status is ExecutionStatus.SIGNED and again.replayed and again.value == first.value
    assert svc.stats.signed == 1
    svc.journal.flush()  # the worker fsyncs before publishing
    svc = make_service()  # and after a signer restart
    assert svc.handle(wire(rebuilt)).value == first.value and svc.stats.signed == 0
