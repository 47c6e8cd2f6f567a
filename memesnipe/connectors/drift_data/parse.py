"""Drift funding records -> FundingEvent.

``funding_rate_hourly`` (a fraction per hour) = (fundingRate / 1e9) / (oraclePriceTwap / 1e6),
as Drift documents it; mark and oracle prices are the period's TWAPs. Event time is the
record's own ``ts`` (when the funding was settled on-chain).
"""

from __future__ import annotations

from typing import Any

from memesnipe.connectors.drift_data.schemas import FundingRatesResponse
from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.runner import epoch_s, validate
from memesnipe.streams.market import FundingEvent

PROVIDER = "drift_data"
FUNDING_PRECISION = 1e9
PRICE_PRECISION = 1e6


def parse_funding(raw: Any, perp_symbol: str, mint: str) -> list[FundingEvent]:
    resp = validate(FundingRatesResponse, raw, PROVIDER)
    out = []
    for r in sorted(resp.fundingRates, key=lambda r: (r.ts, r.slot)):
        if r.oraclePriceTwap <= 0:
            raise ParseError(
                PROVIDER, f"{perp_symbol} record {r.recordId}: oraclePriceTwap {r.oraclePriceTwap}"
            )
        oracle = r.oraclePriceTwap / PRICE_PRECISION
        out.append(
            FundingEvent(
                mint=mint,
                ts=epoch_s(r.ts),
                source=PROVIDER,
                market_index=r.marketIndex,
                perp_symbol=perp_symbol,
                funding_rate_hourly=(r.fundingRate / FUNDING_PRECISION) / oracle,
                mark_price_usd=r.markPriceTwap / PRICE_PRECISION,
                oracle_price_usd=oracle,
            )
        )
    return out
