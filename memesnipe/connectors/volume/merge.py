"""Merge one mint's price observations from several sources into one PriceEvent.

DexScreener and GeckoTerminal index the same on-chain swaps, each over the subset of a mint's
pools it knows and with its own lag, so their 5-minute volumes and trade counts are two lower
bounds of one quantity: the larger is kept (never the sum, which would count a swap twice).
The price is the one from the source that sees the most liquidity (its deepest pool is the
better quote). ``source`` names every source that answered, the price's first, so a reader
knows where each number came from: ``volume:dexscreener:raydium+geckoterminal:meteora``.
"""

from __future__ import annotations

from collections.abc import Iterable

from memesnipe.streams.market import PriceEvent


def merge(events: Iterable[PriceEvent]) -> list[PriceEvent]:
    """One event per mint, in first-seen mint order."""
    by_mint: dict[str, list[PriceEvent]] = {}
    for ev in events:
        by_mint.setdefault(ev.mint, []).append(ev)
    out = []
    for mint, evs in by_mint.items():
        best = max(evs, key=lambda e: e.liquidity_usd)
        others = [e.source for e in evs if e is not best]
        out.append(
            PriceEvent(
                mint=mint,
                ts=max(e.ts for e in evs),
                source="volume:" + "+".join([best.source, *others]),
                price_usd=best.price_usd,
                price_sol=best.price_sol or next((e.price_sol for e in evs if e.price_sol), 0.0),
                volume_usd_5m=max(e.volume_usd_5m for e in evs),
                trades_5m=max(e.trades_5m for e in evs),
                liquidity_usd=best.liquidity_usd,
                decimals=best.decimals,
            )
        )
    return out
