"""A table of hostile or malformed ExecutionRequests: each is refused with its reason and
nothing is signed (no signature, no signed transaction, the signed counter unchanged)."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import timedelta

import msgspec
import pytest
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import (
    AssignParams,
    CreateAccountParams,
    assign,
    create_account,
    transfer,
)
from solders.transaction import VersionedTransaction

from memesnipe.signer import programs as P
from memesnipe.signer.signing import SigningService
from memesnipe.streams.base import utcnow
from memesnipe.streams.execution import ExecutionResult, ExecutionStatus
from memesnipe.streams.trading import Intent
from tests.signer.conftest import DAILY_CAP, PER_TX_CAP
from tests.signer.helpers import MINT, TIP, paper_ixs, request, unsigned_tx, wire

Build = Callable[[SigningService, Pubkey], bytes]
OK_SPEND = 20_000  # covers the default paper tx: 1,000 tip + 10,000 priority fee


def ok_tx(me: Pubkey, **kw: object) -> bytes:
    return unsigned_tx(me, paper_ixs(me, **kw))  # type: ignore[arg-type]


def with_ixs(me: Pubkey, *extra: Instruction) -> bytes:
    return unsigned_tx(me, [*paper_ixs(me), *extra])


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _tampered(svc: SigningService, me: Pubkey) -> bytes:
    req = request(ok_tx(me), spend=OK_SPEND)
    return wire(msgspec.structs.replace(req, spend_lamports=OK_SPEND + 1))


def _tx_swapped(svc: SigningService, me: Pubkey) -> bytes:
    req = request(ok_tx(me), spend=OK_SPEND)
    return wire(msgspec.structs.replace(req, tx_b64=b64(ok_tx(me, tip=900))))


def _over_daily(svc: SigningService, me: Pubkey) -> bytes:
    spend = PER_TX_CAP
    for i in range(DAILY_CAP // spend):  # use the whole day's budget legitimately
        out = svc.handle(wire(request(ok_tx(me, memo=f"fill{i}".encode()), spend=spend)))
        assert out.status is ExecutionStatus.SIGNED, out.reason
    return wire(request(ok_tx(me, memo=b"one-more"), spend=OK_SPEND))


def _duplicate(svc: SigningService, me: Pubkey) -> bytes:
    first = request(ok_tx(me), spend=OK_SPEND, order_id="a" * 32)
    assert svc.handle(wire(first)).status is ExecutionStatus.SIGNED
    return wire(request(ok_tx(me, tip=999), spend=OK_SPEND, order_id="a" * 32))  # same id, new tx


def _kill_on(svc: SigningService, me: Pubkey) -> bytes:
    svc.kill.active, svc.kill.reason = True, "drawdown 21%"
    return wire(request(ok_tx(me), spend=OK_SPEND))


def _message_version_1(svc: SigningService, me: Pubkey) -> bytes:
    raw = bytearray(ok_tx(me))
    assert raw[65] == 0x80  # v0 prefix right after the one signature slot
    raw[65] = 0x81
    return wire(request(bytes(raw), spend=OK_SPEND))


def _alt_destination(svc: SigningService, me: Pubkey) -> bytes:
    victim = Pubkey.new_unique()
    table = AddressLookupTableAccount(Pubkey.new_unique(), [victim])
    ixs = [
        set_compute_unit_limit(200_000),
        set_compute_unit_price(0),
        transfer({"from_pubkey": me, "to_pubkey": victim, "lamports": 1_000}),
    ]
    msg = MessageV0.try_compile(me, ixs, [table], Hash.new_unique())
    assert msg.address_table_lookups, "the destination must come from the table"
    return wire(request(bytes(VersionedTransaction.populate(msg, [Signature.default()])), spend=OK_SPEND))


def _foreign_source(svc: SigningService, me: Pubkey) -> bytes:
    other = Keypair().pubkey()
    tx = unsigned_tx(me, [*paper_ixs(me), transfer({"from_pubkey": other, "to_pubkey": TIP, "lamports": 5})])
    return wire(request(tx, spend=OK_SPEND, tip=2_000))


def _ata(owner_is_me: bool, payer_is_me: bool = True) -> Build:
    def build(svc: SigningService, me: Pubkey) -> bytes:
        other = Pubkey.new_unique()
        owner = me if owner_is_me else other
        ata = Pubkey.find_program_address(
            [bytes(owner), bytes(P.TOKEN), bytes(P.WSOL_MINT)], P.ASSOCIATED_TOKEN
        )[0]
        ix = Instruction(
            P.ASSOCIATED_TOKEN,
            bytes([P.ATA_CREATE_IDEMPOTENT]),
            [
                AccountMeta(me, True, True),
                AccountMeta(ata, False, True),
                AccountMeta(owner, False, False),
                AccountMeta(P.WSOL_MINT, False, False),
                AccountMeta(P.SYSTEM, False, False),
                AccountMeta(P.TOKEN, False, False),
            ],
        )
        return wire(request(with_ixs(me, ix), spend=OK_SPEND))

    return build


def _token_ix(data: bytes, accounts: Callable[[Pubkey], list[AccountMeta]]) -> Build:
    def build(svc: SigningService, me: Pubkey) -> bytes:
        return wire(request(with_ixs(me, Instruction(P.TOKEN, data, accounts(me))), spend=OK_SPEND))

    return build


def _exit_that_buys(svc: SigningService, me: Pubkey) -> bytes:
    ix = transfer({"from_pubkey": me, "to_pubkey": P.wsol_ata(me), "lamports": 100_000_000})
    return wire(request(with_ixs(me, ix), spend=OK_SPEND + 100_000_000, intent=Intent.EXIT))


def _no_signature_slots(svc: SigningService, me: Pubkey) -> bytes:
    raw = ok_tx(me)
    return wire(request(b"\x00" + raw[65:], spend=OK_SPEND))


def _json(obj: dict[str, object]) -> Build:
    return lambda svc, me: msgspec.json.encode(obj)


CASES: list[tuple[str, Build, str]] = [
    (
        "hmac with the wrong secret",
        lambda s, me: wire(request(ok_tx(me), spend=OK_SPEND, secret="w" * 24)),
        "bad hmac",
    ),
    ("hmac missing", lambda s, me: wire(request(ok_tx(me), spend=OK_SPEND, sign=False)), "bad hmac"),
    ("spend changed after the hmac", _tampered, "bad hmac"),
    ("transaction swapped after the hmac", _tx_swapped, "bad hmac"),
    (
        "unknown program",
        lambda s, me: wire(request(with_ixs(me, Instruction(Pubkey.new_unique(), b"x", [])), spend=OK_SPEND)),
        r"program \w+ not in allowlist$",
    ),
    (
        "transfer to a non-tip account",
        lambda s, me: wire(request(ok_tx(me, tip_to=Pubkey.new_unique()), spend=OK_SPEND)),
        "system transfer to ",
    ),
    (
        "fee payer not ours",
        lambda s, me: wire(request(ok_tx(Keypair().pubkey()), spend=OK_SPEND)),
        r"fee payer \w+ is not our wallet$",
    ),
    (
        "over the per-transaction cap",
        lambda s, me: wire(request(ok_tx(me), spend=PER_TX_CAP + 1)),
        "spend 1000000001 over the per-transaction cap",
    ),
    (
        "tip over the per-transaction cap",
        lambda s, me: wire(request(ok_tx(me, tip=PER_TX_CAP), spend=PER_TX_CAP + 10_000, tip=PER_TX_CAP)),
        r"tip \d+ over the per-transaction tip cap",
    ),
    ("over the daily cap", _over_daily, "daily cap: "),
    ("duplicate request id, different transaction", _duplicate, "duplicate request_id"),
    ("kill switch on, entry", _kill_on, "kill switch active: entries refused"),
    ("garbage bytes", lambda s, me: b"\x00\xffnot json at all", "undecodable request"),
    ("json of the wrong shape", _json({"request_id": "x", "tx_b64": 5}), "undecodable request"),
    (
        "negative spend",
        lambda s, me: wire(request(ok_tx(me), spend=OK_SPEND)).replace(
            f'"spend_lamports":{OK_SPEND}'.encode(), b'"spend_lamports":-1'
        ),
        "undecodable request",
    ),
    (
        "naive created_at",
        lambda s, me: wire(request(ok_tx(me), spend=OK_SPEND)).replace(b'Z"', b'"'),
        "undecodable request",
    ),
    (
        "request schema version 2",
        lambda s, me: wire(request(ok_tx(me), spend=OK_SPEND, v=2)),
        "unsupported request version 2",
    ),
    ("message version 1", _message_version_1, "unsupported message version 1"),
    (
        "tx_b64 not base64",
        lambda s, me: wire(request("@@not-base64@@", spend=OK_SPEND)),
        "tx_b64 is not valid base64",
    ),
    (
        "truncated transaction",
        lambda s, me: wire(request(ok_tx(me)[:80], spend=OK_SPEND)),
        "malformed transaction",
    ),
    ("trailing bytes", lambda s, me: wire(request(ok_tx(me) + b"\x00", spend=OK_SPEND)), "non-canonical"),
    (
        "oversize transaction",
        lambda s, me: wire(request(ok_tx(me) + bytes(1300), spend=OK_SPEND)),
        r"transaction (is \d+ bytes, )?over the 1232-byte",
    ),
    ("no signature slots", _no_signature_slots, "malformed transaction: no signature slots"),
    (
        "declared spend below what moves",
        lambda s, me: wire(request(ok_tx(me), spend=5_000)),
        "declared spend_lamports 5000 below",
    ),
    (
        "declared tip below the tip transfer",
        lambda s, me: wire(request(ok_tx(me, tip=5_000), spend=OK_SPEND, tip=1_000)),
        "tip transfers of 5000 exceed",
    ),
    (
        "system create_account",
        lambda s, me: wire(
            request(
                with_ixs(
                    me,
                    create_account(
                        CreateAccountParams(
                            from_pubkey=me, to_pubkey=Keypair().pubkey(), lamports=1, space=0, owner=me
                        )
                    ),
                ),
                spend=OK_SPEND,
            )
        ),
        "transaction needs 2 signatures",
    ),
    (
        "system assign",
        lambda s, me: wire(
            request(with_ixs(me, assign(AssignParams(pubkey=me, owner=Pubkey.new_unique()))), spend=OK_SPEND)
        ),
        "system instruction 1 not allowed",
    ),
    ("transfer from another signer", _foreign_source, "transaction needs 2 signatures"),
    ("transfer destination from a lookup table", _alt_destination, "system transfer destination loaded from"),
    (
        "token transfer",
        _token_ix(
            bytes([3]) + (10).to_bytes(8, "little"),
            lambda me: [
                AccountMeta(Pubkey.new_unique(), False, True),
                AccountMeta(Pubkey.new_unique(), False, True),
                AccountMeta(me, True, False),
            ],
        ),
        "token instruction 3 not allowed",
    ),
    (
        "token set_authority",
        _token_ix(
            bytes([6, 2, 1]) + bytes(Pubkey.new_unique()),
            lambda me: [AccountMeta(Pubkey.new_unique(), False, True), AccountMeta(me, True, False)],
        ),
        "token instruction 6 not allowed",
    ),
    (
        "token approve",
        _token_ix(
            bytes([4]) + (10).to_bytes(8, "little"),
            lambda me: [
                AccountMeta(Pubkey.new_unique(), False, True),
                AccountMeta(Pubkey.new_unique(), False, False),
                AccountMeta(me, True, False),
            ],
        ),
        "token instruction 4 not allowed",
    ),
    (
        "token close_account paying someone else",
        _token_ix(
            bytes([9]),
            lambda me: [
                AccountMeta(P.wsol_ata(me), False, True),
                AccountMeta(Pubkey.new_unique(), False, True),
                AccountMeta(me, True, False),
            ],
        ),
        "token close_account must pay",
    ),
    ("ata for another owner", _ata(owner_is_me=False), "associated token account must be"),
    (
        "duplicate compute budget",
        lambda s, me: wire(request(with_ixs(me, set_compute_unit_price(1)), spend=OK_SPEND)),
        "duplicate compute budget instruction 3",
    ),
    (
        "deprecated compute budget",
        lambda s, me: wire(
            request(with_ixs(me, Instruction(P.COMPUTE_BUDGET, bytes([0]) + bytes(8), [])), spend=OK_SPEND)
        ),
        "compute budget instruction 0 not allowed",
    ),
    (
        "live request to a paper signer",
        lambda s, me: wire(request(ok_tx(me), spend=OK_SPEND, paper=False)),
        "live request to a paper signer",
    ),
    (
        "request_id differs from order_id",
        lambda s, me: wire(request(ok_tx(me), spend=OK_SPEND, request_id="r-1")),
        "request_id must equal order_id",
    ),
    ("exit that wraps SOL (a disguised buy)", _exit_that_buys, "exit request wraps SOL"),
    (
        "stale request (an hour old)",
        lambda s, me: wire(request(ok_tx(me), spend=OK_SPEND, created_at=utcnow() - timedelta(hours=1))),
        r"stale request: created 360\d s ago \(max 120 s\)",
    ),
    (
        "request from the future",
        lambda s, me: wire(request(ok_tx(me), spend=OK_SPEND, created_at=utcnow() + timedelta(minutes=5))),
        r"request created (299|300) s in the future",
    ),
]


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 25
    assert len({name for name, _, _ in CASES}) == len(CASES)


@pytest.mark.parametrize(("name", "build", "reason"), CASES, ids=[c[0] for c in CASES])
def test_hostile_request_is_refused_with_its_reason_and_not_signed(
    make_service: Callable[..., SigningService], name: str, build: Build, reason: str
) -> None:
    svc = make_service()
    me = svc.cfg.wallet
    raw = build(svc, me)
    signed_before = svc.stats.signed
    out = svc.handle(raw, key=MINT.encode(), topic="t.exec_requests", partition=0, offset=7)
    assert out.status is ExecutionStatus.REFUSED, f"{name}: {out.status} {out.reason}"
    assert re.match(reason, out.reason), f"{name}: {out.reason!r}"
    res = msgspec.json.decode(out.value, type=ExecutionResult)
    assert res.status is ExecutionStatus.REFUSED and res.reason == out.reason
    assert res.signature == "" and res.signed_tx_b64 == ""
    assert svc.stats.signed == signed_before


def test_a_valid_request_passes_the_same_service(make_service: Callable[..., SigningService]) -> None:
    """The control: the table's refusals are not because the service refuses everything."""
    svc = make_service()
    out = svc.handle(wire(request(ok_tx(svc.cfg.wallet), spend=OK_SPEND)))
    assert out.status is ExecutionStatus.SIGNED, out.reason


def test_undecodable_request_goes_to_the_dead_letter_topic(
    make_service: Callable[..., SigningService],
) -> None:
    svc = make_service()
    out = svc.handle(b"\x00garbage", key=b"k", topic="t.exec_requests", partition=2, offset=9)
    dead = msgspec.json.decode(out.deadletter or b"{}")
    assert (dead["topic"], dead["partition"], dead["offset"], dead["consumer"]) == (
        "t.exec_requests",
        2,
        9,
        "signer",
    )
    assert dead["reason"].startswith("undecodable request")


def test_same_request_again_gets_the_original_result_not_a_new_signature(
    make_service: Callable[..., SigningService],
) -> None:
    svc = make_service()
    raw = wire(request(ok_tx(svc.cfg.wallet), spend=OK_SPEND))
    first = svc.handle(raw)
    again = svc.handle(raw)
    assert first.status is ExecutionStatus.SIGNED and again.replayed
    assert again.value == first.value
    assert svc.stats.signed == 1
