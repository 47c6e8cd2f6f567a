"""Drift perp funding (Drift Data API)."""

from memesnipe.connectors.drift_data.connector import DriftFundingConnector

__all__ = ["DriftFundingConnector"]
