"""DexScreener pairs -> PriceEvent, one per watched mint and fetch.

A mint trades in several pools, some of them dust (a $2 pool quotes a meaningless price), so the
price comes from the deepest pool where the mint is the base token, while 5-minute volume, trades
(``txns.m5`` buys + sells) and liquidity are summed over all its pools. ``price_sol`` is that
pool's ``priceNative`` when the quote token is SOL, else 0 (unknown). The payload carries no
observation time: the event time is the fetch time.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from memesnipe.connectors.dexscreener.schemas import Pair, PairsResponse, TokenBoosts, TokenProfiles
from memesnipe.connectors.runner import validate
from memesnipe.core.watchlist import Candidate
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import PriceEvent
from memesnipe.streams.watchlist import DiscoveryOrigin

PROVIDER = "dexscreener"


def parse_pairs(raw: Any, fetched_at: datetime, watched: Collection[str] | None = None) -> list[PriceEvent]:
    """``raw`` is either ``{"pairs": [...]}`` or the bare list ``/tokens/v1`` returns."""
    resp = validate(PairsResponse, {"pairs": raw} if isinstance(raw, list) else raw, PROVIDER)
    by_mint: dict[str, list[Pair]] = {}
    for p in resp.pairs or []:
        if p.chainId != "solana" or (watched is not None and p.baseToken.address not in watched):
            continue
        by_mint.setdefault(p.baseToken.address, []).append(p)
    events = []
    for mint, pairs in by_mint.items():
        priced = [p for p in pairs if p.priceUsd is not None and p.priceUsd > 0]
        if not priced:
            continue
        best = max(priced, key=lambda p: (p.liquidity.usd or 0.0) if p.liquidity else 0.0)
        events.append(
            PriceEvent(
                mint=mint,
                ts=fetched_at,
                source=f"{PROVIDER}:{best.dexId}",
                price_usd=float(best.priceUsd or 0.0),
                price_sol=best.priceNative if best.quoteToken.address == SOL_MINT else 0.0,
                volume_usd_5m=sum(p.volume.get("m5", 0.0) for p in pairs),
                trades_5m=sum(t.buys + t.sells for p in pairs if (t := p.txns.get("m5")) is not None),
                liquidity_usd=sum((p.liquidity.usd or 0.0) for p in pairs if p.liquidity),
            )
        )
    return events


def parse_discoveries(raw: Any, fetched_at: datetime, *, boosts: bool) -> list[Candidate]:
    """Latest token profiles or boosts -> watchlist candidates for Solana tokens. Neither
    payload carries a time or the token's age: the candidate's time is the fetch time."""
    if isinstance(raw, dict):  # the reference types the response as one object; accept both
        raw = [raw]
    items = (
        validate(TokenBoosts, raw, PROVIDER).root if boosts else validate(TokenProfiles, raw, PROVIDER).root
    )
    origin = DiscoveryOrigin.DEX_BOOST if boosts else DiscoveryOrigin.DEX_PROFILE
    src = f"{PROVIDER}:{'boost' if boosts else 'profile'}"
    seen: set[str] = set()
    out = []
    for it in items:
        if it.chainId != "solana" or it.tokenAddress in seen:
            continue
        seen.add(it.tokenAddress)
        out.append(Candidate(it.tokenAddress, fetched_at, origin, src))
    return out
