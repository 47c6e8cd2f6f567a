"""Token safety facts -> OnChainEvent(kind=SAFETY).

- mint / freeze authority live = the jsonParsed mint account still names an authority;
- ``top10_holder_pct`` = the ten largest WALLETS' share of supply, in percent, from base-unit
  integers: pool vaults, bonding curves and other program-owned accounts are excluded
  (``holders.py``; without owners, the plain ten largest accounts, an upper bound).
  ``holders`` stays unknown: counting holders needs getProgramAccounts.
- pump.fun tokens (``curve_event``): bonding-curve progress from the curve account; while the
  curve is not complete its liquidity sits in the program and cannot be withdrawn, so the LP
  fact is 100% locked, sourced ``pump_fun:bonding_curve``.
Event time is the fetch time (RPC results carry a slot, not a time).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from datetime import datetime

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.pump_fun.curve import CurveDecodeError, decode_bonding_curve
from memesnipe.connectors.pump_fun.events import PUMP_PROGRAM
from memesnipe.connectors.runner import validate
from memesnipe.connectors.solana_rpc.holders import Holder, top_wallet_pct
from memesnipe.connectors.solana_rpc.schemas import (
    AccountInfoResult,
    LargestAccountsResult,
    MintInfo,
    ParsedData,
    TokenSupplyResult,
)
from memesnipe.streams.market import OnChainEvent, OnChainKind

PROVIDER = "solana_rpc"
CURVE_SOURCE = "pump_fun:bonding_curve"
TOKEN_PROGRAMS = {
    "TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA",
    "TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb",
}


def mint_info(account: AccountInfoResult, mint: str) -> MintInfo:
    v = account.value
    if v is None:
        raise ParseError(PROVIDER, f"{mint}: no such account")
    if v.owner not in TOKEN_PROGRAMS or not isinstance(v.data, ParsedData) or v.data.parsed.type != "mint":
        raise ParseError(
            PROVIDER, f"{mint}: not an SPL mint account (owner {v.owner}); was jsonParsed requested?"
        )
    return validate(MintInfo, v.data.parsed.info, PROVIDER)


def top_holder_pct(largest: LargestAccountsResult, supply: TokenSupplyResult, n: int = 10) -> float | None:
    if supply.value.amount <= 0:
        return None
    top = sorted((a.amount for a in largest.value), reverse=True)[:n]
    return 100.0 * sum(top) / supply.value.amount


def safety_event(
    mint: str,
    account: AccountInfoResult,
    largest: LargestAccountsResult,
    supply: TokenSupplyResult,
    fetched_at: datetime,
    holders: Sequence[Holder] | None = None,
) -> OnChainEvent:
    info = mint_info(account, mint)
    if supply.value.decimals != info.decimals:
        raise ParseError(
            PROVIDER, f"{mint}: supply decimals {supply.value.decimals} != mint decimals {info.decimals}"
        )
    return OnChainEvent(
        mint=mint,
        ts=fetched_at,
        source=PROVIDER,
        kind=OnChainKind.SAFETY,
        mint_authority_live=info.mintAuthority is not None,
        freeze_authority_live=info.freezeAuthority is not None,
        top10_holder_pct=top_holder_pct(largest, supply)
        if holders is None
        else top_wallet_pct(holders, supply),
    )


def curve_event(mint: str, curve: AccountInfoResult, fetched_at: datetime) -> OnChainEvent | None:
    """The pump.fun bonding curve's facts, or None when the mint has no curve account (not a
    pump.fun token)."""
    v = curve.value
    if v is None:
        return None
    if v.owner != PUMP_PROGRAM:
        raise ParseError(PROVIDER, f"{mint}: bonding-curve address owned by {v.owner}, not pump.fun")
    if not isinstance(v.data, list) or len(v.data) != 2 or v.data[1] != "base64":
        raise ParseError(PROVIDER, f"{mint}: bonding curve not base64-encoded; request encoding base64")
    try:
        bc = decode_bonding_curve(base64.b64decode(v.data[0], validate=True))
    except (CurveDecodeError, binascii.Error) as exc:
        raise ParseError(PROVIDER, f"{mint}: {exc}") from None
    return OnChainEvent(
        mint=mint,
        ts=fetched_at,
        source=CURVE_SOURCE,
        kind=OnChainKind.SAFETY,
        bonding_curve_pct=round(bc.progress_pct, 4),
        lp_locked_pct=None if bc.complete else 100.0,
    )
