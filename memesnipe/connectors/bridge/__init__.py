"""Bridge flows of Solana tokens, in and out, from Wormholescan and deBridge (DLN stats API)."""

from memesnipe.connectors.bridge.connector import BridgeConnector

__all__ = ["BridgeConnector"]
