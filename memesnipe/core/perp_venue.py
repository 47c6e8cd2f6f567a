"""The perp venue seam for shorts: what any venue adapter reports, and the degrade rule (pure).

A venue adapter (``connectors.drift.venue.DriftVenue`` for Drift v2) reads its program's own
state (is it accepting fills?) and our account on it (open positions, collateral, funding).
When no perp venue is live, a short thesis cannot be expressed: the risk gate refuses the short
with rule ``perp_venue_down`` and the reason, blocks entries on the mint (as a rug alarm does),
and the position manager exits the longs on it (``core.position_messages.wants_rejection``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

PERP_VENUE_DOWN = "perp_venue_down"


@dataclass(frozen=True)
class VenueStatus:
    venue: str
    live: bool
    reason: str  # why not live (or "live"), e.g. "Drift v2 exchange_status 0x08: FillPaused"
    flags: tuple[str, ...] = ()
    source: str = ""  # where it was read (account address, slot)


@dataclass(frozen=True)
class VenuePosition:
    """One open position as the venue holds it, in the venue's own units (Drift: base in
    BASE_PRECISION per lot, quote in QUOTE_PRECISION, funding rates in FUNDING_RATE_PRECISION)."""

    market_index: int
    base_asset_amount: int  # the venue's base precision; < 0 short
    quote_entry_amount: int
    quote_asset_amount: int = 0
    last_cumulative_funding_rate: int = 0  # the market's rate when the venue last settled it
    market_cumulative_funding_rate: int = 0  # the market's rate now, for this position's side

    @property
    def short(self) -> bool:
        return self.base_asset_amount < 0


@dataclass(frozen=True)
class VenueAccount:
    positions: tuple[VenuePosition, ...]
    collateral_usd: float
    cumulative_funding_usd: float  # positive = received
    open_perp_markets: tuple[int, ...] = ()  # every perp market the venue's margin check reads
    open_spot_markets: tuple[int, ...] = ()

    @property
    def open_markets(self) -> tuple[int, ...]:
        return tuple(p.market_index for p in self.positions)


class PerpVenue(Protocol):
    name: str

    async def status(self) -> VenueStatus: ...

    async def account(self, authority: str) -> VenueAccount: ...


def degrade_reason(status: VenueStatus) -> str:
    """The refusal of a short when the venue is not live: exit longs, block entries."""
    return (
        f"no live perp venue ({status.venue}: {status.reason}): "
        "short thesis degraded to exit longs and block entries"
    )


async def read_status(venue: PerpVenue) -> VenueStatus:
    """The venue's status, failing closed: a read that raises is "not live" with the error (a
    short is refused, longs are untouched), never an assumed "live"."""
    try:
        return await venue.status()
    except Exception as exc:
        return VenueStatus(venue.name, False, f"status unknown: {type(exc).__name__}: {exc}")
