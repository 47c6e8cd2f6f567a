"""Bridge inflows to Solana, per token, from Wormholescan (the Wormhole explorer API)."""

from memesnipe.connectors.bridge.connector import BridgeConnector

__all__ = ["BridgeConnector"]
