"""Birdeye multi-price -> PriceEvent per priced mint, timed by Birdeye's ``updateUnixTime``
(the price's own time). ``price_sol`` comes from the SOL entry of the same response."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from memesnipe.connectors.birdeye.schemas import MultiPriceResponse
from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.runner import epoch_s, validate
from memesnipe.streams.base import SOL_MINT
from memesnipe.streams.market import PriceEvent

PROVIDER = "birdeye"


def parse_multi_price(raw: Any, watched: Collection[str] | None = None) -> list[PriceEvent]:
    resp = validate(MultiPriceResponse, raw, PROVIDER)
    if not resp.success or resp.data is None:
        raise ParseError(PROVIDER, f"request failed: {resp.message or 'success=false'}")
    sol = resp.data.get(SOL_MINT)
    sol_usd = sol.value if sol and sol.value and sol.value > 0 else 0.0
    out = []
    for mint, e in resp.data.items():
        if e is None or e.value is None or (watched is not None and mint not in watched):
            continue
        if e.value <= 0:
            raise ParseError(PROVIDER, f"non-positive price {e.value} for {mint}")
        out.append(
            PriceEvent(
                mint=mint,
                ts=epoch_s(e.updateUnixTime),
                source=PROVIDER,
                price_usd=e.value,
                price_sol=e.value / sol_usd if sol_usd else 0.0,
                liquidity_usd=e.liquidity or 0.0,
            )
        )
    return out
