import base64

import pytest
from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.instruction import AccountMeta, Instruction
from solders.keypair import Keypair
from solders.message import MessageV0
from solders.pubkey import Pubkey

from memesnipe.core.tx_build import (
    MEMO_PROGRAM_ID,
    TxBuildError,
    build_transaction,
    compute_budget_ixs,
    compute_budget_of,
    find_tip,
    from_b64,
    memo_of,
    paper_blockhash,
    pick_tip_account,
    resolve_instructions,
)

TIP = "96gYZGLnJYVFmbjzopPSU6QiEV5fGqZNyN9nmNhvrZU5"
PAYER = Keypair.from_seed(bytes(range(32))).pubkey()


def _build(**kw):
    args = dict(
        payer=PAYER,
        venue_ixs=[],
        cu_limit=250_000,
        cu_price_micro_lamports=40_000,
        tip_lamports=7_000,
        tip_account=Pubkey.from_string(TIP),
        memo="memesnipe:o1",
        blockhash=paper_blockhash("o1"),
    )
    args.update(kw)
    return build_transaction(**args)


def test_paper_transaction_holds_budget_tip_and_memo_with_payer_first():
    built = _build()
    tx = from_b64(built.tx_b64)
    assert isinstance(tx.message, MessageV0)
    assert tx.message.account_keys[0] == PAYER
    assert tx.message.header.num_required_signatures == 1
    assert all(bytes(s) == bytes(64) for s in tx.signatures)  # unsigned
    ixs = resolve_instructions(tx)
    assert compute_budget_of(ixs) == (250_000, 40_000)
    assert find_tip(ixs, [TIP]) == (TIP, 7_000)
    assert memo_of(ixs) == "memesnipe:o1"
    assert tx.message.recent_blockhash == paper_blockhash("o1")


def test_same_order_builds_identical_bytes():
    assert _build().tx_b64 == _build().tx_b64
    assert _build().tx_b64 != _build(memo="memesnipe:o2", blockhash=paper_blockhash("o2")).tx_b64


def test_lookup_tables_compress_and_resolve_accounts():
    program = Pubkey.new_unique()
    accts = [Pubkey.new_unique() for _ in range(20)]
    venue = Instruction(
        program, b"\x01\x02", [AccountMeta(a, False, i % 2 == 0) for i, a in enumerate(accts)]
    )
    table = AddressLookupTableAccount(Pubkey.new_unique(), accts)
    with_alt = _build(venue_ixs=[venue], lookup_tables=[table])
    without = _build(venue_ixs=[venue])
    assert len(base64.b64decode(with_alt.tx_b64)) < len(base64.b64decode(without.tx_b64))
    tx = from_b64(with_alt.tx_b64)
    assert tx.message.address_table_lookups[0].account_key == table.key
    ixs = resolve_instructions(tx, [table])
    swap = next(ix for ix in ixs if ix.program_id == program)
    assert swap.accounts == tuple(accts) and swap.data == b"\x01\x02"
    with pytest.raises(TxBuildError, match="lookup table"):
        resolve_instructions(tx, [])


def test_venue_compute_budget_is_replaced_by_ours():
    from solders.compute_budget import set_compute_unit_limit

    built = _build(venue_ixs=[set_compute_unit_limit(1_000)])
    ixs = resolve_instructions(from_b64(built.tx_b64))
    assert compute_budget_of(ixs) == (250_000, 40_000)
    from solders.compute_budget import ID as CB

    assert sum(1 for ix in ixs if ix.program_id == CB) == 2


def test_oversized_transaction_is_refused():
    big = [Instruction(MEMO_PROGRAM_ID, b"x" * 500, []) for _ in range(3)]
    with pytest.raises(TxBuildError, match="1232-byte"):
        _build(venue_ixs=big)


def test_bad_budget_and_tip_are_refused():
    with pytest.raises(TxBuildError):
        compute_budget_ixs(0, 1)
    with pytest.raises(TxBuildError):
        _build(tip_lamports=0)


def test_tip_account_choice_is_deterministic_and_spread():
    accts = [str(Pubkey.new_unique()) for _ in range(8)]
    assert pick_tip_account(accts, "a") == pick_tip_account(accts, "a")
    assert len({pick_tip_account(accts, f"o{i}") for i in range(64)}) > 4


def test_tip_account_is_never_loaded_through_a_lookup_table():
    tip = Pubkey.from_string(TIP)
    other = Pubkey.new_unique()
    table = AddressLookupTableAccount(Pubkey.new_unique(), [other, tip])
    venue = Instruction(Pubkey.new_unique(), b"\x07", [AccountMeta(other, False, True)])
    tx = from_b64(_build(venue_ixs=[venue], lookup_tables=[table]).tx_b64)
    assert tip in list(tx.message.account_keys)
    lookup = tx.message.address_table_lookups[0]
    assert bytes(lookup.writable_indexes) == b"\x00" and bytes(lookup.readonly_indexes) == b""
    assert find_tip(resolve_instructions(tx, [table]), [TIP]) == (TIP, 7_000)
