"""Jupiter Price API v3 (USD price, liquidity, decimals) for the watched mints."""

from memesnipe.connectors.jupiter_price.connector import JupiterPriceConnector

__all__ = ["JupiterPriceConnector"]
