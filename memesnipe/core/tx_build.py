"""Unsigned Solana transactions for the signer: compute budget, the swap, the Jito tip, a memo.

Everything we send is one v0 transaction whose fee payer is the signer's wallet:
``setComputeUnitLimit``, ``setComputeUnitPrice``, the venue's instructions (Jupiter's setup /
swap / cleanup, or Drift's placePerpOrder), a System transfer of the Jito tip to a tip account
(inside the same transaction, as Jito asks: a separate tip transaction can be unbundled and paid
without the swap landing) and a Memo v2 carrying the order id, so a landed transaction is
traceable to its order. Address lookup tables compress the account list; this module only
compiles, it never signs and never sees a key: signature slots are left zeroed for the signer.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from solders.address_lookup_table_account import AddressLookupTableAccount
from solders.compute_budget import ID as COMPUTE_BUDGET_ID
from solders.compute_budget import set_compute_unit_limit, set_compute_unit_price
from solders.hash import Hash
from solders.instruction import AccountMeta, Instruction
from solders.message import MessageV0
from solders.pubkey import Pubkey
from solders.signature import Signature
from solders.system_program import ID as SYSTEM_PROGRAM_ID
from solders.system_program import TransferParams, decode_transfer, transfer
from solders.transaction import VersionedTransaction

MEMO_PROGRAM_ID = Pubkey.from_string("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
MAX_CU_LIMIT = 1_400_000
MAX_TX_BYTES = 1232


class TxBuildError(ValueError):
    """The transaction cannot be built (too large, bad account, missing lookup table)."""


def compute_budget_ixs(cu_limit: int, cu_price_micro_lamports: int) -> list[Instruction]:
    if not 0 < cu_limit <= MAX_CU_LIMIT:
        raise TxBuildError(f"compute-unit limit {cu_limit} outside 1..{MAX_CU_LIMIT}")
    if cu_price_micro_lamports < 0:
        raise TxBuildError("compute-unit price must be non-negative")
    return [set_compute_unit_limit(cu_limit), set_compute_unit_price(cu_price_micro_lamports)]


def tip_ix(payer: Pubkey, tip_account: Pubkey, lamports: int) -> Instruction:
    """System transfer of the Jito tip from the fee payer to a tip account."""
    if lamports <= 0:
        raise TxBuildError("a Jito tip must be positive")
    return transfer(TransferParams(from_pubkey=payer, to_pubkey=tip_account, lamports=lamports))


def memo_ix(text: str, signer: Pubkey | None = None) -> Instruction:
    """Memo v2; with ``signer`` the memo program also checks that account signed."""
    data = text.encode("utf-8")
    if len(data) > 566:
        raise TxBuildError("memo longer than 566 bytes")
    accounts = [AccountMeta(signer, is_signer=True, is_writable=False)] if signer else []
    return Instruction(MEMO_PROGRAM_ID, data, accounts)


def paper_blockhash(order_id: str) -> Hash:
    """A deterministic placeholder blockhash for paper transactions: the same order always builds
    byte-identical transactions, so a replayed order cannot produce a different transaction."""
    return Hash(hashlib.sha256(b"memesnipe-paper-blockhash|" + order_id.encode()).digest())


def pick_tip_account(accounts: Sequence[str], seed: str) -> Pubkey:
    """One of the tip accounts, chosen from ``seed`` (Jito asks to spread tips across them)."""
    if not accounts:
        raise TxBuildError("no Jito tip accounts configured or fetched")
    idx = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big") % len(accounts)
    return Pubkey.from_string(accounts[idx])


def compile_v0(
    payer: Pubkey,
    instructions: Sequence[Instruction],
    blockhash: Hash,
    lookup_tables: Sequence[AddressLookupTableAccount] = (),
) -> VersionedTransaction:
    """An unsigned v0 transaction (zeroed signature slots for every required signer)."""
    try:
        msg = MessageV0.try_compile(payer, list(instructions), list(lookup_tables), blockhash)
    except Exception as exc:  # solders raises its own CompileError types
        raise TxBuildError(f"cannot compile transaction: {exc}") from None
    n_sigs = msg.header.num_required_signatures
    tx = VersionedTransaction.populate(msg, [Signature.default()] * n_sigs)
    size = len(bytes(tx))
    if size > MAX_TX_BYTES:
        raise TxBuildError(f"transaction is {size} bytes, above Solana's {MAX_TX_BYTES}-byte limit")
    return tx


def to_b64(tx: VersionedTransaction) -> str:
    return base64.b64encode(bytes(tx)).decode()


def from_b64(data: str) -> VersionedTransaction:
    return VersionedTransaction.from_bytes(base64.b64decode(data))


@dataclass(frozen=True)
class BuiltTx:
    """A compiled, unsigned transaction and what it will cost besides the swap itself."""

    tx_b64: str
    cu_limit: int
    cu_price_micro_lamports: int
    tip_lamports: int
    tip_account: str
    blockhash: str
    min_out: int = 0  # what the venue instruction must deliver at least (declared to the signer)
    base_amount: int = 0  # perp orders: Drift base amount (BASE_PRECISION)
    oracle_price: int = 0  # perp orders: the price the limit is banded around (PRICE_PRECISION)


def build_transaction(
    *,
    payer: Pubkey,
    venue_ixs: Iterable[Instruction],
    cu_limit: int,
    cu_price_micro_lamports: int,
    tip_lamports: int,
    tip_account: Pubkey,
    memo: str,
    blockhash: Hash,
    lookup_tables: Sequence[AddressLookupTableAccount] = (),
) -> BuiltTx:
    """Compute budget + venue instructions + tip + memo, compiled as v0. The tip account is kept
    out of the lookup tables: Jito asks that tip accounts are never loaded through an ALT."""
    lookup_tables = [_without(t, tip_account) for t in lookup_tables]
    ixs = [
        *compute_budget_ixs(cu_limit, cu_price_micro_lamports),
        *[ix for ix in venue_ixs if ix.program_id != COMPUTE_BUDGET_ID],
        tip_ix(payer, tip_account, tip_lamports),
        memo_ix(memo),
    ]
    tx = compile_v0(payer, ixs, blockhash, lookup_tables)
    return BuiltTx(
        to_b64(tx), cu_limit, cu_price_micro_lamports, tip_lamports, str(tip_account), str(blockhash)
    )


def _without(table: AddressLookupTableAccount, key: Pubkey) -> AddressLookupTableAccount:
    """The table with ``key`` masked (same indexes for every other address), so the compiler
    must place ``key`` among the static account keys."""
    if key not in table.addresses:
        return table
    masked = [Pubkey.new_unique() if a == key else a for a in table.addresses]
    return AddressLookupTableAccount(table.key, masked)


# ---- decoding (tests, the submitter and audits read transactions back) ----------------------


@dataclass(frozen=True)
class DecodedIx:
    program_id: Pubkey
    accounts: tuple[Pubkey, ...]
    data: bytes


def resolve_instructions(
    tx: VersionedTransaction, lookup_tables: Sequence[AddressLookupTableAccount] = ()
) -> list[DecodedIx]:
    """The instructions with every account index resolved, through the lookup tables for v0
    messages (writable lookups first, then read-only, as the runtime orders them)."""
    msg = tx.message
    keys = list(msg.account_keys)
    if isinstance(msg, MessageV0):
        tables = {t.key: t for t in lookup_tables}
        writable: list[Pubkey] = []
        readonly: list[Pubkey] = []
        for lookup in msg.address_table_lookups:
            table = tables.get(lookup.account_key)
            if table is None:
                raise TxBuildError(f"transaction uses lookup table {lookup.account_key} we were not given")
            writable += [table.addresses[i] for i in bytes(lookup.writable_indexes)]
            readonly += [table.addresses[i] for i in bytes(lookup.readonly_indexes)]
        keys += writable + readonly
    return [
        DecodedIx(keys[ci.program_id_index], tuple(keys[i] for i in bytes(ci.accounts)), bytes(ci.data))
        for ci in msg.instructions
    ]


def find_tip(ixs: Sequence[DecodedIx], tip_accounts: Iterable[str]) -> tuple[str, int] | None:
    """The (tip account, lamports) of a System transfer to a known tip account, if any."""
    wanted = {Pubkey.from_string(a) for a in tip_accounts}
    for ix in ixs:
        if ix.program_id != SYSTEM_PROGRAM_ID or len(ix.accounts) != 2 or ix.accounts[1] not in wanted:
            continue
        try:
            params = decode_transfer(
                Instruction(
                    ix.program_id,
                    ix.data,
                    [AccountMeta(ix.accounts[0], True, True), AccountMeta(ix.accounts[1], False, True)],
                )
            )
        except Exception:  # not a transfer (e.g. createAccount)
            continue
        return str(params["to_pubkey"]), int(params["lamports"])
    return None


def compute_budget_of(ixs: Sequence[DecodedIx]) -> tuple[int | None, int | None]:
    """(CU limit, CU price in micro-lamports) set by the transaction's compute-budget ixs."""
    limit = price = None
    for ix in ixs:
        if ix.program_id != COMPUTE_BUDGET_ID or not ix.data:
            continue
        if ix.data[0] == 2 and len(ix.data) >= 5:
            limit = int.from_bytes(ix.data[1:5], "little")
        elif ix.data[0] == 3 and len(ix.data) >= 9:
            price = int.from_bytes(ix.data[1:9], "little")
    return limit, price


def memo_of(ixs: Sequence[DecodedIx]) -> str | None:
    for ix in ixs:
        if ix.program_id == MEMO_PROGRAM_ID:
            return ix.data.decode("utf-8", "replace")
    return None
