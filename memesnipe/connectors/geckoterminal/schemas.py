"""Raw GeckoTerminal ``GET /networks/{network}/tokens/{address}/pools`` payload (JSON:API: a
``data`` list of pool resources; numbers as decimal strings), fields as documented on
https://docs.coingecko.com/reference/top-pools-contract-address."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Ref(_Raw):
    id: str
    type: str = ""


class RefData(_Raw):
    data: Ref | None = None


class Relationships(_Raw):
    base_token: RefData
    quote_token: RefData
    dex: RefData | None = None


class Trades(_Raw):
    buys: int = 0
    sells: int = 0


class PoolAttributes(_Raw):
    address: str
    name: str = ""
    base_token_price_usd: float | None = None
    base_token_price_native_currency: float | None = None
    reserve_in_usd: float | None = None
    volume_usd: dict[str, float | None] = {}
    transactions: dict[str, Trades] = {}


class Pool(_Raw):
    id: str
    type: str = "pool"
    attributes: PoolAttributes
    relationships: Relationships


class PoolsResponse(_Raw):
    data: list[Pool]
