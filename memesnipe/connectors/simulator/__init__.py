"""A deterministic market simulator publishing all seven market event types."""

from memesnipe.connectors.simulator.model import MarketSimulator, SimMint

__all__ = ["MarketSimulator", "SimMint"]
