"""Pyth Hermes: SOL/USD with confidence and publish time."""

from memesnipe.connectors.pyth.connector import PythSolPriceConnector

__all__ = ["PythSolPriceConnector"]
