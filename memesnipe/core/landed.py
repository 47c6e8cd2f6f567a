"""What a landed swap actually did to our wallet, from the RPC's getTransaction ``meta``
(documented shape: solana.com/docs/rpc/http/gettransaction): the fee payer's SOL change
(index 0 = our wallet, the fee payer), the network fee, and our token balance change for a mint
(sum over token accounts owned by the wallet, pre vs post)."""

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


def _owned(balances: list[Mapping[str, Any]], owner: str, mint: str) -> int:
    total = 0
    for b in balances or []:
        if b.get("owner") == owner and b.get("mint") == mint:
            total += int((b.get("uiTokenAmount") or {}).get("amount") or 0)
    return total


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
    )
