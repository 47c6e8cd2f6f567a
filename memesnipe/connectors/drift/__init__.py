"""Drift v2 perps via driftpy (Drift's own SDK): market lookup and placePerpOrder instructions."""

from memesnipe.connectors.drift.orders import DriftOrderError, DriftPerpBuilder, PerpMarket

__all__ = ["DriftOrderError", "DriftPerpBuilder", "PerpMarket"]
