"""Source name -> connector factory, imported lazily so one source's dependencies never slow
or break another's start-up."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from memesnipe.connectors.runner import Connector

SOURCES: dict[str, str] = {
    "jupiter_price": "memesnipe.connectors.jupiter_price.connector:JupiterPriceConnector",
    "dexscreener": "memesnipe.connectors.dexscreener.connector:DexScreenerConnector",
    "birdeye": "memesnipe.connectors.birdeye.connector:BirdeyePriceConnector",
    "geckoterminal": "memesnipe.connectors.geckoterminal.connector:GeckoTerminalConnector",
    "volume": "memesnipe.connectors.volume.connector:VolumeConnector",
    "holders": "memesnipe.connectors.geckoterminal.holders:HoldersConnector",
    "pyth": "memesnipe.connectors.pyth.connector:PythSolPriceConnector",
    "depth": "memesnipe.connectors.depth.connector:DepthConnector",
    "helius": "memesnipe.connectors.helius.connector:HeliusConnector",
    "helius_webhook": "memesnipe.connectors.helius.webhook:HeliusWebhookConnector",
    "safety": "memesnipe.connectors.solana_rpc.connector:TokenSafetyConnector",
    "pools": "memesnipe.connectors.pools.connector:PoolReservesConnector",
    "drift": "memesnipe.connectors.drift_data.connector:DriftFundingConnector",
    "social": "memesnipe.connectors.social.connector:XMentionsConnector",
    "bridge": "memesnipe.connectors.bridge.connector:BridgeConnector",
    "discovery": "memesnipe.connectors.discovery.service:DiscoveryConnector",
}
"""Every live source ``memesnipe connect`` accepts, and the class that implements it."""


def factory(source: str) -> Callable[..., Connector]:
    try:
        target = SOURCES[source]
    except KeyError:
        raise SystemExit(
            f"memesnipe: unknown source {source!r}; known: {', '.join(sorted(SOURCES))}"
        ) from None
    module, _, attr = target.partition(":")
    try:
        return getattr(importlib.import_module(module), attr)  # type: ignore[no-any-return]
    except ModuleNotFoundError as exc:
        raise SystemExit(f"memesnipe: source {source!r} is not available in this build ({exc})") from None


def create(source: str, settings: Any, **kwargs: Any) -> Connector:
    """Build the connector; missing keys or settings stop here with a message naming them."""
    return factory(source)(settings, **kwargs)
