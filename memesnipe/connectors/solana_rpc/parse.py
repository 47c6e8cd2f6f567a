"""Token safety facts -> OnChainEvent(kind=SAFETY).

- mint / freeze authority live = the jsonParsed mint account still names an authority;
- ``top10_holder_pct`` = the ten largest token accounts' share of supply, in percent, from
  base-unit integers. It includes pool vaults and bonding curves (the RPC cannot tell them from
  wallets), so it over-states wallet concentration on young tokens; risk limits should read it
  as an upper bound. ``holders`` stays unknown: counting holders needs getProgramAccounts.
Event time is the fetch time (RPC results carry a slot, not a time).
"""

from __future__ import annotations

from datetime import datetime

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.runner import validate
from memesnipe.connectors.solana_rpc.schemas import (
    AccountInfoResult,
    LargestAccountsResult,
    MintInfo,
    ParsedData,
    TokenSupplyResult,
)
from memesnipe.streams.market import OnChainEvent, OnChainKind

PROVIDER = "solana_rpc"
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
        top10_holder_pct=top_holder_pct(largest, supply),
    )
