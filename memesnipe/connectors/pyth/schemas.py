"""Raw Hermes ``GET /v2/updates/price/latest`` payload
(https://docs.pyth.network/api-reference/pyth-core/hermes/latest_price_updates).
Price and confidence are integer strings scaled by ``10^expo``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RpcPrice(_Raw):
    price: int
    conf: int
    expo: int
    publish_time: int


class ParsedPriceUpdate(_Raw):
    id: str
    price: RpcPrice
    ema_price: RpcPrice | None = None


class BinaryUpdate(_Raw):
    encoding: str
    data: list[str]


class PriceUpdateResponse(_Raw):
    binary: BinaryUpdate | None = None
    parsed: list[ParsedPriceUpdate] | None = None
