"""Jito block engine: tip accounts, tip floor, bundles and their statuses."""

from memesnipe.connectors.jito.client import JitoClient
from memesnipe.connectors.jito.parse import BundleState, BundleStatus

__all__ = ["BundleState", "BundleStatus", "JitoClient"]
