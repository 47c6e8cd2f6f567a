"""Raw ``GET /defi/multi_price`` payload (https://docs.birdeye.so/docs/multi_price-1): a map of
address -> price entry; an address Birdeye cannot price maps to null."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class PriceEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    value: float | None
    updateUnixTime: int
    priceChange24h: float | None = None
    liquidity: float | None = None


class MultiPriceResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    success: bool
    data: dict[str, PriceEntry | None] | None = None
    message: str | None = None
