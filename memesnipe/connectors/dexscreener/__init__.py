"""DexScreener pairs (price, 5-minute volume, liquidity) for the watched mints."""

from memesnipe.connectors.dexscreener.connector import DexScreenerConnector

__all__ = ["DexScreenerConnector"]
