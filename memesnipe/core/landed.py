"""What a landed swap actually did to our wallet, from the RPC's getTransaction ``meta``
(documented shape: solana.com/docs/rpc/http/gettransaction): the fee payer's SOL change
(index 0 = our wallet, the fee payer), the network fee, and our token balance change for a mint
(sum over token accounts owned by the wallet, pre vs post), and the rent the swap moved into (or
back out of) the wallet's token accounts: a token account created by the swap holds its rent
deposit (2,039,280 lamports for a 165-byte account), still the wallet's and refunded when the
account is closed, so it is neither price nor cost and is booked apart from the swap's SOL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class LandedParseError(ValueError):
    """The transaction result lacks what a fill needs (no meta, failed transaction...)."""


@dataclass(frozen=True)
class LandedAmounts:
    sol_delta_lamports: int  # post - pre of the fee payer (negative when SOL left the wallet)
    token_delta: int  # post - pre of the wallet's token accounts for the mint (base units)
    fee_lamports: int  # network fee charged (base + priority)
    slot: int | None
    rent_lamports: int = 0  # rent deposited into (+) or refunded from (-) the wallet's token accounts

    @property
    def swap_sol_lamports(self) -> int:
        """The fee payer's SOL change without the rent deposit: what the swap (and its fee and
        tip) cost or brought, the number a fill's price is made from."""
        return self.sol_delta_lamports + self.rent_lamports


def _owned(balances: list[Mapping[str, Any]], owner: str, mint: str) -> int:
    total = 0
    for b in balances or []:
        if b.get("owner") == owner and b.get("mint") == mint:
            total += int((b.get("uiTokenAmount") or {}).get("amount") or 0)
    return total


WSOL_MINT = "So11111111111111111111111111111111111111112"


def _rent_held(balances: list[Mapping[str, Any]], lamports: list[Any], owner: str) -> dict[int, int]:
    """Lamports each of the wallet's token accounts holds beyond its tokens (its rent deposit),
    by account index; a wrapped-SOL account's tokens are lamports too and are not rent."""
    out: dict[int, int] = {}
    for b in balances or []:
        i = b.get("accountIndex")
        if b.get("owner") != owner or not isinstance(i, int) or not 0 <= i < len(lamports):
            continue
        native = int((b.get("uiTokenAmount") or {}).get("amount") or 0) if b.get("mint") == WSOL_MINT else 0
        out[i] = max(int(lamports[i]) - native, 0)
    return out


def rent_delta(meta: Mapping[str, Any], owner: str) -> int:
    """Rent moved into the owner's token accounts by the transaction: + for an account it
    created (and kept), - for one it closed; an account created and closed inside the same
    transaction (Jupiter's temporary wSOL account) appears on neither side and counts 0."""
    pre = _rent_held(meta.get("preTokenBalances") or [], meta.get("preBalances") or [], owner)
    post = _rent_held(meta.get("postTokenBalances") or [], meta.get("postBalances") or [], owner)
    return sum(post.get(i, 0) - pre.get(i, 0) for i in set(pre) | set(post) if (i in pre) != (i in post))


def landed_amounts(result: Mapping[str, Any] | None, wallet: str, mint: str) -> LandedAmounts:
    if not result:
        raise LandedParseError("transaction not found (not yet visible at this commitment)")
    meta = result.get("meta")
    if not meta:
        raise LandedParseError("transaction has no meta")
    if meta.get("err") is not None:
        raise LandedParseError(f"transaction failed on chain: {meta['err']}")
    pre, post = meta.get("preBalances") or [], meta.get("postBalances") or []
    if not pre or not post:
        raise LandedParseError("transaction meta has no balances")
    return LandedAmounts(
        sol_delta_lamports=int(post[0]) - int(pre[0]),
        token_delta=_owned(meta.get("postTokenBalances"), wallet, mint)
        - _owned(meta.get("preTokenBalances"), wallet, mint),
        fee_lamports=int(meta.get("fee") or 0),
        slot=result.get("slot"),
        rent_lamports=rent_delta(meta, wallet),
    )
