"""A confirmed transaction's instructions, top-level and inner, with their accounts resolved.

Two documented shapes (https://solana.com/docs/rpc/json-structures): the ``json`` encoding
(``accountKeys`` strings, instructions with ``programIdIndex`` and account indexes, v0 lookup
addresses in ``meta.loadedAddresses``: writable, then readonly) and the ``jsonParsed`` encoding
(``accountKeys`` objects with ``pubkey``, instructions with ``programId`` and account keys; the
ones the node could parse carry ``parsed`` instead of ``data`` and are skipped here). Both are
the ``{transaction: {message}, meta}`` of getTransaction's result and of a websocket
``transactionNotification``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


def b58decode(s: str) -> bytes:
    """Base-58 (Bitcoin alphabet) to bytes: instruction data in the json encodings."""
    n = 0
    for c in s:
        try:
            n = n * 58 + _B58_INDEX[c]
        except KeyError:
            raise ValueError(f"not base-58: {c!r}") from None
    body = n.to_bytes((n.bit_length() + 7) // 8, "big") if n else b""
    return b"\0" * (len(s) - len(s.lstrip("1"))) + body


class TransactionShapeError(ValueError):
    """A transaction that does not have the documented shape."""


@dataclass(frozen=True)
class Instruction:
    program: str
    accounts: tuple[str, ...]
    data: bytes
    outer: int  # index of the top-level instruction it is (or is inside)
    inner: bool


def account_keys(tx: Mapping[str, Any]) -> list[str]:
    """Every account the message can index: its keys, then v0 lookup-table loads (json only)."""
    try:
        msg = tx["transaction"]["message"]
        raw = msg["accountKeys"]
    except (KeyError, TypeError):
        raise TransactionShapeError("no transaction.message.accountKeys") from None
    keys = [k["pubkey"] if isinstance(k, dict) else k for k in raw]
    if raw and isinstance(raw[0], str):
        loaded = (tx.get("meta") or {}).get("loadedAddresses") or {}
        keys += list(loaded.get("writable") or []) + list(loaded.get("readonly") or [])
    if not all(isinstance(k, str) for k in keys):
        raise TransactionShapeError("accountKeys holds something other than base-58 keys")
    return keys


def _one(ix: Mapping[str, Any], keys: list[str], outer: int, inner: bool) -> Instruction | None:
    data = ix.get("data")
    if not isinstance(data, str):
        return None  # parsed by the node (system, spl-token...): no raw data to decode
    try:
        if "programIdIndex" in ix:
            program = keys[ix["programIdIndex"]]
            accounts = tuple(keys[i] for i in ix.get("accounts", []))
        else:
            program = ix["programId"]
            accounts = tuple(ix.get("accounts", []))
        return Instruction(program, accounts, b58decode(data), outer, inner)
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        raise TransactionShapeError(f"instruction {outer}: {exc!r}") from None


def instructions(tx: Mapping[str, Any]) -> Iterator[Instruction]:
    """Top-level instructions in order, each followed by the inner ones it invoked."""
    keys = account_keys(tx)
    inner_by: dict[int, list[Any]] = {}
    for group in (tx.get("meta") or {}).get("innerInstructions") or []:
        inner_by[int(group["index"])] = list(group.get("instructions") or [])
    for n, ix in enumerate(tx["transaction"]["message"].get("instructions") or []):
        one = _one(ix, keys, n, False)
        if one is not None:
            yield one
        for sub in inner_by.get(n, []):
            one = _one(sub, keys, n, True)
            if one is not None:
                yield one


def failed(tx: Mapping[str, Any]) -> bool:
    return (tx.get("meta") or {}).get("err") is not None
