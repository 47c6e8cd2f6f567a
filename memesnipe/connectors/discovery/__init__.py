"""Discovery: new mints (pump.fun logs, DexScreener profiles/boosts, onchain NEW_MINT/NEW_POOL)
kept on the compacted watchlist topic that the per-mint connectors follow."""

from memesnipe.connectors.discovery.service import DiscoveryConnector

__all__ = ["DiscoveryConnector"]
