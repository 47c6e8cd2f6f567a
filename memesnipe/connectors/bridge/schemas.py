"""Raw Wormholescan ``GET /api/v1/operations`` payload (fields as documented in its swagger)."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict


class _Raw(BaseModel):
    model_config = ConfigDict(extra="ignore")


class StandardizedProperties(_Raw):
    fromChain: int = 0
    fromAddress: str = ""
    toChain: int = 0
    toAddress: str = ""
    tokenChain: int = 0
    tokenAddress: str = ""
    amount: str = ""
    normalizedDecimals: int | None = None


class Content(_Raw):
    standarizedProperties: StandardizedProperties | None = None


class Tx(_Raw):
    txHash: str = ""


class ChainSide(_Raw):
    chainId: int
    timestamp: AwareDatetime | None = None
    transaction: Tx | None = None
    status: str = ""


class PriceData(_Raw):
    symbol: str = ""
    tokenAmount: str = ""
    usdAmount: str = ""


class Operation(_Raw):
    id: str
    emitterChain: int
    content: Content | None = None
    sourceChain: ChainSide | None = None
    targetChain: ChainSide | None = None
    data: PriceData | None = None


class OperationsResponse(_Raw):
    operations: list[Operation]
