"""The watchlist: which mints the per-mint connectors poll, decided by discovery.

One record per mint on the compacted ``watchlist`` topic (key = mint); the latest record is the
mint's state. ``status`` ACTIVE means "poll it"; EVICTED keeps the reason visible (and keeps a
restarted follower from re-adding it) until compaction removes a later tombstone.
"""

from __future__ import annotations

from enum import StrEnum

from memesnipe.streams.base import Message, Mint, UtcDatetime


class WatchStatus(StrEnum):
    ACTIVE = "active"
    EVICTED = "evicted"


class DiscoveryOrigin(StrEnum):
    """How a mint was discovered (a mint may have several)."""

    PUMP_CREATE = "pump_create"  # pump.fun create / create_v2 (CreateEvent)
    PUMP_COMPLETE = "pump_complete"  # bonding curve complete (CompleteEvent)
    PUMP_MIGRATE = "pump_migrate"  # migrated to a PumpSwap pool (CompletePumpAmmMigrationEvent)
    NEW_MINT = "new_mint"  # an onchain NEW_MINT event (Helius)
    NEW_POOL = "new_pool"  # an onchain NEW_POOL event (Helius)
    DEX_PROFILE = "dexscreener_profile"  # DexScreener /token-profiles/latest/v1
    DEX_BOOST = "dexscreener_boost"  # DexScreener /token-boosts/latest/v1


class WatchlistEntry(Message, frozen=True, kw_only=True):
    """A mint's watchlist state. ``ts`` = when this decision was taken (the discovery process's
    clock); ``created_at`` = the token's creation time when a source told us."""

    mint: Mint
    ts: UtcDatetime
    status: WatchStatus
    reason: str = ""
    origins: list[DiscoveryOrigin] = []
    first_seen: UtcDatetime
    created_at: UtcDatetime | None = None
    last_activity: UtcDatetime | None = None
    pool: str = ""
    token_program: str = ""
    liquidity_usd: float | None = None
