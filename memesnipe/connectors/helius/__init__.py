"""Helius enhanced transactions: swaps, new mints and pools, LP adds/removes, large transfers,
creator-wallet sells."""

from memesnipe.connectors.helius.connector import HeliusConnector

__all__ = ["HeliusConnector"]
