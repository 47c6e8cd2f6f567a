"""Raw DexScreener pair payloads, as documented at https://docs.dexscreener.com/api/reference.

Prices arrive as decimal strings (``"0.00001655"``); pydantic turns them into floats and refuses
anything that is not a number. ``pairs`` is null when no pair matched.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, RootModel


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Token(_Raw):
    address: str
    name: str = ""
    symbol: str = ""


class Txns(_Raw):
    buys: int = 0
    sells: int = 0


class Liquidity(_Raw):
    usd: float | None = None
    base: float | None = None
    quote: float | None = None


class Pair(_Raw):
    chainId: str
    dexId: str
    pairAddress: str
    baseToken: Token
    quoteToken: Token
    priceNative: float
    priceUsd: float | None = None
    txns: dict[str, Txns] = {}
    volume: dict[str, float] = {}
    liquidity: Liquidity | None = None
    pairCreatedAt: int | None = None


class PairsResponse(_Raw):
    """``/latest/dex/tokens/...`` and ``/latest/dex/pairs/...``."""

    schemaVersion: str | None = None
    pairs: list[Pair] | None = None


class Link(_Raw):
    type: str | None = None
    label: str | None = None
    url: str


class TokenProfile(_Raw):
    """``/token-profiles/latest/v1`` item (the reference's TokenProfile schema)."""

    url: str
    chainId: str
    tokenAddress: str
    icon: str | None = None
    header: str | None = None
    description: str | None = None
    links: list[Link] | None = None


class TokenBoost(TokenProfile):
    """``/token-boosts/latest/v1`` item: a profile plus the boost amounts."""

    amount: float | None = None
    totalAmount: float | None = None


class TokenProfiles(RootModel[list[TokenProfile]]):
    pass


class TokenBoosts(RootModel[list[TokenBoost]]):
    pass
