"""Raw ``GET /fundingRates?marketName=...`` payload of the Drift Data API
(https://drift-labs.github.io/v2-teacher/#get-fundingrates). Numbers are integer strings:
``fundingRate`` at 1e9 precision, TWAP prices at 1e6."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class FundingRateRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")

    slot: int
    ts: int
    marketIndex: int
    fundingRate: int
    oraclePriceTwap: int
    markPriceTwap: int
    txSig: str = ""
    recordId: str | int | None = None


class FundingRatesResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    fundingRates: list[FundingRateRecord]
