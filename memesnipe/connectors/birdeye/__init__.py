"""Birdeye multi-price (optional price source)."""

from memesnipe.connectors.birdeye.connector import BirdeyePriceConnector

__all__ = ["BirdeyePriceConnector"]
