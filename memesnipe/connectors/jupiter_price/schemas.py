"""Raw Jupiter Price API v3 payload (https://dev.jup.ag/api-reference/price/v3/price):
a map of mint -> entry. Tokens without a reliable price are simply absent."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, RootModel


class PriceEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    usdPrice: float
    blockId: int | None = None
    decimals: int
    liquidity: float | None = None
    priceChange24h: float | None = None
    createdAt: str | None = None


class PriceResponse(RootModel[dict[str, PriceEntry]]):
    pass
