"""Jupiter price map -> PriceEvent per mint.

``price_sol`` is derived from the SOL entry of the same response (the connector always asks for
SOL too), so both prices come from one consistent snapshot. The payload has a block id but no
time, so the event time is the fetch time. ``createdAt`` is the token's creation, not the quote's.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.jupiter_price.schemas import PriceResponse
from memesnipe.connectors.runner import validate
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import PriceEvent

PROVIDER = "jupiter_price"


def parse_prices(raw: Any, fetched_at: datetime, watched: Collection[str] | None = None) -> list[PriceEvent]:
    entries = validate(PriceResponse, raw, PROVIDER).root
    sol = entries.get(SOL_MINT)
    sol_usd = sol.usdPrice if sol and sol.usdPrice > 0 else 0.0
    events = []
    for mint, e in entries.items():
        if watched is not None and mint not in watched:
            continue
        if e.usdPrice <= 0:
            raise ParseError(PROVIDER, f"non-positive usdPrice {e.usdPrice!r} for {mint}")
        events.append(
            PriceEvent(
                mint=mint,
                ts=fetched_at,
                source=PROVIDER,
                price_usd=e.usdPrice,
                price_sol=e.usdPrice / sol_usd if sol_usd else 0.0,
                liquidity_usd=e.liquidity or 0.0,
                decimals=e.decimals,
            )
        )
    return events
