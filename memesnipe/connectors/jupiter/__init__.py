"""Jupiter swap routing: quotes and raw swap instructions (Swap API V2 /build, V1 /quote)."""

from memesnipe.connectors.jupiter.client import JupiterClient
from memesnipe.connectors.jupiter.parse import Quote, SwapPlan

__all__ = ["JupiterClient", "Quote", "SwapPlan"]
