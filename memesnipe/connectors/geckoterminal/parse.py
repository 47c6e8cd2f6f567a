"""GeckoTerminal pools -> a PriceEvent for the mint, with its 5-minute volume and trade count.

As for DexScreener, the price is the deepest pool's (``reserve_in_usd``) where the mint is the
base token, while the 5-minute volume (``volume_usd.m5``), the trades (``transactions.m5`` buys
+ sells) and the liquidity are summed over those pools. On Solana the native currency is SOL, so
``base_token_price_native_currency`` is the price in SOL. The payload has no observation time:
the event time is the fetch time.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from memesnipe.connectors.geckoterminal.schemas import Pool, PoolsResponse
from memesnipe.connectors.runner import validate
from memesnipe.streams.market import PriceEvent

PROVIDER = "geckoterminal"


def _token(ref_id: str, network: str) -> str:
    return ref_id.removeprefix(f"{network}_")


def parse_token_pools(
    raw: Any, mint: str, fetched_at: datetime, network: str = "solana"
) -> PriceEvent | None:
    """None when no pool prices the mint as its base token."""
    resp = validate(PoolsResponse, raw, PROVIDER)
    pools: list[Pool] = [
        p
        for p in resp.data
        if p.relationships.base_token.data is not None
        and _token(p.relationships.base_token.data.id, network) == mint
    ]
    priced = [p for p in pools if (p.attributes.base_token_price_usd or 0.0) > 0.0]
    if not priced:
        return None
    best = max(priced, key=lambda p: p.attributes.reserve_in_usd or 0.0)
    dex = best.relationships.dex.data.id if best.relationships.dex and best.relationships.dex.data else "?"
    return PriceEvent(
        mint=mint,
        ts=fetched_at,
        source=f"{PROVIDER}:{dex}",
        price_usd=float(best.attributes.base_token_price_usd or 0.0),
        price_sol=float(best.attributes.base_token_price_native_currency or 0.0),
        volume_usd_5m=sum(p.attributes.volume_usd.get("m5") or 0.0 for p in pools),
        trades_5m=sum(
            t.buys + t.sells for p in pools if (t := p.attributes.transactions.get("m5")) is not None
        ),
        liquidity_usd=sum(p.attributes.reserve_in_usd or 0.0 for p in pools),
    )
