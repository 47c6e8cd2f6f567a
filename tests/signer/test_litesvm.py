"""What the signer signs executes on a real SVM (solders.litesvm): the paper/tip transaction
and a Jupiter-style SOL wrap land with the balances and fee expected; the same transaction
signed by the wrong key, or sent twice, is refused by the runtime.

LiteSVM as bundled in solders 0.26 charges the signature fee only (5,000 lamports per
signature): priority fees were not deducted before LiteSVM/litesvm#264. The policy's own
priority-fee arithmetic is asserted separately.
"""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from solders.account import Account
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.litesvm import LiteSVM
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import transfer
from solders.transaction import VersionedTransaction
from solders.transaction_metadata import FailedTransactionMetadata, TransactionMetadata

from memesnipe.signer import programs as P
from memesnipe.signer.keystore import SealedKey
from memesnipe.signer.signing import SigningService
from memesnipe.signer.transaction import parse_transaction, sign_slot
from memesnipe.streams.execution import ExecutionStatus
from tests.signer.helpers import TIP, paper_ixs, priority_fee, request, unsigned_tx, wire

FEE_PER_SIGNATURE = 5_000
TOKEN_ACCOUNT_LEN = 165
START = 10 * 10**9


def _native_mint(svm: LiteSVM) -> None:
    """LiteSVM ships the Token programs but not the native mint account: add it (82-byte Mint,
    no authorities, 9 decimals, initialized), as it exists on mainnet."""
    data = bytes(4 + 32) + (0).to_bytes(8, "little") + bytes([9, 1]) + bytes(4 + 32)
    svm.set_account(
        P.WSOL_MINT,
        Account(
            lamports=svm.minimum_balance_for_rent_exemption(len(data)),
            data=data,
            owner=P.TOKEN,
            executable=False,
        ),
    )


def _svm(payer: Pubkey) -> LiteSVM:
    svm = LiteSVM()
    svm.airdrop(payer, START)
    _native_mint(svm)
    # A tip account only accepts small transfers once it is rent-exempt (as on mainnet).
    svm.airdrop(TIP, svm.minimum_balance_for_rent_exemption(0))
    return svm


def _signed(svc: SigningService, tx: bytes, **kw: int) -> tuple[VersionedTransaction, str]:
    out = svc.handle(wire(request(tx, **kw)))
    assert out.status is ExecutionStatus.SIGNED, out.reason
    import msgspec

    from memesnipe.streams.execution import ExecutionResult

    res = msgspec.json.decode(out.value, type=ExecutionResult)
    return VersionedTransaction.from_bytes(base64.b64decode(res.signed_tx_b64)), res.signature


@pytest.mark.parametrize("legacy", [False, True], ids=["v0", "legacy"])
def test_paper_transaction_lands_with_expected_fee_and_balances(
    make_service: Callable[..., SigningService], key: SealedKey, legacy: bool
) -> None:
    me = key.pubkey
    svm = _svm(me)
    tip_before = svm.get_balance(TIP)
    cu_limit, cu_price, tip = 150_000, 20_000, 7_500
    tx = unsigned_tx(
        me,
        paper_ixs(me, tip=tip, cu_limit=cu_limit, cu_price=cu_price),
        blockhash=svm.latest_blockhash(),
        legacy=legacy,
    )
    signed, sig = _signed(make_service(), tx, tip=tip, spend=tip + priority_fee(cu_limit, cu_price))
    meta = svm.send_transaction(signed)
    assert isinstance(meta, TransactionMetadata), meta
    assert meta.signature() == Signature.from_string(sig)
    assert svm.get_balance(TIP) == tip_before + tip
    assert svm.get_balance(me) == START - tip - FEE_PER_SIGNATURE
    assert svm.get_transaction(Signature.from_string(sig)) is not None


