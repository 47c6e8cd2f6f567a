"""Quotes at several sizes -> one DepthEvent per mint.

Each level is a SOL -> token ExactIn quote for ``size_usd`` worth of SOL (converted with the
oracle SOL/USD of the same cycle); ``impact_bps`` is the route's documented price impact.
A size with no route is left out (no depth there), so a missing level means "not fillable".
``liquidity_usd`` is not observable from quotes and stays 0. Event time is the fetch time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from memesnipe.connectors.errors import ParseError
from memesnipe.connectors.jupiter.parse import Quote
from memesnipe.streams.base import LAMPORTS_PER_SOL, SOL_MINT
from memesnipe.streams.market import DepthEvent, DepthLevel

PROVIDER = "depth:jupiter"


def lamports_for_usd(size_usd: float, sol_usd: float) -> int:
    if sol_usd <= 0 or size_usd <= 0:
        raise ValueError(f"need positive size and SOL price, got {size_usd} / {sol_usd}")
    return round(size_usd / sol_usd * LAMPORTS_PER_SOL)


def depth_event(mint: str, quotes: Sequence[tuple[float, Quote | None]], fetched_at: datetime) -> DepthEvent:
    levels = []
    for size_usd, q in sorted(quotes, key=lambda x: x[0]):
        if q is None:
            continue
        if q.input_mint != SOL_MINT or q.output_mint != mint:
            raise ParseError(PROVIDER, f"quote is {q.input_mint}->{q.output_mint}, expected SOL->{mint}")
        if q.out_amount <= 0:
            raise ParseError(PROVIDER, f"{mint}: quote for ${size_usd:g} returns nothing")
        levels.append(DepthLevel(size_usd=size_usd, impact_bps=q.price_impact_bps))
    return DepthEvent(mint=mint, ts=fetched_at, source=PROVIDER, levels=levels)
