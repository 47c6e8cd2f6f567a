"""Depth: price impact of buys at several USD sizes, from Jupiter quotes."""

from memesnipe.connectors.depth.connector import DepthConnector

__all__ = ["DepthConnector"]