def test_sol_wrap_and_tip_land(make_service: Callable[..., SigningService], key: SealedKey) -> None:
    """Jupiter-style set-up: create our wSOL account, transfer SOL into it, sync, tip Jito."""
    me = key.pubkey
    svm = _svm(me)
    ata = P.wsol_ata(me)
    wrap, tip = 250_000_000, 10_000
    ixs = [
        *paper_ixs(me, tip=tip)[:2],
        Instruction(
            P.ASSOCIATED_TOKEN,
            bytes([P.ATA_CREATE_IDEMPOTENT]),
            [
                AccountMeta(me, True, True),
                AccountMeta(ata, False, True),
                AccountMeta(me, False, False),
                AccountMeta(P.WSOL_MINT, False, False),
                AccountMeta(P.SYSTEM, False, False),
                AccountMeta(P.TOKEN, False, False),
            ],
        ),
        transfer({"from_pubkey": me, "to_pubkey": ata, "lamports": wrap}),
        Instruction(P.TOKEN, bytes([P.TOKEN_SYNC_NATIVE]), [AccountMeta(ata, False, True)]),
        transfer({"from_pubkey": me, "to_pubkey": TIP, "lamports": tip}),
    ]
    tx = unsigned_tx(me, ixs, blockhash=svm.latest_blockhash())
    spend = wrap + tip + priority_fee(200_000, 50_000)
    signed, _ = _signed(make_service(), tx, tip=tip, spend=spend)
    meta = svm.send_transaction(signed)
    assert isinstance(meta, TransactionMetadata), meta
    rent = svm.minimum_balance_for_rent_exemption(TOKEN_ACCOUNT_LEN)
    acct = svm.get_account(ata)
    assert acct is not None and acct.owner == P.TOKEN
    assert acct.lamports == rent + wrap
    assert int.from_bytes(bytes(acct.data)[64:72], "little") == wrap  # SPL token amount field
    assert svm.get_balance(me) == START - wrap - tip - rent - FEE_PER_SIGNATURE


def test_wrong_key_is_refused_by_the_runtime(key: SealedKey) -> None:
    me = key.pubkey
    svm = _svm(me)
    parsed = parse_transaction(
        base64.b64encode(unsigned_tx(me, paper_ixs(me), blockhash=svm.latest_blockhash())).decode()
    )
    wrong, _ = sign_slot(parsed, SealedKey(Keypair()), 0)  # fee payer is us, signature is not
    meta = svm.send_transaction(VersionedTransaction.from_bytes(wrong))
    assert isinstance(meta, FailedTransactionMetadata)
    assert "SignatureFailure" in str(meta.err())
    assert svm.get_balance(me) == START
    right, _ = sign_slot(parsed, key, 0)
    assert isinstance(svm.send_transaction(VersionedTransaction.from_bytes(right)), TransactionMetadata)


def test_replayed_transaction_is_refused_by_the_runtime(
    make_service: Callable[..., SigningService], key: SealedKey
) -> None:
    me = key.pubkey
    svm = _svm(me)
    tx = unsigned_tx(me, paper_ixs(me), blockhash=svm.latest_blockhash())
    signed, _ = _signed(make_service(), tx, spend=20_000)
    assert isinstance(svm.send_transaction(signed), TransactionMetadata)
    after_first = svm.get_balance(me)
    again = svm.send_transaction(signed)
    assert isinstance(again, FailedTransactionMetadata)
    assert "AlreadyProcessed" in str(again.err())
    assert svm.get_balance(me) == after_first


def test_expired_blockhash_is_refused_by_the_runtime(
    make_service: Callable[..., SigningService], key: SealedKey
) -> None:
    """A signed transaction is only good until its blockhash expires (no durable nonces)."""
    me = key.pubkey
    svm = _svm(me)
    signed, _ = _signed(
        make_service(), unsigned_tx(me, paper_ixs(me), blockhash=Hash.new_unique()), spend=20_000
    )
    meta = svm.send_transaction(signed)
    assert isinstance(meta, FailedTransactionMetadata)
    assert "BlockhashNotFound" in str(meta.err())
